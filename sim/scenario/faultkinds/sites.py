"""Faults of a data centre: losing it whole, or crashing some of its bus nodes."""

from __future__ import annotations

from typing import Any

from sim.scenario import fields as f
from sim.scenario.faultkinds.base import FaultBuild, FaultKind, Injection, Undo
from sim.scenario.fields import INVALID, REQUIRED, Field
from sim.scenario.model import BusNodeCrash, DataCentreLoss


class DataCentreLossKind(FaultKind):
    """The site's bus nodes crash (jobs in them are lost; senders retry), its storage is gone (messages without a
    replica elsewhere are lost and counted), everything placed there is down; clients notice after the failover
    detection time and switch to another data centre."""

    fault = DataCentreLoss
    fields = {"data_centre": Field(f.name, REQUIRED, "the data centre lost")}

    def build(self, b: FaultBuild) -> DataCentreLoss | None:
        dc = b.own["data_centre"]
        ok = b.refs.data_centre(dc, b.own.nodes["data_centre"], b.own.at("data_centre"))
        return DataCentreLoss(b.name, b.start, b.end, dc) if ok else None

    def start(self, at: Injection, fault: Any) -> Undo:
        m, world, name = at.model, at.world, fault.data_centre
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
        at.topology_changed()
        # clients notice after the detection time and switch to the surviving data centres
        at.later(world.detection, m.topology_changed)

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


class BusNodeCrashKind(FaultKind):
    """Some bus nodes of a data centre crash (the first `nodes` that run)."""

    fault = BusNodeCrash
    fields = {
        "data_centre": Field(f.name, REQUIRED, "where the nodes crash"),
        "nodes": Field(f.integer(1), 1, "how many nodes crash"),
    }

    def build(self, b: FaultBuild) -> BusNodeCrash | None:
        dc, nodes = b.own["data_centre"], b.own["nodes"]
        if not b.refs.data_centre(dc, b.own.nodes["data_centre"], b.own.at("data_centre")):
            return None
        running = b.topology.data_centres[dc].bus_nodes
        if nodes is not INVALID and running is not INVALID and nodes > running:
            b.error("nodes", f"{nodes} nodes crash but {dc!r} runs {running}")
            return None
        return BusNodeCrash(b.name, b.start, b.end, dc, nodes)

    def start(self, at: Injection, fault: Any) -> Undo | None:
        site = at.model.smev.sites.get(fault.data_centre)
        if site is None:
            return None
        crashed = [node for node in site.nodes if node.up][: fault.nodes]
        for node in crashed:
            node.fail()
        at.topology_changed()

        def undo_crash() -> None:
            for node in crashed:
                node.restore()
        return undo_crash
