"""Faults of the network: a link down or degraded, a partition."""

from __future__ import annotations

from typing import Any

from sim.scenario import fields as f
from sim.scenario.faultkinds.base import FaultBuild, FaultKind, Injection, Undo
from sim.scenario.fields import INVALID, REQUIRED, Field, Invalid
from sim.scenario.model import LinkDegraded, LinkDown, Partition

BETWEEN = Field(f.names, REQUIRED, "the link's two ends")


def link_ends(b: FaultBuild) -> tuple[str, str] | None:
    """The two ends of the link a fault names, when they are two known nodes joined by a link."""
    ends, node, path = b.own["between"], b.own.nodes["between"], b.own.at("between")
    if ends is INVALID:
        return None
    if len(ends) != 2 or ends[0] == ends[1]:
        b.ctx.problem(node, path, "a link has two different ends")
        return None
    if not all(b.refs.network_node(e, node, path) for e in ends):
        return None
    if b.topology.link(ends[0], ends[1]) is None:
        b.ctx.problem(node, path, f"there is no link between {ends[0]!r} and {ends[1]!r}")
        return None
    return ends[0], ends[1]


class LinkDownKind(FaultKind):
    """The link carries nothing; paths are recomputed, transfers with no path fail after the sender's timeout."""

    fault = LinkDown
    fields = {"between": BETWEEN}

    def build(self, b: FaultBuild) -> LinkDown | None:
        ends = link_ends(b)
        return LinkDown(b.name, b.start, b.end, *ends) if ends else None

    def start(self, at: Injection, fault: Any) -> Undo | None:
        link = at.world.network.link(fault.a, fault.b)
        if link is None:
            return None
        link.up = False
        at.topology_changed()

        def undo_link() -> None:
            link.up = True
        return undo_link


class LinkDegradedKind(FaultKind):
    """The link's latency grows by a distribution, its loss and bandwidth change."""

    fault = LinkDegraded
    fields = {
        "between": BETWEEN,
        "extra_latency": Field(f.distribution("duration"), "0s", "added to the link's latency"),
        "loss": Field(f.share, "0%", "the link's loss while degraded"),
        "bandwidth_factor": Field(f.positive(f.number(0.0)), 1, "the link's bandwidth is multiplied by this"),
    }

    def build(self, b: FaultBuild) -> LinkDegraded | None:
        ends = link_ends(b)
        if not ends:
            return None
        return LinkDegraded(b.name, b.start, b.end, *ends, b.own["extra_latency"], b.own["loss"],
                            b.own["bandwidth_factor"])

    def start(self, at: Injection, fault: Any) -> Undo | None:
        link = at.world.network.link(fault.a, fault.b)
        if link is None:
            return None
        link.extra_latency = at.sampler(fault.extra_latency)
        link.loss_override = fault.loss
        link.bandwidth_factor = fault.bandwidth_factor
        at.topology_changed()

        def undo_degraded() -> None:
            link.extra_latency = None
            link.loss_override = None
            link.bandwidth_factor = 1.0
        return undo_degraded


class PartitionKind(FaultKind):
    """The network splits: no traffic between data centres / regions on different sides (nodes not listed stay
    with the first side)."""

    fault = Partition
    fields = {"sides": Field(f.nested, REQUIRED, "lists of data centres/regions that can no longer talk")}

    def build(self, b: FaultBuild) -> Partition | None:
        sides = self._sides(b)
        return Partition(b.name, b.start, b.end, sides) if sides else None

    @staticmethod
    def _sides(b: FaultBuild) -> tuple[tuple[str, ...], ...]:
        node, path = b.own.nodes["sides"], b.own.at("sides")
        if node is None or not node.is_seq or len(node.value) < 2:
            b.ctx.problem(node, path, "expected two or more lists of data centres/regions")
            return ()
        sides, seen, ok = [], set(), True
        for i, item in enumerate(node.value):
            try:
                side = f.names(item)
            except Invalid as exc:
                b.ctx.problem(item, f"{path}[{i}]", str(exc))
                ok = False
                continue
            for member in side:
                ok &= b.refs.network_node(member, item, f"{path}[{i}]")
                if member in seen:
                    b.ctx.problem(item, f"{path}[{i}]", f"{member!r} is on two sides")
                    ok = False
                seen.add(member)
            sides.append(side)
        return tuple(sides) if ok else ()

    def start(self, at: Injection, fault: Any) -> Undo:
        network = at.world.network
        listed = {node for side in fault.sides for node in side}
        sides = [set(side) for side in fault.sides]
        sides[0] |= set(network.locations) - listed
        pairs = []
        for i, side in enumerate(sides):
            for other in sides[i + 1:]:
                pairs += network.partition(side, other)
        at.topology_changed()
        return lambda: network.heal(pairs)
