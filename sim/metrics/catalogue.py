"""The metrics an SLO may name: what each one measures, its unit, and which direction is better.

Fixed names live in `METRICS`. Names that embed a message type or a participant follow the patterns in
`METRIC_PATTERNS` (e.g. `type.<type-name>.latency.p99`, `participant.<name>.within_deadline.share`).
Latencies are client-side, end to end: from the consumer sending a request (before the first network hop, the bus
entrance and the sender's retries) to the consumer receiving the answer (963 §10); `*.accepted_latency.*` counts from
the bus's acceptance instead (not an SLO figure: it leaves out what the client waits for before). Requests never
answered (expired, lost, rejected, or open past their deadline) count as beyond every deadline: misses in the shares,
infinite values in the percentiles. Deadline shares count only requests whose outcome is known at the end of the run
(answered, closed unanswered, or deadline passed); a request the bus rejected is not held against its provider
(`participant.<name>.within_deadline.share`).
`scaleout.efficiency` exists only at the sweep level (see `sim.runner.sweep`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class MetricInfo:
    description: str
    unit: str  # "s", "share" (0..1), "count", "1/s", "ratio"
    better: Better
    level: Literal["replication", "sweep"] = "replication"


QUANTILES: tuple[str, ...] = ("p50", "p95", "p99", "mean", "max")
"""Statistics every latency family offers: the 50th/95th/99th percentiles, the mean and the maximum."""

_LATENCY_FAMILIES: dict[str, str] = {
    "realtime.latency": "client-side answer latency of real-time requests (unanswered: beyond every deadline)",
    "async.latency": "client-side answer latency of asynchronous requests (unanswered: beyond every deadline)",
    "realtime.accepted_latency": "answer latency of real-time requests from the bus's acceptance",
    "async.accepted_latency": "answer latency of asynchronous requests from the bus's acceptance",
    "delivery.latency": "time from sending a message to its acknowledged delivery to the recipient application",
}


def _latency_metrics() -> dict[str, MetricInfo]:
    out: dict[str, MetricInfo] = {}
    for family, what in _LATENCY_FAMILIES.items():
        for stat in QUANTILES:
            label = "mean" if stat == "mean" else "maximum" if stat == "max" else f"{stat[1:]}th percentile"
            out[f"{family}.{stat}"] = MetricInfo(f"{label} of the {what}, after warm-up", "s", "lower")
    return out


METRICS: dict[str, MetricInfo] = {
    **_latency_metrics(),
    "realtime.within_2s.share": MetricInfo(
        "share of real-time requests answered within 2 s (963 §10), of those with a known outcome", "share", "higher"),
    "async.within_48h.share": MetricInfo(
        "share of asynchronous requests answered within 48 h (963 §10), of those with a known outcome", "share", "higher"),
    "within_deadline.share": MetricInfo(
        "share of all requests answered within their deadline (2 s real-time, 48 h otherwise)", "share", "higher"),
    "answered.share": MetricInfo("share of requests sent after warm-up that were answered by the end", "share", "higher"),
    "realtime.unanswered": MetricInfo("real-time requests sent after warm-up never answered (expired, lost, rejected, "
                                      "or open past the deadline)", "count", "lower"),
    "async.unanswered": MetricInfo("asynchronous requests sent after warm-up never answered (expired, lost, "
                                   "rejected, or open past the deadline)", "count", "lower"),
    "messages.sent": MetricInfo("messages sent during the whole run", "count", "higher"),
    "messages.delivered": MetricInfo("messages delivered to the recipient application and acknowledged", "count", "higher"),
    "messages.in_flight": MetricInfo("messages still in the system at the end of the run", "count", "lower"),
    "messages.lost": MetricInfo("messages lost (e.g. queued in a lost data centre without replication)", "count", "lower"),
    "messages.expired": MetricInfo("messages whose TTL ran out before delivery", "count", "lower"),
    "messages.rejected": MetricInfo("messages the bus rejected (signature, schema, access matrix, quota, blocking)",
                                    "count", "lower"),
    "messages.duplicates_delivered": MetricInfo(
        "messages that reached an application a second time (must be 0: duplicates are suppressed by MessageID)",
        "count", "lower"),
    "messages.duplicates_suppressed": MetricInfo("redeliveries suppressed by MessageID", "count", "lower"),
    "messages.lost.share": MetricInfo("lost messages as a share of messages sent", "share", "lower"),
    "throughput.answered_per_s": MetricInfo("requests answered per second after warm-up", "1/s", "higher"),
    "throughput.delivered_per_s": MetricInfo("messages delivered per second after warm-up", "1/s", "higher"),
    "portal.availability": MetricInfo("share of portal applications after warm-up that were not refused", "share",
                                      "higher"),
    "portal.login.success.share": MetricInfo("share of ESIA logins after warm-up that succeeded", "share", "higher"),
    "queue.max_depth": MetricInfo("largest depth of any queue after warm-up", "count", "lower"),
    "utilisation.max": MetricInfo("highest utilisation of any component after warm-up", "share", "lower"),
    "participants.blocked": MetricInfo("participants the bus blocked for breaking limits (697 §6м)", "count", "lower"),
    "littles_law.relative_error": MetricInfo(
        "|L - λW| / L for messages in the system after warm-up: a self-check of the measurement", "ratio", "lower"),
    "scaleout.efficiency": MetricInfo(
        "throughput gain divided by resource gain, largest sweep point against the smallest (451 §5)", "ratio",
        "higher", level="sweep"),
}

METRIC_PATTERNS: tuple[tuple[re.Pattern[str], MetricInfo], ...] = (
    (re.compile(r"^type\.(?P<name>.+)\.latency\.(?P<stat>p50|p95|p99|mean|max)$"),
     MetricInfo("end-to-end answer latency of requests of one message type, after warm-up", "s", "lower")),
    (re.compile(r"^type\.(?P<name>.+)\.within_deadline\.share$"),
     MetricInfo("share of requests of one message type answered within their deadline", "share", "higher")),
    (re.compile(r"^participant\.(?P<name>.+)\.within_deadline\.share$"),
     MetricInfo("share of requests to one provider answered within their deadline (963 §10)", "share", "higher")),
    (re.compile(r"^utilisation\.(?P<name>.+)$"),
     MetricInfo("utilisation of one component after warm-up", "share", "lower")),
)


def metric_info(name: str) -> MetricInfo | None:
    """The description of a metric name, fixed or patterned; None if no such metric exists."""
    info = METRICS.get(name)
    if info is not None:
        return info
    for pattern, pattern_info in METRIC_PATTERNS:
        if pattern.match(name):
            return pattern_info
    return None


def is_known_metric(name: str) -> bool:
    """True if an SLO may name this metric."""
    return metric_info(name) is not None


def known_metric_names() -> list[str]:
    """Fixed names and the patterns, for error messages and `--help`."""
    return sorted(METRICS) + [
        "type.<type>.latency.p50|p95|p99|mean|max",
        "type.<type>.within_deadline.share",
        "participant.<name>.within_deadline.share",
        "utilisation.<component>",
    ]
