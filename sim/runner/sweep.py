"""Throughput versus resources over a sweep, and scale-out efficiency with a confidence interval (451 §5: throughput
grows in proportion to the resources added).

Efficiency of point k against the first point: (X_k / X_0) / (r_k / r_0), X the throughput (messages delivered per
second) and r the swept resource. A meaningful scale-out sweep offers more load than the largest point can carry, so
that X is the capacity and not the offered load (with spare capacity, efficiency falls as 1 / r): the first point
must be at or above capacity (`at_capacity`), else the report says so (`efficiency_note`) instead of a number.
Replication i of every point uses the same seed (common random numbers), so the ratio is formed per replication and
the t interval is taken over those paired ratios, which is much tighter than comparing two independent intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sim.metrics.stats import Interval, confidence_interval
from sim.runner.replications import ReplicationSet

THROUGHPUT_METRIC = "throughput.delivered_per_s"
"""What the infrastructure moves: messages delivered per second. Scale-out efficiency is measured on it."""
GOODPUT_METRIC = "throughput.answered_per_s"
"""What consumers get: answers per second. Under overload it depends on scheduling (answers queue behind new
requests), so it can grow faster or slower than the resources; it is reported beside the throughput, not judged."""


def resource_amount(value: Any) -> float | None:
    """The swept value as a number of resources, or None if it is not a positive number (e.g. a distribution)."""
    if isinstance(value, bool):
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return None
    return amount if math.isfinite(amount) and amount > 0 else None


def carries_less(high: float | None, best_low: float | None) -> bool:
    """The rule for "at or above capacity": a point's throughput interval lies wholly below the best point's (its
    upper end under the best's lower end), so it could not carry what more resources carry. Otherwise its throughput
    is the offered load and a ratio of throughputs to resources means nothing (used by `smev-sim capacity` too)."""
    return high is not None and best_low is not None and high < best_low


def at_capacity(throughput: Sequence[Interval]) -> list[bool]:
    """Per point, `carries_less` against the point of the highest mean throughput."""
    known = [i for i, iv in enumerate(throughput) if iv.mean is not None]
    if not known:
        return [False] * len(throughput)
    best = throughput[max(known, key=lambda i: throughput[i].mean)]  # type: ignore[arg-type, return-value]
    return [carries_less(iv.high, best.low) for iv in throughput]


def efficiency_note(throughput: Sequence[Interval], values: Sequence[Any]) -> str | None:
    """Why scale-out efficiency (every point against the first) means nothing here, or None when it does: the first
    point must be at or above capacity (`at_capacity`)."""
    if len(throughput) < 2:
        return None
    if at_capacity(throughput)[0]:
        return None
    return (f"the first point ({values[0]}) is below capacity: its throughput interval reaches the best point's, so "
            "throughput is the offered load there and its ratio to the resources means nothing; offer more load "
            "than the first point carries to measure scale-out")


def efficiency_intervals(points: Sequence[ReplicationSet], resources: Sequence[float | None],
                         metric: str) -> list[Interval | None]:
    """Per point, the interval of its paired efficiency against point 0; None where the resource is not numeric."""
    if not points or resources[0] is None:
        return [None] * len(points)
    base = points[0].values(metric)
    out: list[Interval | None] = []
    for rset, r in zip(points, resources, strict=True):
        if r is None:
            out.append(None)
            continue
        gain = r / resources[0]
        ratios = [(x / b) / gain if (x is not None and b) else None
                  for x, b in zip(rset.values(metric), base, strict=False)]
        out.append(confidence_interval(ratios))
    return out


def scaleout_efficiency(points: Sequence[ReplicationSet], values: Sequence[Any],
                        metric: str) -> tuple[list[Interval | None], Interval | None]:
    """Per-point efficiencies and the sweep-level `scaleout.efficiency`: the point with the most resources."""
    resources = [resource_amount(v) for v in values]
    per_point = efficiency_intervals(points, resources, metric)
    numeric = [i for i, r in enumerate(resources) if r is not None]
    if len(numeric) < 2 or resources[0] is None:
        return per_point, None
    largest = max(numeric, key=lambda i: resources[i])  # type: ignore[arg-type, return-value]
    return per_point, per_point[largest] if largest != 0 else None
