"""Everything that talks to a bus: participant systems (and their SMEV agents), and relays between buses.

Delivery is by polling (pull): an idle system polls every `polling_interval`, a busy one polls again as soon as a
worker frees up. No timer runs while nothing waits: when a message lands in an empty queue, the owner schedules its
next poll tick (`notify`). A received message is acked at once; MessageID deduplication drops redeliveries.
"""

from __future__ import annotations

import math
from typing import Any

from conformance.protocol.codes import StatusCategory
from sim.engine import Sampler
from sim.model.bus import DUPLICATE, EXPIRED, OK, REJECTED, RETRY, Bus, BusQueue, send_status
from sim.model.message import REQUEST, RESPONSE, Msg
from sim.model.world import World

DELIVERED_STATUS = f"status.{StatusCategory.MESSAGE_IS_DELIVERED}"


class Endpoint:
    """An information system with a location and inbox queues on one or more buses."""

    pool: Any = None  # a WorkerPool when background requests share its workers (sim.model.background)
    meter: Any = None  # the StationMeter of a provider's requests (sim.metrics.stations), set by the replication

    def __init__(self, world: World, name: str, location: str) -> None:
        self.world = world
        self.name = name
        self.location = location
        self.inboxes: list[BusQueue] = []
        self._rr = 0

    @property
    def up(self) -> bool:
        return True

    def attach(self, q: BusQueue) -> None:
        self.inboxes.append(q)

    def inbox_owner(self, msg: Msg) -> Endpoint:
        return self

    def notify(self) -> None:
        raise NotImplementedError

    def _next_with_mail(self, skip: set[Bus] | frozenset = frozenset()) -> BusQueue | None:
        """The inbox, on a bus not in `skip`, whose next deliverable message is the oldest: SMEV delivers a recipient's
        messages oldest first whatever their type (a GetRequest without a type filter). Equal ages go round robin.

        `BusQueue.has_visible` inlined (this is the model's hottest loop): due ack timeouts are reclaimed first."""
        inboxes = self.inboxes
        n = len(inboxes)
        now = self.world.kernel.now
        if n == 1:  # the common case: one type on one bus
            q = inboxes[0]
            if skip and q.bus in skip:
                return None
            in_flight = q.in_flight
            if in_flight and in_flight[0][0] <= now:
                q._reclaim()
            return q if q.visible else None
        rr = self._rr
        best: BusQueue | None = None
        best_at = 0.0
        best_j = 0
        for i in range(n):
            j = rr + i
            if j >= n:
                j -= n
            q = inboxes[j]
            if skip and q.bus in skip:
                continue
            in_flight = q.in_flight
            if in_flight and in_flight[0][0] <= now:
                q._reclaim()
            visible = q.visible
            if visible:
                at = visible[0].inbox_at
                if best is None or at < best_at:
                    best, best_at, best_j = q, at, j
        if best is not None:
            self._rr = best_j + 1 if best_j + 1 < n else 0
        return best


def send(world: World, msg: Msg, origin: Endpoint) -> None:
    """SendRequest/SendResponse with the retry policy: back off and retry on timeouts and transient faults."""
    retry = world.policies.retry
    collector = world.collector

    def attempt(n: int) -> None:
        if not origin.up and world.now < msg.expires:  # a system that is down sends nothing: it resumes later
            world.kernel.later(retry.timeout, attempt, n)
            return

        def on_reply(outcome: str, reason: str) -> None:
            replied(n, outcome, reason)

        on_reply.needs_ok = False  # type: ignore[attr-defined]
        msg.route[0].submit(msg, origin.location, on_reply)

    def replied(n: int, outcome: str, reason: str) -> None:
        now = world.now
        if outcome in (OK, DUPLICATE):
            return
        if outcome == RETRY and n < retry.max_attempts and now < msg.expires:
            world.count("send.retries")
            backoff = min(retry.initial * retry.multiplier ** (n - 1), retry.max_backoff)
            if retry.jitter:
                backoff *= 1.0 + retry.jitter * (2.0 * world.rng.random() - 1.0)
            world.kernel.later(backoff, attempt, n + 1)
            return
        if msg.counted:  # accepted meanwhile (the reply of an earlier attempt was lost): nothing to do
            return
        for one in (msg, *msg.copies):  # a broadcast's copies share the fate of the one that was sent
            one.counted = True
            collector.message_sent(one.id, one.kind, one.type, one.cls, one.sender.name, one.recipient.name, now,
                                   one.created)
            world.audit.record(now, one, "sender-gave-up" if outcome == RETRY else outcome, origin.name, reason)
            if outcome == EXPIRED or (outcome == RETRY and now >= one.expires):
                collector.message_expired(one.id, now)
            else:
                collector.message_rejected(one.id, reason if outcome == REJECTED else f"{reason}:retries-exhausted",
                                           now)
            if one.kind == RESPONSE and one.request is not None:  # the consumer will never get its answer
                collector.request_unanswered(one.request.id, now)
        if msg.context is not None:
            msg.context.failed(msg)

    world.audit.record(world.now, msg, "sent", origin.name)
    attempt(1)


class Participant(Endpoint):
    """A participant's information system: provider, consumer or both, with `concurrency` workers."""

    def __init__(self, world: World, spec: Any, location: str, region: str | None, processing: Sampler) -> None:
        super().__init__(world, spec.name, location)
        self.spec = spec
        self.region = region
        self.concurrency = spec.concurrency
        self.free = spec.concurrency
        self.poll_interval = spec.polling_interval
        self.phase = float(world.rng.random()) * spec.polling_interval
        self.processing = processing
        self.type_processing: dict[str, Sampler] = {}
        self.slow = 1.0
        self.down_reasons = 0
        self.misbehaviour: list[tuple[str, float, str | None]] = []  # (behaviour, share, message type)
        self.scheduled = False
        self.outbox: list[Msg] = []
        self.agent: Agent | None = None

    @property
    def up(self) -> bool:
        if self.down_reasons:
            return False
        state = self.world.data_centres.get(self.location)  # World.dc_up, inlined: asked on every poll
        return state is None or state.up

    def inbox_owner(self, msg: Msg) -> Endpoint:
        if msg.datamart and msg.kind == REQUEST:
            if self.agent is None:
                self.agent = Agent(self)
            return self.agent
        return self

    # --- up and down ------------------------------------------------------------------------------------------------

    def go_down(self) -> None:
        if self.pool is not None and not self.down_reasons:
            self.pool.suspend()
        self.down_reasons += 1

    def come_up(self) -> None:
        self.down_reasons = max(self.down_reasons - 1, 0)
        if self.pool is not None and not self.down_reasons:
            self.pool.resume()
        if self.up:
            self.flush()

    def flush(self) -> None:
        """Back up: send what was finished while down, resume polling."""
        held, self.outbox = self.outbox, []
        for msg in held:
            send(self.world, msg, self)
        self.notify()
        if self.agent is not None:
            self.agent.notify()

    # --- polling ----------------------------------------------------------------------------------------------------

    def notify(self) -> None:
        if self.scheduled or self.free <= 0 or not self.up:
            return
        self.scheduled = True
        now = self.world.now
        p = self.poll_interval
        delay = 0.0 if p <= 0 else self.phase + p * math.ceil((now - self.phase) / p) - now
        self.world.kernel.later(max(delay, 0.0), self.poll)

    def poll(self) -> None:
        """GetRequest/GetResponse until the workers are busy or the queues are empty. A bus that cannot be reached
        (its site is down and not yet noticed, or no route) is skipped; the poll is retried after the timeout."""
        self.scheduled = False
        if not self.up:  # only faults change that, and none fires during a poll: asked once, not per message
            return
        world = self.world
        cut_off: set[Bus] = set()
        while self.free > 0:
            q = self._next_with_mail(cut_off)
            if q is None:
                break
            site = q.bus.entry_site(self.location)
            there = world.network.transfer(self.location, site.location, 512) \
                if site is not None and world.dc_up(site.location) else None
            if there is None:
                cut_off.add(q.bus)
                continue
            msg = q.take()
            if msg is None:
                continue
            network = world.network
            if not network.is_small(site.location, self.location, msg.size):  # the answer shares the links
                if network.path(site.location, self.location) is None:
                    continue  # taken but the answer never arrives: redelivered after the ack timeout
                self.free -= 1
                world.kernel.later(there + q.bus.delivery() * msg.fragments, self._fetch, msg, q, site.location)
                continue
            back = network.transfer(site.location, self.location, msg.size)
            if back is None:  # taken but the answer never arrives: redelivered after the ack timeout
                continue
            self.free -= 1
            delay = there + q.bus.delivery() * msg.fragments + back
            world.kernel.later(delay, self.received, msg, q, site.location)
        if cut_off and not self.scheduled:
            self.scheduled = True
            world.kernel.later(max(world.policies.retry.timeout, self.poll_interval), self.poll)

    def _fetch(self, msg: Msg, q: BusQueue, site_location: str) -> None:
        """A large message leaves the bus site for this system over links it shares with other transfers."""
        if not self.world.network.send(site_location, self.location, msg.size, self.received, msg, q, site_location):
            self._release()  # cut off meanwhile: the bus redelivers it after the ack timeout

    def received(self, msg: Msg, q: BusQueue, site_location: str) -> None:
        world = self.world
        if not self.up:  # crashed meanwhile: no Ack, the bus redelivers later
            self.free += 1
            return
        if world.network.reachable(self.location, site_location):
            # the Ack takes milliseconds against an ack timeout of a minute or more: the bus records it at once
            q.bus.acked(msg)
        now = world.kernel.now
        if msg.delivered:
            world.collector.duplicate_suppressed(msg.id, now)
            world.audit.record(now, msg, "duplicate-suppressed", self.name)
            self._release()
            return
        msg.delivered = True
        world.collector.message_delivered(msg.id, now)
        send_status(world, site_location, msg.sender, DELIVERED_STATUS)
        if world.audit.enabled:
            world.audit.record(now, msg, "delivered", self.name)
        if msg.kind == RESPONSE:
            self._release()
            if msg.cannot_provide:
                world.count("answers.cannot_provide")
                world.count(f"answers.cannot_provide.{msg.type}")
            self.answered(msg.request)
        else:
            started = world.now
            if msg.station is not None:
                msg.station.start(started, msg.arrived)
            world.kernel.later(self.service_time(msg), self.processed, msg, started)

    def service_time(self, msg: Msg) -> float:
        if msg.processing >= 0.0:  # drawn when it was queued (its worker is shared with background requests)
            return msg.processing
        sampler = self.type_processing.get(msg.type, self.processing)
        return sampler() * self.slow

    def processed(self, msg: Msg, started: float) -> None:
        world = self.world
        if msg.station is not None:
            msg.station.finish(world.now, msg.arrived)
            msg.station = None
        if msg.kind == REQUEST:
            self.respond(msg)
        self._release()

    def respond(self, request: Msg) -> None:
        world = self.world
        factory = world.factory
        response = factory.response(request, self)
        share = factory.types[request.type].spec.cannot_provide
        if share > 0.0 and world.rng.random() < share:
            response.cannot_provide = True  # 963 §4: the provider answers that it cannot provide the data
        if self.up:
            send(world, response, self)
        else:
            self.outbox.append(response)

    def answered(self, request: Msg) -> None:
        world = self.world
        if request.counted:
            world.collector.request_answered(request.id, world.now)
        if request.context is not None:
            request.context.answered(request)

    def _release(self) -> None:
        self.free += 1
        if self.inboxes:
            self.notify_now()

    def notify_now(self) -> None:
        """A worker freed up: a busy client polls again at once rather than waiting for the next tick."""
        if self.scheduled or not self.up:
            return
        now = self.world.kernel.now
        for q in self.inboxes:
            in_flight = q.in_flight  # BusQueue.has_visible, inlined
            if in_flight and in_flight[0][0] <= now:
                q._reclaim()
            if q.visible:
                self.scheduled = True
                self.world.kernel.later(0.0, self.poll)
                return


class Agent(Participant):
    """The SMEV agent in front of a provider's data mart (697 §6ф): answers regulated requests without the
    provider's processing queue, as many at once as arrive."""

    def __init__(self, owner: Participant) -> None:
        super().__init__(owner.world, owner.spec, owner.location, owner.region, owner.processing)
        self.name = f"{owner.name}.agent"
        self.owner = owner
        self.concurrency = self.free = 1 << 30
        self.poll_interval = 0.0
        self.phase = 0.0
        self.type_processing = owner.type_processing

    @property
    def up(self) -> bool:
        return self.owner.up

    def inbox_owner(self, msg: Msg) -> Endpoint:
        return self

    def service_time(self, msg: Msg) -> float:
        return self.type_processing.get(msg.type, self.processing)() * self.owner.slow


class Relay(Endpoint):
    """Forwards messages queued on `upstream` for `downstream` (regional bus <-> federal bus), persisting them
    upstream until the downstream bus accepts them; backs off while the downstream bus cannot be reached."""

    def __init__(self, world: World, upstream: Bus, downstream: Bus) -> None:
        super().__init__(world, f"relay.{upstream.name}>{downstream.name}", next(iter(upstream.sites)))
        self.upstream = upstream
        self.downstream = downstream
        self.window = max(sum(site.capacity for site in upstream.sites.values()), 1)
        self.active = 0
        self.failures = 0
        self.resume_at = -1.0
        self.scheduled = False

    def notify(self) -> None:
        if not self.scheduled:
            self.scheduled = True
            self.world.kernel.later(max(self.resume_at - self.world.now, 0.0), self.pump)

    def pump(self) -> None:
        self.scheduled = False
        world = self.world
        if world.now < self.resume_at:
            self.notify()
            return
        while self.active < self.window:
            q = self._next_with_mail()
            if q is None:
                return
            site = self.upstream.entry_site(self.downstream.order[0]) or self.upstream.entry_site(self.location)
            if site is None:
                self._back_off()
                return
            msg = q.take()
            if msg is None:
                continue
            self.active += 1
            self.downstream.submit(msg, site.location, lambda outcome, reason, m=msg, q=q: self.forwarded(m, q,
                                                                                                          outcome, reason))

    def forwarded(self, msg: Msg, q: BusQueue, outcome: str, reason: str) -> None:
        world = self.world
        self.active -= 1
        if outcome in (OK, DUPLICATE):
            self.failures = 0  # the downstream bus holds it now (it took over the message on accepting it)
        elif outcome == RETRY:
            q.release(msg)
            self._back_off()
            return
        elif outcome == EXPIRED:
            self.upstream.close(msg, "expired", reason)
        elif outcome == REJECTED:
            self.upstream.acked(msg)
            if not msg.delivered:
                world.collector.message_rejected(msg.id, reason, world.now)
                if msg.context is not None:
                    msg.context.failed(msg)
        self.notify()

    def _back_off(self) -> None:
        retry = self.world.policies.retry
        self.failures += 1
        wait = min(retry.initial * retry.multiplier ** (self.failures - 1), retry.max_backoff)
        self.resume_at = self.world.now + wait
        self.notify()


__all__ = ["Agent", "Endpoint", "Participant", "Relay", "send"]
