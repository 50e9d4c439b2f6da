"""Where the background goes (`run.tagged_share` < 1): the untagged share of every flow, followed through the
routes, entry sites and providers its messages would take, becomes one arrival stream per station group
(`sim.model.background`), and those stations become shared with it.

Every flow's volume is split the way the per-message model splits it, in expectation: evenly over the consumer
group's members, over the providers `MessageFactory.provider_for` may choose, and over the routes of 451 §9 with
their regional-bus shares. A request and its answer each pass ingress at every bus of their route (a broadcast once
at its first bus, then once per copy); each request (or broadcast copy) is processed by its provider (subscriber),
except data-mart requests, answered by the provider's SMEV agent without a queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.background import JobStream, PooledStation, Rules, StationFeed, WorkerPool, combine_rates
from sim.scenario.distributions import Constant
from sim.scenario.model import PORTAL
from sim.workload.arrivals import PiecewiseRate, flow_rate

if TYPE_CHECKING:
    from sim.model.bus import Bus
    from sim.model.endpoints import Participant
    from sim.model.factory import TypeInfo
    from sim.model.replication import Model

_NO_SERVICE = Constant(0.0)  # a sender's messages as its quota sees them: arrival times only

Parts = dict[int, list]  # id(shape) -> [shape, total weight]: flows sharing a rate shape are summed


def _add(parts: Parts, shape: PiecewiseRate, weight: float) -> None:
    entry = parts.get(id(shape))
    if entry is None:
        parts[id(shape)] = [shape, weight]
    else:
        entry[1] += weight


def _combined(parts: Parts) -> PiecewiseRate:
    return combine_rates([(shape, weight) for shape, weight in parts.values()])


class BackgroundLoad:
    """The background volume by station group, then the streams and shared stations it becomes."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.factory = model.factory
        self.bus_parts: dict[tuple[Bus, str], Parts] = {}  # (bus, home site) -> ingress arrivals
        self.provider_parts: dict[Participant, dict[str, Parts]] = {}  # provider -> type -> processing arrivals
        self.portal_parts: Parts = {}
        self.esia_parts: Parts = {}
        self.sender_parts: dict[Any, Parts] = {}  # participant -> the messages it sends (for its quota)
        self.link_bits: dict[int, list] = {}  # id(link) -> [network link, the background's mean bits per second on it]
        self.feeds: list[StationFeed] = []  # every station feed installed
        self.pools: list[WorkerPool] = []  # every provider's pool installed

    # --- following the volume ------------------------------------------------------------------------------------

    def add_flows(self, weight: float) -> None:
        """Every flow and portal service at `weight` times its volume (traffic_scale x the untagged share)."""
        model = self.model
        scenario = model.scenario
        horizon = model.world.kernel.horizon
        profiles = scenario.workload.profiles
        for flow in scenario.workload.flows:
            # a renewal flow's background is Poisson at its rate (same mean, profile, bursts and window)
            shape = flow_rate(flow.rate, horizon, profiles.get(flow.profile) if flow.profile else None,
                              model.bursts_for(flow.name), flow.start, flow.end)
            self.requests(model.members(flow.consumer), model.types[flow.message_type], shape, weight,
                          datamart=flow.channel == "datamart")
        pw = scenario.workload.portal
        if pw is None or model.portal is None:
            return
        shape = flow_rate(pw.rate, horizon, profiles.get(pw.profile) if pw.profile else None,
                          model.bursts_for(PORTAL))
        _add(self.portal_parts, shape, weight)
        _add(self.esia_parts, shape, weight * pw.login_share)
        total = sum(service.share for service in pw.services) or 1.0
        for service in pw.services:
            for step in service.steps:
                for type_name in step:
                    self.requests(model.members(service.sender), model.types[type_name], shape,
                                  weight * service.share / total)

    def requests(self, senders: list, info: TypeInfo, shape: PiecewiseRate, weight: float,
                 datamart: bool = False) -> None:
        if not senders or weight <= 0.0:
            return
        each = weight / len(senders)
        for sender in senders:
            _add(self.sender_parts.setdefault(sender, {}), shape, each)
            if info.spec.broadcast:
                self._broadcast(sender, info, shape, each)
                continue
            local = [p for p in info.by_region.get(getattr(sender, "region", None), ()) if p is not sender]
            pool = local or [p for p in info.providers if p is not sender] or info.providers
            request_bits, answer_bits = self._mean_bits(info)
            for provider in pool:
                w = each / len(pool)
                for p, route in self.factory.route_options(sender, provider):
                    self._ingress(route, sender.location, shape, w * p)
                    self._ingress(route[::-1], provider.location, shape, w * p)
                    rate = shape.mean_over(self.model.world.kernel.horizon) * w * p
                    self._carry(route, sender.location, provider.location, rate * request_bits)
                    self._carry(route[::-1], provider.location, sender.location, rate * answer_bits)
                _add(self.sender_parts.setdefault(provider, {}), shape, w)  # its answer
                if not datamart:
                    _add(self.provider_parts.setdefault(provider, {}).setdefault(info.name, {}), shape, w)

    def _broadcast(self, publisher: Any, info: TypeInfo, shape: PiecewiseRate, weight: float) -> None:
        bus, share = self.factory.regional_choice(publisher)
        for first, p in [(bus, share), (None, 1.0 - share)]:
            if p <= 0.0:
                continue
            checked = False
            for sub in info.subscribers:
                for q, route in self.factory.route_options(publisher, sub, first):
                    self._ingress(route, publisher.location, shape, weight * p * q, skip=1 if checked else 0)
                checked = True
                _add(self.provider_parts.setdefault(sub, {}).setdefault(info.name, {}), shape, weight * p)

    @staticmethod
    def _mean_bits(info: TypeInfo) -> tuple[float, float]:
        """Mean bits of a request and of an answer of a type (attachments included at their share)."""
        spec = info.spec
        attachment = spec.attachment_share * spec.attachment_size.mean if spec.attachment_size is not None else 0.0
        return 8.0 * (spec.payload_size.mean + attachment), 8.0 * (spec.answer_size.mean + attachment)

    def _carry(self, route: Sequence[Bus], origin: str, destination: str, bits_per_s: float) -> None:
        """The links a message crosses from `origin` to `destination` over `route` (to each bus's entry site, relayed
        between buses, fetched by the recipient; copied to the other replicas where a bus keeps more than one), at
        `bits_per_s` on average."""
        if bits_per_s <= 0.0:
            return
        network = self.model.world.network
        hops: list[tuple[str, str]] = []
        location = origin
        previous = None
        for bus in route:
            if previous is not None:
                site = previous.entry_site(bus.order[0]) or previous.entry_site(location)
                location = site.location if site is not None else location
            previous = bus
            site = bus.entry_site(location)
            if site is None:
                return
            hops.append((location, site.location))
            if bus.replication_factor > 1:
                hops.extend((site.location, dc) for dc in bus._replicas(site.location) if dc != site.location)
            location = site.location
        hops.append((location, destination))
        for a, b in hops:
            for link in (network.path(a, b) or ()) if a != b else ():
                entry = self.link_bits.setdefault(id(link), [link, 0.0])
                entry[1] += bits_per_s

    def _ingress(self, route: Iterable[Bus], origin: str, shape: PiecewiseRate, weight: float,
                 skip: int = 0) -> None:
        """One message over `route`, sent from `origin`: the site each bus takes it at (a relay hands it from the
        previous bus's site nearest to the next bus)."""
        location = origin
        previous = None
        for k, bus in enumerate(route):
            if previous is not None:
                site = previous.entry_site(bus.order[0]) or previous.entry_site(location)
                location = site.location if site is not None else location
            previous = bus
            site = bus.entry_site(location)
            if k < skip or site is None:
                continue
            _add(self.bus_parts.setdefault((bus, site.location), {}), shape, weight)

    # --- installing it ---------------------------------------------------------------------------------------------

    def install(self, rng: np.random.Generator) -> dict[str, float]:
        """Streams and shared stations for everything added; returns the offered background utilisation by
        component or group (the highest member's), which the summary reports."""
        model = self.model
        world = model.world
        horizon = world.kernel.horizon
        warmup, cells = world.collector.warmup, world.collector.cells
        offered: dict[str, float] = {}

        def note(name: str, rho: float) -> None:
            offered[name] = max(offered.get(name, 0.0), rho)

        policies = model.scenario.policies
        for (bus, home), parts in self.bus_parts.items():
            stream = JobStream([(_combined(parts), bus.ingress.dist)], rng, horizon)

            def nodes(bus: Bus = bus, home: str = home) -> list:
                site = bus.entry_site(home)
                return site.nodes if site is not None and world.dc_up(site.location) else []

            bus.feeds.append(StationFeed(stream, nodes, warmup, horizon, Rules(policies.ttl, None, policies.retry),
                                         cells))
            self.feeds.append(bus.feeds[-1])
        for bus in model.buses():
            if not bus.feeds:
                continue
            capacity = sum(site.capacity for site in bus.sites.values()) or 1
            work = sum(feed.stream.offered_work for feed in bus.feeds)
            note("smev" if bus is model.smev else "rsmev", work / capacity)
            for site in bus.sites.values():
                site.nodes = [PooledStation.replacing(node, bus.feeds) for node in site.nodes]
        portal = model.portal
        if portal is not None and self.portal_parts:
            for name, owner, parts, dist in (("portal", portal, self.portal_parts, portal.spec.service_time),
                                             ("esia", model.esia, self.esia_parts, model.esia.login_time.dist)):
                stream = JobStream([(_combined(parts), dist)], rng, horizon)
                feed = StationFeed(stream, lambda owner=owner: [owner.station], warmup, horizon, cells=cells)
                owner.station = PooledStation.replacing(owner.station, [feed])
                self.feeds.append(feed)
                note(name, stream.offered_work / owner.station.servers)
        for provider, by_type in self.provider_parts.items():
            parts = [(_combined(p), provider.type_processing.get(t, provider.processing).dist)
                     for t, p in by_type.items()]
            stream = JobStream(parts, rng, horizon)
            if not stream.parts:
                continue
            capacity = self._inbox_bus(provider).queue_capacity
            rules = {t: Rules(model.types[t].ttl, capacity, policies.retry) for t in by_type}
            provider.pool = WorkerPool(world.kernel, provider.concurrency, stream, warmup, self._hold(provider),
                                       lambda p=provider: p.slow, list(by_type), rules, cells)
            self.pools.append(provider.pool)
            note(provider.spec.group, stream.offered_work / provider.concurrency)
        for link, bits in self.link_bits.values():  # links: the background takes its mean rate off the bandwidth
            link.background_bps = bits
            note(f"link.{link.a}-{link.b}", bits / link.bandwidth_bps)
        world.network.changed()
        for sender, parts in self.sender_parts.items():  # quotas count the background's messages too
            spec = getattr(sender, "spec", None)
            quota = policies.quota_for(spec) if spec is not None else None
            if quota is not None and (quota.rate is not None or quota.block_after is not None):
                model.admission.background[sender.name] = JobStream([(_combined(parts), _NO_SERVICE)], rng, horizon)
                model.admission.senders[sender.name] = sender
        return {name: round(float(rho), 4) for name, rho in sorted(offered.items())}

    def counts(self) -> dict[str, int]:
        """Background jobs drawn, dropped for want of a live node, abandoned at ingress (each attempt), expired
        waiting for a provider, refused by a full queue (each attempt) and given up by their senders (for the
        summary's model counters)."""
        streams = [feed.stream for feed in self.feeds] + [pool.stream for pool in self.pools]
        return {"background.jobs": sum(stream.jobs for stream in streams),
                "background.dropped": sum(feed.dropped for feed in self.feeds),
                "background.abandoned": sum(feed.abandoned for feed in self.feeds),
                "background.expired": sum(pool.expired for pool in self.pools),
                "background.refused_full": sum(pool.refused for pool in self.pools),
                "background.gave_up": sum(pool.gave_up for pool in self.pools)}

    def _inbox_bus(self, provider: Participant) -> Bus:
        """The bus most of a provider's requests are queued on (its regional bus if it uses it for most)."""
        bus, share = self.factory.regional_choice(provider)
        return self.model.smev if bus is None or share < 0.5 else bus

    def _hold(self, provider: Participant) -> float:
        """What a background request holds a worker for besides processing: the bus's mean delivery time and the
        mean network time to the bus site and back."""
        model = self.model
        bus = self._inbox_bus(provider)
        site = bus.entry_site(provider.location)
        latency = 0.0
        if site is not None and site.location != provider.location:
            latency = sum(link.mean_latency for link in model.world.network.path(provider.location, site.location)
                          or ())
        return bus.delivery.mean + 2.0 * latency


__all__ = ["BackgroundLoad"]
