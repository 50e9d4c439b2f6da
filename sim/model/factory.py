"""Making messages: sizes, fragments, end of life, misbehaviour, and the route by 451 §9.

Federal participants use the federal bus. A regional or municipal body uses its region's bus for a share
`via_regional_share` of its messages; inside one region such a message never leaves the regional bus, across
regions (or to a federal body) it goes regional bus -> federal bus -> (the recipient's regional bus).
A response goes back the way its request came.
"""

from __future__ import annotations

import math
from typing import Any

from sim.engine import Sampler
from sim.model.bus import Bus
from sim.model.message import BROADCAST, REQUEST, RESPONSE, Msg
from sim.model.world import World
from sim.scenario.model import REGIONAL_KINDS


class TypeInfo:
    """A message type with its samplers and its providers, by region for providers that are groups."""

    def __init__(self, world: World, spec: Any, providers: list, subscribers: list) -> None:
        self.spec = spec
        self.name = spec.name
        self.cls = "realtime" if spec.realtime else "async"
        self.payload = Sampler(spec.payload_size, world.rng)
        self.answer = Sampler(spec.answer_size, world.rng)
        self.attachment = Sampler(spec.attachment_size, world.rng) if spec.attachment_size is not None else None
        self.providers = providers
        self.by_region: dict[str | None, list] = {}
        for p in providers:
            self.by_region.setdefault(p.region, []).append(p)
        self.subscribers = subscribers
        policies = world.policies
        self.ttl = spec.ttl if spec.ttl is not None else (policies.realtime_ttl if spec.realtime else policies.ttl)


class MessageFactory:
    def __init__(self, world: World, smev: Bus, regional: dict[str, Bus], types: dict[str, TypeInfo]) -> None:
        self.world = world
        self.smev = smev
        self.regional = regional
        self.types = types
        self.threshold = world.policies.fragmentation_threshold
        self.fragment_size = max(world.policies.fragment_size, 1)

    # --- routing (451 §9) -----------------------------------------------------------------------------------------

    def regional_choice(self, endpoint: Any) -> tuple[Bus | None, float]:
        """The regional bus an endpoint may use and the share of its messages that use it (0: none)."""
        spec = getattr(endpoint, "spec", None)
        region = getattr(endpoint, "region", None)
        if spec is None or region is None or spec.kind not in REGIONAL_KINDS or spec.via_regional_share <= 0:
            return None, 0.0
        bus = self.regional.get(region)
        return (bus, min(spec.via_regional_share, 1.0)) if bus is not None else (None, 0.0)

    def _regional_bus(self, endpoint: Any) -> Bus | None:
        bus, share = self.regional_choice(endpoint)
        if bus is None:
            return None
        return bus if share >= 1.0 or self.world.rng.random() < share else None

    def route(self, sender: Any, recipient: Any, first: Any = ...) -> tuple[Bus, ...]:
        """The buses from `sender` to `recipient`; `first` fixes the sender's choice of bus (None: the federal one)."""
        if first is ...:
            first = self._regional_bus(sender)
        if first is not None and _stays_in_region(sender, recipient):
            return (first,)
        return tuple(b for b in (first, self.smev, self._regional_bus(recipient)) if b is not None)

    def route_options(self, sender: Any, recipient: Any, first: Any = ...) -> list[tuple[float, tuple[Bus, ...]]]:
        """Every route `route` may give, with its probability (for the background's expected load)."""
        def options(endpoint: Any) -> list[tuple[Bus | None, float]]:
            bus, share = self.regional_choice(endpoint)
            return [(bus, share), (None, 1.0 - share)] if 0.0 < share < 1.0 else [(bus, 1.0)]

        routes = []
        for a, p1 in [(first, 1.0)] if first is not ... else options(sender):
            if a is not None and _stays_in_region(sender, recipient):
                routes.append((p1, (a,)))
                continue
            routes.extend((p1 * p2, tuple(x for x in (a, self.smev, b) if x is not None)) for b, p2 in options(recipient))
        return routes

    # --- messages -----------------------------------------------------------------------------------------------------

    def provider_for(self, info: TypeInfo, consumer: Any) -> Any:
        """The member of the provider group in the consumer's region if there is one, else any member; never the
        consumer itself when another member exists (a body does not ask itself)."""
        local = [p for p in info.by_region.get(getattr(consumer, "region", None), ()) if p is not consumer]
        pool = local or [p for p in info.providers if p is not consumer] or info.providers
        return pool[int(self.world.rng.integers(len(pool)))] if len(pool) > 1 else pool[0]

    def _new(self, kind: str, info: TypeInfo, sender: Any, recipient: Any, size: int, route: tuple,
             request: Msg | None = None, context: Any = None) -> Msg:
        world = self.world
        now = world.now
        expires = request.expires if request is not None else now + info.ttl
        if kind == RESPONSE:
            expires = max(expires, now + info.ttl)  # an answer gets its own end of life
        msg = Msg(world.new_id(), kind, info.name, info.cls, sender, recipient, size, now, expires, route,
                  request, context)
        if size > self.threshold:
            msg.fragments = math.ceil(size / self.fragment_size)
            world.count("fragments", msg.fragments)
        for behaviour, share, asked_type in getattr(sender, "misbehaviour", ()):
            if share >= 1.0 or world.rng.random() < share:
                if behaviour == "bad-signature":
                    msg.bad_signature = True
                elif behaviour == "schema-violation":
                    msg.bad_schema = True
                elif behaviour == "unauthorised" and kind == REQUEST:
                    msg.unauthorised = asked_type
        return msg

    def _size(self, info: TypeInfo, base: Sampler) -> int:
        size = base()
        if info.attachment is not None and self.world.rng.random() < info.spec.attachment_share:
            size += info.attachment()
        return max(int(size), 1)

    def request(self, sender: Any, info: TypeInfo, context: Any = None, datamart: bool = False) -> Msg:
        provider = self.provider_for(info, sender)
        msg = self._new(REQUEST, info, sender, provider, self._size(info, info.payload),
                        self.route(sender, provider), context=context)
        msg.datamart = datamart
        return msg

    def response(self, request: Msg, provider: Any) -> Msg:
        info = self.types[request.type]
        route = tuple(reversed(request.route))
        msg = self._new(RESPONSE, info, provider.owner if hasattr(provider, "owner") else provider,
                        request.sender, self._size(info, info.answer), route, request=request)
        return msg

    def broadcast(self, publisher: Any, info: TypeInfo) -> Msg | None:
        """A broadcast (697 §6г, §7.1): no request; every subscriber receives a copy. The publisher sends it once:
        the returned lead copy carries the others, the first bus checks it once and queues a copy per subscriber."""
        if not info.subscribers:
            return None
        size = self._size(info, info.payload)
        first = self._regional_bus(publisher)
        copies = [self._new(BROADCAST, info, publisher, sub, size, self.route(publisher, sub, first))
                  for sub in info.subscribers]
        lead = copies[0]
        lead.copies = copies[1:]
        for copy in lead.copies:
            copy.bad_signature, copy.bad_schema = lead.bad_signature, lead.bad_schema
        return lead


def _stays_in_region(sender: Any, recipient: Any) -> bool:
    """A message from a regional body to a regional body of the same region never leaves the regional bus."""
    return getattr(recipient, "region", None) == sender.region and \
        getattr(getattr(recipient, "spec", None), "kind", None) in REGIONAL_KINDS
