"""Numbers for people, in the units of the metric catalogue (shared by the HTML report and the terminal)."""

from __future__ import annotations

from typing import Any

from sim.metrics.catalogue import metric_info


def fmt(value: Any, unit: str = "") -> str:
    """A number for people: 4 significant digits, seconds scaled to ms/min/h, shares as percentages."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if unit == "share":
        return f"{value * 100:.4g} %"
    if unit == "s":
        a = abs(value)
        if a and a < 1:
            return f"{value * 1000:.4g} ms"
        if a >= 7200:
            return f"{value / 3600:.4g} h"
        if a >= 120:
            return f"{value / 60:.4g} min"
        return f"{value:.4g} s"
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", " ")
    return f"{value:.4g}"


def unit_of(metric: str) -> str:
    """The catalogue unit of a metric name ("" if unknown)."""
    info = metric_info(metric)
    return info.unit if info else ""
