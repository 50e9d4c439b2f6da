"""The service-centre base: every queueing component of the model (bus node entrances and delivery stores, the
portal, ESIA, providers' workers, links) is a `ServiceCentre`, and its utilisation, queue length, throughput and
waits are measured in one place, its `sim.metrics.stations.StationMeter`. A centre tells its meter every arrival,
start, end and drop; utilisation is the meter's busy server-time over servers x time, the queue length its area
integral. Work carried as background (`sim.model.background`) hands its busy time to the same meter (`add_busy`);
no centre keeps a busy-time or depth tally of its own.

`Station` is the multi-server FIFO centre, event-driven on the kernel.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from sim.engine.kernel import Kernel
from sim.metrics.stations import StationMeter


class ServiceCentre:
    """A service centre: a name, `servers` identical servers (None: as many as jobs, a delay station) and the meter
    that does its accounting. Without a meter given, it gets its own (measured from time 0)."""

    kind = "station"

    def __init__(self, kernel: Kernel, name: str, servers: int | None, meter: StationMeter | None = None) -> None:
        if servers is not None and servers < 1:
            raise ValueError(f"station {name}: servers must be >= 1")
        self.kernel = kernel
        self.name = name
        self.servers = servers
        self.meter = meter if meter is not None else StationMeter(name, servers, 0.0, self.kind, kernel.horizon)

    def busy_seconds(self) -> float:
        """Busy server-seconds after the warm-up, jobs in service counted up to now (the meter's integral)."""
        return self.meter.busy_seconds(self.kernel.now)


class Station(ServiceCentre):
    """A multi-server FIFO service centre (`servers` identical servers, one shared queue), event-driven.

    `submit(job, service_time, done)` calls `done(job)` when the job's service ends. `fail()` drops the queue
    and the jobs in service (their completions never fire) and hands them to `on_drop`; `restore()` brings the
    station back. A queued job for which `cancelled(job)` holds when its turn comes is skipped (its sender left).
    """

    def __init__(self, kernel: Kernel, name: str, servers: int, on_drop: Callable[[list], None] | None = None,
                 cancelled: Callable[[Any], bool] | None = None, meter: StationMeter | None = None) -> None:
        super().__init__(kernel, name, servers, meter)
        self.servers: int = servers
        self.busy = 0
        self.up = True
        self.queue: deque = deque()
        self.in_service: dict[int, tuple] = {}
        self.on_drop = on_drop
        self.cancelled = cancelled
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
        now = self.kernel.now
        if self.busy < self.servers:
            self.meter.enter(now)
            self._start(job, service_time, done, now, now)
        else:
            self.meter.arrive(now)
            self.queue.append((job, service_time, done, now))

    def _start(self, job: Any, service_time: float, done: Callable[[Any], None], arrived: float, now: float) -> None:
        """Serve `job` now (the caller told the meter: `enter` at submission, `start` when taken from the queue)."""
        self.busy += 1
        self._ticket += 1
        ticket = self._ticket
        self.in_service[ticket] = (job, arrived)
        self.kernel.later(service_time, self._finish, ticket, self._epoch, done)

    def _finish(self, ticket: int, epoch: int, done: Callable[[Any], None]) -> None:
        if epoch != self._epoch:
            return
        job, arrived = self.in_service.pop(ticket)
        self.busy -= 1
        meter = self.meter
        now = self.kernel.now
        meter.finish(now, arrived)
        queue = self.queue
        cancelled = self.cancelled
        while queue:
            nxt, st, nd, at = queue.popleft()
            if cancelled is None or not cancelled(nxt):
                meter.start(now, at)
                self._start(nxt, st, nd, at, now)
                break
            meter.leave(now, at)  # its sender stopped waiting
        done(job)

    def fail(self) -> None:
        """Crash: everything queued or in service is dropped (handed to `on_drop`)."""
        if not self.up:
            return
        self.up = False
        self._epoch += 1
        dropped = [job for job, _ in self.in_service.values()]
        dropped.extend(job for job, _, _, _ in self.queue)
        meter = self.meter
        now = self.kernel.now
        for _, arrived in self.in_service.values():
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


__all__ = ["ServiceCentre", "Station"]
