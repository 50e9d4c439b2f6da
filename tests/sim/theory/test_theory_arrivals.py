"""Arrival descriptions composed, counted by hand: a flow with a window (1 h to 3 h 0 min 30 s), a daily profile
(factor 1 until 02:00, 0.5 after) and a burst (x3 from 2 h 30 min for 10 min) runs on the operational clock
integral of rate x factors: 60 min + 15 min + 15 min + 10 min = 100 mean gaps of one minute inside the window.
With `interarrival: const(1min)` that is exactly 100 requests (the n-th when the integral reaches n); with
`rate: 1/min` a Poisson count of mean 100. A form that ignored its burst, profile or window would give 90, 140 or
190 instead."""

from __future__ import annotations

import pytest
from theory_cases import assert_covers, assert_excludes, interval, replications

FLOW = """
name: arrivals
description: one flow with a window, a profile and a burst; each request answered in 1 s
topology:
  data_centres: {dc: {bus_nodes: 1}}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1000, processing_time: const(1s)}
message_types:
  lookup: {provider: provider, consumers: [consumer]}
workload:
  profiles:
    halves: {"00:00": 1, "02:00": 0.5}
  flows:
    calls: {consumer: consumer, type: lookup, FORM, profile: halves, start: 1h, end: 10830s}
  bursts:
    rush: {at: 150min, duration: 10min, factor: 3}
policies: {replication_factor: 1}
run: {duration: 4h, warmup: 10min, replications: REPS, seed: 59}
"""

def requests(rset) -> list[float]:
    return [s.extra["model"]["status.requestIsQueued"] for s in rset.summaries]


def test_a_renewal_flow_keeps_its_window_profile_and_burst_exactly():
    counts = requests(replications(FLOW.replace("FORM", "interarrival: const(1min)").replace("REPS", "2"), "arrivals"))
    assert counts == [100, 100]


@pytest.mark.slow
def test_a_poisson_flow_composes_the_same_way():
    counts = requests(replications(FLOW.replace("FORM", "rate: 1/min").replace("REPS", "16"), "arrivals"))
    ci = interval(counts)
    assert_covers(ci, 100.0, "requests in the window")
    assert_excludes(ci, {"no burst": 90.0, "no profile": 140.0, "no window": 190.0},
                    "requests in the window")
