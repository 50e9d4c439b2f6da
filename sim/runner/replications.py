"""Independent replications of one scenario, and the precision loop that adds replications until every SLO's
interval is narrow enough or clear of its threshold (as JMT stops a measure when its interval is precise enough).

Replication `i` of a run with seed `s` uses `numpy.random.SeedSequence(s).spawn(...)[i]`, built directly as
`SeedSequence(s, spawn_key=(i,))`, so its stream does not depend on how many replications run or in what batches,
and replication `i` of every sweep point sees the same random numbers (common random numbers, which makes
comparisons across points paired). A replication is a pure function of (scenario, seed): `run_one` is a top-level
function that builds everything inside the worker, so `sim.runner.executors` can run it in this process, on a spawn
process pool or on a Dask cluster with the same numbers.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sim.errors import SimError
from sim.metrics.collector import ReplicationSummary
from sim.metrics.intervals import metric_interval
from sim.metrics.slo import decided
from sim.metrics.stats import Interval, replications_needed
from sim.runner.executors import MapFn, process_pool, sequential_map

__all__ = ["Batch", "MapFn", "Point", "Precision", "PrecisionOutcome", "ReplicationFailed", "ReplicationFailure",
           "ReplicationSet", "attempt", "extend", "extend_many", "process_pool", "replication_seed", "run_one",
           "run_points", "run_replications", "sequential_map"]

MIN_REPLICATIONS = 2  # an interval needs two values
DEFAULT_MAX_REPLICATIONS = 50


class SimulateFn(Protocol):
    def __call__(self, scenario: Any, seed: np.random.SeedSequence, *,
                 audit_path: Path | None = None) -> ReplicationSummary: ...


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of replication `index`: identical to `SeedSequence(seed).spawn(index + 1)[index]`."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def default_simulate() -> SimulateFn:
    """The model's `simulate`, imported late so that the runner can be tested and imported without the model."""
    from sim.model import simulate  # local: the runner imports, and is tested, without the model (simulate is injected)

    return simulate


def run_one(task: tuple[SimulateFn, Any, int, int, Path | None]) -> ReplicationSummary:
    """Run replication `index` of `scenario`; tagged with its seed so a report can be rerun replication by replication."""
    simulate, scenario, seed, index, audit_path = task
    summary = simulate(scenario, replication_seed(seed, index), audit_path=audit_path)
    if not isinstance(summary, ReplicationSummary):
        raise TypeError(f"simulate() returned {type(summary).__name__}, expected ReplicationSummary")
    return replace(summary, seed={"entropy": seed, "spawn_key": [index]})


@dataclass(frozen=True)
class ReplicationFailure:
    """What a replication raised, carried back from the worker as plain text (any exception pickles this way)."""

    index: int
    error: str
    where: str
    traceback: str


class ReplicationFailed(SimError):
    """A replication raised: the run stops (exit 2) naming the replication, its seed and the error."""

    def __init__(self, failure: ReplicationFailure, seed: int, scenario_name: str):
        self.failure = failure
        where = f" at {failure.where}" if failure.where else ""
        super().__init__(f"replication {failure.index} of {scenario_name} (seed {seed}, spawn_key "
                         f"[{failure.index}]) failed{where}: {failure.error}")


def attempt(task: tuple[SimulateFn, Any, int, int, Path | None]) -> ReplicationSummary | ReplicationFailure:
    """`run_one`, with any exception turned into a `ReplicationFailure` (runs in the worker)."""
    try:
        return run_one(task)
    except Exception as exc:  # reported to the user by the runner, never swallowed
        frames = traceback.extract_tb(exc.__traceback__)
        last = frames[-1] if frames else None
        where = f"{last.filename}:{last.lineno} in {last.name}" if last is not None else ""
        return ReplicationFailure(task[3], f"{type(exc).__name__}: {exc}", where, traceback.format_exc())


@dataclass
class ReplicationSet:
    """The summaries of the replications of one scenario (one sweep point), in replication order."""

    seed: int
    summaries: list[ReplicationSummary] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.summaries)

    def values(self, metric: str) -> list[float | None]:
        return [s.metrics.get(metric) for s in self.summaries]

    def interval(self, metric: str) -> Interval:
        return metric_interval(metric, self.summaries)

    def metric_names(self) -> list[str]:
        names: set[str] = set()
        for s in self.summaries:
            names.update(s.metrics)
        return sorted(names)


@dataclass(frozen=True)
class Precision:
    """Stop adding replications once every watched metric's relative half-width is at most `target`, or at `cap`."""

    target: float
    cap: int = DEFAULT_MAX_REPLICATIONS

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            raise ValueError(f"precision must be a fraction in (0, 1), got {self.target!r}")
        if self.cap < MIN_REPLICATIONS:
            raise ValueError(f"the replication cap must be at least {MIN_REPLICATIONS}, got {self.cap!r}")


@dataclass(frozen=True)
class PrecisionOutcome:
    """What the precision loop achieved: per watched metric, the relative half-width reached."""

    target: float
    cap: int
    reached: bool
    relative_half_widths: dict[str, float | None]
    rounds: int

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "cap": self.cap, "reached": self.reached, "rounds": self.rounds,
                "relative_half_widths": {k: (None if v is None or not math.isfinite(v) else v)
                                         for k, v in self.relative_half_widths.items()}}


@dataclass
class Batch:
    """`count` more replications of `scenario` for `rset` (indices continue where it stopped)."""

    rset: ReplicationSet
    scenario: Any
    count: int
    audit_dir: Path | None = None
    on_replication: Callable[[ReplicationSummary], None] | None = None


def extend_many(batches: Sequence[Batch], *, simulate: SimulateFn, map_fn: MapFn = sequential_map) -> None:
    """Run every batch's replications in one `map_fn` call (so sweep points share the workers), report each as it
    completes, and append them to their sets in replication order. The first failure stops the run."""
    tasks: list[tuple[SimulateFn, Any, int, int, Path | None]] = []
    owners: list[tuple[int, int]] = []  # task position -> (batch, replication index)
    for b_index, batch in enumerate(batches):
        start = batch.rset.n
        for i in range(start, start + batch.count):
            audit = (batch.audit_dir / f"replication-{i:03d}.jsonl") if batch.audit_dir is not None else None
            tasks.append((simulate, batch.scenario, batch.rset.seed, i, audit))
            owners.append((b_index, i))
    done: list[dict[int, ReplicationSummary]] = [{} for _ in batches]
    results = map_fn(attempt, tasks)
    try:
        for position, result in results:
            b_index, index = owners[position]
            batch = batches[b_index]
            if isinstance(result, ReplicationFailure):
                raise ReplicationFailed(result, batch.rset.seed, getattr(batch.scenario, "name", "the scenario"))
            done[b_index][index] = result
            if batch.on_replication is not None:
                batch.on_replication(result)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # cancels whatever is still pending
    for batch, finished in zip(batches, done, strict=True):
        batch.rset.summaries.extend(finished[i] for i in sorted(finished))


def extend(rset: ReplicationSet, scenario: Any, count: int, *, simulate: SimulateFn,
           map_fn: MapFn = sequential_map, audit_dir: Path | None = None,
           on_replication: Callable[[ReplicationSummary], None] | None = None) -> None:
    """Append `count` more replications to `rset` (indices continue where it stopped)."""
    extend_many([Batch(rset, scenario, count, audit_dir, on_replication)], simulate=simulate, map_fn=map_fn)


Threshold = tuple[str, float]
"""An SLO's comparison and threshold on a watched metric, e.g. ("<=", 2.0)."""


def unmet(rset: ReplicationSet, metrics: Sequence[str], target: float,
          thresholds: dict[str, Sequence[Threshold]] | None = None) -> dict[str, float | None]:
    """Watched metrics whose relative half-width exceeds `target` (None/inf: not yet defined) and whose interval
    still straddles one of its SLO `thresholds` (a metric whose every SLO is decided needs no more precision: more
    replications would not change a verdict). Metrics measured in no replication are skipped: more replications
    cannot make them appear."""
    out: dict[str, float | None] = {}
    for m in metrics:
        iv = rset.interval(m)
        if iv.n == 0:
            continue
        rhw = iv.relative_half_width
        if rhw is not None and rhw <= target:
            continue
        limits = (thresholds or {}).get(m)
        if limits and all(decided(iv, op, value) for op, value in limits):
            continue
        out[m] = rhw
    return out


def next_count(rset: ReplicationSet, metrics: Sequence[str], target: float, cap: int) -> int:
    """How many replications to add next: the largest estimate over the unmet metrics, at most doubling per round."""
    wanted = rset.n + 1
    for m in metrics:
        need = replications_needed(rset.interval(m), target)
        wanted = max(wanted, need if need is not None else 2 * rset.n)
    return max(0, min(wanted, 2 * rset.n, cap) - rset.n)


@dataclass
class Point:
    """One scenario variant under the precision loop: its replications, and hooks for progress."""

    scenario: Any
    rset: ReplicationSet
    audit_dir: Path | None = None
    on_replication: Callable[[ReplicationSummary], None] | None = None
    on_plan: Callable[[int], None] | None = None
    rounds: int = 0


def run_points(points: Sequence[Point], replications: int, *, simulate: SimulateFn,
               precision: Precision | None = None, watch: Sequence[str] = (),
               map_fn: MapFn = sequential_map,
               thresholds: dict[str, Sequence[Threshold]] | None = None) -> list[PrecisionOutcome | None]:
    """Run `replications` replications of every point at once, then, with `precision`, rounds in which every point
    whose watched intervals are still too wide (and undecided against their `thresholds`) gets more (all such points
    in one batch), until each meets the target or reaches the cap."""
    if replications < MIN_REPLICATIONS:
        raise ValueError(f"at least {MIN_REPLICATIONS} replications are needed for a confidence interval")
    for p in points:
        if p.on_plan is not None:
            p.on_plan(replications)
    extend_many([Batch(p.rset, p.scenario, replications, p.audit_dir, p.on_replication) for p in points],
                simulate=simulate, map_fn=map_fn)
    if precision is None:
        return [None] * len(points)
    active = list(points)
    while active:
        batches, still = [], []
        for p in active:
            missing = unmet(p.rset, watch, precision.target, thresholds)
            more = 0 if not missing or p.rset.n >= precision.cap else \
                next_count(p.rset, list(missing), precision.target, precision.cap)
            if more > 0:
                p.rounds += 1
                if p.on_plan is not None:
                    p.on_plan(p.rset.n + more)
                batches.append(Batch(p.rset, p.scenario, more, p.audit_dir, p.on_replication))
                still.append(p)
        if batches:
            extend_many(batches, simulate=simulate, map_fn=map_fn)
        active = still
    outcomes: list[PrecisionOutcome | None] = []
    for p in points:
        rhw = {m: p.rset.interval(m).relative_half_width for m in watch}
        reached = not unmet(p.rset, watch, precision.target, thresholds)
        outcomes.append(PrecisionOutcome(precision.target, precision.cap, reached, rhw, p.rounds))
    return outcomes


def run_replications(
    scenario: Any,
    seed: int,
    replications: int,
    *,
    simulate: SimulateFn | None = None,
    precision: Precision | None = None,
    watch: Sequence[str] = (),
    map_fn: MapFn = sequential_map,
    audit_dir: Path | None = None,
    on_replication: Callable[[ReplicationSummary], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> tuple[ReplicationSet, PrecisionOutcome | None]:
    """Run `replications` (at least 2) replications; with `precision`, keep adding until every metric in `watch`
    has a relative half-width within the target, or the cap is reached. `on_plan(total)` is told each new total."""
    point = Point(scenario, ReplicationSet(seed), audit_dir, on_replication, on_plan)
    sim = simulate if simulate is not None else default_simulate()
    [outcome] = run_points([point], replications, simulate=sim, precision=precision, watch=watch, map_fn=map_fn)
    return point.rset, outcome
