"""M/G/1 cases the model was not tuned to: Pollaczek-Khinchine with a high-variance (bimodal, hyper-exponential-like)
service, and two message types with their own processing times sharing one provider's worker.

The provider's single worker is fed by the bus's queues through polling at 1 µs (long polling), so it is a
work-conserving single server. With one message type it is FCFS: W = lambda E[S^2] / (2 (1 - rho)) + E[S]. With two
types the bus keeps one queue per type, but a poll takes the oldest message across them (SMEV delivers a recipient's
messages oldest first), so the discipline is FCFS again: every type waits Wq = lambda E[S^2] / (2 (1 - rho)), whatever
its own service. Taking the types' queues in turn would favour the rare type; it would still satisfy Kleinrock's
conservation law, sum_i rho_i Wq_i = rho / (1 - rho) x sum_i lambda_i E[S_i^2] / 2, checked as well."""

from __future__ import annotations

import pytest
from theory_cases import HOPS_S, assert_covers, assert_excludes, interval, replications

SINGLE = """
name: mg1
description: one worker, service 100 ms (90 %) or 1.9 s (10 %), Poisson arrivals at 2.5/s (rho = 0.7)
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: "discrete(100ms: 90%, 1900ms: 10%)"}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 2.5/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
run: {duration: 3000s, warmup: 300s, replications: 6, seed: 23}
"""


def pk_sojourn(lam: float, mean: float, second_moment: float) -> float:
    """Pollaczek-Khinchine: W = lambda E[S^2] / (2 (1 - rho)) + E[S]."""
    return lam * second_moment / (2.0 * (1.0 - lam * mean)) + mean


def test_pk_formula():
    assert pk_sojourn(0.5, 1.0, 2.0) == pytest.approx(2.0)  # M/M/1 at rho 0.5: 1 / (mu - lambda)
    assert pk_sojourn(0.5, 1.0, 1.0) == pytest.approx(1.5)  # M/D/1


@pytest.mark.slow
def test_pollaczek_khinchine_with_a_bimodal_service():
    lam, mean = 2.5, 0.9 * 0.1 + 0.1 * 1.9
    second = 0.9 * 0.1**2 + 0.1 * 1.9**2  # 0.37: squared coefficient of variation 3.7
    rset = replications(SINGLE, "mg1")
    ci = interval(rset.values("async.latency.mean"))
    exact = pk_sojourn(lam, mean, second) + HOPS_S  # 1.823 s
    assert_covers(ci, exact, "M/G/1 mean latency")
    assert_excludes(ci, {"exponential service of the same mean (M/M/1)": pk_sojourn(lam, mean, 2 * mean**2) + HOPS_S,
                         "constant service (M/D/1)": pk_sojourn(lam, mean, mean**2) + HOPS_S},
                    "M/G/1 mean latency")
    utilisation = interval(rset.values("utilisation.participant.provider"))
    assert_covers(utilisation, lam * mean, "the worker's utilisation")


TWO_TYPES = """
name: two-types
description: one worker; short requests (const 100 ms) at 3/s and long ones (exp 1 s) at 0.4/s (rho = 0.7)
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us, concurrency: 1}
message_types:
  short: {provider: provider, consumers: [consumer], processing_time: const(100ms), payload_size: const(1KiB),
          answer_size: const(1KiB)}
  long: {provider: provider, consumers: [consumer], processing_time: exp(1s), payload_size: const(1KiB),
         answer_size: const(1KiB)}
workload:
  flows:
    s: {consumer: consumer, type: short, rate: 3/s}
    l: {consumer: consumer, type: long, rate: 0.4/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
run: {duration: 3000s, warmup: 300s, replications: 6, seed: 29}
"""


@pytest.mark.slow
def test_two_types_on_one_worker_obey_the_conservation_law():
    classes = {"short": (3.0, 0.1, 0.1**2), "long": (0.4, 1.0, 2.0)}  # rate, E[S], E[S^2]
    rho = sum(lam * es for lam, es, _ in classes.values())
    residual = sum(lam * es2 for lam, _, es2 in classes.values()) / 2.0
    exact = rho * residual / (1.0 - rho)  # 0.968 s
    rset = replications(TWO_TYPES, "two-types")
    weighted = [sum(lam * es * (s.metrics[f"type.{name}.latency.mean"] - es - HOPS_S)
                    for name, (lam, es, _) in classes.items()) for s in rset.summaries]
    ci = interval(weighted)
    assert_covers(ci, exact, "sum of rho_i Wq_i")
    mean = rho / sum(lam for lam, _, _ in classes.values())
    assert_excludes(ci, {"no queueing across types (a worker per type)": 0.0,
                         "every type served in exp(E[S]) (the types' own laws ignored)": rho * rho * mean / (1 - rho)},
                    "sum of rho_i Wq_i")
    # oldest first across the types: each type waits the M/G/1 FIFO wait (1.383 s); types taken in turn gave the
    # frequent short type ~2.25 s and the rare long one ~0.85 s
    fifo = residual / (1.0 - rho)  # lambda E[S^2] / (2 (1 - rho)) = 1.383 s
    for name, (_lam, es, _) in classes.items():
        waits = interval(s.metrics[f"type.{name}.latency.mean"] - es - HOPS_S for s in rset.summaries)
        assert_covers(waits, fifo, f"mean wait of type {name} (FIFO across types)")
