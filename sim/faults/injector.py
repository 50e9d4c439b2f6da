"""Applying the scenario's faults to a running model, as in life.

- data-centre loss: the site's bus nodes crash (jobs in them are lost; senders retry), its storage is gone
  (messages without a replica elsewhere are lost and counted), everything placed there is down; clients notice
  after the failover detection time and switch to another data centre.
- link down / degraded, partition: paths are recomputed; transfers with no path fail after the sender's timeout.
- bus node crash; participant down / slow / misbehaving (bad signatures, schema violations, unauthorised types,
  floods); ESIA down (the portal's reduced mode); CA down (signatures checkable only with a cached CRL).
"""

from __future__ import annotations

from typing import Any

from sim.engine import Sampler
from sim.scenario import model as sm
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
        m, world = self.m, self.world
        if isinstance(fault, sm.DataCentreLoss):
            return self._lose_dc(fault.data_centre)
        if isinstance(fault, sm.LinkDown):
            link = world.network.link(fault.a, fault.b)
            if link is None:
                return None
            link.up = False
            m.topology_changed()

            def undo_link() -> None:
                link.up = True
            return undo_link
        if isinstance(fault, sm.LinkDegraded):
            link = world.network.link(fault.a, fault.b)
            if link is None:
                return None
            link.extra_latency = Sampler(fault.extra_latency, world.rng)
            link.loss_override = fault.loss
            link.bandwidth_factor = fault.bandwidth_factor
            m.topology_changed()

            def undo_degraded() -> None:
                link.extra_latency = None
                link.loss_override = None
                link.bandwidth_factor = 1.0
            return undo_degraded
        if isinstance(fault, sm.Partition):
            listed = {node for side in fault.sides for node in side}
            sides = [set(side) for side in fault.sides]
            sides[0] |= set(world.network.locations) - listed
            pairs = []
            for i, side in enumerate(sides):
                for other in sides[i + 1:]:
                    pairs += world.network.partition(side, other)
            m.topology_changed()
            return lambda: world.network.heal(pairs)
        if isinstance(fault, sm.BusNodeCrash):
            site = m.smev.sites.get(fault.data_centre)
            if site is None:
                return None
            crashed = [node for node in site.nodes if node.up][: fault.nodes]
            for node in crashed:
                node.fail()
            m.topology_changed()

            def undo_crash() -> None:
                for node in crashed:
                    node.restore()
            return undo_crash
        if isinstance(fault, sm.ParticipantDown):
            members = m.members(fault.participant)
            for p in members:
                p.go_down()

            def undo_down() -> None:
                for p in members:
                    p.come_up()
            return undo_down
        if isinstance(fault, sm.ParticipantSlow):
            members = m.members(fault.participant)
            for p in members:
                p.slow *= fault.factor

            def undo_slow() -> None:
                for p in members:
                    p.slow /= fault.factor
            return undo_slow
        if isinstance(fault, sm.ParticipantMisbehaving):
            return self._misbehave(fault)
        if isinstance(fault, sm.EsiaDown):
            m.esia.forced_down = True

            def undo_esia() -> None:
                m.esia.forced_down = False
                if m.portal is not None:
                    m.portal.esia_restored()
            return undo_esia
        if isinstance(fault, sm.CaDown):
            m.ca.forced_down = True

            def undo_ca() -> None:
                m.ca.forced_down = False
            return undo_ca
        return None

    def _lose_dc(self, name: str) -> Any:
        m, world = self.m, self.world
        state = world.data_centres[name]
        state.up = False
        state.down_since = world.now
        crashed = []
        for bus in m.buses():
            site = bus.sites.get(name)
            if site is not None:
                for node in site.nodes:
                    if node.up:
                        node.fail()
                        crashed.append(node)
            bus.data_centre_lost(name)
        if m.portal is not None and not m.portal.up:  # the portal's last data centre: it stops
            m.portal.station.fail()
        m.topology_changed()
        # clients notice after the detection time and switch to the surviving data centres
        world.kernel.later(world.detection, m.topology_changed)

        def undo_dc() -> None:
            state.up = True
            for bus in m.buses():
                bus.data_centre_restored(name)
            for node in crashed:
                node.restore()
            if m.portal is not None and m.portal.up:
                m.portal.station.restore()
            for p in m.participants_at(name):
                p.flush()
        return undo_dc

    def _misbehave(self, fault: Any) -> Any:
        m, world = self.m, self.world
        members = m.members(fault.participant)
        if fault.behaviour == "flood":
            info = m.types[fault.message_type]
            end = fault.end if fault.end is not None else world.kernel.horizon
            rate = PiecewiseRate([0.0, world.now, end], [0.0, fault.rate, 0.0])
            stream = ArrivalStream(world.kernel, lambda: m.flow_arrival(members, info, False), rate=rate)
            stream.start()
            return lambda: None
        entry = (fault.behaviour, fault.share, fault.message_type)
        for p in members:
            p.misbehaviour.append(entry)

        def undo_misbehave() -> None:
            for p in members:
                if entry in p.misbehaviour:
                    p.misbehaviour.remove(entry)
        return undo_misbehave


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
