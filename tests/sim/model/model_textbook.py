"""Scenarios that reduce to textbook queues, and the formulas they must agree with (shared by the model tests)."""

from __future__ import annotations

import math

from sim.scenario import loads
from sim.scenario.model import Scenario

# Everything but the provider is (nearly) free: a 1 µs polling interval is long polling, the bus's ingress and
# delivery take no time, both systems sit in one data centre (0.2 ms per hop). What remains is one queue (the
# provider's request queue on the bus) served by `servers` workers: the end-to-end latency is the sojourn time
# W = Wq + E[S], plus about 1 ms of hops.
_TEMPLATE = """
name: textbook
description: one provider queue, {servers} worker(s), {service} service, Poisson arrivals at {rate}/s
topology:
  data_centres: {{dc: {{bus_nodes: 1}}}}
  bus: {{node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s)}}
  participants:
    consumer: {{kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}}
    provider: {{kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
                concurrency: {servers}, processing_time: "{service}"}}
message_types:
  lookup: {{provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}}
workload:
  flows:
    calls: {{consumer: consumer, type: lookup, rate: {rate}/s}}
policies: {{ack_timeout: 1d, ttl: 30d, replication_factor: 1}}
run: {{duration: {duration}s, warmup: {warmup}s, replications: {replications}, seed: 7}}
"""

HOP_OVERHEAD_S = 0.0012
"""Constant latency on top of the queue's sojourn time: six 0.2 ms hops (send, poll, deliver; the same back)."""


def single_queue(servers: int, service: str, rate: float, duration: float, warmup: float,
                 replications: int = 10) -> Scenario:
    return loads(_TEMPLATE.format(servers=servers, service=service, rate=rate, duration=duration, warmup=warmup,
                                  replications=replications), source="<textbook>")


def mm1_sojourn(lam: float, mu: float) -> float:
    """M/M/1: W = 1 / (mu - lambda)."""
    return 1.0 / (mu - lam)


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1.0 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc_sojourn(c: int, lam: float, mu: float) -> float:
    """M/M/c: W = C(c, a) / (c mu - lambda) + 1 / mu."""
    return erlang_c(c, lam, mu) / (c * mu - lam) + 1.0 / mu


def md1_sojourn(lam: float, d: float) -> float:
    """M/D/1 (Pollaczek-Khinchine with zero service variance): W = rho d / (2 (1 - rho)) + d."""
    rho = lam * d
    return rho * d / (2.0 * (1.0 - rho)) + d
