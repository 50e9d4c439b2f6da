"""The event kernel the model runs on: SimPy's environment, driven by callbacks instead of processes.

A waiting message costs no process and no generator: it is an entry in a deque, and a server finishing a job is
one scheduled event whose callback starts the next job. `Kernel.later(delay, fn, *args)` is the one primitive.
A scheduled call is a bare `(time, priority, id, fn, args)` entry on SimPy's event queue, not an `Event` object:
the kernel alone processes that queue (`Kernel.run`), so it never needs an event's callbacks list or value.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL

_GUARD_CHUNK = 65536


class EventLimitReached(RuntimeError):
    """A replication processed `run.max_events` events before its horizon: it stops, saying how far it got."""

    def __init__(self, limit: int, now: float, horizon: float) -> None:
        self.limit, self.now, self.horizon = limit, now, horizon
        super().__init__(f"stopped after {limit:,} events at simulated time {now:.6g} s of {horizon:.6g} s "
                         f"({now / horizon:.1%} of the run): raise --max-events (run.max_events) or shorten the run"
                         .replace(",", " "))


class Kernel:
    """The SimPy environment plus the model's random generator and time horizon.

    Every model event is a `(time, NORMAL, id, fn, args)` entry on SimPy's own event queue, ordered like SimPy
    orders events (time, priority, then scheduling order); `run` processes the queue like
    `Environment.run(until=horizon)` does, minus the per-event bookkeeping that processes need and calls don't.
    Nothing else may step the environment: its queue holds calls, not SimPy events.
    """

    def __init__(self, rng: np.random.Generator, horizon: float) -> None:
        self.env = simpy.Environment()
        self.rng = rng
        self.horizon = horizon
        self.events = 0
        self._queue = self.env._queue
        self._eid = self.env._eid

    now = property(attrgetter("env._now"), doc="The simulated time (a C-level getter: read on every event).")

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` `delay` seconds from now (delay 0: after the events already due now)."""
        heappush(self._queue, (self.env._now + (delay if delay > 0.0 else 0.0), NORMAL, next(self._eid), fn, args))

    def run(self, max_events: int | None = None) -> None:
        """Process every call due up to the horizon; with `max_events`, stop with `EventLimitReached` after that
        many (checked once per `_GUARD_CHUNK` events, so the guard costs nothing per event)."""
        env = self.env
        queue = self._queue
        horizon = self.horizon
        if max_events is None:
            n = 0
            while queue and queue[0][0] <= horizon:
                env._now, _, _, fn, args = heappop(queue)
                fn(*args)
                n += 1
            env._now = horizon
            self.events += n
            return
        while queue and queue[0][0] <= horizon:
            n = 0
            chunk = min(_GUARD_CHUNK, max_events - self.events)
            while n < chunk and queue and queue[0][0] <= horizon:
                env._now, _, _, fn, args = heappop(queue)
                fn(*args)
                n += 1
            self.events += n
            if self.events >= max_events and queue and queue[0][0] <= horizon:
                raise EventLimitReached(max_events, env._now, horizon)
        env._now = horizon


class Sampler:
    """Draws from a distribution in vectorised batches: one numpy call per `batch` samples."""

    __slots__ = ("_dist", "_rng", "_buf", "_i", "_batch")

    def __init__(self, dist: Any, rng: np.random.Generator, batch: int = 512) -> None:
        self._dist = dist
        self._rng = rng
        self._batch = batch
        self._buf: list[float] = []  # a batch as Python floats (exactly the numpy values): cheap to index
        self._i = 0

    @property
    def mean(self) -> float:
        return float(self._dist.mean)

    @property
    def dist(self) -> Any:
        """The distribution it draws from (`sample_n(rng, n)`, `mean`)."""
        return self._dist

    def __call__(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = np.asarray(self._dist.sample_n(self._rng, self._batch), dtype=float).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]


class Station:
    """A multi-server FIFO service centre (`servers` identical servers, one shared queue), event-driven.

    `submit(job, service_time, done)` calls `done(job)` when the job's service ends. `fail()` drops the queue
    and the jobs in service (their completions never fire) and hands them to `on_drop`; `restore()` brings the
    station back. A queued job for which `cancelled(job)` holds when its turn comes is skipped. Busy time after
    `warmup` is accumulated for utilisation. `meter` (a `sim.metrics.stations.StationMeter`, set by whoever builds
    the station) is told every arrival, start, end and drop, for the per-station results.
    """

    def __init__(self, kernel: Kernel, name: str, servers: int, on_drop: Callable[[list], None] | None = None,
                 cancelled: Callable[[Any], bool] | None = None) -> None:
        if servers < 1:
            raise ValueError(f"station {name}: servers must be >= 1")
        self.kernel = kernel
        self.name = name
        self.servers = servers
        self.busy = 0
        self.up = True
        self.queue: deque = deque()
        self.in_service: dict[int, tuple] = {}
        self.busy_time = 0.0
        self.max_depth = 0
        self.on_drop = on_drop
        self.cancelled = cancelled  # a queued job for which this says True is skipped (its client went away)
        self.warmup = 0.0  # busy time before this is not counted (utilisation is measured after the warm-up)
        self.meter: Any = None  # sim.metrics.stations.StationMeter, or None: not measured per station
        self._epoch = 0
        self._ticket = 0

    @property
    def depth(self) -> int:
        """Jobs waiting plus jobs in service."""
        return len(self.queue) + self.busy

    def submit(self, job: Any, service_time: float, done: Callable[[Any], None]) -> None:
        if not self.up:
            if self.on_drop is not None:
                self.on_drop([job])
            return
        now = self.kernel.env._now
        meter = self.meter
        if self.busy < self.servers:
            if meter is not None:
                meter.enter(now)
            self._start(job, service_time, done, now)
        else:
            if meter is not None:
                meter.arrive(now)
            self.queue.append((job, service_time, done, now))
            depth = len(self.queue) + self.busy
            if depth > self.max_depth:
                self.max_depth = depth

    def _start(self, job: Any, service_time: float, done: Callable[[Any], None], arrived: float) -> None:
        """Serve `job` now (the caller told the meter: `enter` at submission, `start` when taken from the queue)."""
        self.busy += 1
        self._ticket += 1
        ticket = self._ticket
        self.in_service[ticket] = (job, self.kernel.env._now, arrived)
        self.kernel.later(service_time, self._finish, ticket, self._epoch, done)

    def _finish(self, ticket: int, epoch: int, done: Callable[[Any], None]) -> None:
        if epoch != self._epoch:
            return
        job, started, arrived = self.in_service.pop(ticket)
        self.busy -= 1
        self._account(started)
        meter = self.meter
        if meter is not None:
            meter.finish(self.kernel.env._now, arrived)
        queue = self.queue
        cancelled = self.cancelled
        while queue:
            nxt, st, nd, at = queue.popleft()
            if cancelled is None or not cancelled(nxt):
                if meter is not None:
                    meter.start(self.kernel.env._now, at)
                self._start(nxt, st, nd, at)
                break
            if meter is not None:
                meter.leave(self.kernel.env._now, at)  # its sender stopped waiting
        done(job)

    def _account(self, started: float) -> None:
        lo = started if started > self.warmup else self.warmup
        now = self.kernel.env._now
        if now > lo:
            self.busy_time += now - lo

    def fail(self) -> None:
        """Crash: everything queued or in service is dropped (handed to `on_drop`)."""
        if not self.up:
            return
        self.up = False
        self._epoch += 1
        dropped = [job for job, _, _ in self.in_service.values()]
        for _, started, _ in self.in_service.values():
            self._account(started)
        dropped.extend(job for job, _, _, _ in self.queue)
        meter = self.meter
        if meter is not None:
            now = self.kernel.env._now
            for _, _, arrived in self.in_service.values():
                meter.leave(now, arrived, True)
            for _, _, _, arrived in self.queue:
                meter.leave(now, arrived)
        self.in_service.clear()
        self.queue.clear()
        self.busy = 0
        if dropped and self.on_drop is not None:
            self.on_drop(dropped)

    def restore(self) -> None:
        self.up = True

    def busy_seconds(self) -> float:
        """Busy server-seconds after the warm-up, jobs still in service counted up to now."""
        now = self.kernel.now
        extra = sum(max(now - max(started, self.warmup), 0.0) for _, started, _ in self.in_service.values())
        return self.busy_time + extra
