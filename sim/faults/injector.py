"""Applying the scenario's faults to a running model, as in life: each fault is applied at its start and undone at
its end. What a fault does is its kind's (`sim.scenario.faultkinds`, one unit per kind: data-centre loss, link down
or degraded, partition, bus node crash, participant down / slow / misbehaving, ESIA down, CA down); the injector
dispatches through that registry and hands each kind the model as an `Injection`.
"""

from __future__ import annotations

from typing import Any

from sim.engine import Sampler
from sim.scenario.faultkinds import KINDS
from sim.workload.arrivals import ArrivalStream, PiecewiseRate


class FaultInjector:
    def __init__(self, built: Any) -> None:
        self.m = built  # sim.model.simulate.Model
        self.world = built.world

    def schedule(self, faults: tuple) -> None:
        kernel = self.world.kernel
        for fault in faults:
            if fault.start > kernel.horizon:
                continue
            self.world.collector.fault(fault.name, fault.kind, fault.start, fault.end)
            kernel.later(fault.start, self._apply, fault)

    def _apply(self, fault: Any) -> None:
        undo = self._start(fault)
        self.world.count(f"faults.{fault.kind}")
        if fault.end is not None and undo is not None:
            self.world.kernel.later(fault.end - fault.start, self._end, fault, undo)

    def _end(self, fault: Any, undo: Any) -> None:
        undo()
        self.m.topology_changed()

    def _start(self, fault: Any) -> Any:
        return KINDS[fault.kind].start(_Injection(self), fault)


class _Injection:
    """The running model as fault kinds see it (`sim.scenario.faultkinds.Injection`)."""

    def __init__(self, injector: FaultInjector) -> None:
        self.model = injector.m
        self.world = injector.world

    def topology_changed(self) -> None:
        self.model.topology_changed()

    def later(self, delay: float, action: Any, *args: Any) -> None:
        self.world.kernel.later(delay, action, *args)

    def sampler(self, distribution: Any) -> Sampler:
        return Sampler(distribution, self.world.rng)

    def arrivals(self, rate: float, until: float | None, arrive: Any) -> None:
        world = self.world
        end = until if until is not None else world.kernel.horizon
        stream = ArrivalStream(world.kernel, arrive, rate=PiecewiseRate([0.0, world.now, end], [0.0, rate, 0.0]))
        stream.start()


def schedule_outages(world: Any, participants: list) -> None:
    """Random outages for participants with availability < 1: up and down periods alternate, exponential, with
    mean down time `mean_outage` and mean up time chosen so that the long-run up share is the availability."""
    kernel, rng = world.kernel, world.rng

    def go_down(p: Any, mean_up: float) -> None:
        p.go_down()
        kernel.later(float(rng.exponential(p.spec.mean_outage)), come_up, p, mean_up)

    def come_up(p: Any, mean_up: float) -> None:
        p.come_up()
        kernel.later(float(rng.exponential(mean_up)), go_down, p, mean_up)

    for p in participants:
        a = p.spec.availability
        if a >= 1.0 or p.spec.mean_outage <= 0:
            continue
        mean_up = p.spec.mean_outage * a / max(1.0 - a, 1e-9)
        kernel.later(float(rng.exponential(mean_up)), go_down, p, mean_up)
