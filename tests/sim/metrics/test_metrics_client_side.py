"""Client-side latency and per-station results held against queueing theory.

A tandem network as a client sees it: the bus entrance is an M/M/1 station visited twice per call (the request on its
way in, the answer on its way back: 2 lambda arrivals), the provider an M/M/1 station visited once. By the product
form (Jackson), the mean client-side latency is the sum of the mean sojourn times: 2 / (mu1 - 2 lambda) +
1 / (mu2 - lambda), plus the constant hops. The bus-acceptance latency leaves out the first visit to the entrance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.metrics.stations import StationMeter
from sim.runner import execute
from sim.scenario import loads

LAM, MU1, MU2 = 5.0, 20.0, 10.0
HOPS_S = 0.0012  # six 0.2 ms hops in one data centre (see tests/sim/model/model_textbook.py)

_TANDEM = """
name: tandem
description: bus entrance M/M/1 (requests and answers), then the provider M/M/1
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1, ingress_time: exp(50ms), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: exp(100ms)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 5/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
run: {duration: 1500s, warmup: 100s, replications: 6, seed: 11}
"""


def _covers(interval: dict, value: float) -> bool:
    return interval["ci_low"] <= value <= interval["ci_high"]


@pytest.mark.slow
def test_tandem_client_latency_is_the_sum_of_both_stations_and_each_station_matches_mm1():
    from sim.report.aggregate import point_section

    result = execute(loads(_TANDEM, source="<tandem>"))
    section = point_section(result.points[0].replications.summaries)
    metrics = section["metrics"]
    w1, w2 = 1.0 / (MU1 - 2 * LAM), 1.0 / (MU2 - LAM)
    client = metrics["async.latency.mean"]
    accepted = metrics["async.accepted_latency.mean"]
    assert _covers(client, 2 * w1 + w2 + HOPS_S), client
    assert _covers(accepted, w1 + w2 + HOPS_S), accepted
    # the difference is the first visit to the entrance: a model that stamped at acceptance would fail here
    assert client["mean"] - accepted["mean"] == pytest.approx(w1, rel=0.15)

    node = section["stations"]["smev.dc.entrance"]
    rho1 = 2 * LAM / MU1
    assert _covers(node["utilisation"], rho1)
    assert _covers(node["wait_mean"], rho1 / (MU1 - 2 * LAM))  # Wq of M/M/1
    assert _covers(node["in_station_mean"], rho1 / (1 - rho1))  # L of M/M/1
    assert _covers(node["throughput_per_s"], 2 * LAM)
    assert node["wait_p99"]["mean"] == pytest.approx(math.log(rho1 / 0.01) / (MU1 - 2 * LAM), rel=0.1)
    assert node["littles_law_error"]["max"] < 0.02
    provider = section["stations"]["participant.provider"]
    assert _covers(provider["utilisation"], LAM / MU2)
    assert provider["littles_law_error"]["max"] < 0.02


def test_station_meter_integrates_a_hand_computed_trace():
    """Two jobs on one server, warm-up 1 s, horizon 10 s: every figure follows from the trace by hand."""
    m = StationMeter("s", 1, warmup=1.0, horizon=10.0)
    m.arrive(2.0)
    m.start(2.0, 2.0)   # job A: no wait
    m.arrive(3.0)       # job B waits behind A
    m.finish(4.0, 2.0)
    m.start(4.0, 3.0)   # B waited 1 s
    m.finish(7.0, 3.0)
    out = m.summary(10.0)
    window = 9.0
    assert out["utilisation"] == pytest.approx(5.0 / window)          # busy 2..7
    assert out["in_station_mean"] == pytest.approx(6.0 / window)      # 1 job 2..3, 2 jobs 3..4, 1 job 4..7
    assert out["queue_mean"] == pytest.approx(1.0 / window)
    assert out["wait_mean"] == pytest.approx(0.5) and out["in_station_max"] == 2 and out["queue_max"] == 1
    assert out["residence_mean"] == pytest.approx(3.0)                # A 2 s, B 4 s
    assert out["throughput_per_s"] == pytest.approx(2 / window)
    # L = 6/9, lambda W = (2/9) x 3 = 6/9: the two independent measurements agree
    assert out["littles_law_error"] == pytest.approx(0.0, abs=1e-12)


def test_station_meter_little_check_catches_a_missing_departure():
    """A hook that forgets a departure leaves a job in the integral forever: L and lambda W disagree."""
    m = StationMeter("s", 1, warmup=0.0, horizon=100.0)
    rng = np.random.default_rng(3)
    t = 0.0
    for i in range(200):
        t += float(rng.exponential(0.5))
        m.arrive(t)
        m.start(t, t)
        if i != 7:  # job 7's departure is never reported
            m.finish(t + 0.1, t)
        else:
            m.s -= 1  # its server is freed (so only the job count is wrong)
    out = m.summary(t + 1.0)
    assert out["littles_law_error"] > 0.3


def test_sampled_station_scales_counts_not_waits():
    m = StationMeter("s", 2, warmup=0.0, horizon=10.0)
    m.scale = 10.0  # a 10 % sample
    m.job(1.0, 1.5, 2.5)
    out = m.summary(10.0)
    assert out["wait_mean"] == pytest.approx(0.5)
    assert out["throughput_per_s"] == pytest.approx(10 * 1 / 10.0)
    assert out["utilisation"] == pytest.approx(10 * 1.0 / (2 * 10.0))
    assert out["in_station_max"] is None and out["littles_law_error"] is None


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
@given(st.lists(st.tuples(st.floats(0.01, 5.0), st.floats(0.01, 5.0)), min_size=1, max_size=60),
       st.integers(1, 3))
@settings(max_examples=150, deadline=None)
def test_station_meter_little_identity_holds_exactly_when_every_job_leaves_inside_the_window(jobs, servers):
    """A FIFO c-server trace whose jobs all arrive and leave inside [warm-up, end]: the time integral of the number
    in the station equals the sum of residence times, so L = lambda W to rounding, and the mean wait is the trace's."""
    m = StationMeter("s", servers, warmup=0.0, horizon=1e9)
    free = [0.0] * servers
    t = 0.0
    events = []
    waits = []
    for gap, service in jobs:
        t += gap
        k = min(range(servers), key=free.__getitem__)
        start = max(t, free[k])
        free[k] = start + service
        events += [(t, 0, "arrive", t), (start, 1, "start", t), (start + service, 2, "finish", t)]
        waits.append(start - t)
    # departures before starts before arrivals at equal times, as a station processes them
    for when, _, what, arrived in sorted(events, key=lambda e: (e[0], -e[1])):
        if what == "arrive":
            m.arrive(when)
        elif what == "start":
            m.start(when, arrived)
        else:
            m.finish(when, arrived)
    end = max(free) + 1.0
    out = m.summary(end)
    assert out["littles_law_error"] == pytest.approx(0.0, abs=1e-9)
    assert out["wait_mean"] == pytest.approx(sum(waits) / len(waits), abs=1e-9)
    assert 0.0 <= out["utilisation"] <= 1.0 + 1e-9
