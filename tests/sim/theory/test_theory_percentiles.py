"""Percentiles against an exact distribution: the sojourn time of M/M/1 (FCFS) is exponential with rate mu - lambda,
so its p-quantile is -ln(1 - p) / (mu - lambda): p50 = ln 2, p95 = ln 20, p99 = ln 100, each over mu - lambda (plus
the constant hops). A model that reported a mean as a percentile, interpolated coarsely, or measured from the
bus's acceptance of a queue it got wrong would miss these."""

from __future__ import annotations

import math

import pytest
from theory_cases import HOPS_S, assert_covers, assert_excludes, interval, replications

MM1 = """
name: mm1-quantiles
description: one exp(100ms) worker, Poisson arrivals at 6/s (rho = 0.6)
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: exp(100ms)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 6/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
run: {duration: 2000s, warmup: 200s, replications: 5, seed: 37}
"""


@pytest.mark.slow
def test_mm1_sojourn_quantiles_are_exponential():
    rate = 10.0 - 6.0
    rset = replications(MM1, "mm1-quantiles")
    for stat, p in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        ci = interval(rset.values(f"async.latency.{stat}"))
        exact = -math.log(1.0 - p) / rate + HOPS_S
        assert_covers(ci, exact, stat)
        # the wait alone (an atom at 0 of mass 1 - rho, then exponential: quantile ln(rho / (1 - p)) / rate) or
        # the quantile of the service time alone are what a model measuring the wrong span would report
        assert_excludes(ci, {"the waiting time's quantile": max(math.log(0.6 / (1.0 - p)), 0.0) / rate + HOPS_S,
                             "the service time's quantile": -math.log(1.0 - p) / 10.0 + HOPS_S},
                        stat)
