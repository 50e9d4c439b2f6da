"""Polling: a provider with plenty of workers polls its queue every `polling_interval` P while idle (a tick grid
with a random phase). A Poisson request lands at a uniform point between two ticks, so it waits P / 2 on average
before it is taken; then an infinite-server stage (M/G/inf: no queueing) of mean E[S]. The consumer long-polls
(1 µs), so the mean client latency is exactly P / 2 + E[S] plus the hops. A model that polled on arrival, or
waited a whole interval, is off by P / 2."""

from __future__ import annotations

import pytest
from theory_cases import HOPS_S, assert_covers, assert_excludes, interval, replications

POLLING = """
name: polling
description: a provider polling every 10 s, 1000 workers, exp(2s) processing; requests at 2/s
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 10s,
               concurrency: 1000, processing_time: exp(2s)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 2/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
run: {duration: 2000s, warmup: 100s, replications: 5, seed: 41}
"""


@pytest.mark.slow
def test_an_idle_provider_takes_a_request_half_a_polling_interval_late_on_average():
    interval_s, service = 10.0, 2.0
    rset = replications(POLLING, "polling")
    ci = interval(rset.values("async.latency.mean"))
    exact = interval_s / 2 + service + HOPS_S  # 7.0 s
    assert_covers(ci, exact, "mean latency")
    assert_excludes(ci, {"polled on arrival": service + HOPS_S,
                         "a whole interval": interval_s + service + HOPS_S,
                         "a quarter interval": interval_s / 4 + service + HOPS_S},
                    "mean latency")
