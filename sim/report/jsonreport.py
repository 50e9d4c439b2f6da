"""`report.json`: the machine-readable result of `smev-sim run`, for CI and other tools.

Top level: `scenario`, `seed`, `replications`, `versions`, `configuration` (the effective scenario, SI units),
`verdict` ("pass"/"fail"), `slos` (`{name, metric, op, threshold, mean, ci_low, ci_high, passed, n, reason}` plus
`point` inside a sweep), `messages` (`{sent, delivered, in_flight, expired, rejected, lost, duplicates, ...}` summed
over every replication of every point), `littles_law`, `precision`, `points` (one per scenario variant: the scenario
itself, or each sweep point, with intervals of every metric, per-participant compliance, components, plot data),
`sweep` when present (`parameter`, `values`, `throughput` = intervals of messages delivered per second per point,
`efficiency` per point against the first, `scaleout_efficiency` = the largest point's, and the same for answers per
second as `goodput*`), and `timing` (wall-clock; the only part that changes between runs with the same seed).
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.report.aggregate import EXTRA_MESSAGE_KEYS, MESSAGE_KEYS, point_section
from sim.runner.orchestrator import RunResult

SCHEMA_VERSION = 1


def versions() -> dict[str, str]:
    import matplotlib
    import numpy
    import scipy
    import simpy

    from sim import __version__

    return {"python": platform.python_version(), "simpy": simpy.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "matplotlib": matplotlib.__version__, "smev-sim": __version__}


def to_jsonable(obj: Any) -> Any:
    """Scenario objects as plain JSON: dataclasses as dicts (fault kinds included), distributions as their text."""
    from sim.scenario.distributions import Distribution

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


def _configuration(scenario: Any) -> Any:
    participants = getattr(getattr(scenario, "topology", None), "participants", None)
    config = to_jsonable(scenario)
    if isinstance(config, dict) and participants is not None:
        config["participants_total"] = len(participants)
    return config


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
        "configuration": _configuration(scenario),
        "verdict": "pass" if result.passed else "fail",
        "slos": slos,
        "messages": totals,
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
        }
    report["timing"] = dict(result.timing)
    return report


def dumps(report: dict[str, Any]) -> str:
    """Stable JSON text; refuses NaN/Infinity, which JSON cannot carry."""
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_report(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(report), encoding="utf-8")
    return path
