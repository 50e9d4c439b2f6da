"""Building policies, the fault timeline, SLOs and the run settings."""

from __future__ import annotations

import re

from sim.scenario import fields as f
from sim.scenario import schema as s
from sim.scenario import units
from sim.scenario.build_topology import named_entries
from sim.scenario.fields import INVALID, Context, Invalid, Section
from sim.scenario.model import (
    PARTICIPANT_KINDS,
    BusNodeCrash,
    CaDown,
    DataCentreLoss,
    EsiaDown,
    Fault,
    LinkDegraded,
    LinkDown,
    ParticipantDown,
    ParticipantMisbehaving,
    ParticipantSlow,
    Partition,
    Policies,
    Quota,
    RetryPolicy,
    RunSpec,
    Slo,
    Sweep,
    Tariff,
    Topology,
)
from sim.scenario.refs import Names, Resolver
from sim.scenario.suggest import did_you_mean
from sim.scenario.yamltree import Node

_SLO = re.compile(r"\s*(?P<metric>[^\s<>=≤≥]+)\s*(?P<op><=|>=|==|<|>|≤|≥|=)\s*(?P<value>.+?)\s*")
_ALL_FAULT_FIELDS = {key for schema in s.FAULT_FIELDS.values() for key in schema}


class RulesBuilder:
    def __init__(self, ctx: Context, names: Names):
        self.ctx = ctx
        self.names = names
        self.refs = Resolver(ctx, names)

    # --- policies ----------------------------------------------------------------------------------------------

    def policies(self, node: Node | None, topology: Topology) -> Policies:
        sec = self.ctx.section(node, "policies", s.POLICIES)
        r = self.ctx.section(sec.nodes["retry"], "policies.retry", s.RETRY)
        retry = RetryPolicy(r["max_attempts"], r["initial"], r["multiplier"], r["max_backoff"], r["jitter"], r["timeout"])
        if r["initial"] is not INVALID and r["max_backoff"] is not INVALID and r["max_backoff"] < r["initial"]:
            self.ctx.error(r.nodes["max_backoff"] or node, "policies.retry.max_backoff", "shorter than initial")
        rf = sec["replication_factor"]
        n_dc = len(topology.data_centres)
        if rf is not INVALID and n_dc and rf > n_dc:
            self.ctx.error(sec.nodes["replication_factor"] or node, "policies.replication_factor",
                           f"replication factor {rf} needs {rf} data centres, the topology has {n_dc}")
        threshold, fragment = sec["fragmentation_threshold"], sec["fragment_size"]
        if INVALID not in (threshold, fragment) and fragment > threshold:
            self.ctx.error(sec.nodes["fragment_size"] or node, "policies.fragment_size",
                           "a fragment is larger than the fragmentation threshold")
        quotas, default_quota = self._per_participant(sec.nodes["quotas"], "policies.quotas", self._quota)
        tariffs, default_tariff = self._per_participant(sec.nodes["tariffs"], "policies.tariffs", self._tariff)
        return Policies(sec["ttl"], sec["realtime_ttl"], sec["ack_timeout"], sec["max_redeliveries"], retry, rf,
                        sec["failover_detection"], threshold, fragment, quotas, default_quota, tariffs,
                        default_tariff, sec["currency"])

    def _per_participant(self, node: Node | None, path: str, read):
        table, default = {}, None
        for key, child, child_path in named_entries(self.ctx, node, path):
            value = read(child, child_path)
            if key == "default":
                default = value
                continue
            if key not in PARTICIPANT_KINDS and self.names.participant_group(key) is None:
                known = sorted(set(self.names.groups) | set(PARTICIPANT_KINDS) | {"default"})
                self.ctx.error(child, child_path, f"not a participant, group, kind or 'default'{did_you_mean(key, known)}",
                               line=node.key_lines.get(key))
                continue
            table[key] = value
        return table, default

    def _quota(self, node: Node, path: str) -> Quota:
        q = self.ctx.section(node, path, s.QUOTA)
        return Quota(q["rate"], q["burst"], q["max_message_size"], q["block_after"], q["block_window"], q["block_for"])

    def _tariff(self, node: Node, path: str) -> Tariff:
        if not node.is_map:  # a bare price
            price = self.ctx.convert(node, path, f.number(0.0))
            return Tariff(price, 0)
        t = self.ctx.section(node, path, s.TARIFF)
        return Tariff(t["price"], t["free_messages"])

    # --- faults ------------------------------------------------------------------------------------------------

    def faults(self, node: Node | None, topology: Topology, run: RunSpec) -> tuple[Fault, ...]:
        faults = []
        for name, child, path in named_entries(self.ctx, node, "faults"):
            common = self.ctx.section(child, path, s.FAULT_COMMON, extra=_ALL_FAULT_FIELDS)
            kind = common["kind"]
            if kind is INVALID:
                continue
            own = self.ctx.section(child, path, s.FAULT_FIELDS[kind], extra=s.FAULT_COMMON)
            start, length = common["at"], common["duration"]
            if start is not INVALID and run.duration is not INVALID and start >= run.duration:
                self.ctx.error(common.nodes["at"], f"{path}.at",
                               f"starts at {units.format_duration(start)}, after the run ends "
                               f"({units.format_duration(run.duration)})")
            end = None if length is None or INVALID in (start, length) else start + length
            fault = self._fault(kind, name, start, end, own, topology)
            if fault is not None and common.ok and own.ok:
                faults.append(fault)
        return tuple(sorted(faults, key=lambda fault: fault.start))

    def _fault(self, kind: str, name: str, start: float, end: float | None, own: Section,
               topology: Topology) -> Fault | None:
        refs = self.refs
        if kind == "data-centre-loss":
            dc = own["data_centre"]
            return DataCentreLoss(name, start, end, dc) if refs.data_centre(dc, own.nodes["data_centre"],
                                                                            own.at("data_centre")) else None
        if kind in ("link-down", "link-degraded"):
            ends = own["between"]
            if ends is INVALID or not self._link(ends, own, topology):
                return None
            if kind == "link-down":
                return LinkDown(name, start, end, ends[0], ends[1])
            return LinkDegraded(name, start, end, ends[0], ends[1], own["extra_latency"], own["loss"],
                                own["bandwidth_factor"])
        if kind == "partition":
            sides = self._sides(own.nodes["sides"], own.at("sides"))
            return Partition(name, start, end, sides) if sides else None
        if kind == "bus-node-crash":
            dc, nodes = own["data_centre"], own["nodes"]
            if not refs.data_centre(dc, own.nodes["data_centre"], own.at("data_centre")):
                return None
            running = topology.data_centres[dc].bus_nodes
            if nodes is not INVALID and running is not INVALID and nodes > running:
                self.ctx.error(own.nodes["nodes"] or own.node, own.at("nodes"),
                               f"{nodes} nodes crash but {dc!r} runs {running}")
                return None
            return BusNodeCrash(name, start, end, dc, nodes)
        if kind in ("participant-down", "participant-slow", "participant-misbehaving"):
            who = own["participant"]
            if not refs.participant(who, own.nodes["participant"], own.at("participant")):
                return None
            if kind == "participant-down":
                return ParticipantDown(name, start, end, who)
            if kind == "participant-slow":
                return ParticipantSlow(name, start, end, who, own["factor"])
            return self._misbehaving(name, start, end, who, own)
        return EsiaDown(name, start, end) if kind == "esia-down" else CaDown(name, start, end)

    def _misbehaving(self, name: str, start: float, end: float | None, who: str, own: Section) -> Fault | None:
        behaviour, type_name, rate = own["behaviour"], own["type"], own["rate"]
        if behaviour in ("flood", "unauthorised") and type_name is None:
            self.ctx.error(own.node, own.at("type"), f"a {behaviour} fault needs the message type it sends")
            return None
        if type_name is not None and not self.refs.message_type(type_name, own.nodes["type"], own.at("type")):
            return None
        if behaviour == "flood" and rate is not INVALID and rate <= 0:
            self.ctx.error(own.nodes["rate"] or own.node, own.at("rate"), "a flood needs a rate above zero")
            return None
        return ParticipantMisbehaving(name, start, end, who, behaviour, own["share"], rate, type_name)

    def _link(self, ends: tuple[str, ...], own: Section, topology: Topology) -> bool:
        node, path = own.nodes["between"], own.at("between")
        if len(ends) != 2 or ends[0] == ends[1]:
            self.ctx.error(node, path, "a link has two different ends")
            return False
        if not all(self.refs.network_node(e, node, path) for e in ends):
            return False
        if topology.link(ends[0], ends[1]) is None:
            self.ctx.error(node, path, f"there is no link between {ends[0]!r} and {ends[1]!r}")
            return False
        return True

    def _sides(self, node: Node | None, path: str) -> tuple[tuple[str, ...], ...]:
        if node is None or not node.is_seq or len(node.value) < 2:
            self.ctx.error(node, path, "expected two or more lists of data centres/regions")
            return ()
        sides, seen, ok = [], set(), True
        for i, item in enumerate(node.value):
            try:
                side = f.names(item)
            except Invalid as exc:
                self.ctx.error(item, f"{path}[{i}]", str(exc))
                ok = False
                continue
            for member in side:
                ok &= self.refs.network_node(member, item, f"{path}[{i}]")
                if member in seen:
                    self.ctx.error(item, f"{path}[{i}]", f"{member!r} is on two sides")
                    ok = False
                seen.add(member)
            sides.append(side)
        return tuple(sides) if ok else ()

    # --- SLOs --------------------------------------------------------------------------------------------------

    def slos(self, node: Node | None, run: RunSpec) -> tuple[Slo, ...]:
        slos = []
        for name, child, path in named_entries(self.ctx, node, "slos"):
            slo = self._slo(name, child, path, run)
            if slo is not None:
                slos.append(slo)
        return tuple(slos)

    def _slo(self, name: str, node: Node, path: str, run: RunSpec) -> Slo | None:
        if not isinstance(node.value, str):
            self.ctx.error(node, path, f"expected an assertion such as 'realtime.latency.p99 <= 2s', got {f.describe(node)}")
            return None
        match = _SLO.fullmatch(node.value)
        if not match:
            self.ctx.error(node, path, f"expected 'metric op threshold' such as 'realtime.latency.p99 <= 2s', "
                                       f"got {node.value!r}")
            return None
        metric, op, value = match.group("metric"), match.group("op"), match.group("value")
        op = {"≤": "<=", "≥": ">=", "=": "=="}.get(op, op)
        info = _metric_info(metric)
        if info is None:
            self.ctx.error(node, path, f"unknown metric {metric!r}{did_you_mean(metric, _metric_names())}")
            return None
        if not self._metric_subject(metric, node, path):
            return None
        if getattr(info, "level", "replication") == "sweep" and run.sweep is None:
            self.ctx.error(node, path, f"{metric!r} is measured across a sweep, and run.sweep is not given")
            return None
        try:
            threshold = _threshold(value, getattr(info, "unit", ""))
        except (Invalid, units.UnitError) as exc:
            self.ctx.error(node, path, f"threshold of {metric!r}: {exc}")
            return None
        return Slo(name, metric, op, threshold, node.value.strip())

    def _metric_subject(self, metric: str, node: Node, path: str) -> bool:
        """A metric embedding a message type or participant must name one that exists."""
        parts = metric.split(".")
        if parts[0] == "type" and len(parts) > 2:
            return self.refs.message_type(".".join(parts[1:-2]) if parts[-2] in ("latency", "within_deadline")
                                          else parts[1], node, path)
        if parts[0] == "participant" and len(parts) > 2:
            return self.refs.participant(".".join(parts[1:-2]), node, path)
        return True

    # --- run ---------------------------------------------------------------------------------------------------

    def run(self, node: Node | None) -> tuple[RunSpec, Section]:
        sec = self.ctx.section(node, "run", s.RUN)
        duration, warmup = sec["duration"], sec["warmup"]
        auto = warmup == f.AUTO
        if auto:
            warmup = 0.0
        if INVALID not in (duration, warmup) and warmup >= duration:
            self.ctx.error(sec.nodes["warmup"] or node, "run.warmup",
                           f"warm-up {units.format_duration(warmup)} is not shorter than the run "
                           f"({units.format_duration(duration)})")
        reps, cap = sec["replications"], sec["max_replications"]
        if INVALID not in (reps, cap) and cap < reps:
            self.ctx.error(sec.nodes["max_replications"] or node, "run.max_replications", "below run.replications")
        sweep = None
        if sec.nodes["sweep"] is not None and sec.nodes["sweep"].value is not None:
            sw = self.ctx.section(sec.nodes["sweep"], "run.sweep", s.SWEEP)
            values = sw.nodes["values"]
            if values is not None and (not values.is_seq or not values.value):
                self.ctx.error(values, "run.sweep.values", "expected a non-empty list of values")
            elif values is not None and sw["parameter"] is not INVALID:
                if sw["parameter"].startswith("run.sweep") or sw["parameter"].split(".")[0] == "name":
                    self.ctx.error(sw.nodes["parameter"], "run.sweep.parameter", "cannot sweep this setting")
                else:
                    sweep = Sweep(sw["parameter"], tuple(v.plain() for v in values.value))
        return RunSpec(duration, warmup, reps, sec["seed"], sec["traffic_scale"], sec["precision"], cap, sweep,
                       sec["start_of_day"], sec["tagged_share"], sec["max_events"], auto), sec


def _threshold(text: str, unit: str) -> float:
    if unit == "s":
        return units.parse_duration(text)
    if unit == "share":
        return units.parse_share(text)
    if unit == "1/s":
        return units.parse_rate(text)
    if unit == "ratio":
        return units.parse_share(text) if text.endswith("%") else units.parse_number(text, "a ratio")
    value = units.parse_number(text, "a count")
    if value < 0:
        raise Invalid("a count is never negative")
    return value


def _metric_info(metric: str):
    try:
        from sim.metrics.catalogue import metric_info
    except ImportError:  # the metrics package is not there: accept the documented families
        prefixes = ("realtime.", "async.", "type.", "participant.", "messages.", "throughput.", "portal.", "queue.",
                    "utilisation.", "participants.", "littles_law.", "scaleout.", "answered.", "within_deadline.")
        return type("Info", (), {"unit": "", "level": "replication"})() if metric.startswith(prefixes) else None
    return metric_info(metric)


def _metric_names() -> list[str]:
    try:
        from sim.metrics.catalogue import METRICS
    except ImportError:
        return []
    return sorted(METRICS)
