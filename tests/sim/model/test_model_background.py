"""The background's mechanics (`sim.model.background`): rates add up, streams are the Poisson processes they claim,
and shared stations start every job, background or tagged, when a plain first-come-first-served multi-server queue
would (checked against an event-by-event queue written independently here)."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from job_lists import ListStream

from sim.engine import Kernel
from sim.model.background import JobStream, PooledStation, StationFeed, WorkerPool, combine_rates
from sim.scenario.distributions import Constant
from sim.workload.arrivals import PiecewiseRate


def fcfs_starts(jobs: list[tuple[float, float]], servers: int) -> list[float]:
    """Start times of `(arrival, service)` jobs (in arrival order) in a FCFS queue with `servers` servers, by events:
    an arrival takes an idle server or joins the queue; a departure hands its server to the head of the queue."""
    starts = [0.0] * len(jobs)
    idle = servers
    queue: list[int] = []
    events: list[tuple[float, int, int]] = [(a, 1, k) for k, (a, _) in enumerate(jobs)]  # (time, 0 dep / 1 arr, job)
    heapq.heapify(events)
    head = 0
    while events:
        t, kind, k = heapq.heappop(events)
        if kind == 1:
            queue.append(k)
        else:
            idle += 1
        while idle and head < len(queue):
            j = queue[head]
            head += 1
            idle -= 1
            starts[j] = t
            heapq.heappush(events, (t + jobs[j][1], 0, j))
    return starts


times = st.floats(0.0, 100.0, allow_nan=False).map(lambda x: round(x, 6))
services = st.floats(0.01, 20.0, allow_nan=False)
jobs_st = st.lists(st.tuples(times, services), min_size=1, max_size=40)


def _merged(background, tagged):
    """All jobs in arrival order, background first among equal times (as the recursion takes them)."""
    jobs = [(a, s, 0, k) for k, (a, s) in enumerate(background)] + [(a, s, 1, k) for k, (a, s) in enumerate(tagged)]
    jobs.sort(key=lambda job: (job[0], job[2], job[3]))
    return jobs


def _never(msg, at) -> None:
    raise AssertionError("a pool that is never suspended reveals nothing later")


def assert_tagged_start_as_in_fcfs(background, tagged, servers: int, started: dict[int, float]) -> None:
    """Each tagged job `k` started at `started[k]`, as in one FCFS queue of background and tagged jobs."""
    jobs = _merged(background, tagged)
    expected = fcfs_starts([(a, s) for a, s, _, _ in jobs], servers)
    for (_, _, kind, k), start in zip(jobs, expected, strict=True):
        if kind == 1:
            assert started[k] == pytest.approx(start, abs=1e-9)


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
@settings(max_examples=150, deadline=None)
@given(background=jobs_st, tagged=jobs_st, servers=st.integers(1, 4))
def test_pooled_station_starts_tagged_jobs_as_a_fcfs_queue_with_the_background(background, tagged, servers):
    background = sorted(background)
    kernel = Kernel(np.random.default_rng(0), 10_000.0)
    station: list[PooledStation] = []
    feed = StationFeed(ListStream(background), lambda: station, 0.0, 10_000.0)
    station.append(PooledStation(kernel, "s", servers, [feed]))
    started: dict[int, float] = {}
    for k, (a, s) in enumerate(tagged):
        kernel.later(a, station[0].submit, k, s, lambda k, s=s: started.__setitem__(k, kernel.now - s))
    kernel.run_to_horizon()
    assert_tagged_start_as_in_fcfs(background, tagged, servers, started)
    feed.advance(kernel.horizon)  # as the model does at the end of a run
    assert station[0].busy_seconds() == pytest.approx(sum(s for _, s in background) + sum(s for _, s in tagged))


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
@settings(max_examples=150, deadline=None)
@given(background=jobs_st, tagged=jobs_st, workers=st.integers(1, 4))
def test_worker_pool_reserves_workers_in_fcfs_order_with_the_background(background, tagged, workers):
    background = sorted(background)
    kernel = Kernel(np.random.default_rng(0), 10_000.0)
    pool = WorkerPool(kernel, workers, ListStream(background), 0.0, 0.0, lambda: 1.0)
    ready: dict[int, float] = {}
    for k, (a, s) in enumerate(tagged):
        kernel.later(a, lambda k=k, s=s: ready.__setitem__(k, pool.reserve(k, kernel.now, s, _never)))
    kernel.run_to_horizon()
    assert_tagged_start_as_in_fcfs(background, tagged, workers, ready)


def test_worker_pool_serves_nothing_while_its_provider_is_down():
    kernel = Kernel(np.random.default_rng(0), 100.0)
    revealed = []
    background = [(1.0, 5.0), (2.0, 5.0), (12.0, 1.0)]
    pool = WorkerPool(kernel, 1, ListStream(background), 0.0, 0.0, lambda: 1.0)

    def reveal(msg, at):
        revealed.append((msg, at))

    kernel.later(3.0, pool.suspend)
    kernel.later(4.0, lambda: revealed.append(("tagged", pool.reserve("tagged", kernel.now, 2.0, reveal))))
    kernel.later(20.0, pool.resume)
    kernel.later(21.0, lambda: revealed.append(("late", pool.reserve("late", kernel.now, 1.0, reveal))))
    kernel.run_to_horizon()
    # the 2nd job was queued for the worker (6-11) before the outage (3-20): work already queued is not held back.
    # What arrives during the outage waits for its end, in arrival order: the request queued at 4 from 20 to 22, the
    # job of 12 from 22 to 23; the request queued at 21 comes after them
    assert revealed == [("tagged", None), ("tagged", 20.0), ("late", 23.0)]


def test_worker_pool_scales_background_processing_by_the_provider_slowness():
    kernel = Kernel(np.random.default_rng(0), 100.0)
    slow = [3.0]
    pool = WorkerPool(kernel, 1, ListStream([(0.0, 2.0)]), 0.0, 0.5, lambda: slow[0])
    assert pool.reserve("m", 1.0, 1.0, _never) == 6.5  # 0 + 2 x 3 + 0.5 of delivery
    kernel.run_to_horizon()
    assert pool.background_busy() == pytest.approx(6.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.floats(0.0, 50.0), min_size=1, max_size=4),
                          st.floats(0.0, 3.0)), min_size=1, max_size=4),
       st.floats(0.0, 300.0))
def test_combined_rate_is_the_weighted_sum(parts, t):
    rates = []
    for rs, weight in parts:
        edges = [0.0] + [10.0 * (k + 1) for k in range(len(rs) - 1)]
        rates.append((PiecewiseRate(edges, rs), weight))
    combined = combine_rates(rates)
    at = np.array([t])
    assert combined.cumulative(at)[0] == pytest.approx(sum(w * r.cumulative(at)[0] for r, w in rates), rel=1e-9,
                                                       abs=1e-9)


def test_job_stream_is_the_poisson_superposition_it_claims():
    horizon = 2000.0
    fast = PiecewiseRate([0.0, 1000.0], [10.0, 2.0])  # 12,000 expected
    slow = PiecewiseRate.constant(3.0)  # 6,000 expected
    stream = JobStream([(fast, Constant(1.0)), (slow, Constant(2.0))],
                       np.random.default_rng(4), horizon)
    seen_times, seen_services = [], []
    for t in np.linspace(0.0, horizon, 7):  # handed out in pieces, across windows, each job once
        due = stream.due(float(t))
        if due is not None:
            assert all(a <= t for a in due[0])
            seen_times += due[0]
            seen_services += due[1]
    assert stream.due(horizon) is None and stream.due(float("inf")) is None
    t = np.array(seen_times)
    s = np.array(seen_services)
    assert np.all(np.diff(t) >= 0) and t[0] >= 0.0 and t[-1] <= horizon
    assert stream.jobs == len(t) and stream.window < horizon / 4  # several windows were drawn
    assert abs((s == 1.0).sum() - 12_000) < 4 * np.sqrt(12_000)
    assert abs((s == 2.0).sum() - 6_000) < 4 * np.sqrt(6_000)
    first = (t < 1000.0) & (s == 1.0)
    assert abs(first.sum() - 10_000) < 4 * np.sqrt(10_000)  # the rate's step is where it should be


@settings(max_examples=100, deadline=None)
@given(background=jobs_st, nodes=st.integers(2, 3))
def test_a_feed_over_several_nodes_books_each_jobs_busy_time_to_the_node_that_served_it(background, nodes):
    """Each node is a station of its own: a background job's service goes into the meter of the node that took it
    (the one free first, the first of equals), and the nodes' busy times add up to the work."""
    background = sorted(background)
    kernel = Kernel(np.random.default_rng(0), 10_000.0)
    stations: list[PooledStation] = []
    feed = StationFeed(ListStream(background), lambda: stations, 0.0, 10_000.0)
    stations.extend(PooledStation(kernel, f"n{i}", 1, [feed]) for i in range(nodes))
    kernel.run_to_horizon()
    feed.advance(kernel.horizon)
    free = [0.0] * nodes
    busy = [0.0] * nodes
    for a, s in background:
        k = min(range(nodes), key=lambda i: (free[i], i))
        free[k] = max(a, free[k]) + s
        busy[k] += s
    assert [st_.busy_seconds() for st_ in stations] == pytest.approx(busy)
