"""Building message types (the access matrix) and the workload (profiles, flows, portal services, bursts)."""

from __future__ import annotations

from conformance.yamlnodes.problems import did_you_mean
from conformance.yamlnodes.tree import Node
from sim.scenario import fields as f
from sim.scenario import schema as s
from sim.scenario.build_topology import named_entries
from sim.scenario.fields import INVALID, Context, Invalid
from sim.scenario.model import PORTAL, Burst, DailyProfile, Flow, MessageType, PortalService, PortalWorkload, Workload
from sim.scenario.refs import Names, Resolver


def shift_points(points: list[tuple[float, float]], start_of_day: float) -> tuple[tuple[float, float], ...]:
    """Step points by time of day -> step points by time since a run that starts at `start_of_day`."""
    day = 86400.0
    active = next((v for t, v in reversed(points) if t <= start_of_day), points[-1][1])
    shifted = sorted(((t - start_of_day) % day, v) for t, v in points if t != start_of_day)
    return ((0.0, active), *(p for p in shifted if p[0] != 0.0))


class TrafficBuilder:
    def __init__(self, ctx: Context, names: Names):
        self.ctx = ctx
        self.names = names
        self.refs = Resolver(ctx, names)

    # --- message types -----------------------------------------------------------------------------------------

    def message_types(self, node: Node | None) -> dict[str, MessageType]:
        types: dict[str, MessageType] = {}
        for name, child, path in named_entries(self.ctx, node, "message_types", required=True):
            sec = self.ctx.section(child, path, s.MESSAGE_TYPE)
            provider = sec["provider"]
            if self.refs.participant(provider, sec.nodes["provider"], sec.at("provider")):
                group = self.names.participant_group(provider)
                if group is not None and not group.template.provides and not sec["broadcast"]:
                    self.ctx.problem(sec.nodes["provider"], sec.at("provider"),
                                   f"{provider!r} has role {group.template.role!r}, it cannot provide a message type")
            consumers = self._consumers(sec.nodes["consumers"] or Node("*", None), sec.at("consumers"))
            subscribers = sec["subscribers"] or ()
            if subscribers is not INVALID:
                for sub in subscribers:
                    self.refs.participant(sub, sec.nodes["subscribers"], sec.at("subscribers"), portal=True)
            broadcast, realtime = sec["broadcast"], sec["realtime"]
            if broadcast is True and not subscribers:
                self.ctx.problem(child, path, "a broadcast type needs subscribers")
            if broadcast is False and sec.given("subscribers"):
                self.ctx.problem(sec.nodes["subscribers"], sec.at("subscribers"), "only a broadcast type has subscribers")
            if broadcast is True and realtime is True:
                self.ctx.problem(sec.nodes["realtime"], sec.at("realtime"), "a broadcast has no answer, so it cannot be real-time")
            share = sec["attachment_share"]
            if share not in (INVALID, 0.0) and sec["attachment_size"] is None:
                self.ctx.problem(sec.nodes["attachment_share"], sec.at("attachment_share"),
                               "attachments are wanted but attachment_size is not given")
            if sec.given("attachment_size") and not sec.given("attachment_share"):
                share = 1.0  # giving a size alone means every request carries one
            if broadcast is True and sec.given("cannot_provide") and sec["cannot_provide"] not in (INVALID, 0.0):
                self.ctx.problem(sec.nodes["cannot_provide"], sec.at("cannot_provide"),
                               "a broadcast has no answer, so no 'cannot provide' answer either")
            types[name] = MessageType(
                name, provider, consumers, realtime, sec["payload_size"], sec["answer_size"], sec["attachment_size"],
                share, sec["processing_time"], sec["ttl"], broadcast, subscribers if subscribers is not INVALID else (),
                sec["cannot_provide"])
        self.names.message_types.update(types)
        return types

    def _consumers(self, node: Node, path: str) -> tuple[str, ...]:
        if node.value == "*":
            return ("*",)
        try:
            listed = f.names(node)
        except Invalid as exc:
            self.ctx.problem(node, path, f"expected '*' or a list of participants/groups: {exc}")
            return ()
        for name in listed:
            self.refs.participant(name, node, path, portal=True)
        return listed

    def may_consume(self, consumer: str, message_type: MessageType) -> bool:
        """The access matrix: `consumer` (a participant/group name or portal) may request `message_type`."""
        if message_type.allows_any_consumer() or consumer in message_type.consumers:
            return True
        group = self.names.participant_group(consumer)
        return group is not None and group.name in message_type.consumers

    # --- workload ----------------------------------------------------------------------------------------------

    def workload(self, node: Node | None, start_of_day: float = 0.0) -> Workload:
        sec = self.ctx.section(node, "workload", s.WORKLOAD)
        profiles = self._profiles(sec.nodes["profiles"], start_of_day)
        flows = self._flows(sec.nodes["flows"])
        portal = self._portal(sec.nodes["portal"])
        if not flows and portal is None and node is not None:
            self.ctx.problem(node, "workload", "no traffic: give flows, a portal workload, or both")
        bursts = self._bursts(sec.nodes["bursts"], portal is not None)
        return Workload(tuple(flows), portal, profiles, tuple(bursts))

    def _profiles(self, node: Node | None, start_of_day: float) -> dict[str, DailyProfile]:
        profiles: dict[str, DailyProfile] = {}
        for name, child, path in named_entries(self.ctx, node, "workload.profiles"):
            points: list[tuple[float, float]] = []
            for key, value in self.ctx.entries(child, path).items():
                try:
                    second = f.parse_time_of_day(key)
                except Invalid as exc:
                    self.ctx.problem(value, f"{path}.{key}", str(exc), line=child.key_lines.get(key))
                    continue
                factor = self.ctx.convert(value, f"{path}.{key}", f.number(0.0))
                if factor is not INVALID:
                    points.append((second, factor))
            points.sort()
            if child.is_map and child.value and (not points or points[0][0] != 0.0):
                self.ctx.problem(child, path, "a profile must start at '00:00'")
            elif points and max(v for _, v in points) == 0:
                self.ctx.problem(child, path, "a profile that is zero all day sends nothing")
            profiles[name] = DailyProfile(name, shift_points(points, start_of_day) if points else ((0.0, 1.0),))
        self.names.profiles.update(profiles)
        return profiles

    def _flows(self, node: Node | None) -> list[Flow]:
        flows = []
        for name, child, path in named_entries(self.ctx, node, "workload.flows"):
            if name == PORTAL:
                self.ctx.problem(child, path, "'portal' names the portal workload; pick another flow name",
                               line=node.key_lines.get(name))
                continue
            sec = self.ctx.section(child, path, s.FLOW)
            consumer, type_name = sec["consumer"], sec["type"]
            self.refs.participant(consumer, sec.nodes["consumer"], sec.at("consumer"))
            if self.refs.message_type(type_name, sec.nodes["type"], sec.at("type")) and consumer is not INVALID:
                self._check_access(consumer, self.names.message_types[type_name], sec.nodes["consumer"],
                                   sec.at("consumer"), sec["channel"])
            rate, gaps = sec["rate"], sec["interarrival"]
            if (rate is None) == (gaps is None):
                self.ctx.problem(child, path, "give exactly one of rate, interarrival")
            elif rate is not None and rate is not INVALID and rate <= 0:
                self.ctx.problem(sec.nodes["rate"], sec.at("rate"), "a flow's rate must be greater than zero")
            elif gaps is not None and gaps is not INVALID:
                if gaps.mean <= 0:
                    self.ctx.problem(sec.nodes["interarrival"], sec.at("interarrival"), "mean gap must be greater than zero")
                else:
                    rate = 1.0 / gaps.mean
            if sec["profile"] is not None:
                self.refs.profile(sec["profile"], sec.nodes["profile"], sec.at("profile"))
            start, end = sec["start"], sec["end"]
            if end not in (None, INVALID) and start is not INVALID and end <= start:
                self.ctx.problem(sec.nodes["end"], sec.at("end"), "end must be after start")
            flows.append(Flow(name, consumer, type_name, rate, gaps, sec["profile"], sec["channel"], start, end))
        self.names.flows.update(fl.name for fl in flows)
        return flows

    def _check_access(self, consumer: str, mt: MessageType, node: Node | None, path: str, channel: str) -> None:
        group = self.names.participant_group(consumer)
        if mt.broadcast:
            if consumer != mt.provider and (group is None or group.name != mt.provider):
                self.ctx.problem(node, path, f"{mt.name!r} is a broadcast published by {mt.provider!r}; only it sends it")
            if channel == "datamart":
                self.ctx.problem(node, path, "a broadcast cannot be requested from a data mart")
            return
        if group is not None and not group.template.consumes:
            self.ctx.problem(node, path, f"{consumer!r} has role {group.template.role!r}, it cannot send requests")
        elif not self.may_consume(consumer, mt):
            self.ctx.problem(node, path, f"{consumer!r} may not request {mt.name!r} (access matrix: consumers are "
                                       f"{', '.join(mt.consumers) or 'nobody'})")

    def _portal(self, node: Node | None) -> PortalWorkload | None:
        if node is None or node.value is None:
            return None
        sec = self.ctx.section(node, "workload.portal", s.PORTAL_WORKLOAD)
        if sec["rate"] is not INVALID and sec["rate"] <= 0:
            self.ctx.problem(sec.nodes["rate"], "workload.portal.rate", "must be greater than zero")
        if sec["profile"] is not None:
            self.refs.profile(sec["profile"], sec.nodes["profile"], "workload.portal.profile")
        services = []
        for name, child, path in named_entries(self.ctx, sec.nodes["services"], "workload.portal.services",
                                               required=sec.nodes["services"] is not None):
            svc = self.ctx.section(child, path, s.PORTAL_SERVICE)
            sender = svc["sender"]
            self.refs.participant(sender, svc.nodes["sender"], svc.at("sender"), portal=True)
            steps = self._steps(svc.nodes["steps"], svc.at("steps"), sender)
            services.append(PortalService(name, svc["share"], sender, steps))
        shares = [svc.share for svc in services if svc.share is not INVALID]
        if services and len(shares) == len(services) and abs(sum(shares) - 1.0) > 1e-6:
            self.ctx.problem(sec.nodes["services"], "workload.portal.services",
                           f"service shares sum to {sum(shares) * 100:g}%, not 100%")
        return PortalWorkload(sec["rate"], sec["profile"], sec["login_share"], tuple(services))

    def _steps(self, node: Node | None, path: str, sender: str) -> tuple[tuple[str, ...], ...]:
        if node is None:
            return ()
        if not node.is_seq or not node.value:
            self.ctx.problem(node, path, "expected a non-empty list of steps (a type, or a list of types sent together)")
            return ()
        steps = []
        for i, item in enumerate(node.value):
            try:
                step = f.names(item)
            except Invalid as exc:
                self.ctx.problem(item, f"{path}[{i}]", str(exc))
                continue
            for type_name in step:
                if self.refs.message_type(type_name, item, f"{path}[{i}]") and sender is not INVALID:
                    mt = self.names.message_types[type_name]
                    if mt.broadcast:
                        self.ctx.problem(item, f"{path}[{i}]", f"{type_name!r} is a broadcast, not a request")
                    elif not self.may_consume(sender, mt):
                        self.ctx.problem(item, f"{path}[{i}]", f"{sender!r} may not request {type_name!r} (access matrix: "
                                                             f"consumers are {', '.join(mt.consumers) or 'nobody'})")
            steps.append(step)
        return tuple(steps)

    def _bursts(self, node: Node | None, has_portal: bool) -> list[Burst]:
        bursts = []
        for name, child, path in named_entries(self.ctx, node, "workload.bursts"):
            sec = self.ctx.section(child, path, s.BURST)
            targets = sec["flows"] or ()
            if targets is not INVALID:
                known = self.names.flows | ({PORTAL} if has_portal else set())
                for target in targets:
                    if target not in known:
                        self.ctx.problem(sec.nodes["flows"], sec.at("flows"),
                                       f"unknown flow {target!r}{did_you_mean(target, known)}")
            bursts.append(Burst(name, sec["at"], sec["duration"], sec["factor"], targets or ()))
        return bursts
