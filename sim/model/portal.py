"""The Unified Portal (EPGU) and ESIA: applications log in, then fan out into sequences of requests (697 §6а, §6з).

A share `login_share` of applications needs a fresh ESIA login. With ESIA down the portal runs in reduced mode:
no new logins; such applications wait (up to `esia_wait_limit`) or are refused, as the scenario says, while
applications with a live session go through. Each service's steps run in order, a step's requests in parallel.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sim.engine import Sampler, Station
from sim.model.endpoints import send
from sim.model.factory import MessageFactory, TypeInfo
from sim.model.message import Msg
from sim.model.world import World


class Esia:
    def __init__(self, world: World, spec: Any) -> None:
        self.world = world
        self.data_centres = tuple(spec.data_centres)
        self.station = Station(world.kernel, "esia", spec.concurrency, on_drop=self._dropped,
                               meter=world.collector.station("esia", spec.concurrency, "esia"))
        self.login_time = Sampler(spec.login_time, world.rng)
        self.forced_down = False
        world.collector.component("esia", spec.concurrency)

    @property
    def up(self) -> bool:
        return not self.forced_down and any(self.world.dc_up(dc) for dc in self.data_centres)

    def _dropped(self, jobs: list) -> None:
        for app in jobs:
            app.portal.login_failed(app)


class Application:
    """One portal application: its service's steps, sent one after another by `sender`."""

    __slots__ = ("portal", "service", "sender", "step", "outstanding", "failed_already", "started")

    def __init__(self, portal: Portal, service: Any, sender: Any) -> None:
        self.portal = portal
        self.service = service
        self.sender = sender
        self.step = 0
        self.outstanding = 0
        self.failed_already = False
        self.started = portal.world.now

    def next_step(self) -> None:
        portal = self.portal
        if self.step >= len(self.service.steps):
            portal.world.count("applications.completed")
            return
        types = self.service.steps[self.step]
        self.step += 1
        self.outstanding = len(types)
        for type_name in types:
            msg = portal.factory.request(self.sender, portal.types[type_name], context=self)
            send(portal.world, msg, self.sender)

    def answered(self, request: Msg) -> None:
        self.outstanding -= 1
        if self.outstanding == 0 and not self.failed_already:
            self.next_step()

    def failed(self, request: Msg) -> None:
        if not self.failed_already:
            self.failed_already = True
            self.portal.world.count("applications.failed")


class Portal:
    def __init__(self, world: World, spec: Any, workload: Any, esia: Esia, factory: MessageFactory,
                 types: dict[str, TypeInfo], endpoint: Any, senders: dict[str, list]) -> None:
        self.world = world
        self.spec = spec
        self.workload = workload
        self.esia = esia
        self.factory = factory
        self.types = types
        self.endpoint = endpoint  # the portal's own system, a consumer (sim.model.endpoints.Participant)
        self.senders = senders  # service sender name -> endpoints
        self.station = Station(world.kernel, "portal", spec.concurrency, on_drop=self._dropped,
                               meter=world.collector.station("portal", spec.concurrency, "portal"))
        self.service_time = Sampler(spec.service_time, world.rng)
        self.waiting: deque[tuple[float, Application]] = deque()
        services = workload.services
        total = sum(s.share for s in services) or 1.0
        self.services = services
        self.cum_shares = []
        acc = 0.0
        for s in services:
            acc += s.share / total
            self.cum_shares.append(acc)
        world.collector.component("portal", spec.concurrency)

    @property
    def up(self) -> bool:
        return any(self.world.dc_up(dc) for dc in self.spec.data_centres)

    def _dropped(self, apps: list) -> None:
        """Applications inside the portal when it went down are lost to their applicants (they apply again)."""
        self.world.count("applications.dropped", len(apps))

    def arrival(self) -> None:
        world = self.world
        now = world.now
        if not self.up:
            world.collector.portal_application("refused", now)
            return
        u = world.rng.random()
        service = next((s for s, c in zip(self.services, self.cum_shares, strict=True) if u <= c), self.services[-1])
        pool = self.senders[service.sender]
        live = [e for e in pool if e.up] or pool
        sender = live[int(world.rng.integers(len(live)))] if len(live) > 1 else live[0]
        app = Application(self, service, sender)
        if world.rng.random() < self.workload.login_share:
            if self.esia.up:
                self.esia.station.submit(app, self.esia.login_time(), self.logged_in)
            elif self.spec.on_esia_down == "wait":
                self.waiting.append((now + self.spec.esia_wait_limit, app))
                world.kernel.later(self.spec.esia_wait_limit, self.give_up_waiting)
            else:
                world.collector.login("esia-down", now)
                world.collector.portal_application("refused", now)
        else:
            self.admit(app, "accepted")

    def logged_in(self, app: Application) -> None:
        self.world.collector.login("success", self.world.now)
        self.admit(app, "accepted")

    def login_failed(self, app: Application) -> None:
        self.world.collector.login("failure", self.world.now)
        self.world.collector.portal_application("refused", self.world.now)

    def admit(self, app: Application, outcome: str) -> None:
        self.world.collector.portal_application(outcome, self.world.now)
        self.station.submit(app, self.service_time(), Application.next_step)

    def esia_restored(self) -> None:
        """ESIA is back: the applications still waiting log in now, in arrival order."""
        waiting, self.waiting = self.waiting, deque()
        for _deadline, app in waiting:
            self.esia.station.submit(app, self.esia.login_time(), self._logged_in_after_wait)

    def _logged_in_after_wait(self, app: Application) -> None:
        self.world.collector.login("success", self.world.now)
        self.admit(app, "waited")

    def give_up_waiting(self) -> None:
        now = self.world.now
        while self.waiting and self.waiting[0][0] <= now:
            self.waiting.popleft()
            self.world.collector.login("esia-down", now)
            self.world.collector.portal_application("refused", now)
