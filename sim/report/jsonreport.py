"""`report.json`: the machine-readable result of `smev-sim run`, for CI and other tools.

Top level: `scenario`, `seed`, `replications`, `versions`, `configuration` (the effective scenario, SI units),
`verdict` ("pass"/"fail"/"inconclusive") and `exit_code` (0/1/3, as `smev-sim run` exits), `slos` (`{name, metric,
op, threshold, mean, ci_low, ci_high, passed, verdict, method, unbounded, n, reason}` plus `point` inside a sweep;
`unbounded`: unanswered requests put the metric beyond every deadline, mean and upper end are null then),
`intervals` (how each kind of interval is made), `messages` (`{sent, delivered, in_flight, expired, rejected, lost,
duplicates, ...}` summed over every replication of every point: the *simulated* messages), `volume` (the simulated
sample against the full volume: `tagged_share`, messages per replication simulated and at full volume, the headline
`participants` count (those in the topology), and `counters`: the model's labelled counters ("cannot provide"
answers, per type too; status messages; replication; the background's) per replication, simulated and at full
volume),
`warnings` (warm-up too short by MSER-5, no steady state, trends), `littles_law`, `precision`, `points` (one per
scenario variant: the scenario itself, or each sweep point, with intervals of every metric, per-participant
compliance, components, `stations` (per service centre, as JMT gives them), `warmup_detection`, plot data),
`sweep` when present (`parameter`, `values`, `throughput` = intervals of messages delivered per second per point,
`efficiency` per point against the first, `scaleout_efficiency` = the largest point's, and the same for answers per
second as `goodput*`; `at_capacity` per point (throughput interval wholly below the best point's) and
`efficiency_note`, why the efficiencies mean nothing when the first point is below capacity, else null), and `timing` (wall-clock; the only part that changes between runs with the same seed).
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy
import scipy
import simpy

from sim import __version__
from sim.metrics.slo import FAIL, INCONCLUSIVE, PASS
from sim.metrics.stats import METHODS
from sim.report.aggregate import BACKGROUND_COUNTERS, EXTRA_MESSAGE_KEYS, MESSAGE_KEYS, counter_label, point_section
from sim.runner.orchestrator import RunResult
from sim.scenario.distributions import Distribution

SCHEMA_VERSION = 2
EXIT_CODES = {PASS: 0, FAIL: 1, INCONCLUSIVE: 3}
"""`smev-sim run`'s exit status per verdict (2 is kept for unusable input)."""


def versions() -> dict[str, str]:
    import matplotlib  # local: only its version is read here; the plots load it where they draw

    return {"python": platform.python_version(), "simpy": simpy.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "matplotlib": matplotlib.__version__, "smev-sim": __version__}


def to_jsonable(obj: Any) -> Any:
    """Scenario objects as plain JSON: dataclasses as dicts (fault kinds included), distributions as their text."""
    if isinstance(obj, Distribution):
        return obj.text()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
               if f.name != "document" and f.repr}
        kind = getattr(type(obj), "kind", None)
        if isinstance(kind, str) and "kind" not in out:
            out = {"kind": kind, **out}
        return out
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else obj
        return [to_jsonable(v) for v in items]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def build_report(result: RunResult) -> dict[str, Any]:
    scenario = result.scenario
    sections = [point_section(p.replications.summaries) for p in result.points]
    slos: list[dict[str, Any]] = []
    for point, verdict in result.verdicts:
        entry = verdict.to_dict()
        if result.sweep is not None and point is not None:
            entry["point"] = {result.sweep.parameter: to_jsonable(point)}
        slos.append(entry)
    totals = {k: sum(s["messages"][k] for s in sections) for k in (*MESSAGE_KEYS, *EXTRA_MESSAGE_KEYS)}
    ll_errors = [s["littles_law"]["max_relative_error"] for s in sections if s["littles_law"]["max_relative_error"]
                 is not None]
    report: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": getattr(scenario, "description", ""),
        "source": getattr(scenario, "source", None),
        "seed": result.seed,
        "replications": max(p.replications.n for p in result.points),
        "replications_requested": result.requested_replications,
        "versions": versions(),
        "configuration": to_jsonable(scenario),
        "verdict": result.verdict,
        "exit_code": EXIT_CODES[result.verdict],
        "slos": slos,
        "intervals": {"confidence": 0.95, "methods": METHODS,
                      "unanswered": "requests never answered (expired, lost, rejected, or open past their deadline) "
                                    "count as beyond every deadline in percentiles and shares"},
        "messages": totals,
        "volume": volume(scenario, sections),
        "warnings": warnings(scenario, sections),
        "littles_law": {
            "max_relative_error": max(ll_errors) if ll_errors else None,
            "by_point": [s["littles_law"]["relative_error"] for s in sections],
        },
        "precision": [p.precision.to_dict() if p.precision else None for p in result.points]
        if any(p.precision for p in result.points) else None,
        "points": [{"value": to_jsonable(p.value), **section} for p, section in zip(result.points, sections,
                                                                                     strict=True)],
    }
    if result.sweep is not None:
        sw = result.sweep
        report["sweep"] = {
            "parameter": sw.parameter,
            "values": to_jsonable(sw.values),
            "throughput_metric": sw.throughput_metric,
            "throughput": [iv.to_dict() for iv in sw.throughput],
            "efficiency": [iv.to_dict() if iv is not None else None for iv in sw.efficiency],
            "scaleout_efficiency": sw.scaleout.to_dict() if sw.scaleout is not None else None,
            "goodput_metric": sw.goodput_metric,
            "goodput": [iv.to_dict() for iv in sw.goodput],
            "goodput_efficiency": [iv.to_dict() if iv is not None else None for iv in sw.goodput_efficiency],
            "replications": [p.replications.n for p in result.points],
            "at_capacity": list(sw.at_capacity),
            "efficiency_note": sw.efficiency_note,
        }
    report["timing"] = dict(result.timing)
    return report


def volume(scenario: Any, sections: list[dict[str, Any]]) -> dict[str, Any]:
    """The simulated sample and the full volume it stands for: with `tagged_share` < 1, every message count per
    replication divided by the share (the background carries the rest at the stations, not message by message)."""
    run = getattr(scenario, "run", None)
    share = float(getattr(run, "tagged_share", 1.0) or 1.0)
    duration = float(getattr(run, "duration", 0.0) or 0.0)
    reps = sum(s["replications"] for s in sections) or 1
    per_rep = {k: sum(s["messages"][k] for s in sections) / reps for k in MESSAGE_KEYS}
    full = {k: v / share for k, v in per_rep.items()}
    participants = getattr(getattr(scenario, "topology", None), "participants", None)
    names = sorted({k for s in sections for k in s.get("model_counters", {})})
    counters = {}
    for name in names:
        simulated = sum(s.get("model_counters", {}).get(name, 0) for s in sections) / reps
        background = name in BACKGROUND_COUNTERS  # counts the untagged traffic itself: not sampled
        counters[name] = {"label": counter_label(name), "simulated_per_replication": simulated,
                          "full_volume_per_replication": simulated if background else simulated / share}
    return {
        "tagged_share": share,
        "sampled": share < 1.0,
        "replications": reps,
        "simulated_per_replication": per_rep,
        "full_volume_per_replication": full,
        "full_volume_sent_per_s": full["sent"] / duration if duration else None,
        "participants": len(participants) if participants is not None else None,
        "counters": counters,
    }


def warnings(scenario: Any, sections: list[dict[str, Any]]) -> list[str]:
    """What a reader must know before trusting the intervals: the warm-up MSER-5 finds longer than the configured
    one, output that never settles, a trend after the warm-up."""
    out: list[str] = []
    profiled = bool(getattr(getattr(scenario, "workload", None), "profiles", None))
    for index, section in enumerate(sections):
        where = f" (point {index + 1})" if len(sections) > 1 else ""
        for name, d in section.get("warmup_detection", {}).items():
            if d["never_settles"]:
                out.append(f"non-stationary: {name} never settles{where} in {d['never_settles']} of "
                           f"{d['replications']} replications (MSER-5's truncation point lands in the last half of "
                           "the run): not a steady state; the intervals describe this horizon only, and an "
                           "overloaded station may be the cause")
            elif d["insufficient"]:
                out.append(f"{name}: MSER-5 detects a warm-up of up to {d['detected_max_s']:.4g} s{where}, "
                           f"longer than the configured {d['configured_s']:.4g} s in {d['insufficient']} of "
                           f"{d['replications']} replications: raise run.warmup, or set it to auto")
            if d["trending"]:
                why = ("expected with a daily profile: the run follows the load on purpose" if profiled else
                       "queues growing, or a run too short to settle")
                out.append(f"{name} trends after the warm-up{where} in {d['trending']} of "
                           f"{d['replications']} replications (Kendall tau, p < 0.001): non-stationary ({why})")
    return out


def dumps(report: dict[str, Any]) -> str:
    """Stable JSON text; refuses NaN/Infinity, which JSON cannot carry."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_report(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(report), encoding="utf-8")
    return path
