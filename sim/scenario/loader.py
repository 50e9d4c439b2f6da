"""Loading a scenario: file -> bounded YAML tree -> every section validated -> `Scenario`, or `ScenarioError` with
every problem found, each `FILE:LINE: path.to.field: what is wrong`. Also overrides (`Scenario.with_overrides`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.scenario import schema as s
from sim.scenario.build_rules import RulesBuilder
from sim.scenario.build_topology import TopologyBuilder
from sim.scenario.build_traffic import TrafficBuilder
from sim.scenario.fields import INVALID, Context
from sim.scenario.model import Scenario
from sim.scenario.refs import Names
from sim.scenario.suggest import did_you_mean
from sim.scenario.yamltree import MAX_BYTES, Node, TreeError, copy_tree, node_from_value, parse_tree


def load_file(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError([f"{source}: file is larger than {MAX_BYTES // 1024} KiB; a scenario is a few KiB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError([f"{source}:{line}: not UTF-8 text"]) from None
    return load_text(text, source)


def load_text(text: str, source: str = "<string>") -> Scenario:
    """Validate scenario text; `source` names it in messages."""
    try:
        tree = parse_tree(text)
    except TreeError as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        raise ScenarioError([f"{where}: {exc}"]) from None
    return build(tree, source)


def build(tree: Node, source: str, *, check_sweep: bool = True) -> Scenario:
    """Validate a tree. With `check_sweep`, every sweep value is also applied and validated (a point need not
    re-check the sweep it belongs to)."""
    ctx = Context(source)
    if not tree.is_map:
        raise ScenarioError([f"{source}:{tree.line}: expected a mapping with name, topology, message_types, workload..."])
    names = Names()
    top = ctx.section(tree, "", s.TOP)
    rules = RulesBuilder(ctx, names)
    run, _ = rules.run(top.nodes["run"])
    topology = TopologyBuilder(ctx, names).build(top.nodes["topology"])
    traffic = TrafficBuilder(ctx, names)
    message_types = traffic.message_types(top.nodes["message_types"])
    workload = traffic.workload(top.nodes["workload"], run.start_of_day if run.start_of_day is not INVALID else 0.0)
    policies = rules.policies(top.nodes["policies"], topology)
    faults = rules.faults(top.nodes["faults"], topology, run)
    slos = rules.slos(top.nodes["slos"], run)
    if ctx.problems:
        raise ScenarioError(ctx.messages())
    scenario = Scenario(top["name"], top["description"], topology, message_types, workload, policies, faults, slos,
                        run, source, document=tree)
    if check_sweep and run.sweep is not None:
        _check_sweep(scenario, ctx)
        if ctx.problems:
            raise ScenarioError(ctx.messages())
    return scenario


def _check_sweep(scenario: Scenario, ctx: Context) -> None:
    sweep = scenario.run.sweep
    values_node = scenario.document.value["run"].value["sweep"].value["values"]
    for i, value in enumerate(sweep.values):
        try:
            apply_overrides(scenario, {sweep.parameter: value}, check_sweep=False)
        except ScenarioError as exc:
            for problem in exc.problems:
                ctx.error(values_node.value[i], f"run.sweep.values[{i}]",
                          f"with {sweep.parameter} = {value!r}: {_strip_source(problem, ctx.source)}")


def _strip_source(problem: str, source: str) -> str:
    return problem[len(source) + 1:].lstrip(": ") if problem.startswith(source + ":") else problem


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any], *, check_sweep: bool = False) -> Scenario:
    """A copy of the scenario's tree with each dotted path set, validated again."""
    if scenario.document is None:
        raise ScenarioError([f"{scenario.source}: this scenario was not loaded from YAML; it has no overrides"])
    tree = copy_tree(scenario.document)
    problems = []
    for path, value in overrides.items():
        origin = f"override {path}={value!r}"
        error = set_path(tree, path, node_from_value(value, origin))
        if error:
            problems.append(f"{scenario.source}: {path}: {error} ({origin})")
    if problems:
        raise ScenarioError(problems)
    return build(tree, scenario.source, check_sweep=check_sweep)


COLLECTIONS = frozenset({"data_centres", "regions", "participants", "message_types", "profiles", "flows", "services",
                         "bursts", "quotas", "tariffs", "faults", "slos"})
"""Mappings from names to settings: an override may change an entry, never invent one (a typo would add a data centre)."""


def set_path(tree: Node, path: str, value: Node) -> str | None:
    """Set `a.b.c` (mapping keys; a number indexes a list) in place; an error text or None.

    Missing sections are created (`topology.bus.node_concurrency` works when the file has no `bus:`), but a missing
    entry of a named collection is an error."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        return "not a dotted path such as topology.bus.node_concurrency"
    node = tree
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if node.is_map:
            if last:
                node.value[part] = value
                node.key_lines.setdefault(part, None)
                return None
            child = node.value.get(part)
            if child is None and depth > 0 and parts[depth - 1] in COLLECTIONS:
                where = ".".join(parts[:depth])
                return f"{where} has no entry {part!r}{did_you_mean(part, node.value)}"
            if child is None or child.value is None:
                child = Node({}, None, origin="an override")
                node.value[part] = child
                node.key_lines.setdefault(part, None)
            node = child
        elif node.is_seq:
            if not part.isdigit() or int(part) >= len(node.value):
                return f"{'.'.join(parts[:depth]) or 'the document'} is a list of {len(node.value)}; {part!r} is no index"
            if last:
                node.value[int(part)] = value
                return None
            node = node.value[int(part)]
        else:
            return f"{'.'.join(parts[:depth])} is a single value, it has no {part!r}"
    return None


__all__ = ["load_file", "load_text", "build", "apply_overrides", "set_path"]
