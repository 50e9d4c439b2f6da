"""The one way to get a metric's confidence interval from replication summaries: its catalogue unit bounds the
interval to the metric's range, and a share's pooled counts add the Wilson interval (`sim.metrics.stats`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.metrics.catalogue import metric_info
from sim.metrics.stats import CONFIDENCE, Interval, confidence_interval


def unit_of(metric: str) -> str | None:
    info = metric_info(metric)
    return info.unit if info is not None else None


def metric_interval(metric: str, summaries: Sequence[Any], confidence: float = CONFIDENCE) -> Interval:
    """The interval of `metric` over `summaries` (objects with `metrics` and `share_counts`, as
    `ReplicationSummary`)."""
    values = [s.metrics.get(metric) for s in summaries]
    counts = [_pair(getattr(s, "share_counts", {}).get(metric)) for s in summaries]
    return confidence_interval(values, confidence, unit=unit_of(metric), counts=counts)


def _pair(value: Any) -> tuple[int, int] | None:
    return (int(value[0]), int(value[1])) if value is not None else None
