"""Capacity questions on replicated runs: judge a setting of scenario parameters against every SLO (PASS / FAIL /
INCONCLUSIVE on the SLOs' confidence intervals), and search settings for an answer.

- `smallest`: one whole-number resource, bisection (more of a resource never makes an SLO worse);
- `largest_load`: `run.traffic_scale`, bisection to a tolerance (more load never makes an SLO better);
- `grid`: every combination of two or more axes (resources, the load, any numeric parameter), each cell judged.

Every setting runs `replications` replications with common random numbers (the same seeds at every setting); one
whose verdict is INCONCLUSIVE gets more, doubling up to `max_replications`; one still inconclusive then is reported
as such, and the searches treat it as not shown to meet the SLOs (the answer errs on the safe side). The settings
of a grid run together, so that their replications share the workers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.errors import SimError
from sim.metrics.slo import judge as judge_slo
from sim.runner.executors import sequential_map
from sim.runner.orchestrator import Progress
from sim.runner.replications import Batch, ReplicationSet, default_simulate, extend_many
from sim.runner.sweep import THROUGHPUT_METRIC, carries_less
from sim.scenario import with_overrides

PASS, FAIL, INCONCLUSIVE = "PASS", "FAIL", "INCONCLUSIVE"
LOAD_PARAMETER = "run.traffic_scale"
MAX_GRID_CELLS = 64
"""A grid of more cells than this is refused before anything runs: each cell costs a full set of replications
(at 4 replications of a minute each, 64 cells are over four hours on one core)."""
P99_METRICS = ("realtime.latency.p99", "async.latency.p99")
"""Recorded at every setting whether an SLO names them or not: the heat-map and the capacity plot show them."""


@dataclass(frozen=True)
class Axis:
    """A parameter (dotted scenario path) and the values it may take: a range `lo..hi` or an explicit list."""

    path: str
    values: tuple[float, ...] = ()  # an explicit list, or empty for a range
    lo: float = 0.0
    hi: float = 0.0
    integer: bool = True

    @property
    def is_range(self) -> bool:
        return not self.values

    def points(self) -> tuple[float, ...]:
        """Every value of the axis (a range of whole numbers is expanded; a range of reals has no points)."""
        if self.values:
            return self.values
        if not self.integer:
            return ()
        return tuple(float(v) for v in range(int(self.lo), int(self.hi) + 1))


def _number(text: str, integer: bool, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what}: expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or (integer and value != int(value)):
        kind = "a whole number >= 1" if integer else "a positive number"
        raise ValueError(f"{what}: expected {kind}, got {text!r}")
    return value


def parse_axis(text: str, path: str | None = None, integer: bool = True) -> Axis:
    """`PATH=LO..HI` or `PATH=V1,V2,...` (or, with `path` given, just the values). A range is of whole numbers when
    `integer` (it is bisected or expanded); a list may hold any positive numbers (`Axis.integer` says whether all are
    whole). Raises ValueError naming the problem: no path, no values, a range that does not go up, a value that is
    not a positive (whole) number."""
    if path is None:
        path, sep, text = text.partition("=")
        if not sep or not path.strip() or not text.strip():
            raise ValueError(f"expected PATH=LO..HI or PATH=V1,V2,..., got {path + sep + text!r}")
        path = path.strip()
    text = text.strip()
    if ".." in text:
        lo_text, _, hi_text = text.partition("..")
        lo, hi = _number(lo_text, integer, path), _number(hi_text, integer, path)
        if hi <= lo:
            raise ValueError(f"{path}: the range {text!r} is empty: it must go from low to high")
        return Axis(path, (), lo, hi, integer)
    values = tuple(sorted({_number(v, False, path) for v in text.split(",") if v.strip()}))
    if len(values) < 2:
        raise ValueError(f"{path}: give a range LO..HI or at least two values, got {text!r}")
    return Axis(path, values, values[0], values[-1], all(v.is_integer() for v in values))


def check_grid(axes: Sequence[Axis], limit: int = MAX_GRID_CELLS) -> int:
    """The number of cells of a grid over `axes`, or a SimError saying why it cannot run: an axis given twice, a
    range of reals (a grid needs its values listed), more cells than `limit`."""
    seen: set[str] = set()
    for axis in axes:
        if axis.path in seen:
            raise SimError(f"{axis.path} is given twice: one axis per parameter")
        seen.add(axis.path)
        if not axis.points():
            raise SimError(f"{axis.path}: a grid needs the values listed (V1,V2,...), not the range "
                           f"{axis.lo:g}..{axis.hi:g} of real numbers")
    cells = math.prod(len(a.points()) for a in axes)
    if cells > limit:
        sizes = " x ".join(str(len(a.points())) for a in axes)
        raise SimError(f"the grid has {sizes} = {cells} cells, more than the limit of {limit}: narrow the ranges or "
                       "list fewer values")
    return cells


# --- judging one setting ---------------------------------------------------------------------------------------------

@dataclass
class SloResult:
    name: str
    metric: str
    op: str
    threshold: float
    mean: float | None
    low: float | None
    high: float | None
    verdict: str


Triple = tuple[float | None, float | None, float | None]  # mean, low, high


@dataclass
class Point:
    """One setting, its replications and its verdicts (the worst SLO's verdict is the point's)."""

    setting: dict[str, float]
    replications: int = 0
    slos: list[SloResult] = field(default_factory=list)
    throughput: Triple = (None, None, None)
    p99: dict[str, Triple] = field(default_factory=dict)  # the P99_METRICS measured at this setting

    @property
    def verdict(self) -> str:
        verdicts = {s.verdict for s in self.slos}
        return FAIL if FAIL in verdicts else INCONCLUSIVE if INCONCLUSIVE in verdicts else PASS

    def to_dict(self) -> dict[str, Any]:
        def triple(t: Triple) -> dict[str, Any]:
            out: dict[str, Any] = dict(zip(("mean", "ci_low", "ci_high"), (_finite(v) for v in t), strict=True))
            return {**out, "unbounded": any(v is not None and math.isinf(v) for v in t)}

        return {"setting": self.setting, "verdict": self.verdict, "replications": self.replications,
                "throughput": triple(self.throughput), "p99": {m: triple(t) for m, t in self.p99.items()},
                "slos": [{**vars(s), "mean": _finite(s.mean), "low": _finite(s.low), "high": _finite(s.high),
                          "unbounded": any(v is not None and math.isinf(v) for v in (s.mean, s.high))}
                         for s in self.slos]}


def _finite(value: float | None) -> float | None:
    """JSON has no infinity: a metric beyond every deadline (unanswered requests) is written as null."""
    return value if value is None or math.isfinite(value) else None


def three_way(slo: Any, verdict: Any) -> str:
    """PASS / FAIL / INCONCLUSIVE of one SLO from its verdict (`sim.metrics.slo`) and the SLO's own threshold test:
    a verdict that already says it is taken; otherwise PASS when it passed, INCONCLUSIVE when one end of the interval
    meets the threshold or there is no interval yet (one replication), FAIL when no end does or nothing was
    measured."""
    said = getattr(verdict, "verdict", None)
    if isinstance(said, str) and said.upper() in (PASS, FAIL, INCONCLUSIVE):
        return said.upper()
    if verdict.passed:
        return PASS
    if verdict.n == 0 or verdict.mean is None:
        return FAIL
    if verdict.ci_low is None or verdict.ci_high is None:
        return INCONCLUSIVE
    return INCONCLUSIVE if slo.holds(verdict.ci_low) or slo.holds(verdict.ci_high) else FAIL


def setting_text(setting: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in setting.items())


def yaml_value(v: float) -> Any:
    """A setting as the scenario takes it: whole numbers as int."""
    return int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v)


Judge = Callable[[dict[str, float]], Point]


class Evaluator:
    """Runs and judges settings of a scenario, each once (cached): `replications` replications with common seeds,
    doubled while some SLO is inconclusive, up to `max_replications`; `overrides` applies a setting
    (`sim.scenario.with_overrides`). `progress` hears of every setting as a point
    (its label the setting), of its replications and of a doubling; `on_point` of every setting judged."""

    def __init__(self, scenario: Any, seed: int, replications: int, max_replications: int,
                 map_fn: Any = None, simulate: Any = None, on_point: Callable[[Point], None] | None = None,
                 progress: Progress | None = None,
                 overrides: Callable[[Any, dict[str, Any]], Any] = with_overrides) -> None:
        self.scenario = scenario
        self.overrides = overrides
        self.seed = seed
        self.replications = replications
        self.max_replications = max(max_replications, replications)
        self.map_fn = map_fn if map_fn is not None else sequential_map
        self.simulate = simulate if simulate is not None else default_simulate()
        self.on_point = on_point
        self.progress = progress or Progress()
        self.points: dict[tuple, Point] = {}

    def __call__(self, setting: dict[str, float]) -> Point:
        return self.many([setting])[0]

    def many(self, settings: Iterable[dict[str, float]]) -> list[Point]:
        """Judge every setting, the new ones together (their replications in one batch per round)."""
        settings = list(settings)
        pending: list[tuple[dict[str, float], Any, ReplicationSet, int]] = []
        for setting in settings:
            key = _key(setting)
            if key in self.points or any(_key(s) == key for s, *_ in pending):
                continue
            scenario = self.overrides(self.scenario, {path: yaml_value(v) for path, v in setting.items()})
            index = len(self.points) + len(pending)
            self.progress.point(index, setting_text(setting), self.replications)
            pending.append((dict(setting), scenario, ReplicationSet(self.seed), index))
        counts = {index: self.replications for *_, index in pending}
        while pending:
            extend_many([Batch(rset, scenario, counts[index], None, self._done(index))
                         for _s, scenario, rset, index in pending], simulate=self.simulate, map_fn=self.map_fn)
            still = []
            for item in pending:
                setting, _scenario, rset, index = item
                point = self._judge(setting, rset)
                if point.verdict != INCONCLUSIVE or rset.n >= self.max_replications:
                    self.points[_key(setting)] = point
                    if self.on_point is not None:
                        self.on_point(point)
                    continue
                counts[index] = min(rset.n, self.max_replications - rset.n)
                self.progress.replan(rset.n + counts[index], index)
                still.append(item)
            pending = still
        return [self.points[_key(s)] for s in settings]

    def _done(self, index: int) -> Callable[[Any], None]:
        return lambda _summary: self.progress.replication_done(index)

    def _judge(self, setting: dict[str, float], rset: ReplicationSet) -> Point:
        point = Point(dict(setting), rset.n)
        for slo in self.scenario.slos:
            v = judge_slo(slo.name, slo.metric, slo.op, slo.threshold, rset.interval(slo.metric))
            point.slos.append(SloResult(slo.name, slo.metric, slo.op, slo.threshold, v.mean, v.ci_low, v.ci_high,
                                        three_way(slo, v)))
        point.throughput = _triple(rset, THROUGHPUT_METRIC)
        for metric in P99_METRICS:
            triple = _triple(rset, metric)
            if triple[0] is not None:
                point.p99[metric] = triple
        return point


def _key(setting: dict[str, float]) -> tuple:
    return tuple(sorted(setting.items()))


def _triple(rset: ReplicationSet, metric: str) -> Triple:
    iv = rset.interval(metric)
    return iv.mean, iv.low, iv.high


# --- the searches --------------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    kind: str  # "smallest", "largest-load", "grid"
    parameters: list[str]
    found: list[dict[str, float]]  # the answer's settings (one for a bisection, the minimal ones for a grid)
    note: str
    points: list[Point]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "parameters": self.parameters, "found": self.found, "note": self.note,
                "points": [p.to_dict() for p in sorted(self.points, key=lambda p: tuple(p.setting.values()))]}


def _inconclusive_note(points: Sequence[Point]) -> str:
    shaky = [p for p in points if p.verdict == INCONCLUSIVE]
    if not shaky:
        return ""
    where = "; ".join(setting_text(p.setting) for p in shaky)
    return (f"; inconclusive at {where} after {max(p.replications for p in shaky)} replications (intervals straddle a "
            "threshold): taken as not meeting the SLOs; raise --max-replications or the duration to settle them")


def _seen(judge: Judge) -> list[Point]:
    return list(getattr(judge, "points", {}).values())


def _both(judge: Judge, a: dict[str, float], b: dict[str, float]) -> tuple[Point, Point]:
    """Judge two settings, together when the judge can (their replications then share the workers)."""
    many = getattr(judge, "many", None)
    if many is not None:
        first, second = many([a, b])
        return first, second
    return judge(a), judge(b)


def _bisect(judge: Judge, path: str, good: float, bad: float, midpoint: Callable[[float, float], float],
            settled: Callable[[float, float], bool]) -> tuple[float, float]:
    """Narrow [good, bad] (every SLO passes at `good`, not at `bad`) until `settled`: the one bisection both
    searches share. A setting not shown to pass (FAIL or INCONCLUSIVE) moves `bad`."""
    while not settled(good, bad):
        mid = midpoint(good, bad)
        if mid in (good, bad):
            break
        if judge({path: mid}).verdict == PASS:
            good = mid
        else:
            bad = mid
    return good, bad


def smallest(axis: Axis, judge: Judge) -> Answer:
    """The smallest value of a whole-number resource in [lo, hi] at which every SLO passes (bisection: more of the
    resource never makes an SLO worse)."""
    lo, hi = int(axis.lo), int(axis.hi)
    top, bottom = _both(judge, {axis.path: hi}, {axis.path: lo})
    if top.verdict != PASS:
        note = f"even {axis.path} = {hi} is not shown to meet every SLO ({top.verdict})"
        return Answer("smallest", [axis.path], [], note + _inconclusive_note([top]), _seen(judge))
    if bottom.verdict == PASS:
        return Answer("smallest", [axis.path], [{axis.path: lo}], f"the lowest value tried, {lo}, meets every SLO",
                      _seen(judge))
    good, bad = _bisect(judge, axis.path, hi, lo, lambda g, b: (g + b) // 2, lambda g, b: g - b <= 1)
    seen = _seen(judge)
    note = f"{axis.path} = {good:g} meets every SLO; {bad:g} does not" + _inconclusive_note(seen)
    return Answer("smallest", [axis.path], [{axis.path: good}], note, seen)


def largest_load(axis: Axis, judge: Judge, tolerance: float) -> Answer:
    """The largest traffic_scale in [lo, hi] at which every SLO passes, to within `tolerance` of it (bisection:
    more load never makes an SLO better)."""
    lo, hi = axis.lo, axis.hi
    bottom, top = _both(judge, {axis.path: lo}, {axis.path: hi})
    if bottom.verdict != PASS:
        note = f"even {axis.path} = {lo:g} is not shown to meet every SLO"
        return Answer("largest-load", [axis.path], [], note + _inconclusive_note([bottom]), _seen(judge))
    if top.verdict == PASS:
        return Answer("largest-load", [axis.path], [{axis.path: hi}],
                      f"the highest load tried, {hi:g}, meets every SLO", _seen(judge))
    good, bad = _bisect(judge, axis.path, lo, hi, lambda g, b: _round_scale((g + b) / 2.0),
                        lambda g, b: b - g <= tolerance * b)
    seen = _seen(judge)
    note = f"{axis.path} = {good:g} is carried within every SLO; {bad:g} is not" + _inconclusive_note(seen)
    return Answer("largest-load", [axis.path], [{axis.path: good}], note, seen)


def _round_scale(x: float) -> float:
    return float(f"{x:.4g}")


def grid(axes: Sequence[Axis], judge: Judge, limit: int = MAX_GRID_CELLS) -> Answer:
    """Every combination of the axes, each cell judged. The answer: the minimal passing settings (no other passing
    setting is at most as large in every resource), per value of the load when the load is an axis (more load is
    not a resource: for each load, the least resources that carry it)."""
    check_grid(axes, limit)
    paths = [a.path for a in axes]
    settings = [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(a.points() for a in axes))]
    many = getattr(judge, "many", None)
    points = many(settings) if many is not None else [judge(s) for s in settings]
    resources = [p for p in paths if p != LOAD_PARAMETER]
    passing = [p for p in points if p.verdict == PASS]

    def same_load(p: Point, q: Point) -> bool:
        return p.setting.get(LOAD_PARAMETER) == q.setting.get(LOAD_PARAMETER)

    minimal = [p for p in passing
               if not any(q is not p and same_load(p, q) and all(q.setting[k] <= p.setting[k] for k in resources)
                          for q in passing)]
    found = [p.setting for p in minimal]
    cells = f"{sum(1 for p in points if p.verdict == PASS)} of {len(points)} cells meet every SLO"
    if found:
        note = f"{cells}; {len(found)} minimal setting(s)" + (" per load" if LOAD_PARAMETER in paths else "")
    else:
        note = f"{cells}: no combination is shown to meet every SLO"
    return Answer("grid", paths, found, note + _inconclusive_note(points), points)


# --- scale-out efficiency where it means something -----------------------------------------------------------------------

def scaleout_lines(answer: Answer) -> list[str]:
    """Throughput gain over resource gain between consecutive points of a one-resource search, only where the smaller
    point is at capacity: its throughput interval lies below the largest point's (it could not carry the load)."""
    if answer.kind != "smallest":
        return []
    path = answer.parameters[0]
    points = sorted((p for p in answer.points if p.throughput[0] is not None), key=lambda p: p.setting[path])
    if len(points) < 2:
        return []
    best = max(points, key=lambda p: p.throughput[0])  # type: ignore[arg-type, return-value]
    lines = []
    for a, b in itertools.pairwise(points):
        a_high, b_mean = a.throughput[2], b.throughput[0]
        if not carries_less(a_high, best.throughput[1]):
            continue  # a carries what the most resources carry: below capacity
        gain = b_mean / a.throughput[0] if a.throughput[0] else math.inf  # type: ignore[operator]
        eff = gain / (b.setting[path] / a.setting[path])
        lines.append(f"scale-out efficiency {path} {a.setting[path]:g} -> {b.setting[path]:g}: {eff:.2f} "
                     f"(throughput {a.throughput[0]:.4g} -> {b_mean:.4g}/s)")
    if not lines:
        lines.append("scale-out efficiency: not shown: the load is below capacity at every point tried (throughput "
                     "is the offered load there, so its ratio to the resources means nothing)")
    return lines
