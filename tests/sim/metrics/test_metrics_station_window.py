"""Station tables under `run.warmup: auto`: a meter on the run's time grid, cut at a cell edge once the warm-up is
known, measures exactly what a meter with that edge as its fixed warm-up measures (`StationMeter.cut`).

The differential: the same trace replayed into both meters, the figures compared. Traces are drawn with times on a
coarse lattice too, so events fall exactly on cell edges (where the two must still agree on what belongs to the
window), and with abandonments, stamped jobs, processing-sharing links and background busy time.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.metrics.cells import Cells
from sim.metrics.stations import SharingMeter, StationMeter

DURATION, BINS = 24.0, 24  # cells of 1 s: lattice times land on edges

_gap = st.one_of(st.floats(0.0, 3.0), st.sampled_from([0.0, 0.5, 1.0, 2.0]))
_service = st.one_of(st.floats(0.01, 4.0), st.sampled_from([0.5, 1.0, 3.0]))
_jobs = st.lists(st.tuples(_gap, _service, st.sampled_from([None, None, None, 0.5, 1.0, 2.5])), min_size=1,
                 max_size=50)


def _trace(jobs: list, servers: int) -> list[tuple]:
    """A FIFO c-server trace (with patience: a job that would wait longer leaves), as (time, order, call, args):
    departures before starts before arrivals at equal times, as a station processes them."""
    free = [0.0] * servers
    events = []
    t = 0.0
    for gap, service, patience in jobs:
        t += gap
        k = min(range(servers), key=free.__getitem__)
        start = max(t, free[k])
        events.append((t, 2, "arrive", (t,)))
        if patience is not None and start - t > patience:
            events.append((t + patience, 0, "leave", (t + patience, t)))
            continue
        free[k] = start + service
        events.append((start, 1, "start", (start, t)))
        events.append((start + service, 0, "finish", (start + service, t)))
    return sorted(events, key=lambda e: (e[0], e[1]))


def _replay(meter: StationMeter, events: list[tuple]) -> None:
    for when, _, call, args in events:
        if when <= DURATION:
            getattr(meter, call)(*args)


def _same(a: dict, b: dict) -> None:
    for key, value in a.items():
        other = b[key]
        if isinstance(value, float) and isinstance(other, float):
            assert other == pytest.approx(value, rel=1e-9, abs=1e-9), key
        else:
            assert other == value, key


def _pair(cls: type = StationMeter, servers: int = 2, cut: int = 0):
    grid = cls("s", servers, 0.0, horizon=DURATION, cells=Cells(DURATION, 0.0, BINS))
    fixed = cls("s", servers, float(cut), horizon=DURATION)
    return grid, fixed


@settings(max_examples=200, deadline=None)
@given(_jobs, st.integers(1, 3), st.integers(0, BINS - 1))
def test_a_grid_meter_cut_at_an_edge_measures_what_a_fixed_warm_up_there_measures(jobs, servers, cut):
    events = _trace(jobs, servers)
    grid, fixed = _pair(StationMeter, servers, cut)
    _replay(grid, events)
    _replay(fixed, events)
    grid.cut(cut, DURATION)
    _same(fixed.summary(DURATION), grid.summary(DURATION))


@settings(max_examples=100, deadline=None)
@given(_jobs, st.integers(0, BINS - 1))
def test_a_sharing_meter_cut_at_an_edge_measures_what_a_fixed_warm_up_there_measures(jobs, cut):
    events = []
    t = 0.0
    for gap, service, patience in jobs:  # every job in service at once; some cut off
        t += gap
        events.append((t, 2, "enter", (t,)))
        if patience is not None:
            events.append((t + patience, 0, "leave", (t + patience, t)))
        else:
            events.append((t + service, 0, "finish", (t + service, t)))
    events.sort(key=lambda e: (e[0], e[1]))
    grid, fixed = _pair(SharingMeter, 1, cut)
    grid.base_load = fixed.base_load = 0.25
    _replay(grid, events)
    _replay(fixed, events)
    grid.cut(cut, DURATION)
    _same(fixed.summary(DURATION), grid.summary(DURATION))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_gap, st.floats(0.0, 3.0), _service), min_size=1, max_size=40),
       st.lists(st.tuples(st.floats(0.0, DURATION), st.floats(0.0, 5.0)), max_size=20), st.integers(0, BINS - 1))
def test_stamped_jobs_and_background_busy_time_are_cut_alike(jobs, background, cut):
    grid, fixed = _pair(StationMeter, 2, cut)
    grid.add_busy(0.0)
    fixed.add_busy(0.0)
    t = 0.0
    for gap, wait, service in jobs:
        t += gap
        grid.job(t, t + wait, t + wait + service)
        fixed.job(t, t + wait, t + wait + service)
    cells = grid.cells
    for start, length in background:  # busy periods of background work, booked as `sim.model.background` does
        end = start + length
        lo, hi, cell = cells.bounds(start)
        if start >= lo and end <= hi:
            grid.add_busy(end - start, cell)
        else:
            grid.add_busy(cells.spill(grid.busy_cells, start, end, lo, hi), cell)
        w = fixed.cells.bounds(start)
        fixed.add_busy(fixed.cells.spill(None, start, end, w[0], w[1]))
    grid.cut(cut, DURATION)
    _same(fixed.summary(DURATION), grid.summary(DURATION))


def test_an_edge_crossed_with_jobs_waiting_keeps_their_waits_with_their_arrival():
    """Hand trace: job A holds the server 0.5..3.5; B arrives at 1.5 and waits until 3.5. Cut at 2 s: B arrived
    before the window, so its wait (2 s) and residence are not in it, though its service starts inside."""
    grid = StationMeter("s", 1, 0.0, horizon=10.0, cells=Cells(10.0, 0.0, 10))
    grid.arrive(0.5)
    grid.start(0.5, 0.5)
    grid.arrive(1.5)
    grid.finish(3.5, 0.5)
    grid.start(3.5, 1.5)
    grid.arrive(4.0)
    grid.finish(5.0, 1.5)
    grid.start(5.0, 4.0)
    grid.finish(6.0, 4.0)
    grid.cut(2, 10.0)
    out = grid.summary(10.0)
    assert out["jobs_measured"] == 1 and out["wait_mean"] == pytest.approx(1.0)  # C only: 4.0 -> 5.0
    assert out["residence_mean"] == pytest.approx(2.0)
    # from 2 s: 2 jobs 2..3.5, 1 job 3.5..4, 2 jobs 4..5, 1 job 5..6
    assert out["in_station_mean"] == pytest.approx((3.0 + 0.5 + 2.0 + 1.0) / 8.0)
    assert out["in_station_max"] == 2 and out["queue_max"] == 1
    assert out["arrivals_per_s"] == pytest.approx(1 / 8.0) and out["throughput_per_s"] == pytest.approx(3 / 8.0)
    assert out["utilisation"] == pytest.approx(4.0 / 8.0)


def test_before_the_cut_a_grid_meter_counts_from_time_zero():
    m = StationMeter("s", 1, 0.0, horizon=10.0, cells=Cells(10.0, 0.0, 10))
    m.enter(0.5)
    m.finish(2.5, 0.5)
    assert m.busy_seconds(3.0) == pytest.approx(2.0)
    m.cut(0, 10.0)
    assert m.summary(10.0)["utilisation"] == pytest.approx(0.2)
    assert math.isinf(m.hi) and m.snaps is None


def test_an_mm1_started_full_reports_its_station_over_the_slo_window_and_theory():
    """M/M/1 at rho = 0.5 started with 300 requests waiting (a drain of about 600 s). Under `warmup: auto` the
    station's figures start where the SLO metrics do: its mean residence is the latency mean of the same requests, its
    throughput the answers', its time-average number the queue-depth component's, and all sit at theory
    (L = rho / (1 - rho) = 1, Wq = rho / (mu - lambda) = 1 s, utilisation 0.5); from t = 0 they would not."""
    from sim.metrics.reference import single_server_replication
    from sim.metrics.stats import confidence_interval

    lam, mu, duration = 0.5, 1.0, 5000.0
    auto = [single_server_replication(lam, mu, duration, 0.0, seed, realtime=False, backlog=300, auto_warmup=True)
            for seed in range(8)]
    whole = [single_server_replication(lam, mu, duration, 0.0, seed, realtime=False, backlog=300)
             for seed in range(8)]
    for s in auto:
        assert s.warmup >= 300.0
        station = s.stations["server"]
        assert station["residence_mean"] == pytest.approx(s.metrics["async.latency.mean"], rel=1e-9)
        assert station["throughput_per_s"] == pytest.approx(s.metrics["throughput.answered_per_s"], rel=1e-9)
        assert station["in_station_mean"] == pytest.approx(s.components["server"]["mean_depth"], rel=1e-9)
        assert station["in_station_max"] == s.components["server"]["max_depth"]
        # the component counts a busy period when it ends; the station also the one still open at the end
        assert station["utilisation"] == pytest.approx(s.metrics["utilisation.server"], abs=5.0 / duration)
        assert station["littles_law_error"] < 0.05
    rho = lam / mu
    for key, theory in (("in_station_mean", rho / (1 - rho)), ("wait_mean", rho / (mu - lam)), ("utilisation", rho)):
        after = confidence_interval([s.stations["server"][key] for s in auto])
        before = confidence_interval([s.stations["server"][key] for s in whole])
        assert after.low <= theory <= after.high, (key, after)
        if key != "utilisation":
            assert before.low > theory * 1.5, (key, before)  # the drain dominates a t = 0 measurement


def test_auto_and_a_fixed_warm_up_at_the_applied_edge_give_the_same_station_tables():
    from sim.metrics.reference import single_server_replication

    auto = single_server_replication(0.5, 1.0, 2400.0, 0.0, 5, realtime=False, backlog=200, auto_warmup=True)
    fixed = single_server_replication(0.5, 1.0, 2400.0, auto.warmup, 5, realtime=False, backlog=200)
    assert auto.warmup > 0
    _same(fixed.stations["server"], auto.stations["server"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.2), st.floats(0.0, 0.5)), max_size=30),
       st.sampled_from([(24.0, 24), (10.0, 7), (3600.0, 240)]))
def test_a_tally_holds_each_busy_period_per_cell_as_its_overlap_with_the_cell(periods, grid):
    """`Cells.book` (constant time per period, whole cells as a difference array) against the overlap of every
    period with every cell, clipped at the end of the run."""
    duration, bins = grid
    cells = Cells(duration, 0.0, bins)
    tally = cells.tally()
    spans = [(start * duration, (start + length) * duration) for start, length in periods]
    for start, end in spans:
        cells.book(tally, start, end)
    expected = [sum(max(0.0, min(end, cells.end(c)) - max(start, cells.edge(c))) for start, end in spans)
                for c in range(bins)]
    assert cells.totals(tally) == pytest.approx(expected, abs=1e-9 * duration)


def test_the_state_left_by_a_departure_exactly_on_the_cut_counts_in_the_window_maxima():
    """Three jobs in service until one leaves exactly at 2 s (the cut): the two left are the window's maximum, as
    with a fixed warm-up of 2 s (the state held from the warm-up on counts, the one before it does not)."""
    events = [(0.5, 2, "enter", (0.5,)), (0.6, 2, "enter", (0.6,)), (0.7, 2, "enter", (0.7,)),
              (2.0, 0, "finish", (2.0, 0.5)), (2.5, 0, "finish", (2.5, 0.6)), (3.5, 0, "finish", (3.5, 0.7))]
    grid, fixed = _pair(StationMeter, 3, 2)
    _replay(grid, events)
    _replay(fixed, events)
    grid.cut(2, DURATION)
    out = grid.summary(DURATION)
    assert out["in_station_max"] == fixed.summary(DURATION)["in_station_max"] == 2
