"""Independent replications of one scenario, and the precision loop that adds replications until the SLO intervals
are narrow enough (as JMT does).

Replication `i` of a run with seed `s` uses `numpy.random.SeedSequence(s).spawn(...)[i]`, built directly as
`SeedSequence(s, spawn_key=(i,))`, so its stream does not depend on how many replications run or in what batches,
and replication `i` of every sweep point sees the same random numbers (common random numbers, which makes
comparisons across points paired). A replication is a pure function of (scenario, seed): `run_one` is a top-level
function, so a process pool or a cluster can map it later without changes here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sim.metrics.collector import ReplicationSummary
from sim.metrics.stats import Interval, confidence_interval, replications_needed

MIN_REPLICATIONS = 2  # an interval needs two values
DEFAULT_MAX_REPLICATIONS = 50


class SimulateFn(Protocol):
    def __call__(self, scenario: Any, seed: np.random.SeedSequence, *,
                 audit_path: Path | None = None) -> ReplicationSummary: ...


MapFn = Callable[[Callable[[tuple], ReplicationSummary], Iterable[tuple]], Iterator[ReplicationSummary]]


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of replication `index`: identical to `SeedSequence(seed).spawn(index + 1)[index]`."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def default_simulate() -> SimulateFn:
    """The model's `simulate`, imported late so that the runner can be tested and imported without the model."""
    from sim.model import simulate

    return simulate


def run_one(task: tuple[SimulateFn, Any, int, int, Path | None]) -> ReplicationSummary:
    """Run replication `index` of `scenario`; tagged with its seed so a report can be rerun replication by replication."""
    simulate, scenario, seed, index, audit_path = task
    summary = simulate(scenario, replication_seed(seed, index), audit_path=audit_path)
    if not isinstance(summary, ReplicationSummary):
        raise TypeError(f"simulate() returned {type(summary).__name__}, expected ReplicationSummary")
    return replace(summary, seed={"entropy": seed, "spawn_key": [index]})


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
        return confidence_interval(self.values(metric))

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


def sequential_map(fn: Callable[[tuple], ReplicationSummary], tasks: Iterable[tuple]) -> Iterator[ReplicationSummary]:
    return map(fn, tasks)


@contextmanager
def process_pool(workers: int) -> Iterator[MapFn]:
    """A `map_fn` running replications in `workers` local processes; results come back in replication order, so a
    run's numbers do not depend on the number of workers."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield lambda fn, tasks: pool.map(fn, tasks)


def extend(rset: ReplicationSet, scenario: Any, count: int, *, simulate: SimulateFn,
           map_fn: MapFn = sequential_map, audit_dir: Path | None = None,
           on_replication: Callable[[ReplicationSummary], None] | None = None) -> None:
    """Append `count` more replications to `rset` (indices continue where it stopped)."""
    start = rset.n
    tasks = [(simulate, scenario, rset.seed, i,
              (audit_dir / f"replication-{i:03d}.jsonl") if audit_dir is not None else None)
             for i in range(start, start + count)]
    for summary in map_fn(run_one, tasks):
        rset.summaries.append(summary)
        if on_replication is not None:
            on_replication(summary)


def unmet(rset: ReplicationSet, metrics: Sequence[str], target: float) -> dict[str, float | None]:
    """Watched metrics whose relative half-width exceeds `target` (None/inf: not yet defined). Metrics measured in no
    replication are skipped: more replications cannot make them appear."""
    out: dict[str, float | None] = {}
    for m in metrics:
        iv = rset.interval(m)
        if iv.n == 0:
            continue
        rhw = iv.relative_half_width
        if rhw is None or rhw > target:
            out[m] = rhw
    return out


def next_count(rset: ReplicationSet, metrics: Sequence[str], target: float, cap: int) -> int:
    """How many replications to add next: the largest estimate over the unmet metrics, at most doubling per round."""
    wanted = rset.n + 1
    for m in metrics:
        need = replications_needed(rset.interval(m), target)
        wanted = max(wanted, need if need is not None else 2 * rset.n)
    return max(0, min(wanted, 2 * rset.n, cap) - rset.n)


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
    if replications < MIN_REPLICATIONS:
        raise ValueError(f"at least {MIN_REPLICATIONS} replications are needed for a confidence interval")
    sim = simulate if simulate is not None else default_simulate()
    rset = ReplicationSet(seed)
    if on_plan is not None:
        on_plan(replications)
    extend(rset, scenario, replications, simulate=sim, map_fn=map_fn, audit_dir=audit_dir,
           on_replication=on_replication)
    if precision is None:
        return rset, None
    rounds = 0
    while True:
        missing = unmet(rset, watch, precision.target)
        if not missing or rset.n >= precision.cap:
            break
        more = next_count(rset, list(missing), precision.target, precision.cap)
        if more <= 0:
            break
        rounds += 1
        if on_plan is not None:
            on_plan(rset.n + more)
        extend(rset, scenario, more, simulate=sim, map_fn=map_fn, audit_dir=audit_dir, on_replication=on_replication)
    rhw = {m: rset.interval(m).relative_half_width for m in watch}
    reached = not unmet(rset, watch, precision.target)
    return rset, PrecisionOutcome(precision.target, precision.cap, reached, rhw, rounds)
