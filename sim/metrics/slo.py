"""SLO verdicts: an SLO on a metric holds only if the whole confidence interval of the metric satisfies it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from sim.metrics.stats import CONFIDENCE, Interval, confidence_interval

OPERATORS: dict[str, str] = {"<=": "at most", "<": "below", ">=": "at least", ">": "above", "==": "exactly"}
_ALIASES = {"≤": "<=", "≥": ">=", "=": "==", "le": "<=", "lt": "<", "ge": ">=", "gt": ">", "eq": "==",
            "max": "<=", "min": ">="}


def normalise_op(op: str) -> str:
    """The canonical spelling of a comparison (`<=`, `<`, `>=`, `>`, `==`)."""
    op = _ALIASES.get(op, op)
    if op not in OPERATORS:
        raise ValueError(f"unknown SLO operator {op!r}; expected one of {', '.join(OPERATORS)}")
    return op


def _holds(value: float, op: str, threshold: float) -> bool:
    if op == "<=":
        return value <= threshold
    if op == "<":
        return value < threshold
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    return math.isclose(value, threshold, rel_tol=1e-12, abs_tol=1e-12)


@dataclass(frozen=True)
class SloVerdict:
    """One SLO's verdict; the dict form is the `report.json` `slos` entry."""

    name: str
    metric: str
    op: str
    threshold: float
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    passed: bool
    n: int
    reason: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def judge(name: str, metric: str, op: str, threshold: float, interval: Interval) -> SloVerdict:
    """Pass only if both ends of the interval satisfy `metric op threshold`.

    A metric measured in no replication fails ("no data"); one measured in a single replication has no interval and
    fails too, because one replication cannot show a guarantee.
    """
    op = normalise_op(op)
    lo, hi = interval.low, interval.high
    if interval.n == 0 or interval.mean is None:
        passed, reason = False, "no data: the metric was not measured in any replication"
    elif lo is None or hi is None:
        passed, reason = False, "one replication measured it: no confidence interval, no guarantee"
    else:
        passed = _holds(lo, op, threshold) and _holds(hi, op, threshold)
        pct = f"{interval.confidence:.0%}"
        if passed:
            reason = f"the whole {pct} interval is {OPERATORS[op]} {threshold:g}"
        elif _holds(lo, op, threshold) or _holds(hi, op, threshold):
            reason = f"the {pct} interval straddles {threshold:g}: not shown to hold"
        else:
            reason = f"the whole {pct} interval violates {OPERATORS[op]} {threshold:g}"
    return SloVerdict(name, metric, op, float(threshold), interval.mean, lo, hi, passed, interval.n, reason)


def evaluate(name: str, metric: str, op: str, threshold: float, values: Iterable[float | None],
             confidence: float = CONFIDENCE) -> SloVerdict:
    """The verdict of one SLO over the per-replication values of its metric."""
    return judge(name, metric, op, threshold, confidence_interval(values, confidence))
