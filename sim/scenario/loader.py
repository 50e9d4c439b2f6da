"""Loading a scenario: file -> bounded YAML tree (`conformance.yamlnodes`) -> every section validated -> `Scenario`,
or `ScenarioError` with every problem found, each `FILE:LINE: path.to.field: what is wrong`. Also overrides and
sweep points: a scenario with dotted paths set is the same tree, edited (`overrides.set_path`) and loaded again."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.yamlnodes.problems import Problem, SchemaErrors
from conformance.yamlnodes.tree import Node, compose_text, copy_tree, node_from_value, read_text
from sim.errors import ScenarioError
from sim.scenario import schema as s
from sim.scenario.build_rules import RulesBuilder
from sim.scenario.build_topology import TopologyBuilder
from sim.scenario.build_traffic import TrafficBuilder
from sim.scenario.fields import INVALID, Context
from sim.scenario.model import Scenario
from sim.scenario.overrides import set_path
from sim.scenario.refs import Names


def load_file(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    try:
        text = read_text(path)
    except SchemaErrors as exc:
        raise ScenarioError(exc.problems) from None
    return load_text(text, str(path))


def load_text(text: str, source: str = "<string>") -> Scenario:
    """Validate scenario text; `source` names it in messages."""
    try:
        tree = compose_text(text, source, aliases=True)
    except SchemaErrors as exc:
        raise ScenarioError(exc.problems) from None
    return build(tree, source)


def build(tree: Node, source: str, *, check_sweep: bool = True) -> Scenario:
    """Validate a tree. With `check_sweep`, every sweep value is also applied and validated (a point need not
    re-check the sweep it belongs to)."""
    ctx = Context(source)
    if not tree.is_map:
        raise ScenarioError([Problem(source, tree.line, "",
                                     "expected a mapping with name, topology, message_types, workload...")])
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
    ctx.raise_if_any(ScenarioError)
    scenario = Scenario(top["name"], top["description"], topology, message_types, workload, policies, faults, slos,
                        run, source, document=tree)
    if check_sweep and run.sweep is not None:
        _check_sweep(scenario, ctx)
        ctx.raise_if_any(ScenarioError)
    return scenario


def _check_sweep(scenario: Scenario, ctx: Context) -> None:
    sweep = scenario.run.sweep
    values_node = scenario.document.value["run"].value["sweep"].value["values"]
    for i, value in enumerate(sweep.values):
        try:
            _apply(scenario, {sweep.parameter: value}, check_sweep=False)
        except ScenarioError as exc:
            for problem in exc.problems:
                ctx.problem(values_node.value[i], f"run.sweep.values[{i}]",
                            f"with {sweep.parameter} = {value!r}: {_located(problem)}")


def _located(problem: Problem) -> str:
    """A problem of the same file, without the file name."""
    text = str(problem)
    return text[len(problem.file) + 1:].lstrip(": ")


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario with dotted YAML paths set to values (YAML scalars or text such as '4' or '250ms'),
    validated exactly like a loaded file. Raises `ScenarioError`."""
    return _apply(scenario, overrides, check_sweep=False)


def sweep_points(scenario: Scenario) -> list[tuple[Any, Scenario]]:
    """`[(value, scenario with the sweep parameter set to value), ...]`; `[]` when there is no sweep."""
    sweep = scenario.run.sweep
    if sweep is None:
        return []
    return [(value, with_overrides(scenario, {sweep.parameter: value})) for value in sweep.values]


def _apply(scenario: Scenario, overrides: Mapping[str, Any], *, check_sweep: bool) -> Scenario:
    if scenario.document is None:
        raise ScenarioError([Problem(scenario.source, None, "",
                                     "this scenario was not loaded from YAML; it has no overrides")])
    tree = copy_tree(scenario.document)
    problems = []
    for path, value in overrides.items():
        origin = f"override {path}={value!r}"
        error = set_path(tree, path, node_from_value(value, origin, path))
        if error:
            problems.append(Problem(scenario.source, None, path, f"{error} ({origin})"))
    if problems:
        raise ScenarioError(problems)
    return build(tree, scenario.source, check_sweep=check_sweep)


__all__ = ["load_file", "load_text", "build", "with_overrides", "sweep_points"]
