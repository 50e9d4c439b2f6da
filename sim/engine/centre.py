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


WAITING, GONE, ABANDONED = 0, 1, 2  # the state of a queued job (`Station` queue entries)


class Station(ServiceCentre):
    """A multi-server FIFO service centre (`servers` identical servers, one shared queue), event-driven.

    `submit(job, service_time, done)` calls `done(job)` when the job's service ends. A job that has to wait gets a
    handle back: `abandon(handle)` takes it out of the station when its sender stops waiting (it leaves the meter
    then and no longer counts in `depth`). The abandoned entry stays in the deque and is skipped when its turn comes
    (lazy deletion: no scan of the queue). `fail()` drops the queue and the jobs in service (their completions never
    fire) and hands them to `on_drop`; `restore()` brings the station back.
    """

    def __init__(self, kernel: Kernel, name: str, servers: int, on_drop: Callable[[list], None] | None = None,
                 meter: StationMeter | None = None) -> None:
        super().__init__(kernel, name, servers, meter)
        self.servers: int = servers
        self.busy = 0
        self.up = True
        self.queue: deque[list] = deque()  # entries [job, service time, done, arrived, state]
        self.abandoned = 0  # entries of `queue` in state ABANDONED: already out of the station
        self.in_service: dict[int, tuple] = {}
        self.on_drop = on_drop
        self._epoch = 0
        self._ticket = 0

    @property
    def depth(self) -> int:
        """Jobs waiting plus jobs in service (abandoned ones not counted)."""
        return len(self.queue) - self.abandoned + self.busy

    def submit(self, job: Any, service_time: float, done: Callable[[Any], None]) -> list | None:
        """Serve `job` now or after the jobs queued before it; returns the handle for `abandon` if it has to wait."""
        if not self.up:
            if self.on_drop is not None:
                self.on_drop([job])
            return None
        now = self.kernel.now
        if self.busy < self.servers:
            self.meter.enter(now)
            self._start(job, service_time, done, now, now)
            return None
        self.meter.arrive(now)
        entry = [job, service_time, done, now, WAITING]
        self.queue.append(entry)
        return entry

    def abandon(self, handle: list) -> bool:
        """The job of `handle` leaves now if it is still waiting (its sender gave up); False if it started or was
        dropped meanwhile."""
        if handle[4] != WAITING:
            return False
        handle[4] = ABANDONED
        self.abandoned += 1
        self.meter.leave(self.kernel.now, handle[3])
        return True

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
        while queue:
            entry = queue.popleft()
            if entry[4] == ABANDONED:  # already out of the station (`abandon`)
                self.abandoned -= 1
                continue
            entry[4] = GONE
            nxt, st, nd, at, _ = entry
            meter.start(now, at)
            self._start(nxt, st, nd, at, now)
            break
        done(job)

    def fail(self) -> None:
        """Crash: everything queued or in service is dropped (handed to `on_drop`)."""
        if not self.up:
            return
        self.up = False
        self._epoch += 1
        dropped = [job for job, _ in self.in_service.values()]
        meter = self.meter
        now = self.kernel.now
        for _, arrived in self.in_service.values():
            meter.leave(now, arrived, True)
        for entry in self.queue:
            if entry[4] == WAITING:
                meter.leave(now, entry[3])
                dropped.append(entry[0])
            entry[4] = GONE
        self.in_service.clear()
        self.queue.clear()
        self.abandoned = 0
        self.busy = 0
        if dropped and self.on_drop is not None:
            self.on_drop(dropped)

    def restore(self) -> None:
        self.up = True


__all__ = ["ServiceCentre", "Station"]
