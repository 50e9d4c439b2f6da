"""`simulate(scenario, seed)`: build the whole infrastructure in a fresh SimPy environment, run it, summarise.

A pure function of (scenario, seed): everything random draws from one `numpy` generator seeded here, nothing
depends on wall time, so worker processes can run replications independently and reproducibly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.engine import Kernel, Sampler, ServiceCentre
from sim.faults import FaultInjector, schedule_outages
from sim.metrics.collector import Collector, ReplicationSummary
from sim.metrics.warmup import warmup_series
from sim.model.audit import Audit
from sim.model.background import PooledStation
from sim.model.background_load import BackgroundLoad
from sim.model.bus import Bus
from sim.model.ca import CertificationAuthority
from sim.model.endpoints import Participant, Relay, send
from sim.model.factory import MessageFactory, TypeInfo
from sim.model.limits import Admission
from sim.model.message import REQUEST, Msg
from sim.model.network import Network
from sim.model.portal import Esia, Portal
from sim.model.world import DataCentreState, World
from sim.scenario.model import PORTAL, Scenario
from sim.scenario.model import Participant as ParticipantSpec
from sim.workload.arrivals import ArrivalStream, flow_rate


class Model:
    """The built infrastructure of one replication."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, audit: Audit,
                 background_rng: np.random.Generator | None = None) -> None:
        self.scenario = scenario
        topo = scenario.topology
        run = scenario.run
        self.scale = run.traffic_scale * run.tagged_share  # of each flow's rate, simulated message by message
        kernel = Kernel(rng, run.duration)
        collector = Collector(run.duration, run.warmup, auto_warmup=run.warmup_auto,
                              warmup_series=warmup_series(slo.metric for slo in scenario.slos))
        locations = list(topo.data_centres) + list(topo.regions)
        network = Network(locations, rng, frozenset(topo.data_centres), kernel=kernel)
        for link in topo.links:
            network.add_link(link.a, link.b, link.latency, link.bandwidth, link.loss)
        for link in network.links.values():  # a processor-sharing station each (the transfers in the sharing)
            name = f"link.{link.a}-{link.b}"
            link.centre = ServiceCentre(kernel, name, 1, collector.station(name, 1, "link", sharing=True))
        world = World(kernel, collector, network, scenario.policies, audit,
                      {name: DataCentreState(name) for name in topo.data_centres},
                      scenario.policies.failover_detection)
        self.world = world
        self._samplers: dict[Any, Sampler] = {}

        self.ca = CertificationAuthority(world, topo.ca.data_centre, self.sampler(topo.ca.response_time),
                                         topo.ca.crl_cache_lifetime)
        self.esia = Esia(world, topo.esia)
        self.admission = Admission(world, scenario.policies)
        bus = topo.bus
        self.smev = Bus(world, "smev", {dc.name: dc.bus_nodes for dc in topo.data_centres.values()},
                        bus.node_concurrency, self.sampler(bus.ingress_time), self.sampler(bus.delivery_time),
                        bus.queue_capacity, self.ca, scenario.policies.replication_factor, self.access,
                        self.admission)
        self.regional: dict[str, Bus] = {}
        for region in topo.regions.values():
            rb = region.regional_bus
            if rb is not None:
                self.regional[region.name] = Bus(
                    world, f"rsmev.{region.name}", {region.name: 1}, rb.concurrency,
                    self.sampler(rb.ingress_time), self.sampler(rb.delivery_time), None, self.ca, 1, self.access,
                    self.admission)

        for one in self.buses():
            one.make_relay = Relay
        # participants, by group, and the portal's own system
        self.groups: dict[str, list[Participant]] = {}
        self.by_name: dict[str, Participant] = {}
        for group_name, group in topo.participants.groups.items():
            members = []
            for spec in group:
                p = Participant(world, spec, spec.data_centre or spec.region, spec.region,
                                self.sampler(spec.processing_time))
                members.append(p)
                self.by_name[p.name] = p
            self.groups[group_name] = members
        portal_spec = ParticipantSpec(
            name=PORTAL, kind="federal-agency", group=PORTAL, data_centre=topo.portal.data_centres[0], region=None,
            role="consumer", polling_interval=0.0, processing_time=topo.portal.service_time,
            concurrency=max(topo.portal.concurrency, 1), availability=1.0, mean_outage=0.0, via_regional_share=0.0)
        self.portal_endpoint = Participant(world, portal_spec, portal_spec.data_centre, None,
                                           self.sampler(topo.portal.service_time))
        self.portal_endpoint.concurrency = self.portal_endpoint.free = 1 << 30  # receiving answers costs no worker
        if PORTAL not in self.groups:
            self.groups[PORTAL] = [self.portal_endpoint]
            self.by_name[PORTAL] = self.portal_endpoint

        # message types
        self.types: dict[str, TypeInfo] = {}
        for spec in scenario.message_types.values():
            providers = self.members(spec.provider)
            subscribers = [s for name in spec.subscribers for s in self.members(name)]
            self.types[spec.name] = TypeInfo(world, spec, providers, subscribers)
            if spec.processing_time is not None:
                sampler = self.sampler(spec.processing_time)
                for p in providers:
                    p.type_processing[spec.name] = sampler
        self.allowed = {name: set(spec.consumers) for name, spec in scenario.message_types.items()}
        self.factory = MessageFactory(world, self.smev, self.regional, self.types)
        world.factory = self.factory

        self.portal: Portal | None = None
        if scenario.workload.portal is not None:
            senders = {s.sender: self.members(s.sender) for s in scenario.workload.portal.services}
            self.portal = Portal(world, topo.portal, scenario.workload.portal, self.esia, self.factory, self.types,
                                 self.portal_endpoint, senders)
        self.background: dict[str, float] = {}  # offered background utilisation by component or group
        self.background_load: BackgroundLoad | None = None
        if run.tagged_share < 1.0:
            load = BackgroundLoad(self)
            load.add_flows(run.traffic_scale * (1.0 - run.tagged_share))
            self.background = load.install(background_rng if background_rng is not None else rng)
            self.background_load = load
        for bus in self.buses():
            for site in bus.sites.values():
                collector.component(site.component, max(site.capacity, 1))
        self.providers: dict[str, ServiceCentre] = {}  # each provider group's workers: one service centre
        for name, members in self.groups.items():
            if name != PORTAL and any(m.spec.provides for m in members):
                workers = sum(m.concurrency for m in members)
                collector.component(f"participant.{name}", workers)
                centre = self.providers[name] = ServiceCentre(
                    kernel, f"participant.{name}", workers, collector.station(f"participant.{name}", workers,
                                                                              "provider"))
                for m in members:
                    m.meter = centre.meter
        if run.tagged_share < 1.0:  # stations shared with background: their meters see the tagged sample
            collector.sampled(run.tagged_share, self._pooled_meters())

    def _pooled_meters(self) -> list:
        """The station meters that see a sample of their jobs (`tagged_share` < 1): stations sharing their servers with
        background jobs, and those the background does not cross (its share is scaled up there)."""
        stations = [node for bus in self.buses() for site in bus.sites.values() for node in site.nodes]
        stations += [self.esia.station] + ([self.portal.station] if self.portal is not None else [])
        meters = [s.meter for s in stations if isinstance(s, PooledStation)]
        meters += [p.meter for p in self.by_name.values() if p.pool is not None and p.meter is not None]
        # the delivery stores and the links see the tagged messages only (a thinned sample of their jobs); a link's
        # capacity is what the background's mean rate leaves (`Link.effective_bandwidth`), and its meter adds that load
        meters += [store.meter for bus in self.buses() for site in bus.sites.values() for store in site.stores]
        for link in self.world.network.links.values():
            if link.centre is not None:
                link.centre.meter.base_load = min(link.background_bps / link.bandwidth_bps, 1.0) \
                    if link.bandwidth_bps > 0 else 0.0
                meters.append(link.centre.meter)
        return meters

    # --- lookups ------------------------------------------------------------------------------------------------------

    def sampler(self, dist: Any) -> Sampler:
        """One batched sampler per distinct distribution (frozen dataclasses compare by value)."""
        s = self._samplers.get(dist)
        if s is None:
            s = self._samplers[dist] = Sampler(dist, self.world.rng)
        return s

    def members(self, name: str) -> list[Participant]:
        if name in self.groups:
            return self.groups[name]
        return [self.by_name[name]]

    def buses(self) -> list[Bus]:
        return [self.smev, *self.regional.values()]

    def participants_at(self, location: str) -> list[Participant]:
        return [p for p in self.by_name.values() if p.location == location]

    def access(self, msg: Msg) -> bool:
        """The access matrix (697 §7): may the sender consume (request) this type?"""
        if msg.kind != REQUEST:
            return True
        allowed = self.allowed[msg.unauthorised if msg.unauthorised is not None else msg.type]
        if "*" in allowed:
            return True
        sender = msg.sender
        return sender.name in allowed or getattr(sender.spec, "group", None) in allowed

    def topology_changed(self) -> None:
        self.world.network.changed()
        for bus in self.buses():
            bus.forget_routes()
        self._relocate_portal()
        for p in self.by_name.values():
            if p.up:
                p.notify()
        for bus in self.buses():
            for relay in bus._relays.values():
                relay.notify()

    def _relocate_portal(self) -> None:
        """The portal's system fails over to its next data centre once the loss of its current one is noticed."""
        endpoint, world = self.portal_endpoint, self.world
        if world.dc_known_down(endpoint.location):
            for dc in self.scenario.topology.portal.data_centres:
                if world.dc_up(dc):
                    endpoint.location = dc
                    endpoint.flush()
                    break

    # --- workload -----------------------------------------------------------------------------------------------------

    def bursts_for(self, name: str) -> list:
        """The bursts that apply to a flow (or to the portal)."""
        return [b for b in self.scenario.workload.bursts if not b.flows or name in b.flows]

    def start_workload(self) -> None:
        world = self.world
        workload = self.scenario.workload
        horizon = world.kernel.horizon
        for flow in workload.flows:
            members = self.members(flow.consumer)
            info = self.types[flow.message_type]
            datamart = flow.channel == "datamart"

            def arrive(members: list = members, info: TypeInfo = info, datamart: bool = datamart) -> None:
                self.flow_arrival(members, info, datamart)

            profile = workload.profiles.get(flow.profile) if flow.profile else None
            rate = flow_rate(flow.rate * self.scale, horizon, profile, self.bursts_for(flow.name), flow.start, flow.end)
            gaps = flow.interarrival.scaled(1.0 / flow.interarrival.mean) if flow.interarrival is not None else None
            ArrivalStream(world.kernel, arrive, rate=rate, gaps=gaps).start()
        if self.portal is not None:
            pw = workload.portal
            profile = workload.profiles.get(pw.profile) if pw.profile else None
            rate = flow_rate(pw.rate * self.scale, horizon, profile, self.bursts_for(PORTAL))
            ArrivalStream(world.kernel, self.portal.arrival, rate=rate).start()

    def flow_arrival(self, members: list, info: TypeInfo, datamart: bool) -> None:
        """One request (or broadcast) from one member of the consumer group; a system that is down sends nothing."""
        world = self.world
        sender = members[int(world.rng.integers(len(members)))] if len(members) > 1 else members[0]
        if not sender.up:
            world.count("arrivals.sender_down")
            return
        if info.spec.broadcast:
            lead = self.factory.broadcast(sender, info)
            if lead is not None:
                send(world, lead, sender)
            return
        send(world, self.factory.request(sender, info, datamart=datamart), sender)

    def start_housekeeping(self) -> None:
        """The janitor: closes queued messages past their end of life, a few times per shortest TTL."""
        world = self.world
        policies = self.scenario.policies
        ttls = [policies.ttl, policies.realtime_ttl] + [t.ttl for t in self.types.values()]
        period = min(max(min(ttls) / 10.0, 1.0), 600.0)

        buses = self.buses()

        def sweep() -> None:
            for bus in buses:
                if bus.held > 0:
                    bus.expire_due()
            world.kernel.later(period, sweep)

        world.kernel.later(period, sweep)

    # --- the end -------------------------------------------------------------------------------------------------------

    def finish(self) -> ReplicationSummary:
        world = self.world
        collector = world.collector
        if self.background_load is not None:  # the background up to the end: busy times include all of it
            for feed in self.background_load.feeds:
                feed.advance(world.kernel.horizon)
        for name, centre in self.providers.items():  # the providers' background, carried by their worker pools
            pools = [m.pool for m in self.groups[name] if m.pool is not None]
            for pool in pools:
                pool.book(centre.meter)
        centres: list[tuple[str, list[ServiceCentre]]] = [
            (site.component, site.nodes) for bus in self.buses() for site in bus.sites.values()]
        centres.append(("esia", [self.esia.station]))
        if self.portal is not None:
            centres.append(("portal", [self.portal.station]))
        centres += [(centre.name, [centre]) for centre in self.providers.values()]
        for component, members in centres:  # utilisation of the whole component, background included
            collector.busy_of(component, [centre.meter for centre in members])
        self.admission.close_books()
        return collector.summary()


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence, *,
             audit_path: str | Path | None = None) -> ReplicationSummary:
    """Run one replication of `scenario` with `seed`; write the audit trail (JSON lines) to `audit_path` if given."""
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    rng = np.random.default_rng(seq)
    audit = Audit(audit_path, int(seq.generate_state(1)[0]))
    model = Model(scenario, rng, audit, np.random.default_rng(np.random.SeedSequence(seq.generate_state(4))))
    model.start_workload()
    model.start_housekeeping()
    injector = FaultInjector(model)
    injector.schedule(scenario.faults)
    schedule_outages(model.world, list(model.by_name.values()))
    model.world.kernel.run_to_horizon(scenario.run.max_events)
    summary = model.finish()
    audit.write()
    summary.seed = {"entropy": str(seq.entropy), "spawn_key": list(seq.spawn_key)}
    counters = {**model.world.counters, "events": model.world.kernel.events}
    if model.background_load is not None:
        counters.update(model.background_load.counts())
    summary.extra["model"] = dict(sorted(counters.items()))
    if model.background:
        summary.extra["background_utilisation"] = model.background
    return summary


__all__ = ["Model", "simulate"]
