"""The event kernel the model runs on: SimPy's environment, driven by callbacks instead of processes.

A waiting message costs no process and no generator: it is an entry in a deque, and a server finishing a job is
one scheduled event whose callback starts the next job. `Kernel.later(delay, fn, *args)` is the one primitive.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event


class _Call(Event):
    """An already-triggered event carrying one callback: cheaper than `env.timeout` plus a process."""

    __slots__ = ()

    def __init__(self, env: simpy.Environment, fn: Callable[..., Any], args: tuple) -> None:
        self.env = env
        self._ok = True
        self._value = None
        self.callbacks = [lambda _event: fn(*args)]


class Kernel:
    """The SimPy environment plus the model's random generator and time horizon."""

    def __init__(self, rng: np.random.Generator, horizon: float) -> None:
        self.env = simpy.Environment()
        self.rng = rng
        self.horizon = horizon

    @property
    def now(self) -> float:
        return self.env.now

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` `delay` seconds from now (delay 0: after the events already due now)."""
        self.env.schedule(_Call(self.env, fn, args), NORMAL, max(delay, 0.0))

    def run(self) -> None:
        self.env.run(until=self.horizon)


class Sampler:
    """Draws from a distribution in vectorised batches: one numpy call per `batch` samples."""

    __slots__ = ("_dist", "_rng", "_buf", "_i", "_batch")

    def __init__(self, dist: Any, rng: np.random.Generator, batch: int = 512) -> None:
        self._dist = dist
        self._rng = rng
        self._batch = batch
        self._buf: np.ndarray = np.empty(0)
        self._i = 0

    @property
    def mean(self) -> float:
        return float(self._dist.mean)

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = np.asarray(self._dist.sample_n(self._rng, self._batch), dtype=float)
            self._i = 0
        value = self._buf[self._i]
        self._i += 1
        return float(value)


class Station:
    """A multi-server FIFO service centre (`servers` identical servers, one shared queue), event-driven.

    `submit(job, service_time, done)` calls `done(job)` when the job's service ends. `fail()` drops the queue
    and the jobs in service (their completions never fire) and hands them to `on_drop`; `restore()` brings the
    station back. Busy time is accumulated for utilisation.
    """

    def __init__(self, kernel: Kernel, name: str, servers: int, on_drop: Callable[[list], None] | None = None) -> None:
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
        if self.busy < self.servers:
            self._start(job, service_time, done)
        else:
            self.queue.append((job, service_time, done))
            depth = len(self.queue) + self.busy
            if depth > self.max_depth:
                self.max_depth = depth

    def _start(self, job: Any, service_time: float, done: Callable[[Any], None]) -> None:
        self.busy += 1
        self._ticket += 1
        ticket = self._ticket
        self.in_service[ticket] = (job, self.kernel.now)
        self.kernel.later(service_time, self._finish, ticket, self._epoch, service_time, done)

    def _finish(self, ticket: int, epoch: int, service_time: float, done: Callable[[Any], None]) -> None:
        if epoch != self._epoch:
            return
        job, _started = self.in_service.pop(ticket)
        self.busy -= 1
        self.busy_time += service_time
        if self.queue:
            nxt, st, nd = self.queue.popleft()
            self._start(nxt, st, nd)
        done(job)

    def fail(self) -> None:
        """Crash: everything queued or in service is dropped (handed to `on_drop`)."""
        if not self.up:
            return
        self.up = False
        self._epoch += 1
        now = self.kernel.now
        dropped = [job for job, _ in self.in_service.values()]
        self.busy_time += sum(now - started for _, started in self.in_service.values())
        dropped.extend(job for job, _, _ in self.queue)
        self.in_service.clear()
        self.queue.clear()
        self.busy = 0
        if dropped and self.on_drop is not None:
            self.on_drop(dropped)

    def restore(self) -> None:
        self.up = True

    def utilisation(self, elapsed: float) -> float:
        """Busy server-seconds over available server-seconds (in-service work counted up to now)."""
        if elapsed <= 0:
            return 0.0
        now = self.kernel.now
        busy = self.busy_time + sum(now - started for _, started in self.in_service.values())
        return busy / (self.servers * elapsed)
