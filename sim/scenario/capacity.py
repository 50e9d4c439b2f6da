"""A static capacity check: the offered load of each provider and of the bus at the daily peak, against capacity.

Not an error (an overload can be the point of a scenario, e.g. a scale-out sweep), but `smev-sim validate` notes it,
because an accidental overload makes every latency SLO fail for a reason that has nothing to do with the question.
Offered work = Σ request rate × mean processing time (server-seconds per second, Little's law); capacity = workers.
Rates are taken at each flow's profile peak, without bursts, times `traffic_scale` (the background of
`tagged_share` < 1 loads the same servers, so the whole volume is what matters).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sim.scenario.model import Scenario


@dataclass(frozen=True)
class Load:
    component: str  # a provider group's name, or "bus"
    busy: float  # mean busy servers the offered load needs
    capacity: int  # servers there are

    @property
    def utilisation(self) -> float:
        return self.busy / self.capacity if self.capacity else float("inf")


def peak_loads(scenario: Scenario) -> list[Load]:
    """Offered load of every provider group that receives requests, and of the bus ingress."""
    groups = scenario.participants.groups
    work: dict[str, float] = defaultdict(float)
    bus_messages = 0.0

    def peak(rate: float, profile: str | None) -> float:
        factor = scenario.workload.profiles[profile].max_factor if profile else 1.0
        return rate * factor * scenario.run.traffic_scale

    def add(type_name: str, rate: float) -> None:
        nonlocal bus_messages
        mt = scenario.message_types[type_name]
        if mt.broadcast:
            bus_messages += rate * len(mt.subscribers)
            return
        bus_messages += 2 * rate
        group = groups.get(mt.provider) or groups[scenario.participants.group_of(mt.provider)]
        work[group.name] += rate * (mt.processing_time or group.template.processing_time).mean

    for flow in scenario.workload.flows:
        add(flow.message_type, peak(flow.rate, flow.profile))
    portal = scenario.workload.portal
    if portal is not None:
        applications = peak(portal.rate, portal.profile)
        for service in portal.services:
            for step in service.steps:
                for type_name in step:
                    add(type_name, applications * service.share)
    loads = [Load(name, busy, groups[name].template.concurrency * len(groups[name])) for name, busy in sorted(work.items())]
    bus = scenario.topology.bus
    nodes = sum(dc.bus_nodes for dc in scenario.topology.data_centres.values())
    loads.append(Load("bus", bus_messages * bus.ingress_time.mean, nodes * bus.node_concurrency))
    return loads


def overloads(scenario: Scenario, limit: float = 0.95) -> list[Load]:
    """The components whose peak offered load exceeds `limit` of their capacity."""
    return [load for load in peak_loads(scenario) if load.utilisation > limit]
