"""The service-centre base and its one accounting, held against queueing theory on a bare `Station`.

An M/M/c station fed by a Poisson source on the kernel: its meter's mean wait, p99 wait, time-average queue length,
utilisation and throughput must match Erlang C (Wq = C / (c mu - lambda), P(W > t) = C exp(-(c mu - lambda) t),
Lq = lambda Wq, rho = lambda / (c mu)) inside 95 % intervals over independent replications; and utilisation must be
the busy server-time over servers x time, the same number the centre reports as `busy_seconds`.
"""

from __future__ import annotations

import heapq
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))

import model_textbook as tb  # noqa: E402

from sim.engine import Kernel, ServiceCentre, Station  # noqa: E402
from sim.metrics.stations import StationMeter  # noqa: E402
from sim.metrics.stats import confidence_interval  # noqa: E402

C, LAM, MU = 3, 2.4, 1.0  # rho = 0.8
HORIZON, WARMUP = 6000.0, 500.0


def _replication(seed: int, servers: int = C, lam: float = LAM, mu: float = MU) -> dict:
    kernel = Kernel(np.random.default_rng(seed), HORIZON)
    meter = StationMeter("node", servers, WARMUP, "entrance", HORIZON)
    station = Station(kernel, "node", servers, meter=meter)
    rng = kernel.rng

    def arrive() -> None:
        station.submit(None, float(rng.exponential(1.0 / mu)), lambda job: None)
        kernel.later(float(rng.exponential(1.0 / lam)), arrive)

    kernel.later(float(rng.exponential(1.0 / lam)), arrive)
    kernel.run_to_horizon()
    busy = station.busy_seconds()
    out = meter.summary(HORIZON)
    out["busy_seconds"] = busy
    return out


@pytest.fixture(scope="module")
def mmc() -> list[dict]:
    return [_replication(seed) for seed in range(8)]


def _interval(rows: list[dict], key: str) -> tuple[float, float]:
    iv = confidence_interval([r[key] for r in rows])
    return iv.low, iv.high


def test_mmc_station_wait_and_queue_length_match_erlang_c(mmc):
    c_wait = tb.erlang_c(C, LAM, MU)
    wq = c_wait / (C * MU - LAM)
    lo, hi = _interval(mmc, "wait_mean")
    assert lo <= wq <= hi, (lo, wq, hi)
    lo, hi = _interval(mmc, "queue_mean")
    assert lo <= LAM * wq <= hi, (lo, LAM * wq, hi)  # Lq = lambda Wq
    lo, hi = _interval(mmc, "in_station_mean")
    assert lo <= LAM * wq + LAM / MU <= hi  # L = Lq + a
    p99 = math.log(c_wait / 0.01) / (C * MU - LAM)
    assert np.mean([r["wait_p99"] for r in mmc]) == pytest.approx(p99, rel=0.08)


def test_mmc_station_utilisation_is_lambda_over_c_mu_and_the_busy_time_it_is_made_of(mmc):
    lo, hi = _interval(mmc, "utilisation")
    assert lo <= LAM / (C * MU) <= hi
    lo, hi = _interval(mmc, "throughput_per_s")
    assert lo <= LAM <= hi
    for r in mmc:  # one accounting: the utilisation reported is the centre's busy time over servers x window
        assert r["utilisation"] == pytest.approx(r["busy_seconds"] / (C * (HORIZON - WARMUP)), rel=1e-12)
        assert r["littles_law_error"] < 0.02


def test_a_wrong_server_count_would_be_caught():
    """The same traffic at c = 4 gives another Wq: the check above is not satisfied by any number near it."""
    rows = [_replication(seed, servers=4) for seed in range(4)]
    lo, hi = _interval(rows, "wait_mean")
    wq3 = tb.erlang_c(C, LAM, MU) / (C * MU - LAM)
    assert hi < wq3


def test_every_centre_measures_through_a_meter_of_its_own_when_given_none():
    kernel = Kernel(np.random.default_rng(0), 10.0)
    centre = ServiceCentre(kernel, "links", None)
    assert centre.meter.servers is None and centre.meter.summary(10.0)["utilisation"] is None
    with pytest.raises(ValueError, match="servers must be >= 1"):
        Station(kernel, "s", 0)


def test_a_crash_counts_the_busy_time_up_to_the_crash_and_drops_the_jobs():
    kernel = Kernel(np.random.default_rng(0), 10.0)
    dropped: list = []
    station = Station(kernel, "s", 1, on_drop=dropped.extend)
    station.submit("a", 5.0, lambda job: None)
    station.submit("b", 5.0, lambda job: None)
    kernel.later(2.0, station.fail)
    kernel.run_to_horizon()
    assert sorted(dropped) == ["a", "b"]
    assert station.busy_seconds() == pytest.approx(2.0)
    out = station.meter.summary(10.0)
    assert out["left_unserved"] == 2 and out["throughput_per_s"] == 0.0


def _fifo_with_reneging(jobs: list[tuple[float, float, float]], servers: int) -> dict[int, float | None]:
    """An independent model of a FIFO station whose waiting jobs leave when their patience runs out: in arrival
    order, each job takes the server that frees first, if that happens before it gives up. Job -> end (None: left)."""
    free_at = [0.0] * servers
    out: dict[int, float | None] = {}
    for i, (arrive, service, patience) in sorted(enumerate(jobs), key=lambda x: x[1][0]):
        start = max(arrive, free_at[0])
        if start > arrive + patience:
            out[i] = None
            continue
        out[i] = start + service
        heapq.heapreplace(free_at, start + service)
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.lists(st.tuples(st.integers(0, 40), st.integers(1, 25), st.integers(0, 25)),
                                   min_size=1, max_size=40))
def test_abandoned_jobs_leave_at_once_and_the_rest_are_served_in_order(servers, raw):
    # irrational steps: no service end ever coincides with an arrival or a patience running out
    jobs = [(a * math.sqrt(2) / 7 + i * 1e-6, s * math.sqrt(3) / 5, p * math.sqrt(5) / 11)
            for i, (a, s, p) in enumerate(raw)]
    horizon = 1000.0
    kernel = Kernel(np.random.default_rng(0), horizon)
    meter = StationMeter("node", servers, 0.0, "entrance", horizon)
    station = Station(kernel, "node", servers, meter=meter)
    expected = _fifo_with_reneging(jobs, servers)
    ended: dict[int, float | None] = {}

    def present(t: float) -> int:  # jobs there at t (just after the arrivals at t), by the independent model
        return sum(1 for j, (a, _, p) in enumerate(jobs)
                   if a <= t < (expected[j] if expected[j] is not None else a + p) or (a == t and p == 0))

    def give_up(i: int, handle: list) -> None:
        if station.abandon(handle):
            ended[i] = None
        assert not station.abandon(handle)  # once only

    def arrive(i: int) -> None:
        _, service, patience = jobs[i]
        handle = station.submit(i, service, lambda job: ended.__setitem__(job, kernel.now))
        if handle is not None:
            kernel.later(patience, give_up, i, handle)
        assert station.depth == present(kernel.now) - sum(1 for j, (a, _, _) in enumerate(jobs) if a == kernel.now and j > i)

    for i, (a, _, _) in enumerate(jobs):
        kernel.later(a, arrive, i)
    kernel.run_to_horizon()
    assert ended.keys() == expected.keys()
    for i, end in expected.items():
        assert (ended[i] is None) == (end is None), i
        if end is not None:
            assert ended[i] == pytest.approx(end)
    # the station's count and its meter's integral hold exactly the jobs still waiting or served, never the gone
    in_station = sum((end if end is not None else a + p) - a for (a, _, p), end in
                     ((jobs[i], e) for i, e in expected.items()))
    out = meter.summary(horizon)
    assert out["in_station_mean"] * horizon == pytest.approx(in_station)
    assert out["left_unserved"] == sum(1 for e in expected.values() if e is None)
    assert station.depth == 0 and station.abandoned == 0 and not station.queue
