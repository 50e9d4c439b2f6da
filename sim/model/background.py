"""Background traffic: the untagged share of every flow (`run.tagged_share` < 1), carried as bare jobs at the
stations it loads (bus nodes, the portal, ESIA, providers' workers), never as messages.

Why its effect on queues and servers is exact, not just right on average: every station the background loads is a
first-come-first-served multi-server station, and such a station is fully described by the time each server next
becomes free. Jobs taken in arrival order, each by the server that frees first, obey the Kiefer-Wolfowitz recursion
`start = max(arrival, earliest free)`, that server then being free at `start + service`. Background jobs and the
tagged (simulated) messages go through the same recursion in one arrival order, so a tagged message waits behind
exactly the background work that a run with every message simulated would put ahead of it. The background's
arrivals are the untagged share of the same Poisson flows (a thinned Poisson process is Poisson) with the same
service-time distributions. What it saves: a background job costs a heap operation (well under a microsecond);
a simulated message costs tens of microseconds of events, routing, polls, acks and statistics.

The recursion runs lazily: a station processes the background jobs that arrived up to now whenever a tagged job
arrives, so the order between both kinds is the arrival order. The recursion needs each job's service time when it
arrives: bus ingress, the portal and ESIA (`PooledStation`) know it then; a provider (`WorkerPool`), which pulls its
requests from the bus, has its processing time drawn when the request is queued for it, and the bus shows the
request to the provider's polls once its worker is free (`BusQueue.put`).

The background's busy time is booked per cell of the replication's `sim.metrics.cells.Cells` (with a fixed warm-up,
the window [warm-up, horizon); on the grid of `run.warmup: auto`, every cell, so that it is cut where the station
meters are): a job inside the cell of the current time costs one addition, one that crosses an edge is split.

Background jobs obey what the model does to messages (`Rules`): a job waiting at a bus node longer than the
sender's timeout is abandoned and retried after the backoff; a request for a provider that would wait for a worker
past its end of life expires unserved; a bounded per-type queue (`bus.queue_capacity`) refuses a request that finds
it full, background and tagged requests counted alike, and the sender retries; a sender's quota and blocking
(697 §6м, §9е) take the background's messages from the same token bucket as the tagged ones (`sim.model.limits`).

Simplifications, by design: background jobs have one fragment; a retried job comes back to the station that
refused it (its new pass through ingress is not charged again); a background message refused by its sender's quota
still loads its provider (an upper bound on the provider's load; the ingress load is right, the quota being checked
after ingress); a provider's worker is held for the processing time plus the mean
delivery and network time (the tagged request's own delivery takes its sampled time, a few milliseconds); work
already queued for a provider's worker when the provider goes down is not held back, and a provider that is down
only because its data centre is keeps serving background; a background job goes to the live node of its entry site
(after failover) that frees first, which makes a site's nodes one queue for it; a node picks background up again
when it is restored, and background arriving while no node of its entry site is up is dropped and counted
(`background.dropped`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from heapq import heappop, heappush, heapreplace
from typing import Any

import numpy as np

from sim.engine import Kernel, Station
from sim.metrics.cells import FIXED, Cells
from sim.metrics.stations import StationMeter
from sim.workload.arrivals import PiecewiseRate

_NONE_LEFT = float("inf")  # the arrival time after the last one

JOBS_PER_WINDOW = 4096
"""Background arrivals are drawn window by window, about this many per window (vectorised, then consumed lazily)."""


def combine_rates(parts: Sequence[tuple[PiecewiseRate, float]]) -> PiecewiseRate:
    """The rate of a superposition: sum of `weight * rate(t)` over the parts (piecewise constant on the union of
    their edges)."""
    edges = sorted({float(e) for rate, _ in parts for e in rate.edges})
    if not edges:
        return PiecewiseRate.constant(0.0)
    at = np.asarray(edges)
    total = np.zeros(len(edges))
    for rate, weight in parts:
        i = np.searchsorted(rate.edges, at, side="right") - 1
        total += weight * rate.rates[i]
    return PiecewiseRate(edges, total.tolist())


class JobStream:
    """The background jobs bound for one station (or one group of stations): a non-homogeneous Poisson arrival
    process per part, each with its own service-time distribution, merged in arrival order.

    Drawn window by window (vectorised); `due(t)` hands out the jobs that arrived up to `t`, each once.
    """

    __slots__ = ("parts", "rng", "horizon", "window", "start", "times", "services", "kinds", "i", "jobs", "single")

    def __init__(self, parts: Sequence[tuple[PiecewiseRate, Any]], rng: np.random.Generator, horizon: float) -> None:
        # (rate, service distribution, the part's index in `parts`: a job's kind)
        self.parts = [(rate, dist, k) for k, (rate, dist) in enumerate(parts)
                      if rate.cumulative(np.array([horizon]))[0] > 0.0]
        self.rng = rng
        self.horizon = horizon
        total = sum(rate.mean_over(horizon) for rate, _, _ in self.parts)
        self.window = horizon if total <= 0.0 else min(max(JOBS_PER_WINDOW / total, 1e-3), horizon)
        self.start = 0.0
        self.jobs = 0
        self.times: list[float] = []  # the current window's arrivals; times[i] is the next one (inf: none left)
        self.services: list[float] = []
        self.kinds: list[int] = []
        self.single = self.parts[0][2] if len(self.parts) == 1 else None  # the kind of every job, if one part
        self.i = 0
        self._refill()

    @property
    def offered_work(self) -> float:
        """Mean server-seconds of service per second over the run (Little's law: the busy servers it needs)."""
        return sum(rate.mean_over(self.horizon) * dist.mean for rate, dist, _ in self.parts)

    def due(self, t: float) -> tuple[list[float], list[float], list[int] | int] | None:
        """The arrival times, service times and kinds (index of the part; one int for all when the stream has one
        part) of the jobs that arrived up to `t` and were not handed out yet, in arrival order (None: none)."""
        times, i = self.times, self.i
        if times[i] > t or times[i] == _NONE_LEFT:
            return None
        arrivals: list[float] = []
        services: list[float] = []
        kinds: list[int] = []
        while True:
            j = bisect_right(times, t, i)
            arrivals += times[i:j]
            services += self.services[i:j]
            if self.single is None:
                kinds += self.kinds[i:j]
            if j < len(times):
                self.i = j
                break
            self._refill()
            times, i = self.times, 0
            if times[0] > t or times[0] == _NONE_LEFT:
                break
        return arrivals, services, kinds if self.single is None else self.single

    def _refill(self) -> None:
        """Draw the next window's arrivals (skipping empty windows); after the horizon, none: [inf]."""
        rng = self.rng
        while self.start < self.horizon:
            t0, t1 = self.start, min(self.start + self.window, self.horizon)
            self.start = t1
            times, services, kinds = [], [], []
            for rate, dist, k in self.parts:
                lo, hi = rate.cumulative(np.array([t0, t1]))
                n = int(rng.poisson(hi - lo)) if hi > lo else 0
                if n:
                    times.append(rate.inverse(np.sort(rng.uniform(lo, hi, n))))
                    services.append(np.asarray(dist.sample_n(rng, n), dtype=float))
                    if self.single is None:
                        kinds.append(np.full(n, k))
            if not times:
                continue
            t = np.concatenate(times)
            s = np.concatenate(services)
            if len(times) > 1:
                order = np.argsort(t, kind="stable")
                t, s = t[order], s[order]
                self.kinds = np.concatenate(kinds)[order].tolist()
            elif self.single is None:
                self.kinds = kinds[0].tolist()
            self.times, self.services, self.i = t.tolist(), s.tolist(), 0
            self.jobs += len(t)
            return
        self.times, self.services, self.kinds, self.i = [_NONE_LEFT], [0.0], [0], 0


@dataclass(frozen=True)
class Rules:
    """What the model does to a message that it also does to a background job of one kind: its end of life `ttl`
    (seconds from its first send), the bound `capacity` of the queue it waits in (jobs of its kind waiting for a
    worker; None: unbounded) and the sender's retry policy `retry` (a `RetryPolicy`: a job refused for a full queue
    comes back after the backoff, up to `max_attempts`, as long as it has not reached its end of life)."""

    ttl: float = _NONE_LEFT
    capacity: int | None = None
    retry: Any = None


_NO_RULES = Rules()


class Retries:
    """Background jobs refused for now (a full queue, a sender that stopped waiting), coming back after the sender's
    backoff: a heap of `(arrival, seq, first send, service, kind, attempt)`."""

    __slots__ = ("heap", "seq", "rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self.heap: list[tuple] = []
        self.seq = 0
        self.rng = rng

    def again(self, now: float, born: float, service: float, kind: int, attempt: int, rules: Rules) -> bool:
        """Schedule the next attempt as `sim.model.endpoints.send` does; False when the sender gives up (attempts
        exhausted, or the next attempt would come at or after its end of life)."""
        policy = rules.retry
        if policy is None or attempt >= policy.max_attempts:
            return False
        backoff = min(policy.initial * policy.multiplier ** (attempt - 1), policy.max_backoff)
        if policy.jitter:
            backoff *= 1.0 + policy.jitter * (2.0 * float(self.rng.random()) - 1.0)
        at = now + backoff
        if at >= born + rules.ttl:
            return False
        self.seq += 1
        heappush(self.heap, (at, self.seq, born, service, kind, attempt + 1))
        return True


def merged(due: tuple | None, retries: Retries, t: float, i: int = 0) -> Iterator[tuple[float, float, int, int, float]]:
    """`(arrival, service, kind, attempt, first send)` of the stream's due jobs from the `i`-th on and of the retries
    due by `t`, in arrival order (a retry scheduled while iterating is met in its turn)."""
    heap = retries.heap
    if due is None:
        arrivals: Sequence[float] = ()
        services: Sequence[float] = ()
        kinds: Sequence[int] = ()
    else:
        arrivals, services = due[0], due[1]
        kinds = due[2] if len(due) > 2 else 0
        if isinstance(kinds, int):
            kinds = [kinds] * len(arrivals)
    n = len(arrivals)
    while True:
        if heap and heap[0][0] <= t and (i >= n or heap[0][0] < arrivals[i]):
            at, _, born, service, kind, attempt = heappop(heap)
            yield at, service, kind, attempt, born
        elif i < n:
            a = arrivals[i]
            yield a, services[i], kinds[i], 1, a
            i += 1
        else:
            return


class StationFeed:
    """One background stream feeding a set of `PooledStation`s: each job goes to the live station that can start it
    soonest (the stations offered may change with faults: `stations()` is asked at each advance).

    A sender waits `rules.retry.timeout` for its job to start, as a tagged sender does (`Site._arrive_pooled`): a job
    that would start later is never served, and its sender retries after the backoff (`Retries`)."""

    __slots__ = ("stream", "stations", "dropped", "warmup", "horizon", "rules", "retries", "abandoned", "cells")

    def __init__(self, stream: JobStream, stations: Callable[[], Sequence[PooledStation]], warmup: float,
                 horizon: float, rules: Rules = _NO_RULES, cells: Cells | None = None) -> None:
        self.stream = stream
        self.cells = cells if cells is not None else Cells(horizon, warmup)  # the cells busy time is booked in
        self.stations = stations
        self.dropped = 0
        self.warmup = warmup
        self.horizon = horizon
        self.rules = rules
        self.retries = Retries(stream.rng if isinstance(stream, JobStream) else np.random.default_rng(0))
        self.abandoned = 0  # jobs whose sender stopped waiting (each attempt)

    def advance(self, t: float) -> None:
        """Run the recursion over the background jobs that arrived up to `t`."""
        due = self.stream.due(t)
        retry_heap = self.retries.heap
        if due is None and not (retry_heap and retry_heap[0][0] <= t):
            return
        live = [s for s in self.stations() if s.up]
        if not live:
            self.dropped += len(due[0]) if due is not None else 0
            return
        heaps = [s.free_at for s in live]
        last = len(heaps) - 1
        cells, step = self.cells, self.cells.step
        lo, hi, cell = cells.bounds(t)  # service inside [lo, hi) goes to `cell` at once; the rest via `spill`
        rules = self.rules
        patience = rules.retry.timeout if rules.retry is not None else _NONE_LEFT
        busy = [0.0] * len(heaps)  # per station: each node is a station of its own (its meter gets its share)
        i = 0
        if due is not None and not retry_heap:  # the common case, as lean as the bare recursion
            for a, s in zip(due[0], due[1], strict=True):
                k = 0
                f = heaps[0][0]
                for j in range(1, last + 1) if last else ():
                    if heaps[j][0] < f:
                        k, f = j, heaps[j][0]
                if a < f:
                    if f - a >= patience:
                        break  # a sender gives up: the rest goes the general way
                    a_ = f
                else:
                    a_ = a
                end = a_ + s
                heapreplace(heaps[k], end)
                if a_ >= lo and end <= hi:
                    busy[k] += end - a_
                elif step or end > lo:  # its part inside the measured window (fixed: none if it ends before it)
                    busy[k] += cells.spill(live[k].meter.busy_cells, a_, end, lo, hi)
                    if step and not lo <= a_ < hi:  # a batch over several cells: the cell follows the starts
                        _book(live, busy, cell)
                        busy = [0.0] * len(heaps)
                        lo, hi, cell = cells.bounds(a_)
                i += 1
            else:
                _book(live, busy, cell)
                return
        for a, s, kind, attempt, born in merged(due, self.retries, t, i):
            k = 0
            f = heaps[0][0]
            for j in range(1, last + 1) if last else ():
                if heaps[j][0] < f:
                    k, f = j, heaps[j][0]
            start = a if a > f else f
            if start - a >= patience:  # the sender stops waiting and retries
                self.abandoned += 1
                self.retries.again(a + patience, born, s, kind, attempt, rules)
                continue
            end = start + s
            heapreplace(heaps[k], end)
            if start >= lo and end <= hi:
                busy[k] += end - start
            elif step or end > lo:  # its part inside the measured window (fixed: none if it ends before it)
                busy[k] += cells.spill(live[k].meter.busy_cells, start, end, lo, hi)
                if step and not lo <= start < hi:  # a batch over several cells: the cell follows the starts
                    _book(live, busy, cell)
                    busy = [0.0] * len(heaps)
                    lo, hi, cell = cells.bounds(start)
        _book(live, busy, cell)


def _book(stations: Sequence[PooledStation], busy: Sequence[float], cell: int) -> None:
    """Each station's background busy time goes into its meter (the one accounting, `sim.engine.centre`)."""
    for station, seconds in zip(stations, busy, strict=True):
        if seconds:
            station.meter.add_busy(seconds, cell)


class PooledStation(Station):
    """A `Station` whose servers are shared with background jobs (see the module docstring): `free_at` holds each
    server's next free time, and a tagged job's start is known when it is submitted.

    A job that must wait is in `in_service` from submission (it holds its place in the order); `fail()` drops it
    like a queued job. Busy time counts service inside [warm-up, horizon), background's included.
    """

    def __init__(self, kernel: Kernel, name: str, servers: int, feeds: Sequence[StationFeed],
                 on_drop: Callable[[list], None] | None = None, meter: StationMeter | None = None) -> None:
        super().__init__(kernel, name, servers, on_drop, meter)
        self.free_at = [0.0] * servers
        self.feeds = feeds
        self.meter.add_busy(0.0)  # its utilisation: the tagged jobs' busy time plus the background's, exact

    @classmethod
    def replacing(cls, station: Station, feeds: Sequence[StationFeed]) -> PooledStation:
        return cls(station.kernel, station.name, station.servers, feeds, station.on_drop, station.meter)

    def catch_up(self) -> None:
        now = self.kernel.now
        for feed in self.feeds:
            feed.advance(now)

    def start_time(self) -> float:
        """When a job submitted now would start (call `catch_up()` first)."""
        now = self.kernel.now
        f = self.free_at[0]
        return f if f > now else now

    def submit(self, job: Any, service_time: float, done: Callable[[Any], None]) -> None:
        if not self.up:
            if self.on_drop is not None:
                self.on_drop([job])
            return
        self.catch_up()
        now = self.kernel.now
        free_at = self.free_at
        f = free_at[0]
        start = f if f > now else now
        end = start + service_time
        heapreplace(free_at, end)
        self.busy += 1
        self._ticket += 1
        self.in_service[self._ticket] = (job, start)
        self.meter.job(now, start, end)  # the whole schedule is known now: one call (sim.metrics.stations)
        self.kernel.later(start + service_time - now, self._finish, self._ticket, self._epoch, done)

    def _finish(self, ticket: int, epoch: int, done: Callable[[Any], None]) -> None:
        if epoch != self._epoch:
            return
        job, _ = self.in_service.pop(ticket)
        self.busy -= 1
        done(job)

    def fail(self) -> None:
        if not self.up:
            return
        self.catch_up()
        self.up = False
        self._epoch += 1
        dropped = [job for job, _ in self.in_service.values()]
        self.in_service.clear()
        self.busy = 0
        if dropped and self.on_drop is not None:
            self.on_drop(dropped)

    def restore(self) -> None:
        self.catch_up()
        self.up = True
        now = self.kernel.now
        self.free_at = [now] * self.servers


class WorkerPool:
    """A provider's workers shared with its background requests, first come first served.

    A tagged request reserves a worker when it is queued (`reserve`), with its processing time drawn then: it gets
    the worker that frees first, from the time that worker frees, for its processing time plus the mean delivery and
    network time (as a background request does). While the provider is down (`suspend`) nothing is served and
    reservations wait; on `resume` the workers start again from that moment, oldest arrivals first.

    Background requests obey the model's rules for their kind (`Rules`, one per stream part: `kinds` names the
    message type of each): a request whose worker would free only at or after its end of life expires without
    taking the worker (the bus closes it unserved); with a bounded queue, a request that finds `capacity` requests of
    its type waiting (background and tagged alike) is refused and its sender retries after the backoff. Tagged
    requests see the same count (`waiting`), so both kinds are refused alike.
    """

    def __init__(self, kernel: Kernel, workers: int, stream: JobStream, warmup: float, extra_hold: float,
                 slowness: Callable[[], float], kinds: Sequence[str] = (),
                 rules: Mapping[str, Rules] | None = None, cells: Cells | None = None) -> None:
        self.kernel = kernel
        self.free_at = [0.0] * workers  # every worker's next free time
        self.stream = stream
        self.warmup = warmup
        self.extra_hold = extra_hold
        self.slowness = slowness
        self.waiting: deque = deque()  # (queued at, msg, processing time, reveal): reservations made while down
        self.suspended = False
        self.cells = cells if cells is not None else Cells(kernel.horizon, warmup)
        self.busy_cells = self.cells.tally()  # background processing per cell (`Cells.tally`; fixed: the window)
        self.kinds = list(kinds) or [""]  # message type of each stream part
        self.rules = dict(rules or {})
        self._kind_rules = [self.rules.get(name, _NO_RULES) for name in self.kinds]
        self._shortest_ttl = min(rule.ttl for rule in self._kind_rules)
        self.queued: dict[str, list[float]] = {name: [] for name, r in self.rules.items() if r.capacity is not None}
        self.retries = Retries(stream.rng if isinstance(stream, JobStream) else np.random.default_rng(0))
        self.expired = 0  # background requests that reached their end of life waiting
        self.refused = 0  # background requests refused for a full queue (each attempt)
        self.gave_up = 0  # ... whose sender then gave up

    def advance(self, t: float) -> None:
        """Serve the background requests that arrived up to `t`."""
        if self.suspended:
            return
        due = self.stream.due(t)
        heap_r = self.retries.heap
        if due is None and not (heap_r and heap_r[0][0] <= t):
            return
        heap = self.free_at
        slow = self.slowness()
        extra = self.extra_hold
        cells, step = self.cells, self.cells.step
        lo, hi, cell = cells.bounds(t)  # processing inside [lo, hi) goes to `cell` at once; the rest via `spill`
        busy = 0.0
        i = 0
        if due is not None and not heap_r and not self.queued:  # the common case, as lean as the bare recursion
            shortest = self._shortest_ttl
            for a, s in zip(due[0], due[1], strict=True):
                f = heap[0]
                if a < f:
                    if f - a >= shortest:
                        break  # one may expire: the rest goes the general way
                    start = f
                else:
                    start = a
                end = start + s * slow
                heapreplace(heap, end + extra)
                if start >= lo and end <= hi:
                    busy += end - start
                elif step or end > lo:  # its part inside the measured window (fixed: none if it ends before it)
                    busy += cells.spill(self.busy_cells, start, end, lo, hi)
                    if step and not lo <= start < hi:  # a batch over several cells: the cell follows the starts
                        self.busy_cells[cell] += busy
                        busy = 0.0
                        lo, hi, cell = cells.bounds(start)
                i += 1
            else:
                self.busy_cells[cell] += busy
                return
        rules, kinds, queued = self._kind_rules, self.kinds, self.queued
        for a, s, k, attempt, born in merged(due, self.retries, t, i):
            rule = rules[k]
            waiting = None
            if rule.capacity is not None:
                waiting = queued[kinds[k]]
                while waiting and waiting[0] <= a:
                    heappop(waiting)
                if len(waiting) >= rule.capacity:
                    self.refused += 1
                    if not self.retries.again(a, born, s, k, attempt, rule):
                        self.gave_up += 1
                    continue
            f = heap[0]
            start = a if a > f else f
            if start >= born + rule.ttl:  # it would still be waiting at its end of life: closed unserved
                self.expired += 1
                if waiting is not None:
                    heappush(waiting, born + rule.ttl)
                continue
            end = start + s * slow
            heapreplace(heap, end + extra)
            if waiting is not None and start > a:
                heappush(waiting, start)
            if start >= lo and end <= hi:
                busy += end - start
            elif step or end > lo:  # its part inside the measured window (fixed: none if it ends before it)
                busy += cells.spill(self.busy_cells, start, end, lo, hi)
                if step and not lo <= start < hi:  # a batch over several cells: the cell follows the starts
                    self.busy_cells[cell] += busy
                    busy = 0.0
                    lo, hi, cell = cells.bounds(start)
        self.busy_cells[cell] += busy

    def waiting_count(self, type_name: str, now: float) -> int:
        """Requests of `type_name` waiting for a worker now, background and tagged (0 for an unbounded type)."""
        waiting = self.queued.get(type_name)
        if waiting is None:
            return 0
        self.advance(now)
        while waiting and waiting[0] <= now:
            heappop(waiting)
        return len(waiting)

    def reserve(self, msg: Any, now: float, processing: float,
                reveal: Callable[[Any, float], None]) -> float | None:
        """A worker for `msg`, queued now and processed for `processing` seconds: the time it is free (None while
        the provider is down: `reveal(msg, at)` is called on `resume`). A request that would reach its end of life
        (`msg.expires`) before its worker frees takes no worker: the time returned is its end of life."""
        if self.suspended:
            self.waiting.append((now, msg, processing, reveal))
            return None
        self.advance(now)
        return self._take(now, processing, msg)

    def _take(self, now: float, processing: float, msg: Any) -> float:
        heap = self.free_at
        f = heap[0]
        start = f if f > now else now
        expires = getattr(msg, "expires", _NONE_LEFT)
        if start >= expires:
            start = expires
        else:
            heapreplace(heap, start + processing + self.extra_hold)
        waiting = self.queued.get(getattr(msg, "type", ""))
        if waiting is not None and start > now:
            heappush(waiting, start)
        return start

    def suspend(self) -> None:
        self.advance(self.kernel.now)
        self.suspended = True

    def resume(self) -> None:
        now = self.kernel.now
        self.suspended = False
        self.free_at = [f if f > now else now for f in self.free_at]  # monotone: still a heap
        for queued, msg, processing, reveal in self.waiting:
            self.advance(queued)  # background that arrived before it goes first
            reveal(msg, max(self._take(now, processing, msg), now))
        self.waiting.clear()
        self.advance(now)

    @property
    def busy_time(self) -> float:
        """Busy worker-seconds of the background so far: inside [warm-up, horizon), or from 0 on a grid."""
        return self.busy_cells[FIXED] if not self.cells.step else sum(self.cells.totals(self.busy_cells))

    def background_busy(self) -> float:
        """Busy worker-seconds of the background between the warm-up and the horizon (read at the run's end)."""
        self.advance(self.kernel.now)
        return self.busy_time

    def book(self, meter: StationMeter) -> None:
        """Hand the background's busy time to the provider's station meter, per cell (read at the run's end)."""
        self.advance(self.kernel.now)
        if not self.cells.step:
            meter.add_busy(self.busy_cells[FIXED])
            return
        for cell, seconds in enumerate(self.cells.totals(self.busy_cells)):
            meter.add_busy(seconds, cell)


__all__ = ["JobStream", "PooledStation", "Retries", "Rules", "StationFeed", "WorkerPool", "combine_rates", "merged"]
