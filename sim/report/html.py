"""`report.html`: one self-contained file (inline CSS, plots as base64 PNG, no script, no external resource) drawn
from the report.json data alone. The page is the jinja2 templates in `templates/` (autoescape: every text escaped,
control characters shown as `\\xNN`); this module computes only what they show that report.json does not hold
(the plots, the headline, the order of metrics and bills)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from conformance.pages import environment
from sim.report import plots
from sim.report.format import fmt, unit_of

_KEY_METRICS = ("realtime.latency.p50", "realtime.latency.p99", "async.latency.p50", "async.latency.p99",
                "realtime.within_2s.share", "async.within_48h.share", "answered.share", "throughput.answered_per_s",
                "throughput.delivered_per_s", "portal.availability", "portal.login.success.share",
                "queue.max_depth", "utilisation.max", "participants.blocked", "littles_law.relative_error")
MAX_BILLS_SHOWN = 40


@cache
def templates() -> Any:
    """The simulator's jinja2 environment: its pages (report, capacity) with `fmt`, `unit_of` and `whole` filters."""
    return environment("sim.report", filters={"fmt": fmt, "unit_of": unit_of, "whole": round},
                       globals={"accounting_gap": accounting_gap})


def accounting_gap(messages: dict[str, int]) -> int:
    """Messages sent and not accounted for as delivered, in flight, expired, rejected or lost (0 when all are)."""
    return messages["sent"] - (messages["delivered"] + messages["in_flight"] + messages["expired"]
                               + messages["rejected"] + messages["lost"])


def _headline(report: dict[str, Any]) -> str:
    verdict = report["verdict"]
    failed = sum(1 for s in report["slos"] if s["verdict"] == "fail")
    open_ = sum(1 for s in report["slos"] if s["verdict"] == "inconclusive")
    total = len(report["slos"])
    headline = (f"PASS: all {total} SLOs hold" if verdict == "pass"
                else f"FAIL: {failed} of {total} SLO checks do not hold" + (f", {open_} inconclusive" if open_ else "")
                if verdict == "fail" else f"INCONCLUSIVE: {open_} of {total} SLO intervals straddle their threshold "
                "(none fails); more replications (--precision) would decide")
    return headline + f" (exit {report.get('exit_code', '')})"


def _compliance_target(report: dict[str, Any]) -> float:
    """The compliance plot's target line: the strictest share SLO on deadlines, else 99.9 %."""
    shares = [s["threshold"] for s in report["slos"] if s["metric"].endswith("within_deadline.share")
              or s["metric"] in ("realtime.within_2s.share", "async.within_48h.share")]
    return max(shares) if shares else 0.999


def _bills(participants: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Messages counted and billed per participant (697 §6д, §6ц), the largest first, at most `MAX_BILLS_SHOWN`."""
    rows = [(n, p) for n, p in participants.items() if p["billed_messages"]]
    rows.sort(key=lambda r: (-r[1]["billed_messages"], r[0]))
    return {"rows": rows[:MAX_BILLS_SHOWN], "total": len(rows), "more": len(rows) > MAX_BILLS_SHOWN}


def _point_view(report: dict[str, Any], point: dict[str, Any], label: str) -> dict[str, Any]:
    volume = report.get("volume", {})
    sampled = bool(volume.get("sampled"))
    share = float(volume.get("tagged_share") or 1.0)
    run = report["configuration"].get("run", {}) if isinstance(report["configuration"], dict) else {}
    duration = float(run.get("duration") or point["series"]["step"] * len(point["series"]["t"]))
    warmup = float(point.get("warmup", {}).get("max_s", run.get("warmup") or 0.0))
    metrics = point["metrics"]
    key = [m for m in _KEY_METRICS if m in metrics and metrics[m]["mean"] is not None]
    stations = sorted(point.get("stations", {}).items(),
                      key=lambda kv: (-(kv[1]["utilisation"]["mean"] or 0.0), kv[0]))
    return {"point": point, "label": label, "key_metrics": key,
            "other_metrics": [m for m in metrics if m not in key and metrics[m]["mean"] is not None],
            "timeline": plots.timeline(point["series"], point["faults"], warmup, duration,
                                       "messages / s at full volume" if sampled else "messages / s",
                                       1.0 / share if sampled else 1.0),
            "compliance": plots.compliance(point["participants"], _compliance_target(report)),
            "stations": stations, "bills": _bills(point["participants"])}


def _currency(report: dict[str, Any]) -> str:
    config = report.get("configuration")
    policies = config.get("policies") if isinstance(config, dict) else None
    return str(policies.get("currency", "")) if isinstance(policies, dict) else ""


def render_html(report: dict[str, Any]) -> str:
    """The report.html page of a report.json document."""
    points = report["points"]
    sweep = report.get("sweep")
    labels = [f"{sweep['parameter']} = {p['value']}" if sweep else "" for p in points]
    meta = [("source", report.get("source")), ("seed", report["seed"]), ("replications", report["replications"]),
            ("versions", ", ".join(f"{k} {v}" for k, v in report["versions"].items())),
            ("run", f"{report['timing'].get('started')}, {report['timing'].get('wall_seconds')} s wall")]
    precision = [(label, prec) for label, prec in zip(labels, report.get("precision") or [], strict=False) if prec]
    return templates().get_template("report.html.j2").render(
        report=report, headline=_headline(report), meta=meta,
        precision=precision, sampled=bool(report.get("volume", {}).get("sampled")), sweep=sweep,
        cdf=plots.latency_cdf([(lab, p["latency_cdf"]) for lab, p in zip(labels, points, strict=True)]),
        sweep_plot=plots.sweep_curve(sweep) if sweep else None,
        points=[_point_view(report, p, lab) for lab, p in zip(labels, points, strict=True)],
        currency=_currency(report),
        configuration=json.dumps(report["configuration"], indent=2, ensure_ascii=False))
