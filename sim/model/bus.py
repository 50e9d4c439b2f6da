"""The federal bus (SMEV) and the regional buses: sites, nodes, the ingress pipeline, per-type queues with replicas.

A message submitted to a bus travels to the client's nearest usable site, waits for a node (join the shortest
queue among the site's live nodes), and goes through the ingress pipeline (697 §6н, §6л, §6ж, §6м): signature
(needs a valid CRL, see `sim.model.ca`), schema, access matrix, quota and blocking. An accepted message is put
into the recipient's queue of its type: that instant is the request time of 697 decree §8. Queues are persisted
on `replication_factor` data centres; delivery is by polling with Ack, redelivery after the ack timeout.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from conformance.protocol.codes import FaultName, StatusCategory
from sim.engine import Sampler, ServiceCentre, Station
from sim.model.ca import CertificationAuthority, CrlCache
from sim.model.message import DONE, IN_FLIGHT, QUEUED, REQUEST, RESPONSE, Msg
from sim.model.world import World

if TYPE_CHECKING:
    from sim.model.endpoints import Endpoint

# Outcomes of a send, as the sender sees them.
OK, DUPLICATE, RETRY, REJECTED, EXPIRED = "ok", "duplicate", "retry", "rejected", "expired"

QUEUED_STATUS = {REQUEST: StatusCategory.REQUEST_IS_QUEUED, "response": StatusCategory.RESPONSE_IS_QUEUED}
_QUEUED_COUNTER = {kind: f"status.{status}" for kind, status in QUEUED_STATUS.items()}  # the counter of each kind
_QUEUED_COUNTER_DEFAULT = f"status.{StatusCategory.REQUEST_IS_QUEUED}"
REJECTED_STATUS = {REQUEST: StatusCategory.REQUEST_IS_REJECTED_BY_SMEV,
                   "response": StatusCategory.RESPONSE_IS_REJECTED_BY_SMEV}

_UNKNOWN = object()

STATUS_SIZE = 2048
"""Bytes of a status message (697 §6о) on the wire: a signed envelope with a status category and a few fields."""


def send_status(world: World, from_loc: str, sender: Any, counter: str) -> None:
    """A status message (697 §6о) for the sender of a message: counted by category (`counter`) and carried from the
    bus site at `from_loc` to the sender's system over the network, taking its time at the links' current share
    (`status.received` when it arrives within the run; one that cannot reach the sender is `status.undeliverable`).
    Nothing waits for it, so its arrival is counted when it is sent, with no event of its own."""
    counters = world.counters
    counters[counter] = counters.get(counter, 0) + 1
    to = getattr(sender, "location", None)
    t = world.network.transfer(from_loc, to, STATUS_SIZE) if to is not None else None
    if t is None:
        world.count("status.undeliverable")
    elif world.kernel.now + t <= world.kernel.horizon:
        counters["status.received"] = counters.get("status.received", 0) + 1

Reply = Callable[[str, str], None]
"""`reply(outcome, reason)`; a reply function with `needs_ok = False` is not called on success (saves an event)."""


class BusQueue:
    """The queue of one recipient (a participant's system or the next bus) for one message type on one bus.

    Taken messages stay stored, invisible, until acked; a message not acked within the ack timeout becomes visible
    again (checked lazily when the queue is next polled: no timer per message). A queue that may hold anything is
    in its bus's `occupied` set (added when a message is put or given back), so the janitor visits only those.
    """

    __slots__ = ("bus", "owner", "type", "visible", "in_flight", "deferred", "seq", "kernel")

    def __init__(self, bus: Bus, owner: Endpoint, type_name: str) -> None:
        self.bus = bus
        self.owner = owner
        self.type = type_name
        self.visible: deque[Msg] = deque()
        self.in_flight: deque[tuple[float, Msg, int]] = deque()
        self.deferred: dict[Msg, None] = {}  # stored, waiting for a worker shared with background (`reveal`), in order
        self.seq = len(bus.queues)  # creation order: the janitor sweeps occupied queues in this order
        self.kernel = bus.world.kernel

    def __len__(self) -> int:
        return len(self.visible)

    def waiting(self) -> int:
        """Messages waiting here, as a bounded queue counts them: the visible ones, plus the requests (tagged and
        background) waiting for a worker the owner shares with background (`WorkerPool.waiting_count`)."""
        pool = self.owner.pool
        if pool is None:
            return len(self.visible)
        return len(self.visible) + pool.waiting_count(self.type, self.kernel.now)

    def put(self, msg: Msg) -> None:
        msg.state = QUEUED
        msg.inbox_at = self.kernel.now
        meter = self.owner.meter
        if meter is not None and msg.kind == REQUEST:  # it joins the provider's station (per-station results)
            msg.station = meter
            msg.arrived = now = self.kernel.now
            meter.arrive(now)
        pool = self.owner.pool
        if pool is not None and msg.kind != RESPONSE:  # the owner's workers are shared with background requests
            msg.processing = self.owner.service_time(msg)
            ready = pool.reserve(msg, self.kernel.now, msg.processing, self.reveal_at)
            if ready is None or ready > self.kernel.now:  # None: the owner is down; its pool calls reveal_at later
                self.deferred[msg] = None
                if ready is not None:
                    self.reveal_at(msg, ready)
                return
        self.visible.append(msg)
        self.bus.occupied.add(self)
        self.owner.notify()

    def reveal_at(self, msg: Msg, at: float) -> None:
        self.bus.world.kernel.later(at - self.kernel.now, self.reveal, msg)

    def reveal(self, msg: Msg) -> None:
        """A request whose reserved worker is free now becomes visible to its owner's polls."""
        self.deferred.pop(msg, None)
        if msg.state != QUEUED or not self.bus.holds(msg):
            return
        self.visible.append(msg)
        self.bus.occupied.add(self)
        self.owner.notify_now()

    def has_visible(self) -> bool:
        in_flight = self.in_flight
        if in_flight and in_flight[0][0] <= self.kernel.now:
            self._reclaim()
        return bool(self.visible)

    def take(self) -> Msg | None:
        """The oldest deliverable message, now in flight; expired ones met on the way are closed."""
        bus = self.bus
        world = bus.world
        now = world.now
        in_flight = self.in_flight
        if in_flight and in_flight[0][0] <= now:
            self._reclaim()
        while self.visible:
            msg = self.visible.popleft()
            if msg.state != QUEUED or not bus.holds(msg):
                continue
            if now >= msg.expires:
                bus.close(msg, "expired")
                continue
            msg.state = IN_FLIGHT
            msg.attempts += 1
            if not msg.store_taken and msg.store is not None:  # its delivery starts (redeliveries continue it)
                msg.store_taken = True
                msg.store.start(now, msg.stored)
            self.in_flight.append((now + bus.ack_timeout, msg, msg.attempts))
            return msg
        return None

    def release(self, msg: Msg) -> None:
        """Give a taken message back at the head of the queue (its taker could not pass it on), unless the next bus
        accepted it after all (its acceptance crossed a lost reply)."""
        if self.bus.holds(msg) and msg.state == IN_FLIGHT:
            msg.state = QUEUED
            self.visible.appendleft(msg)
            self.bus.occupied.add(self)

    def _reclaim(self) -> None:
        in_flight = self.in_flight
        if not in_flight:
            return
        now = self.bus.world.now
        while in_flight and in_flight[0][0] <= now:
            _, msg, attempt = in_flight.popleft()
            if msg.state != IN_FLIGHT or msg.attempts != attempt or not self.bus.holds(msg):
                continue
            if msg.orphaned and not msg.delivered:
                self.bus.close(msg, "lost", "data centre lost")
            elif msg.attempts > self.bus.world.policies.max_redeliveries:
                self.bus.close(msg, "expired", "redeliveries exhausted")
            else:
                self.bus.world.count("redeliveries")
                self.bus.world.audit.record(now, msg, "ack-timeout", self.bus.name)
                msg.state = QUEUED
                self.visible.appendleft(msg)

    def purge_lost(self, alive: Callable[[Msg], bool]) -> None:
        """After a data centre loss: close the queued messages with no surviving replica; orphan those in flight."""
        keep: deque[Msg] = deque()
        for msg in self.visible:
            if msg.state != QUEUED or not self.bus.holds(msg):
                continue
            if alive(msg):
                keep.append(msg)
            else:
                self.bus.close(msg, "lost", "data centre lost")
        self.visible = keep
        for msg in [m for m in self.deferred if not alive(m)]:
            del self.deferred[msg]
            if msg.state == QUEUED and self.bus.holds(msg):
                self.bus.close(msg, "lost", "data centre lost")
        for _, msg, _ in self.in_flight:
            if msg.state == IN_FLIGHT and self.bus.holds(msg) and not alive(msg):
                msg.orphaned = True


def leave_store(msg: Msg, now: float, delivered: bool) -> None:
    """`msg` leaves the delivery store it is in: delivered (acked, or handed on to the next bus), or not (closed:
    expired or lost; in delivery or still waiting)."""
    store = msg.store
    if store is not None:
        if not msg.store_taken:
            store.leave(now, msg.stored)
        elif delivered:
            store.finish(now, msg.stored)
        else:
            store.leave(now, msg.stored, True)
        msg.store = None


def _creation(q: BusQueue) -> int:
    return q.seq


class _ReplyOnce:
    """A reply that reaches its sender once: the first of the bus's answer and the sender's own timeout wins."""

    __slots__ = ("fn", "done")
    needs_ok = True  # the answer must arrive to cancel the timeout

    def __init__(self, fn: Reply) -> None:
        self.fn = fn
        self.done = False

    def __call__(self, outcome: str, reason: str) -> None:
        if not self.done:
            self.done = True
            self.fn(outcome, reason)


class Site:
    """A bus's presence in one location (a data centre for SMEV, the region for a regional bus)."""

    def __init__(self, bus: Bus, location: str, nodes: int, concurrency: int, ca: CertificationAuthority) -> None:
        self.bus = bus
        self.location = location
        collector = bus.world.collector
        component = self.component
        # every node is two stations (sim.metrics.stations): its entrance (ingress, `concurrency` servers) and its
        # delivery store (the messages it accepted, waiting for a poll, then in delivery until acked or handed on:
        # a delay station); the site reports both of its nodes' together as well
        self.nodes = [Station(bus.world.kernel, f"{component}.node{i}", concurrency, on_drop=self._dropped,
                              meter=collector.station(f"{component}.node{i}.entrance", concurrency, "entrance"))
                      for i in range(nodes)]
        self.stores = [ServiceCentre(bus.world.kernel, f"{component}.node{i}.delivery", None,
                                     collector.station(f"{component}.node{i}.delivery", None, "delivery"))
                       for i in range(nodes)]
        self._done = {node.name: partial(self._ingressed, store.meter) for node, store in zip(self.nodes, self.stores,
                                                                                         strict=True)}  # per node
        collector.station_group(f"{component}.entrance", [node.meter for node in self.nodes], "entrance")
        collector.station_group(f"{component}.delivery", [store.meter for store in self.stores], "delivery")
        self.crl = CrlCache(bus.world, ca, location)

    @property
    def component(self) -> str:
        """`smev.<data centre>` for the federal bus; a regional bus (one site, in its region) is `rsmev.<region>`."""
        return self.bus.name if self.bus.name.endswith(f".{self.location}") else f"{self.bus.name}.{self.location}"

    @property
    def capacity(self) -> int:
        return sum(node.servers for node in self.nodes)

    @property
    def up(self) -> bool:
        return self.bus.world.dc_up(self.location) and any(node.up for node in self.nodes)

    def _dropped(self, jobs: list) -> None:
        """Jobs lost with a crashed node: each sender hears nothing and retries after its timeout."""
        timeout = self.bus.world.policies.retry.timeout
        for _msg, _from, reply in jobs:
            self.bus.world.kernel.later(timeout, reply, RETRY, FaultName.SMEV_FAILURE)

    def arrive(self, msg: Msg, from_loc: str, reply: Reply, sent_at: float) -> None:
        world = self.bus.world
        live = [node for node in self.nodes if node.up] if world.dc_up(self.location) else []
        if not live:
            world.kernel.later(max(world.policies.retry.timeout - (world.now - sent_at), 0.0),
                               reply, RETRY, FaultName.SMEV_FAILURE)
            return
        if self.bus.feeds:
            self._arrive_pooled(msg, from_loc, reply, sent_at, live)
            return
        node = live[0]
        if len(live) > 1:  # the shortest queue, the first of equals (min(live, key=depth), without a call per node)
            best = len(node.queue) - node.abandoned + node.busy
            for other in live:
                depth = len(other.queue) - other.abandoned + other.busy
                if depth < best:
                    node, best = other, depth
        service = self.bus.ingress() * msg.fragments
        if node.busy < node.servers:  # served at once: no timer (the common case)
            node.submit((msg, from_loc, reply), service, self._done[node.name])
            return
        # it has to wait for a worker: the sender stops waiting after its timeout and retries; its job then leaves
        # the queue (`Station.abandon`). A sender whose time is already up is never queued (as `_arrive_pooled`).
        patience = max(world.policies.retry.timeout - (world.now - sent_at), 0.0)
        if patience <= 0.0:
            world.kernel.later(0.0, reply, RETRY, "timeout")
            return
        reply = _ReplyOnce(reply)
        handle = node.submit((msg, from_loc, reply), service, self._done[node.name])
        world.kernel.later(patience, self._gave_up, node, handle, reply)

    @staticmethod
    def _gave_up(node: Station, handle: list | None, reply: _ReplyOnce) -> None:
        """The sender of a job that had to wait stops waiting: its job leaves the queue if still there (one already
        in service runs to its end, its answer unheard); the sender retries unless the bus answered it first."""
        if handle is not None:
            node.abandon(handle)
        reply(RETRY, "timeout")

    def _arrive_pooled(self, msg: Msg, from_loc: str, reply: Reply, sent_at: float, live: list) -> None:
        """`arrive` on nodes shared with background jobs (`sim.model.background`): the node that can start the job
        soonest takes it; a sender that would give up before its job starts is never served (it retries)."""
        world = self.bus.world
        now = world.now
        for feed in self.bus.feeds:
            feed.advance(now)
        node = live[0]
        start = node.start_time()
        for other in live[1:]:
            t = other.start_time()
            if t < start:
                node, start = other, t
        if start > now:
            patience = max(world.policies.retry.timeout - (now - sent_at), 0.0)
            if start - now >= patience:
                world.kernel.later(patience, reply, RETRY, "timeout")
                return
            reply = _ReplyOnce(reply)
            world.kernel.later(patience, reply, RETRY, "timeout")
        node.submit((msg, from_loc, reply), self.bus.ingress() * msg.fragments, self._done[node.name])

    def _ingressed(self, store: Any, job: tuple) -> None:
        msg, from_loc, reply = job
        msg.entry = store  # accepted here, it joins this node's delivery store
        self.bus.pipeline(self, msg, from_loc, reply)


class _Replication:
    """Storing an accepted message on the other data centres of its replica set before the sender is told (a
    synchronous write): the message, broadcast copies included, crosses the inter-data-centre links to each (sharing
    their bandwidth, `Network.send`) and each replica's confirmation comes back; then `Bus.commit`. When a replica
    cannot be reached (a link down, a data centre lost while the copy travelled), the message is not accepted: the
    sender gets SMEVFailure and retries, as a synchronous replicated write refuses what it could not store on its
    replica set; accepting it on fewer data centres would let a later data-centre loss lose an accepted message."""

    __slots__ = ("bus", "site", "msg", "q", "first", "from_loc", "reply", "replicas", "left", "stored")

    def __init__(self, bus: Bus, site: Site, msg: Msg, q: BusQueue, first: bool, from_loc: str, reply: Reply,
                 replicas: tuple[str, ...]) -> None:
        self.bus, self.site, self.msg, self.q, self.first = bus, site, msg, q, first
        self.from_loc, self.reply, self.replicas = from_loc, reply, replicas
        self.left = 0
        self.stored: set[str] = {site.location}

    def start(self) -> None:
        world = self.bus.world
        net = world.network
        here = self.site.location
        msg = self.msg
        size = msg.size * (1 + len(msg.copies)) if self.first else msg.size
        others = [dc for dc in self.replicas if dc != here]
        self.left = len(others)
        world.count("replication.copies", len(others))
        for dc in others:
            if net.is_small(here, dc, size):
                there = net.transfer(here, dc, size)
                back = net.transfer(dc, here, 64) if there is not None else None
                if back is None:
                    self.failed()
                else:
                    world.kernel.later(there + back, self.stored_at, dc)
            elif not net.send(here, dc, size, self.arrived, dc):
                self.failed()

    def arrived(self, dc: str) -> None:
        back = self.bus.world.network.transfer(dc, self.site.location, 64)
        if back is None:
            self.failed()
        else:
            self.bus.world.kernel.later(back, self.stored_at, dc)

    def stored_at(self, dc: str) -> None:
        self.stored.add(dc)
        self._one_done()

    def failed(self) -> None:
        self.bus.world.count("replication.unreachable")
        self._one_done()

    def _one_done(self) -> None:
        self.left -= 1
        if self.left == 0:
            if len(self.stored) < len(self.replicas) - 1:
                self.bus.world.count("replication.refused")
                self.bus._answer(self.site, self.from_loc, self.reply, RETRY, FaultName.SMEV_FAILURE, self.msg)
                return
            self.bus.commit(self.site, self.msg, self.q, self.first, self.from_loc, self.reply, self.replicas)


class Bus:
    """One bus: the federal one (sites in data centres, replicated) or a region's (one site, in the region)."""

    def __init__(
        self,
        world: World,
        name: str,
        sites: dict[str, int],
        concurrency: int,
        ingress: Sampler,
        delivery: Sampler,
        queue_capacity: int | None,
        ca: CertificationAuthority,
        replication_factor: int,
        access: Callable[[Msg], bool],
        admission: Any,
    ) -> None:
        self.world = world
        self.name = name
        self.ingress = ingress
        self.delivery = delivery
        self.queue_capacity = queue_capacity
        self.replication_factor = replication_factor
        self.ack_timeout = world.policies.ack_timeout
        self.access = access
        self.admission = admission  # sim.model.limits.Admission: quotas, blocking, billing
        self.feeds: list = []  # background streams sharing the nodes (sim.model.background.StationFeed)
        self.sites = {loc: Site(self, loc, n, concurrency, ca) for loc, n in sites.items() if n > 0}
        self.order = list(self.sites)
        self.queues: dict[tuple[str, str], BusQueue] = {}
        self.occupied: set[BusQueue] = set()  # queues that may hold a message, visible or in flight
        self.depth: dict[str, int] = {}
        self._depth_components: dict[str, str] = {}  # message type -> the collector's name of its queue depth
        self.held = 0  # messages stored here, all types
        self._nearest: dict[str, list[Site]] = {}
        self._relays: dict[str, Endpoint] = {}
        self._entry: dict[str, Site | None] = {}
        self._replica_sets: dict[str, tuple[str, ...]] = {}
        # makes the relay from an upstream bus into this one: `sim.model.endpoints.Relay`, set by whoever wires the
        # model (the endpoints stand on the bus, not the other way round)
        self.make_relay: Callable[[World, Bus, Bus], Endpoint] | None = None

    # --- placement ------------------------------------------------------------------------------------------------

    def entry_site(self, location: str) -> Site | None:
        """The site a client at `location` uses: the nearest reachable one not known to be down (a site that went
        down less than the detection time ago is still chosen: the client has not noticed yet). Cached until the
        topology changes (`forget_routes`: faults, and the moment a failure is noticed)."""
        chosen = self._entry.get(location, _UNKNOWN)
        if chosen is not _UNKNOWN:
            return chosen
        chosen = self._entry[location] = self._choose_site(location)
        return chosen

    def _choose_site(self, location: str) -> Site | None:
        world = self.world
        order = self._nearest.get(location)
        if order is None:
            net = world.network

            def distance(site: Site) -> float:
                if site.location == location:
                    return 0.0
                hops = net.path(location, site.location)
                return sum(link.mean_latency for link in hops) if hops else float("inf")

            order = self._nearest[location] = sorted(self.sites.values(), key=distance)
        for site in order:
            if world.dc_known_down(site.location):
                continue
            if any(node.up for node in site.nodes) and world.network.reachable(location, site.location):
                return site
        return None

    def forget_routes(self) -> None:
        """Forget cached choices (entry sites, replica sets): the topology or a data centre's state changed."""
        self._nearest.clear()
        self._entry.clear()
        self._replica_sets.clear()

    def queue(self, owner: Endpoint, type_name: str) -> BusQueue:
        key = (owner.name, type_name)
        q = self.queues.get(key)
        if q is None:
            q = self.queues[key] = BusQueue(self, owner, type_name)
            owner.attach(q)
        return q

    # --- sending ----------------------------------------------------------------------------------------------------

    def submit(self, msg: Msg, from_loc: str, reply: Reply) -> None:
        """Carry `msg` from `from_loc` to a site and through ingress; `reply(outcome, reason)` reaches the sender."""
        world = self.world
        timeout = world.policies.retry.timeout
        site = self.entry_site(from_loc)
        if site is None or not world.network.send(from_loc, site.location, msg.size, site.arrive, msg, from_loc,
                                                  reply, world.now):
            world.kernel.later(timeout, reply, RETRY, "unreachable")

    def pipeline(self, site: Site, msg: Msg, from_loc: str, reply: Reply) -> None:
        k = msg.route.index(self)
        if msg.hop >= k:  # this bus (or one further on) already holds it: a sender's retry after a lost reply
            self.world.collector.duplicate_suppressed(msg.id, self.world.now)
            self._answer(site, from_loc, reply, DUPLICATE, FaultName.MESSAGE_IS_ALREADY_SENT, msg)
            return
        first = k == 0
        if first and self.world.now >= msg.expires:
            self._answer(site, from_loc, reply, EXPIRED, FaultName.END_OF_LIFE_REACHED, msg)
            return
        if first:
            verdict = self.admission.refusal(msg)
            if verdict is not None:
                self._answer(site, from_loc, reply, REJECTED, verdict, msg)
                return
        crl = site.crl
        if self.world.kernel.now < crl.valid_until:  # CrlCache.check's first case, without a closure
            self._verified(True, site, msg, from_loc, reply, first)
            return
        crl.check(lambda ok: self._verified(ok, site, msg, from_loc, reply, first))

    def _verified(self, crl_ok: bool, site: Site, msg: Msg, from_loc: str, reply: Reply, first: bool) -> None:
        if not crl_ok:
            self._answer(site, from_loc, reply, RETRY, FaultName.SMEV_FAILURE, msg)
            return
        if first:
            if msg.bad_signature:
                self._answer(site, from_loc, reply, REJECTED, FaultName.SIGNATURE_VERIFICATION_FAULT, msg)
                return
            if msg.bad_schema:
                self._answer(site, from_loc, reply, REJECTED, FaultName.INVALID_CONTENT, msg)
                return
            if not self.access(msg):
                self._answer(site, from_loc, reply, REJECTED, FaultName.ACCESS_DENIED, msg)
                return
            verdict = self.admission.quota(msg)
            if verdict is not None:
                self._answer(site, from_loc, reply, REJECTED, verdict, msg)
                return
        q = self._target(msg)
        if self.queue_capacity is not None and q.waiting() >= self.queue_capacity:
            self._answer(site, from_loc, reply, RETRY, FaultName.DESTINATION_OVERFLOW, msg)
            return
        replicas = self._replicas(site.location)
        if len(replicas) > 1:
            here = site.location
            if len(replicas) == 2 and replicas[0] == here:  # the usual case, one small copy: no object, one event
                world = self.world
                net = world.network
                dc = replicas[1]
                size = msg.size * (1 + len(msg.copies)) if first else msg.size
                if net.is_small(here, dc, size):
                    there = net.transfer(here, dc, size)
                    back = net.transfer(dc, here, 64) if there is not None else None
                    if back is not None:
                        world.count("replication.copies")
                        world.kernel.later(there + back, self.commit, site, msg, q, first, from_loc, reply, replicas)
                        return
            _Replication(self, site, msg, q, first, from_loc, reply, replicas).start()
            return
        self.commit(site, msg, q, first, from_loc, reply, replicas)

    def commit(self, site: Site, msg: Msg, q: BusQueue, first: bool, from_loc: str, reply: Reply,
               replicas: tuple[str, ...]) -> None:
        """The message is stored on `replicas`: it is accepted, queued and the sender told."""
        if msg.hop >= msg.route.index(self):  # another attempt of the sender's was accepted while this one replicated
            self._answer(site, from_loc, reply, DUPLICATE, FaultName.MESSAGE_IS_ALREADY_SENT, msg)
            return
        self._accept(site, msg, q, first, replicas)
        if first:
            for copy in msg.copies:  # the rest of a broadcast: one copy in each subscriber's queue (697 §6г)
                copy.entry = msg.entry
                self._accept(site, copy, self._target(copy), first, replicas)
        self._answer(site, from_loc, reply, OK, "", msg)

    def _target(self, msg: Msg) -> BusQueue:
        """The queue a message goes into here: the next bus's relay, or the recipient's queue of its type."""
        k = msg.route.index(self)
        nxt = msg.route[k + 1] if k + 1 < len(msg.route) else None
        owner = nxt.relay_from(self) if nxt is not None else msg.recipient.inbox_owner(msg)
        return self.queue(owner, msg.type)

    def _accept(self, site: Site, msg: Msg, q: BusQueue, first: bool, replicas: tuple[str, ...]) -> None:
        world = self.world
        now = world.now
        if first:
            msg.queued = now
            msg.counted = True
            world.collector.message_sent(msg.id, msg.kind, msg.type, msg.cls, msg.sender.name,
                                         msg.recipient.name, now, msg.created)  # created: the consumer's send
            self.admission.bill(msg)
        if msg.hop >= 0:  # handed on by the previous bus of the route, which lets go of its copy now
            previous = msg.route[msg.hop]
            previous._depth(msg.type, -1)
            leave_store(msg, now, True)
            if world.audit.enabled:
                world.audit.record(now, msg, "handed-on", previous.name)
        store = msg.entry
        if store is not None:
            msg.store, msg.stored, msg.store_taken = store, now, False
            store.arrive(now)
        msg.hop = msg.route.index(self)
        msg.replicas = replicas
        if world.audit.enabled:
            world.audit.record(now, msg, "queued", f"{self.name}@{site.location}", ",".join(msg.replicas))
        if first:  # the status message the sender fetches (697 §6о)
            send_status(world, site.location, msg.sender, _QUEUED_COUNTER.get(msg.kind, _QUEUED_COUNTER_DEFAULT))
        self._depth(msg.type, +1)
        q.put(msg)

    def _replicas(self, location: str) -> tuple[str, ...]:
        """The data centres that keep a message accepted at `location`: it and the next live ones, in order."""
        replicas = self._replica_sets.get(location)
        if replicas is None:
            world = self.world
            start = self.order.index(location) if location in self.order else 0
            ring = self.order[start:] + self.order[:start]
            replicas = tuple([dc for dc in ring if world.dc_up(dc)][: self.replication_factor]) or (location,)
            self._replica_sets[location] = replicas
        return replicas

    def _answer(self, site: Site, from_loc: str, reply: Reply, outcome: str, reason: str, msg: Msg) -> None:
        world = self.world
        if outcome == REJECTED and not msg.counted:
            world.audit.record(world.now, msg, "rejected", f"{self.name}@{site.location}", str(reason))
            send_status(world, site.location, msg.sender,
                        f"status.{REJECTED_STATUS.get(msg.kind, StatusCategory.REQUEST_IS_REJECTED_BY_SMEV)}")
        if outcome in (OK, DUPLICATE) and not getattr(reply, "needs_ok", True):
            return  # a participant's sender has nothing left to do on success: no event for the reply
        back = world.network.transfer(site.location, from_loc, 1024)
        if back is None:  # the reply cannot reach the sender: it times out and retries (a duplicate if accepted)
            world.kernel.later(world.policies.retry.timeout, reply, RETRY, "timeout")
            return
        world.kernel.later(back, reply, outcome, str(reason))

    # --- delivery ---------------------------------------------------------------------------------------------------

    def holds(self, msg: Msg) -> bool:
        """The message is stored here (it has not been handed on to the next bus of its route)."""
        return msg.hop >= 0 and msg.route[msg.hop] is self

    def acked(self, msg: Msg) -> None:
        """An Ack reached the bus: the message leaves the store (a late Ack of a redelivered copy changes nothing).
        For a message handed on to the next bus, only this bus's copy goes: the message lives on there."""
        if not self.holds(msg):
            return  # handed on: this bus let go of it when the next one accepted it
        if msg.state != DONE:
            msg.state = DONE
            self._depth(msg.type, -1)
            leave_store(msg, self.world.now, True)
            audit = self.world.audit
            if audit.enabled:
                audit.record(self.world.now, msg, "acked", self.name)

    def close(self, msg: Msg, outcome: str, reason: str = "") -> None:
        """The bus gives up a stored message: it expired (TTL/EOL) or was lost with its data centre."""
        if msg.state == DONE:
            return
        msg.state = DONE
        self._depth(msg.type, -1)
        world = self.world
        leave_store(msg, world.now, False)
        if msg.station is not None:  # it leaves the provider's station unserved
            msg.station.leave(world.now, msg.arrived)
            msg.station = None
        world.audit.record(world.now, msg, outcome, self.name, reason)
        if msg.delivered:
            return
        if outcome == "lost":
            world.collector.message_lost(msg.id, reason, world.now)
        else:
            world.collector.message_expired(msg.id, world.now)
        if msg.kind == REQUEST and msg.context is not None:
            msg.context.failed(msg)
        elif msg.kind == RESPONSE and msg.request is not None:  # the consumer will never get its answer
            world.collector.request_unanswered(msg.request.id, world.now)

    def _depth(self, type_name: str, delta: int) -> None:
        d = self.depth.get(type_name, 0) + delta
        self.depth[type_name] = d
        self.held += delta
        component = self._depth_components.get(type_name)
        if component is None:
            component = self._depth_components[type_name] = f"queue.{self.name}.{type_name}"
        self.world.collector.queue_depth(component, d, self.world.kernel.now)

    def data_centre_lost(self, location: str) -> None:
        """`location`'s storage is gone: messages with no replica left are lost; survivors are re-replicated."""
        world = self.world
        self.forget_routes()

        def alive(msg: Msg) -> bool:
            return any(world.dc_up(dc) for dc in msg.replicas)

        for q in list(self.queues.values()):
            q.purge_lost(alive)
            survivors = [*q.visible, *q.deferred, *(msg for _, msg, _ in q.in_flight if msg.state == IN_FLIGHT)]
            for msg in survivors:
                if self.holds(msg) and location in msg.replicas and not msg.orphaned:
                    msg.replicas = self._replicas(next(dc for dc in msg.replicas if world.dc_up(dc)))

    def data_centre_restored(self, location: str) -> None:
        """`location` is back (empty): under-replicated messages get their missing copies there again."""
        rf = self.replication_factor
        self.forget_routes()
        for q in self.queues.values():
            for msg in [*q.visible, *q.deferred, *(msg for _, msg, _ in q.in_flight if msg.state == IN_FLIGHT)]:
                if self.holds(msg) and len(msg.replicas) < rf and location not in msg.replicas:
                    msg.replicas = (*msg.replicas, location)

    def expire_due(self) -> None:
        """Close queued messages whose end of life has passed (the janitor's sweep; heads first, queues are FIFO)."""
        if self.held <= 0:
            return
        now = self.world.now
        occupied = self.occupied
        for q in sorted(occupied, key=_creation) if len(occupied) > 1 else list(occupied):
            visible = q.visible
            if not visible and not q.in_flight:
                occupied.discard(q)  # empty queues are skipped: nothing to expire or reclaim there
                continue
            while visible and (visible[0].state != QUEUED or not self.holds(visible[0]) or visible[0].expires <= now):
                msg = visible.popleft()
                if msg.state == QUEUED and self.holds(msg):
                    self.close(msg, "expired", "end of life")
            in_flight = q.in_flight
            if in_flight and in_flight[0][0] <= now:
                q._reclaim()

    def relay_from(self, upstream: Bus) -> Endpoint:
        """The endpoint that forwards messages from `upstream` into this bus (made by `make_relay`)."""
        relay = self._relays.get(upstream.name)
        if relay is None:
            relay = self._relays[upstream.name] = self.make_relay(self.world, upstream, self)
        return relay
