"""One whole run: replications of the scenario (or of each sweep point), the precision loop, and SLO verdicts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.metrics.catalogue import metric_info
from sim.metrics.slo import PASS, SloVerdict, judge, overall
from sim.metrics.stats import Interval
from sim.runner.replications import (
    MIN_REPLICATIONS,
    MapFn,
    Point,
    Precision,
    PrecisionOutcome,
    ReplicationSet,
    SimulateFn,
    default_simulate,
    run_points,
    sequential_map,
)
from sim.runner.sweep import GOODPUT_METRIC, THROUGHPUT_METRIC, at_capacity, efficiency_note, scaleout_efficiency
from sim.scenario import sweep_points


@dataclass
class PointResult:
    """The replications of one scenario variant: the scenario itself, or one sweep point (`value`)."""

    value: Any
    scenario: Any
    replications: ReplicationSet
    precision: PrecisionOutcome | None
    verdicts: list[SloVerdict]


@dataclass
class SweepResult:
    parameter: str
    values: list[Any]
    throughput_metric: str
    throughput: list[Interval]
    efficiency: list[Interval | None]
    scaleout: Interval | None
    goodput_metric: str
    goodput: list[Interval]
    goodput_efficiency: list[Interval | None]
    at_capacity: list[bool] = field(default_factory=list)
    efficiency_note: str | None = None
    """Why the efficiencies mean nothing (the first point below capacity), or None when they do."""


@dataclass
class RunResult:
    scenario: Any
    seed: int
    points: list[PointResult]
    sweep: SweepResult | None
    sweep_verdicts: list[SloVerdict]
    requested_replications: int
    timing: dict[str, Any] = field(default_factory=dict)

    @property
    def verdicts(self) -> list[tuple[Any, SloVerdict]]:
        """Every verdict with its sweep value (None outside a sweep), sweep-level verdicts last."""
        out = [(p.value, v) for p in self.points for v in p.verdicts]
        return out + [(None, v) for v in self.sweep_verdicts]

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    @property
    def verdict(self) -> str:
        """PASS, FAIL or INCONCLUSIVE (`sim.metrics.slo.overall`)."""
        return overall(v for _, v in self.verdicts)


class Progress:
    """Hooks a front end implements to show progress; the defaults do nothing."""

    def point(self, index: int, label: str, planned: int) -> None:
        """Point `index` is announced, `planned` replications for now (every point is announced before any runs:
        the points' replications share the workers)."""

    def replan(self, planned: int, index: int = 0) -> None:
        """The precision loop raised point `index`'s total to `planned`."""

    def replication_done(self, index: int = 0) -> None:
        """One more replication of point `index` finished."""


def _is_sweep_level(metric: str) -> bool:
    info = metric_info(metric)
    return info is not None and info.level == "sweep"


def execute(
    scenario: Any,
    *,
    seed: int | None = None,
    replications: int | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
    simulate: SimulateFn | None = None,
    map_fn: MapFn = sequential_map,
    audit_dir: Path | None = None,
    progress: Progress | None = None,
    executor: str = "one process",
    points: Callable[[Any], list[tuple[Any, Any]]] = sweep_points,
) -> RunResult:
    """Run `scenario` as its `run` section says, each argument given here taking precedence over it. `map_fn` is
    where replications run (`sim.runner.executors`), `executor` says so in the timing section; `points` makes the
    scenario of each sweep value."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    run = scenario.run
    seed = run.seed if seed is None else seed
    requested = run.replications if replications is None else replications
    n = max(MIN_REPLICATIONS, requested)
    target = run.precision if precision is None else precision
    cap = run.max_replications if max_replications is None else max_replications
    policy = Precision(target, max(cap, n)) if target is not None else None
    sim = simulate if simulate is not None else default_simulate()
    hooks = progress or Progress()

    slos = list(scenario.slos)
    point_slos = [s for s in slos if not _is_sweep_level(s.metric)]
    sweep_slos = [s for s in slos if _is_sweep_level(s.metric)]
    watch = sorted({s.metric for s in point_slos})

    variants: list[tuple[Any, Any]] = points(scenario) if run.sweep is not None else [(None, scenario)]
    runs: list[Point] = []
    for index, (value, variant) in enumerate(variants):
        label = scenario.name if value is None else f"{run.sweep.parameter} = {value}"
        hooks.point(index, label, n)
        point_audit = None
        if audit_dir is not None:
            point_audit = audit_dir if value is None else audit_dir / f"point-{index:02d}"
            point_audit.mkdir(parents=True, exist_ok=True)
        runs.append(Point(variant, ReplicationSet(seed), point_audit,
                          on_replication=lambda _s, i=index: hooks.replication_done(i),
                          on_plan=lambda total, i=index: hooks.replan(total, i)))
    thresholds: dict[str, list[tuple[str, float]]] = {}
    for s in point_slos:
        thresholds.setdefault(s.metric, []).append((s.op, float(s.threshold)))
    outcomes = run_points(runs, n, simulate=sim, precision=policy, watch=watch, map_fn=map_fn, thresholds=thresholds)
    points: list[PointResult] = []
    for (value, variant), p, outcome in zip(variants, runs, outcomes, strict=True):
        verdicts = [judge(s.name, s.metric, s.op, s.threshold, p.rset.interval(s.metric)) for s in point_slos]
        points.append(PointResult(value, variant, p.rset, outcome, verdicts))

    sweep_result: SweepResult | None = None
    sweep_verdicts: list[SloVerdict] = []
    if run.sweep is not None:
        sets = [p.replications for p in points]
        values = [p.value for p in points]
        per_point, overall = scaleout_efficiency(sets, values, THROUGHPUT_METRIC)
        goodput_per_point, _ = scaleout_efficiency(sets, values, GOODPUT_METRIC)
        sweep_result = SweepResult(run.sweep.parameter, values, THROUGHPUT_METRIC,
                                   [s.interval(THROUGHPUT_METRIC) for s in sets], per_point, overall,
                                   GOODPUT_METRIC, [s.interval(GOODPUT_METRIC) for s in sets], goodput_per_point)
        sweep_result.at_capacity = at_capacity(sweep_result.throughput)
        sweep_result.efficiency_note = efficiency_note(sweep_result.throughput, values)
    for s in sweep_slos:
        interval = sweep_result.scaleout if sweep_result is not None and sweep_result.scaleout is not None \
            else Interval(0, None, None, None)
        sweep_verdicts.append(judge(s.name, s.metric, s.op, s.threshold, interval))

    wall = time.perf_counter() - t0
    timing = {"started": started.isoformat(timespec="seconds"),
              "finished": datetime.now(UTC).isoformat(timespec="seconds"),
              "wall_seconds": round(wall, 3),
              "replications_run": sum(p.replications.n for p in points),
              "executor": executor}
    return RunResult(scenario, seed, points, sweep_result, sweep_verdicts, requested, timing)

ProgressFactory = Callable[[], Progress]
