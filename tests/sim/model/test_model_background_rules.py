"""Background traffic obeys the model's rules (issue 13.3): bounded queues, end of life, retries and quotas.

The worker pool's recursion with a bounded waiting room and an end of life is checked against an independent
event-by-event simulation of the same FCFS queue; M/M/1/K blocking is checked against theory at 10 % and 100 %
tagged; the quota's token bucket takes the background's messages too."""

from __future__ import annotations

import math
from collections import deque
from heapq import heappop, heappush

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import Kernel
from sim.metrics.stats import confidence_interval
from sim.model import simulate
from sim.model.background import Rules, WorkerPool
from sim.runner.replications import replication_seed
from sim.scenario import loads
from sim.scenario.model import RetryPolicy


class KindStream:
    """A fixed list of `(arrival, service)` jobs of kind 0 with the `JobStream` interface."""

    def __init__(self, jobs: list[tuple[float, float]]) -> None:
        self.jobs = list(jobs)

    def due(self, t: float):
        taken = [job for job in self.jobs if job[0] <= t]
        if not taken:
            return None
        self.jobs = self.jobs[len(taken):]
        return [a for a, _ in taken], [s for _, s in taken], [0] * len(taken)


def reference_queue(jobs: list[tuple[float, float]], servers: int, capacity: int, ttl: float):
    """An event-by-event FCFS queue: `servers` servers, at most `capacity` jobs waiting (an arrival that finds it full
    is refused), a waiting job leaves unserved at arrival + ttl. Returns (start by job, refused, expired)."""
    free = servers
    waiting: deque = deque()
    departures: list[float] = []
    starts: dict[int, float] = {}
    refused: set[int] = set()
    expired: set[int] = set()

    def serve_until(t: float) -> None:
        nonlocal free
        while departures and departures[0] <= t:
            now = heappop(departures)
            free += 1
            while free and waiting:
                i, a, s = waiting.popleft()
                if now >= a + ttl:
                    expired.add(i)
                    continue
                starts[i] = now
                free -= 1
                heappush(departures, now + s)

    for i, (a, s) in enumerate(jobs):
        serve_until(a)
        for job in [j for j in waiting if a >= j[1] + ttl]:  # left at their end of life
            waiting.remove(job)
            expired.add(job[0])
        if len(waiting) >= capacity:
            refused.add(i)
        elif free:
            starts[i] = a
            free -= 1
            heappush(departures, a + s)
        else:
            waiting.append((i, a, s))
    serve_until(math.inf)
    expired.update(i for i, _, _ in waiting)
    return starts, refused, expired


jobs_st = st.lists(st.tuples(st.integers(0, 400).map(lambda x: x / 4), st.integers(1, 40).map(lambda x: x / 4)),
                   min_size=1, max_size=60).map(sorted)


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
@settings(max_examples=200, deadline=None)
@given(jobs=jobs_st, servers=st.integers(1, 3), capacity=st.integers(1, 4), ttl=st.integers(1, 60).map(float))
def test_worker_pool_bounded_queue_and_end_of_life_as_an_event_simulation(jobs, servers, capacity, ttl):
    kernel = Kernel(np.random.default_rng(0), 10_000.0)
    rules = {"t": Rules(ttl=ttl, capacity=capacity, retry=None)}
    pool = WorkerPool(kernel, servers, KindStream(jobs), 0.0, 0.0, lambda: 1.0, ["t"], rules)
    pool.advance(10_000.0)
    starts, refused, expired = reference_queue(jobs, servers, capacity, ttl)
    assert pool.refused == len(refused) and pool.gave_up == len(refused)
    assert pool.expired == len(expired)
    assert pool.busy_time == pytest.approx(sum(s for i, (_, s) in enumerate(jobs) if i in starts))


def test_worker_pool_refused_background_retries_after_the_backoff():
    """One worker busy 0-10 s and a waiting room of one: the job of t=2 is refused, retried after 1 s, 2 s, 4 s
    (t = 3, 5, 9: still full) and served at its 5th attempt (t = 17 after 8 s more), the policy allowing 5."""
    kernel = Kernel(np.random.default_rng(0), 100.0)
    retry = RetryPolicy(max_attempts=5, initial=1.0, multiplier=2.0, max_backoff=60.0, jitter=0.0, timeout=30.0)
    rules = {"t": Rules(ttl=1000.0, capacity=1, retry=retry)}
    pool = WorkerPool(kernel, 1, KindStream([(0.0, 10.0), (1.0, 10.0), (2.0, 1.0)]), 0.0, 0.0, lambda: 1.0,
                      ["t"], rules)
    pool.advance(100.0)
    assert pool.refused == 4 and pool.gave_up == 0
    assert pool.busy_time == pytest.approx(21.0)
    assert pool.free_at == [21.0]  # 0-10, 10-20, and the retried job 20-21 (arrived at 17, waiting behind the 2nd)


def test_tagged_requests_see_the_background_in_the_queue_bound():
    """A tagged request counts the background waiting for the same workers (and is counted by them)."""
    kernel = Kernel(np.random.default_rng(0), 100.0)
    rules = {"t": Rules(capacity=2)}
    pool = WorkerPool(kernel, 1, KindStream([(0.0, 10.0), (1.0, 5.0), (2.0, 5.0)]), 0.0, 0.0, lambda: 1.0,
                      ["t"], rules)
    assert pool.waiting_count("t", 3.0) == 2  # waiting from 1 and 2, to start at 10 and 15

    class Msg:
        type = "t"
        expires = math.inf

    assert pool.reserve(Msg(), 11.0, 1.0, lambda m, at: None) == 20.0
    assert pool.waiting_count("t", 11.0) == 2  # the one of 2 (starts at 15) and the tagged one (at 20)
    assert pool.waiting_count("t", 16.0) == 1


MM1K = """
name: mm1k
description: M/M/1/K with K = 5 (one in service, four waiting), rho = 0.9, a refused sender does not retry
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s), queue_capacity: 4}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: exp(1s)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 0.9/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1, retry: {max_attempts: 1}}
run: {duration: DURATIONs, warmup: 100s, replications: 4, seed: 7, tagged_share: SHARE}
"""


def mm1k_blocking(rho: float, k: int) -> float:
    """P(an arrival finds K in the system) = (1 - rho) rho^K / (1 - rho^(K+1))."""
    return (1.0 - rho) * rho**k / (1.0 - rho ** (k + 1))


@pytest.mark.slow
def test_mm1k_blocking_is_the_same_at_10_and_100_percent_tagged():
    theory = mm1k_blocking(0.9, 5)
    assert theory == pytest.approx(0.1260, abs=5e-4)
    intervals = {}
    for share, duration in (("100%", 20_000), ("10%", 100_000)):
        scenario = loads(MM1K.replace("SHARE", share).replace("DURATION", str(duration)), source="<mm1k>")
        shares = []
        for i in range(4):
            summary = simulate(scenario, replication_seed(11, i))
            refused = summary.metrics["messages.rejected"]
            accepted = summary.extra["model"]["status.requestIsQueued"]
            shares.append(refused / (refused + accepted))
        intervals[share] = confidence_interval(shares)
    for share, interval in intervals.items():
        assert interval.low <= theory <= interval.high, (share, interval)
        assert interval.high - interval.low < 0.03, (share, interval)
    assert abs(intervals["10%"].mean - intervals["100%"].mean) < 0.02


QUOTA = """
name: quota
topology:
  data_centres: {dc: {bus_nodes: 2}}
  bus: {node_concurrency: 64, ingress_time: exp(1ms)}
  participants:
    fns: {kind: federal-agency, data_centre: dc, role: provider, concurrency: 64, processing_time: exp(10ms)}
    bank: {kind: bank, data_centre: dc, role: consumer}
message_types:
  egrul-extract: {provider: fns, consumers: [bank], realtime: true}
workload:
  flows:
    checks: {consumer: bank, type: egrul-extract, rate: 20/s}
policies:
  replication_factor: 1
  retry: {max_attempts: 1}
  quotas:
    bank: {rate: 5/s, burst: 10}
run: {duration: 20min, warmup: 1min, replications: 1, seed: 3, tagged_share: SHARE}
"""


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
@pytest.mark.parametrize("share", ["100%", "10%", "1%"])
def test_quota_takes_the_background_from_the_same_bucket(share):
    """A bank sending 20/s under a quota of 5/s has 3/4 of its messages refused whatever share is tagged (at 10 %
    its 2/s of tagged messages alone would pass the quota)."""
    summary = simulate(loads(QUOTA.replace("SHARE", share), source="<quota>"), 5)
    refused = summary.metrics["messages.rejected"]
    accepted = summary.extra["model"]["status.requestIsQueued"]
    n = refused + accepted
    assert n > 100
    assert refused / n == pytest.approx(0.75, abs=4 * math.sqrt(0.75 * 0.25 / n) + 0.01), (refused, accepted)
