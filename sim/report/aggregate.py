"""Fold the replication summaries of one scenario variant into JSON-able sections of the report.

Counts are summed over replications; per-replication metrics become t intervals; time series are averaged bin by
bin; latency histograms are summed (a pooled CDF). Everything here is deterministic in the summaries' order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.metrics.collector import CLASSES, HISTOGRAM_EDGES, ReplicationSummary
from sim.metrics.intervals import metric_interval
from sim.metrics.stations import STATION_FIELDS
from sim.metrics.stats import confidence_interval

MESSAGE_KEYS = ("sent", "delivered", "in_flight", "expired", "rejected", "lost", "duplicates")
EXTRA_MESSAGE_KEYS = ("duplicates_suppressed", "accounting_errors", "answer_errors")
MAX_QUEUES_PLOTTED = 8
MODEL_COUNTERS = {
    "answers.cannot_provide": "answers \"cannot provide\" (963 §4)",
    "status.received": "status messages received by consumers",
    "status.undeliverable": "status messages that could not be delivered",
    "replication.copies": "message copies replicated to other data centres",
    "replication.unreachable": "replica copies that could not reach their data centre",
    "replication.refused": "messages refused (SMEVFailure) because a replica could not be stored",
}
"""The model's counters of tagged messages shown in the report (the summary's `extra["model"]`), and their labels;
`answers.cannot_provide.<type>` is shown per message type beside them."""
BACKGROUND_COUNTERS = {
    "background.jobs": "background jobs drawn",
    "background.dropped": "background jobs dropped for want of a live node",
    "background.abandoned": "background jobs abandoned at the ingress (each attempt)",
    "background.expired": "background jobs expired waiting for a provider",
    "background.refused_full": "background jobs refused by a full queue (each attempt)",
    "background.gave_up": "background jobs given up by their senders",
    "background.refused_quota": "background jobs refused by a quota",
}
"""The background's counters (a tagged run): they count the untagged traffic itself, so they are already at full
volume."""


def messages(summaries: Sequence[ReplicationSummary]) -> dict[str, int]:
    """The message accounting summed over replications (report.json `messages`)."""
    return {k: int(sum(s.messages.get(k, 0) for s in summaries)) for k in (*MESSAGE_KEYS, *EXTRA_MESSAGE_KEYS)}


def counter_label(name: str) -> str | None:
    """The label of a model counter shown in the report, or None for one the report does not show."""
    if name in MODEL_COUNTERS:
        return MODEL_COUNTERS[name]
    if name in BACKGROUND_COUNTERS:
        return BACKGROUND_COUNTERS[name]
    prefix = "answers.cannot_provide."
    if name.startswith(prefix):
        return f"answers \"cannot provide\" to {name[len(prefix):]}"
    return None


def model_counters(summaries: Sequence[ReplicationSummary]) -> dict[str, int]:
    """The model counters the report shows (`counter_label`), summed over replications; the tagged ones always
    present (0 when nothing happened), the background ones where a background ran."""
    total: Counter[str] = Counter({name: 0 for name in MODEL_COUNTERS})
    for s in summaries:
        total.update({k: int(v) for k, v in s.extra.get("model", {}).items() if counter_label(k) is not None})
    return dict(sorted(total.items()))


def _sum_counters(dicts: Sequence[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for d in dicts:
        total.update(d)
    return dict(sorted(total.items()))


def metric_intervals(summaries: Sequence[ReplicationSummary]) -> dict[str, dict[str, Any]]:
    """An interval for every metric measured; per-participant metrics stay in the `participants` section."""
    names = sorted({k for s in summaries for k in s.metrics if not k.startswith("participant.")})
    return {name: metric_interval(name, summaries).to_dict() for name in names}


def participants(summaries: Sequence[ReplicationSummary]) -> dict[str, dict[str, Any]]:
    """Per participant: counts summed, the pooled within-deadline share, and the interval of the per-replication
    share (deadline compliance per participant, 963 §10)."""
    names = sorted({n for s in summaries for n in s.participants})
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        rows = [s.participants.get(name) for s in summaries]
        present = [r for r in rows if r is not None]
        known = sum(r["deadline_known"] for r in present)
        within = sum(r["within_deadline"] for r in present)
        interval = confidence_interval([r["within_deadline_share"] if r else None for r in rows], unit="share",
                                       counts=[(r["within_deadline"], r["deadline_known"]) if r else None
                                               for r in rows])
        out[name] = {
            "requests": sum(r["requests"] for r in present),
            "answered": sum(r["answered"] for r in present),
            "rejected": sum(r.get("rejected", 0) for r in present),
            "deadline_known": known,
            "within_deadline": within,
            "within_deadline_share": within / known if known else None,
            "within_deadline_interval": interval.to_dict(),
            "billed_messages": sum(r["billed_messages"] for r in present),
            "billed_amount_mean": sum(r["billed_amount"] for r in present) / len(summaries),
            "blocked_in_replications": sum(1 for r in present if r.get("blocked_at") is not None),
        }
    return out


def components(summaries: Sequence[ReplicationSummary]) -> dict[str, dict[str, Any]]:
    names = sorted({n for s in summaries for n in s.components})
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        rows = [s.components[name] for s in summaries if name in s.components]
        out[name] = {
            "capacity": rows[0]["capacity"],
            "utilisation": confidence_interval([r["utilisation"] for r in rows], unit="share").to_dict(),
            "mean_depth": confidence_interval([r["mean_depth"] for r in rows], unit="count").to_dict(),
            "max_depth": max(r["max_depth"] for r in rows),
        }
    return out


def littles_law(summaries: Sequence[ReplicationSummary]) -> dict[str, Any]:
    errors = [s.littles_law.get("relative_error") for s in summaries]
    known = [e for e in errors if e is not None]
    return {
        "relative_error": confidence_interval(errors, unit="ratio").to_dict(),
        "max_relative_error": max(known) if known else None,
        "per_replication": [{k: s.littles_law.get(k) for k in ("L", "lambda", "W", "relative_error", "in_system_at_end")}
                            for s in summaries],
    }


def latency_cdf(summaries: Sequence[ReplicationSummary]) -> dict[str, Any]:
    """Pooled latency histograms per class over `edges` (seconds) and the cumulative share at each upper edge."""
    out: dict[str, Any] = {"edges": list(HISTOGRAM_EDGES)}
    for cls in CLASSES:
        counts = np.sum([s.latency_histograms[cls] for s in summaries], axis=0).astype(int)
        total = int(counts.sum())
        out[cls] = {"counts": counts.tolist(), "total": total,
                    "cdf": (np.cumsum(counts) / total).round(6).tolist() if total else []}
    return out


def series(summaries: Sequence[ReplicationSummary]) -> dict[str, Any]:
    """Time series averaged over replications: rates per second per bin, mean number in system, and the deepest
    queues' per-bin maximum depth (the `MAX_QUEUES_PLOTTED` deepest)."""
    step = summaries[0].timeseries["step"]
    mean = lambda key: (np.mean([s.timeseries[key] for s in summaries], axis=0))  # noqa: E731
    queue_names = sorted({q for s in summaries for q in s.timeseries["queues"]})
    peak = {q: max(max(s.timeseries["queues"].get(q, [0]), default=0) for s in summaries) for q in queue_names}
    deepest = sorted(queue_names, key=lambda q: (-peak[q], q))[:MAX_QUEUES_PLOTTED]
    bins = len(summaries[0].timeseries["sent"])
    zeros = [0] * bins
    return {
        "step": step,
        "t": [round(i * step, 9) for i in range(bins)],
        "sent_per_s": (mean("sent") / step).round(6).tolist(),
        "delivered_per_s": (mean("delivered") / step).round(6).tolist(),
        "answered_per_s": (mean("answered") / step).round(6).tolist(),
        "in_system": mean("in_system").round(6).tolist(),
        "queues": {q: np.mean([s.timeseries["queues"].get(q, zeros) for s in summaries], axis=0).round(6).tolist()
                   for q in deepest},
        "queues_total": len(queue_names),
    }


def faults(summaries: Sequence[ReplicationSummary]) -> list[dict[str, Any]]:
    """The fault timeline: every distinct fault of any replication, by start time."""
    seen: dict[tuple, dict[str, Any]] = {}
    for s in summaries:
        for f in s.faults:
            seen.setdefault((f["name"], f["kind"], f["start"], f["end"]), f)
    return sorted(seen.values(), key=lambda f: (f["start"], f["name"]))


def blocked(summaries: Sequence[ReplicationSummary]) -> list[dict[str, Any]]:
    times: dict[str, list[float]] = {}
    for s in summaries:
        for b in s.blocked:
            times.setdefault(b["name"], []).append(b["t"])
    return [{"name": n, "replications": len(ts), "first_blocked_mean_s": sum(ts) / len(ts)}
            for n, ts in sorted(times.items())]


def background(summaries: Sequence[ReplicationSummary]) -> dict[str, Any]:
    """The background of a tagged run (`run.tagged_share` < 1): its offered utilisation by component or group (the
    same in every replication), and its jobs per replication; empty when every message was simulated."""
    offered = next((s.extra["background_utilisation"] for s in summaries if s.extra.get("background_utilisation")),
                   None)
    if not offered:
        return {}
    jobs = [s.extra.get("model", {}).get("background.jobs", 0) for s in summaries]
    return {"offered_utilisation": dict(offered), "jobs_per_replication": sum(jobs) / len(jobs),
            "dropped": sum(s.extra.get("model", {}).get("background.dropped", 0) for s in summaries)}


def stations(summaries: Sequence[ReplicationSummary]) -> dict[str, dict[str, Any]]:
    """Per service centre (`sim.metrics.stations`): intervals of utilisation, throughput, mean and p99 wait, mean
    number in the station and in its queue; the largest maximum; the largest Little's-law error. Stations that saw
    no job in any replication are left out."""
    names = sorted({n for s in summaries for n in s.stations})
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        rows = [s.stations[name] for s in summaries if name in s.stations]
        if not any(r["jobs_measured"] or r["utilisation"] for r in rows):
            continue
        entry: dict[str, Any] = {"kind": rows[0]["kind"], "servers": rows[0]["servers"],
                                 "sampled_scale": rows[0]["sampled_scale"]}
        for key, (_label, unit) in STATION_FIELDS.items():
            entry[key] = confidence_interval([r[key] for r in rows], unit=unit).to_dict()
        maxima = [r["in_station_max"] for r in rows if r["in_station_max"] is not None]
        queues = [r["queue_max"] for r in rows if r["queue_max"] is not None]
        errors = [r["littles_law_error"] for r in rows if r["littles_law_error"] is not None]
        entry["in_station_max"] = max(maxima) if maxima else None
        entry["queue_max"] = max(queues) if queues else None
        entry["left_unserved"] = sum(r["left_unserved"] for r in rows)
        entry["jobs_measured"] = sum(r["jobs_measured"] for r in rows)
        entry["littles_law_error"] = {"max": max(errors) if errors else None,
                                      "mean": sum(errors) / len(errors) if errors else None}
        out[name] = entry
    return out


def warmup(summaries: Sequence[ReplicationSummary]) -> dict[str, Any]:
    """The warm-up each replication's statistics exclude: configured (`run.warmup`) or found by MSER-5 on the SLO
    metrics' series (`run.warmup: auto`), in replication order."""
    applied = [s.warmup for s in summaries]
    auto = any(s.warmup_auto for s in summaries)
    return {"mode": "auto" if auto else "fixed", "applied_s": applied,
            "max_s": max(applied, default=0.0), "mean_s": sum(applied) / len(applied) if applied else 0.0,
            "method": "MSER-5 per replication: the latest truncation point over the series of the SLO metrics"
                      if auto else "configured (run.warmup)"}


def warmup_detection(summaries: Sequence[ReplicationSummary]) -> dict[str, Any]:
    """MSER-5 per watched series over the replications (`sim.metrics.warmup`): the longest warm-up detected, whether
    the applied one covers it in every replication, and the replications that never settle or keep trending."""
    out: dict[str, Any] = {}
    names = sorted({name for s in summaries for name in s.warmup_detection})
    for name in names:
        rows = [s.warmup_detection.get(name) for s in summaries]
        rows = [r for r in rows if r and r.get("detected_s") is not None]
        if not rows:
            continue
        detected = [r["detected_s"] for r in rows]
        out[name] = {
            "method": "MSER-5 on the series in send order",
            "configured_s": rows[0]["configured_s"],
            "detected_s": detected,
            "detected_max_s": max(detected),
            "detected_mean_s": sum(detected) / len(detected),
            "replications": len(rows),
            "insufficient": sum(1 for r in rows if not r["sufficient"]),
            "never_settles": sum(1 for r in rows if not r["settles"]),
            "trending": sum(1 for r in rows if (r.get("trend") or {}).get("significant")),
        }
    return out


def point_section(summaries: Sequence[ReplicationSummary]) -> dict[str, Any]:
    """Everything measured for one scenario variant."""
    portal = {"applications": _sum_counters([s.portal["applications"] for s in summaries]),
              "logins": _sum_counters([s.portal["logins"] for s in summaries])}
    return {
        "replications": len(summaries),
        "seeds": [s.seed for s in summaries],
        "messages": messages(summaries),
        "model_counters": model_counters(summaries),
        "rejected_by_reason": _sum_counters([s.rejected_by_reason for s in summaries]),
        "lost_by_reason": _sum_counters([s.lost_by_reason for s in summaries]),
        "metrics": metric_intervals(summaries),
        "littles_law": littles_law(summaries),
        "participants": participants(summaries),
        "components": components(summaries),
        "stations": stations(summaries),
        "warmup": warmup(summaries),
        "warmup_detection": warmup_detection(summaries),
        "background": background(summaries),
        "blocked": blocked(summaries),
        "portal": portal,
        "faults": faults(summaries),
        "latency_cdf": latency_cdf(summaries),
        "series": series(summaries),
    }


