"""Answer a capacity question: the smallest setting of one or more resources that meets every SLO of the scenario at
its load, or the largest load (`run.traffic_scale`) a configuration carries.

  smev-sim capacity S.yaml --resource topology.data_centres.moscow-1.bus_nodes=1..12
  smev-sim capacity S.yaml --load 0.5..4
  smev-sim capacity S.yaml --resource topology.bus.node_concurrency=8,16,32 \\
                           --resource topology.participants.fns.concurrency=16,32,64     (a grid, with a heat-map)

One `--resource PATH=LO..HI` is searched by bisection (more of a resource never hurts), `--load LO..HI` by bisection
to `--tolerance`; two or more `--resource` options (lists or short ranges) are run as a grid, every combination, and
the minimal settings that meet every SLO are reported. Each point runs `--replications` replications with common
random numbers (the same seeds at every point) and is judged on the SLOs' confidence intervals: PASS (the whole
interval meets the threshold), FAIL (the whole interval violates it) or INCONCLUSIVE (it straddles the threshold).
An inconclusive point gets more replications, doubling up to `--max-replications`; one still inconclusive then is
reported as such, and the search treats it as not shown to meet the SLOs (the answer errs on the safe side).

Writes DIR/capacity.json and a plot, DIR/capacity.png: each SLO's metric (mean and interval) against the resource or
the load, the threshold drawn; for a grid of two resources, DIR/heatmap.png. Scale-out efficiency (throughput gain
over resource gain) is printed only between points where the smaller one is at capacity (its throughput is below
what more resources carry); below capacity, throughput is the offered load and the ratio means nothing.
Exit status: 0 an answer was found, 1 no setting in the range meets the SLOs (or none is shown to), 2 unusable input.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HELP = "find the smallest resources that meet every SLO, or the largest load a configuration carries"
DEFAULT_OUT = Path("reports/capacity")
MAX_GRID_POINTS = 64
"""A grid of more combinations than this is refused: each point costs a full set of replications."""
LOAD_PARAMETER = "run.traffic_scale"
PASS, FAIL, INCONCLUSIVE = "PASS", "FAIL", "INCONCLUSIVE"


# --- the command line ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Axis:
    """A parameter (dotted scenario path) and the values it may take: a range `lo..hi` or an explicit list."""

    path: str
    values: tuple[float, ...] = ()  # an explicit list (grid), or empty for a range
    lo: float = 0.0
    hi: float = 0.0
    integer: bool = True

    @property
    def is_range(self) -> bool:
        return not self.values

    def points(self) -> tuple[float, ...]:
        """Every value of the axis (a range of whole numbers is expanded)."""
        if self.values:
            return self.values
        return tuple(float(v) for v in range(int(self.lo), int(self.hi) + 1))


def _number(text: str, integer: bool, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what}: expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or (integer and value != int(value)):
        kind = "a whole number >= 1" if integer else "a positive number"
        raise argparse.ArgumentTypeError(f"{what}: expected {kind}, got {text!r}")
    return value


def parse_axis(text: str, path: str | None = None, integer: bool = True) -> Axis:
    """`PATH=LO..HI` or `PATH=V1,V2,...` (or, with `path` given, just the values)."""
    if path is None:
        path, sep, text = text.partition("=")
        if not sep or not path.strip() or not text.strip():
            raise argparse.ArgumentTypeError(f"expected PATH=LO..HI or PATH=V1,V2,..., got {path + sep + text!r}")
        path = path.strip()
    text = text.strip()
    if ".." in text:
        lo_text, _, hi_text = text.partition("..")
        lo, hi = _number(lo_text, integer, path), _number(hi_text, integer, path)
        if hi <= lo:
            raise argparse.ArgumentTypeError(f"{path}: the range {text!r} must go from low to high")
        return Axis(path, (), lo, hi, integer)
    values = tuple(sorted({_number(v, integer, path) for v in text.split(",") if v.strip()}))
    if len(values) < 2:
        raise argparse.ArgumentTypeError(f"{path}: give a range LO..HI or at least two values, got {text!r}")
    return Axis(path, values, values[0], values[-1], integer)


def _resource(text: str) -> Axis:
    return parse_axis(text)


def _load(text: str) -> Axis:
    return parse_axis(text, LOAD_PARAMETER, integer=False)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected at least 2 (an interval needs two replications), got {value}")
    return value


def _tolerance(text: str) -> float:
    from conformance.yamlnodes.quantities import UnitError, parse_share

    try:
        value = parse_share(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 100 %, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file (its SLOs are the requirement)")
    parser.add_argument("--resource", "-r", type=_resource, action="append", default=[], metavar="PATH=LO..HI",
                        help="a resource to size: a dotted scenario path and a range of whole numbers, or a list "
                             "V1,V2,... (several --resource: a grid of every combination)")
    parser.add_argument("--load", type=_load, metavar="LO..HI",
                        help="instead: the largest traffic_scale in LO..HI the scenario's configuration carries")
    parser.add_argument("--tolerance", type=_tolerance, default=0.05, metavar="T",
                        help="--load: stop when the bracket is within this share of its top (default 5%%)")
    parser.add_argument("--replications", "-n", type=_count, default=4, metavar="N",
                        help="replications per point, common seeds at every point (default 4)")
    parser.add_argument("--max-replications", type=_count, default=16, metavar="M",
                        help="an inconclusive point gets more replications, doubling, up to M (default 16)")
    parser.add_argument("--seed", "-s", type=int, metavar="S", help="master seed (default: the scenario's run.seed)")
    parser.add_argument("--duration", "-d", metavar="D", help="simulated duration per replication (run.duration)")
    parser.add_argument("--workers", "-j", type=int, metavar="W", help="local processes (default 1)")
    parser.add_argument("--out", "-o", type=Path, metavar="DIR",
                        help=f"output directory (default: {DEFAULT_OUT}/<scenario name>/)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no line per point")


# --- judging one point -------------------------------------------------------------------------------------------------

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


@dataclass
class Point:
    """One setting, its replications and its verdicts (the worst SLO's verdict is the point's)."""

    setting: dict[str, float]
    replications: int = 0
    slos: list[SloResult] = field(default_factory=list)
    throughput: tuple[float | None, float | None, float | None] = (None, None, None)  # mean, low, high

    @property
    def verdict(self) -> str:
        verdicts = {s.verdict for s in self.slos}
        return FAIL if FAIL in verdicts else INCONCLUSIVE if INCONCLUSIVE in verdicts else PASS

    def to_dict(self) -> dict[str, Any]:
        return {"setting": self.setting, "verdict": self.verdict, "replications": self.replications,
                "throughput": dict(zip(("mean", "ci_low", "ci_high"), self.throughput, strict=True)),
                "slos": [vars(s) for s in self.slos]}


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


Judge = Callable[[dict[str, float]], Point]


class Evaluator:
    """Runs and judges settings of a scenario, each once (cached): `replications` replications with common seeds,
    doubled while some SLO is inconclusive, up to `max_replications`."""

    def __init__(self, scenario: Any, seed: int, replications: int, max_replications: int,
                 map_fn: Any = None, simulate: Any = None, on_point: Callable[[Point], None] | None = None) -> None:
        from sim.runner.executors import sequential_map
        from sim.runner.replications import default_simulate

        self.scenario = scenario
        self.seed = seed
        self.replications = replications
        self.max_replications = max(max_replications, replications)
        self.map_fn = map_fn if map_fn is not None else sequential_map
        self.simulate = simulate if simulate is not None else default_simulate()
        self.on_point = on_point
        self.points: dict[tuple, Point] = {}

    def __call__(self, setting: dict[str, float]) -> Point:
        key = tuple(sorted(setting.items()))
        point = self.points.get(key)
        if point is not None:
            return point
        from sim.runner.replications import ReplicationSet, extend
        from sim.scenario import with_overrides

        scenario = with_overrides(self.scenario, {path: _yaml_value(v) for path, v in setting.items()})
        rset = ReplicationSet(self.seed)
        count = self.replications
        while True:
            extend(rset, scenario, count, simulate=self.simulate, map_fn=self.map_fn)
            point = self._judge(setting, rset)
            if point.verdict != INCONCLUSIVE or rset.n >= self.max_replications:
                break
            count = min(rset.n, self.max_replications - rset.n)
        self.points[key] = point
        if self.on_point is not None:
            self.on_point(point)
        return point

    def _judge(self, setting: dict[str, float], rset: Any) -> Point:
        from sim.metrics.slo import evaluate
        from sim.runner.sweep import THROUGHPUT_METRIC

        point = Point(dict(setting), rset.n)
        for slo in self.scenario.slos:
            v = evaluate(slo.name, slo.metric, slo.op, slo.threshold, rset.values(slo.metric))
            point.slos.append(SloResult(slo.name, slo.metric, slo.op, slo.threshold, v.mean, v.ci_low, v.ci_high,
                                        three_way(slo, v)))
        iv = rset.interval(THROUGHPUT_METRIC)
        point.throughput = (iv.mean, iv.low, iv.high)
        return point


def _yaml_value(v: float) -> Any:
    return int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v)


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
    where = ", ".join(_setting_text(p.setting) for p in shaky)
    return (f"; inconclusive at {where} after {max(p.replications for p in shaky)} replications (intervals straddle a "
            "threshold): taken as not meeting the SLOs; raise --max-replications or the duration to settle them")


def smallest(axis: Axis, judge: Judge) -> Answer:
    """The smallest value of a whole-number resource in [lo, hi] at which every SLO passes (bisection: more of the
    resource never makes an SLO worse)."""
    lo, hi = int(axis.lo), int(axis.hi)
    top = judge({axis.path: hi})
    points = [top]
    if top.verdict != PASS:
        note = f"even {axis.path} = {hi} is not shown to meet every SLO ({top.verdict})"
        return Answer("smallest", [axis.path], [], note + _inconclusive_note(points), list(_seen(judge)))
    bottom = judge({axis.path: lo})
    if bottom.verdict == PASS:
        return Answer("smallest", [axis.path], [{axis.path: lo}], f"the lowest value tried, {lo}, meets every SLO",
                      list(_seen(judge)))
    while hi - lo > 1:  # invariant: hi passes, lo does not
        mid = (lo + hi) // 2
        if judge({axis.path: mid}).verdict == PASS:
            hi = mid
        else:
            lo = mid
    seen = list(_seen(judge))
    note = f"{axis.path} = {hi} meets every SLO; {lo} does not" + _inconclusive_note(seen)
    return Answer("smallest", [axis.path], [{axis.path: hi}], note, seen)


def largest_load(axis: Axis, judge: Judge, tolerance: float) -> Answer:
    """The largest traffic_scale in [lo, hi] at which every SLO passes, to within `tolerance` of it (bisection:
    more load never makes an SLO better)."""
    lo, hi = axis.lo, axis.hi
    if judge({axis.path: lo}).verdict != PASS:
        note = f"even {axis.path} = {lo:g} is not shown to meet every SLO"
        seen = list(_seen(judge))
        return Answer("largest-load", [axis.path], [], note + _inconclusive_note(seen), seen)
    if judge({axis.path: hi}).verdict == PASS:
        seen = list(_seen(judge))
        return Answer("largest-load", [axis.path], [{axis.path: hi}],
                      f"the highest load tried, {hi:g}, meets every SLO", seen)
    while hi - lo > tolerance * hi:  # invariant: lo passes, hi does not
        mid = _round_scale((lo + hi) / 2.0)
        if mid in (lo, hi):
            break
        if judge({axis.path: mid}).verdict == PASS:
            lo = mid
        else:
            hi = mid
    seen = list(_seen(judge))
    note = f"{axis.path} = {lo:g} is carried within every SLO; {hi:g} is not" + _inconclusive_note(seen)
    return Answer("largest-load", [axis.path], [{axis.path: lo}], note, seen)


def _round_scale(x: float) -> float:
    return float(f"{x:.4g}")


def grid(axes: Sequence[Axis], judge: Judge) -> Answer:
    """Every combination; the answer is the minimal passing settings (no other passing setting is at most as large in
    every resource)."""
    paths = [a.path for a in axes]
    combos = list(itertools.product(*(a.points() for a in axes)))
    if len(combos) > MAX_GRID_POINTS:
        from sim.errors import SimError

        raise SimError(f"the grid has {len(combos)} combinations, more than {MAX_GRID_POINTS}: narrow the ranges or "
                       "give lists of values")
    points = [judge(dict(zip(paths, combo, strict=True))) for combo in combos]
    passing = [p for p in points if p.verdict == PASS]
    minimal = [p for p in passing
               if not any(q is not p and all(q.setting[k] <= p.setting[k] for k in paths) for q in passing)]
    found = [p.setting for p in minimal]
    note = (f"{len(found)} minimal setting(s) meet every SLO" if found else "no combination is shown to meet every SLO")
    return Answer("grid", paths, found, note + _inconclusive_note(points), points)


def _seen(judge: Judge) -> list[Point]:
    return list(getattr(judge, "points", {}).values())


# --- scale-out efficiency where it means something -----------------------------------------------------------------------

def scaleout_lines(answer: Answer) -> list[str]:
    """Throughput gain over resource gain between consecutive points of a one-resource search, only where the smaller
    point is at capacity: its throughput interval lies below the largest point's (it could not carry the load)."""
    from sim.runner.sweep import carries_less

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


# --- plots ---------------------------------------------------------------------------------------------------------------

_COLOURS = {PASS: "tab:green", FAIL: "tab:red", INCONCLUSIVE: "tab:orange"}


def plot_metrics(answer: Answer, path: Path) -> None:
    """One panel per SLO: its metric's mean and interval against the (first) parameter, the threshold drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x_name = answer.parameters[0]
    points = sorted(answer.points, key=lambda p: tuple(p.setting.values()))
    names = [s.name for s in points[0].slos] if points else []
    if not names:
        return
    fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.6 * len(names)), squeeze=False)
    groups = {tuple(v for k, v in p.setting.items() if k != x_name) for p in points}
    for ax, name in zip(axes[:, 0], names, strict=True):
        slo = next(s for p in points for s in p.slos if s.name == name)
        for group in sorted(groups):
            sel = [p for p in points if tuple(v for k, v in p.setting.items() if k != x_name) == group]
            xs, ys, lo, hi, colours = [], [], [], [], []
            for p in sel:
                s = next(r for r in p.slos if r.name == name)
                if s.mean is None:
                    continue
                xs.append(p.setting[x_name])
                ys.append(s.mean)
                lo.append(s.mean - (s.low if s.low is not None else s.mean))
                hi.append((s.high if s.high is not None else s.mean) - s.mean)
                colours.append(_COLOURS[s.verdict])
            label = ", ".join(f"{k.rsplit('.', 1)[-1]}={v:g}" for k, v in zip(
                [k for k in answer.parameters if k != x_name], group, strict=True)) or None
            ax.errorbar(xs, ys, yerr=[lo, hi], fmt="-", color="grey", alpha=0.6, label=label)
            ax.scatter(xs, ys, c=colours, zorder=3)
        ax.axhline(slo.threshold, color="tab:red", linestyle="--", linewidth=1)
        means = [s.mean for p in points for s in p.slos if s.name == name and s.mean is not None and s.mean > 0]
        if means and slo.threshold > 0 and max(means + [slo.threshold]) > 20 * min(means + [slo.threshold]):
            ax.set_yscale("log")  # an overloaded point would flatten the others
        ax.set_title(f"{name}: {slo.metric} {slo.op} {slo.threshold:g}", fontsize=9)
        ax.set_xlabel(x_name, fontsize=8)
        if len(groups) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)


def plot_heatmap(answer: Answer, path: Path) -> bool:
    """For a grid of two resources: each combination's verdict as a colour, the first SLO's mean written in."""
    if answer.kind != "grid" or len(answer.parameters) != 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    xk, yk = answer.parameters
    xs = sorted({p.setting[xk] for p in answer.points})
    ys = sorted({p.setting[yk] for p in answer.points})
    codes = {PASS: 2, INCONCLUSIVE: 1, FAIL: 0}
    grid_values = np.full((len(ys), len(xs)), np.nan)
    fig, ax = plt.subplots(figsize=(1.2 * len(xs) + 2.5, 0.8 * len(ys) + 2))
    for p in answer.points:
        i, j = ys.index(p.setting[yk]), xs.index(p.setting[xk])
        grid_values[i, j] = codes[p.verdict]
        first = p.slos[0] if p.slos else None
        if first is not None and first.mean is not None:
            ax.text(j, i, f"{first.mean:.3g}", ha="center", va="center", fontsize=7)
    cmap = matplotlib.colors.ListedColormap([_COLOURS[FAIL], _COLOURS[INCONCLUSIVE], _COLOURS[PASS]])
    ax.imshow(grid_values, cmap=cmap, vmin=-0.5, vmax=2.5, origin="lower", aspect="auto")
    ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
    ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
    ax.set_xlabel(xk, fontsize=8)
    ax.set_ylabel(yk, fontsize=8)
    title = "green PASS, orange INCONCLUSIVE, red FAIL"
    if answer.points and answer.points[0].slos:
        title += f"; numbers: {answer.points[0].slos[0].metric}"
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return True


# --- the command -----------------------------------------------------------------------------------------------------------

def _setting_text(setting: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in setting.items())


def run(args: argparse.Namespace) -> int:
    from sim.errors import SimError
    from sim.runner.executors import open_executor
    from sim.scenario import load, with_overrides

    if args.load is not None and args.resource:
        raise SimError("give --resource (the smallest resources) or --load (the largest load), not both")
    if args.load is None and not args.resource:
        raise SimError("give at least one --resource PATH=LO..HI, or --load LO..HI")
    if len(args.resource) == 1 and not args.resource[0].is_range:
        args.resource[0] = Axis(args.resource[0].path, (), args.resource[0].lo, args.resource[0].hi)
    scenario = load(args.scenario)
    if args.duration is not None:
        scenario = with_overrides(scenario, {"run.duration": args.duration})
    if not scenario.slos:
        raise SimError(f"{args.scenario}: the scenario states no SLOs: there is nothing to meet")
    for axis in args.resource:  # a path that does not exist or takes no number fails here, before any run
        with_overrides(scenario, {axis.path: _yaml_value(axis.lo)})
    seed = args.seed if args.seed is not None else scenario.run.seed
    out: Path = args.out if args.out is not None else DEFAULT_OUT / scenario.name

    def shown(point: Point) -> None:
        if not args.quiet:
            worst = ", ".join(f"{s.name} {s.verdict}" for s in point.slos if s.verdict != PASS)
            print(f"  {_setting_text(point.setting)}: {point.verdict} ({point.replications} replications)"
                  + (f": {worst}" if worst else ""), flush=True)

    with open_executor(args.workers, None) as map_fn:
        judge = Evaluator(scenario, seed, args.replications, args.max_replications, map_fn, on_point=shown)
        if args.load is not None:
            answer = largest_load(args.load, judge, args.tolerance)
        elif len(args.resource) == 1:
            answer = smallest(args.resource[0], judge)
        else:
            answer = grid(args.resource, judge)
    out.mkdir(parents=True, exist_ok=True)
    document = {"scenario": scenario.name, "seed": seed, **answer.to_dict()}
    (out / "capacity.json").write_text(json.dumps(document, indent=2, default=float) + "\n", encoding="utf-8")
    plot_metrics(answer, out / "capacity.png")
    heatmap = plot_heatmap(answer, out / "heatmap.png")
    print(f"{scenario.name}: {answer.note}")
    for setting in answer.found:
        print(f"  answer: {_setting_text(setting)}")
    for line in scaleout_lines(answer):
        print(line)
    print(f"report: {out / 'capacity.json'}, {out / 'capacity.png'}" + (f", {out / 'heatmap.png'}" if heatmap else ""))
    return 0 if answer.found else 1
