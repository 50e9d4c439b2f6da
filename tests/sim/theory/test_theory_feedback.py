"""Feedback: a portal service whose three steps ask the same provider one after another, so each application visits
the provider's single worker three times (a job re-entering the queue when its previous visit ends).

The external arrivals are Poisson (2 applications/s), the station is FCFS with one exponential server whose rate does
not depend on the visit: by BCMP the network is product form, the station behaves as M/M/1 at its total arrival rate
3 lambda, and each visit's mean sojourn is 1 / (mu - 3 lambda), whatever the correlation between visits. Everything but
the provider is free (no portal service time, no login, no ingress time)."""

from __future__ import annotations

import pytest
from theory_cases import HOPS_S, assert_covers, assert_excludes, interval, replications

FEEDBACK = """
name: feedback
description: 2 portal applications/s, each three requests in sequence to one exp(100ms) worker (rho = 0.6)
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s)}
  portal: {concurrency: 1000, service_time: const(0s)}
  participants:
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: exp(100ms)}
message_types:
  lookup: {provider: provider, consumers: [portal], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  portal:
    rate: 2/s
    login_share: 0%
    services:
      three-checks: {share: 100%, steps: [lookup, lookup, lookup]}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
run: {duration: 1200s, warmup: 100s, replications: 5, seed: 31}
"""


@pytest.mark.slow
def test_each_visit_of_a_fed_back_request_is_an_mm1_sojourn_at_the_total_rate():
    lam, visits, mu = 2.0, 3, 10.0
    rset = replications(FEEDBACK, "feedback")
    ci = interval(rset.values("async.latency.mean"))
    exact = 1.0 / (mu - visits * lam) + HOPS_S  # 0.25 s
    assert_covers(ci, exact, "mean latency of one visit")
    assert_excludes(ci, {"only the first visit loading the worker": 1.0 / (mu - lam) + HOPS_S,
                         "two visits": 1.0 / (mu - 2 * lam) + HOPS_S},
                    "mean latency of one visit")
    assert_covers(interval(rset.values("utilisation.participant.provider")), visits * lam / mu,
                  "the worker's utilisation")
    assert_covers(interval(rset.values("throughput.answered_per_s")), visits * lam, "answers per second")
