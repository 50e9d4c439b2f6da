"""A stand-in scenario and `simulate` for runner and report tests: a single-server queue with known theory."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sim.metrics.reference import single_server_replication
from sim.scenario.model import RunSpec, Slo, Sweep


@dataclass(frozen=True)
class FakeScenario:
    name: str = "fake"
    arrival_rate: float = 0.5
    service_rate: float = 1.0
    servers: float = 1.0  # scales both rates: "resources"
    run: RunSpec = field(default_factory=lambda: RunSpec(
        duration=2000.0, warmup=200.0, replications=3, seed=7, traffic_scale=1.0, precision=None,
        max_replications=20, sweep=None))
    slos: tuple[Slo, ...] = ()
    faults: tuple = ()
    document: Any = None



def fake_overrides(scenario: FakeScenario, overrides: dict[str, Any]) -> FakeScenario:
    out = scenario
    for key, value in overrides.items():
        if key.startswith("run."):
            out = replace(out, run=replace(out.run, **{key[4:]: value}))
        else:
            out = replace(out, **{key: float(value)})
    return out


def fake_sweep_points(scenario: FakeScenario) -> list[tuple[Any, FakeScenario]]:
    """`sim.scenario.sweep_points` for the stand-in: pass `points=fake_sweep_points` to `execute`."""
    if scenario.run.sweep is None:
        return []
    return [(v, fake_overrides(scenario, {scenario.run.sweep.parameter: v})) for v in scenario.run.sweep.values]


def fake_simulate(scenario: FakeScenario, seed, *, audit_path=None):
    if audit_path is not None:
        audit_path.write_text("audit\n")
    return single_server_replication(scenario.arrival_rate * scenario.servers,
                                     scenario.service_rate * scenario.servers,
                                     scenario.run.duration, scenario.run.warmup, seed)


def slo(metric: str, op: str, threshold: float, name: str | None = None) -> Slo:
    return Slo(name or metric, metric, op, threshold, f"{metric} {op} {threshold}")


def with_sweep(scenario: FakeScenario, parameter: str, values: tuple) -> FakeScenario:
    return replace(scenario, run=replace(scenario.run, sweep=Sweep(parameter, values)))
