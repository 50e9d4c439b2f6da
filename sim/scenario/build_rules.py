"""Building policies, the fault timeline, SLOs and the run settings."""

from __future__ import annotations

import re

from conformance.yamlnodes import quantities as units
from conformance.yamlnodes.checker import describe
from conformance.yamlnodes.problems import did_you_mean
from conformance.yamlnodes.tree import Node
from sim.metrics.catalogue import METRICS, metric_info
from sim.scenario import fields as f
from sim.scenario import schema as s
from sim.scenario.build_topology import named_entries
from sim.scenario.faultkinds import KINDS, FaultBuild
from sim.scenario.fields import INVALID, Context, Invalid, Section
from sim.scenario.model import (
    PARTICIPANT_KINDS,
    Fault,
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
            self.ctx.problem(r.nodes["max_backoff"] or node, "policies.retry.max_backoff", "shorter than initial")
        rf = sec["replication_factor"]
        n_dc = len(topology.data_centres)
        if rf is not INVALID and n_dc and rf > n_dc:
            self.ctx.problem(sec.nodes["replication_factor"] or node, "policies.replication_factor",
                           f"replication factor {rf} needs {rf} data centres, the topology has {n_dc}")
        threshold, fragment = sec["fragmentation_threshold"], sec["fragment_size"]
        if INVALID not in (threshold, fragment) and fragment > threshold:
            self.ctx.problem(sec.nodes["fragment_size"] or node, "policies.fragment_size",
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
                self.ctx.problem(child, child_path, f"not a participant, group, kind or 'default'{did_you_mean(key, known)}",
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
            # Unknown fields are named once: by the kind's own section below, or, with no valid kind to judge by,
            # against every kind's fields.
            common = self.ctx.section(child, path, s.FAULT_COMMON, extra=tuple(child.value) if child.is_map else ())
            kind = common["kind"]
            if kind is INVALID:
                if child.is_map:
                    self.ctx.unknown_keys(child, set(s.FAULT_COMMON) | _ALL_FAULT_FIELDS, path)
                continue
            own = self.ctx.section(child, path, s.FAULT_FIELDS[kind], extra=s.FAULT_COMMON)
            start, length = common["at"], common["duration"]
            if start is not INVALID and run.duration is not INVALID and start >= run.duration:
                self.ctx.problem(common.nodes["at"], f"{path}.at",
                                 f"starts at {units.format_duration(start)}, after the run ends "
                                 f"({units.format_duration(run.duration)})")
            end = None if length is None or INVALID in (start, length) else start + length
            fault = KINDS[kind].build(FaultBuild(name, start, end, own, self.ctx, self.refs, topology))
            if fault is not None and common.ok and own.ok:
                faults.append(fault)
        return tuple(sorted(faults, key=lambda fault: fault.start))

    def slos(self, node: Node | None, run: RunSpec) -> tuple[Slo, ...]:
        slos = []
        for name, child, path in named_entries(self.ctx, node, "slos"):
            slo = self._slo(name, child, path, run)
            if slo is not None:
                slos.append(slo)
        return tuple(slos)

    def _slo(self, name: str, node: Node, path: str, run: RunSpec) -> Slo | None:
        if not isinstance(node.value, str):
            self.ctx.problem(node, path, f"expected an assertion such as 'realtime.latency.p99 <= 2s', got {describe(node)}")
            return None
        match = _SLO.fullmatch(node.value)
        if not match:
            self.ctx.problem(node, path, f"expected 'metric op threshold' such as 'realtime.latency.p99 <= 2s', "
                                       f"got {node.value!r}")
            return None
        metric, op, value = match.group("metric"), match.group("op"), match.group("value")
        op = {"≤": "<=", "≥": ">=", "=": "=="}.get(op, op)
        info = metric_info(metric)
        if info is None:
            self.ctx.problem(node, path, f"unknown metric {metric!r}{did_you_mean(metric, sorted(METRICS))}")
            return None
        if not self._metric_subject(metric, node, path):
            return None
        if getattr(info, "level", "replication") == "sweep" and run.sweep is None:
            self.ctx.problem(node, path, f"{metric!r} is measured across a sweep, and run.sweep is not given")
            return None
        try:
            threshold = _threshold(value, getattr(info, "unit", ""))
        except (Invalid, units.UnitError) as exc:
            self.ctx.problem(node, path, f"threshold of {metric!r}: {exc}")
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
            self.ctx.problem(sec.nodes["warmup"] or node, "run.warmup",
                           f"warm-up {units.format_duration(warmup)} is not shorter than the run "
                           f"({units.format_duration(duration)})")
        reps, cap = sec["replications"], sec["max_replications"]
        if INVALID not in (reps, cap) and cap < reps:
            self.ctx.problem(sec.nodes["max_replications"] or node, "run.max_replications", "below run.replications")
        sweep = None
        if sec.nodes["sweep"] is not None and sec.nodes["sweep"].value is not None:
            sw = self.ctx.section(sec.nodes["sweep"], "run.sweep", s.SWEEP)
            values = sw.nodes["values"]
            if values is not None and (not values.is_seq or not values.value):
                self.ctx.problem(values, "run.sweep.values", "expected a non-empty list of values")
            elif values is not None and sw["parameter"] is not INVALID:
                if sw["parameter"].startswith("run.sweep") or sw["parameter"].split(".")[0] == "name":
                    self.ctx.problem(sw.nodes["parameter"], "run.sweep.parameter", "cannot sweep this setting")
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
