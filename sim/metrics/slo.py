"""SLO verdicts on whole confidence intervals: PASS when the whole interval satisfies the SLO, FAIL when the whole
interval violates it (or nothing shows a guarantee: no data, one replication), INCONCLUSIVE when the interval
straddles the threshold (more replications, or a longer run, would decide). `sim.commands.run` maps them to exit
codes 0, 1 and 3."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sim.metrics.stats import CONFIDENCE, Interval, confidence_interval

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
VERDICTS = (PASS, FAIL, INCONCLUSIVE)

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
    verdict: str = FAIL  # PASS, FAIL or INCONCLUSIVE; `passed` is `verdict == PASS`
    method: str = ""  # how the interval was made (`sim.metrics.stats.METHODS`)
    unbounded: bool = False  # the metric is beyond every deadline in some replication (unanswered requests)

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        for key in ("mean", "ci_low", "ci_high"):  # infinite: beyond every deadline (see `unbounded`)
            value = out[key]
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


def judge(name: str, metric: str, op: str, threshold: float, interval: Interval) -> SloVerdict:
    """PASS if both ends of the interval satisfy `metric op threshold`, FAIL if neither does, INCONCLUSIVE if the
    interval straddles the threshold.

    A metric measured in no replication fails ("no data"); one measured in a single replication has no interval and
    fails too, because one replication cannot show a guarantee.
    """
    op = normalise_op(op)
    lo, hi = interval.low, interval.high
    if interval.n == 0 or interval.mean is None:
        verdict, reason = FAIL, "no data: the metric was not measured in any replication"
    elif lo is None or hi is None:
        verdict, reason = FAIL, "one replication measured it: no confidence interval, no guarantee"
    else:
        pct = f"{interval.confidence:.0%}"
        low_ok, high_ok = _holds(lo, op, threshold), _holds(hi, op, threshold)
        if low_ok and high_ok:
            verdict, reason = PASS, f"the whole {pct} interval is {OPERATORS[op]} {threshold:g}"
        elif _straddles(lo, hi, op, threshold):
            verdict, reason = INCONCLUSIVE, (f"the {pct} interval straddles {threshold:g}: neither shown to hold "
                                             "nor shown to fail (more replications or a longer run would decide)")
        else:
            verdict, reason = FAIL, f"the whole {pct} interval violates {OPERATORS[op]} {threshold:g}"
        if interval.unbounded:
            reason += "; unanswered requests put this percentile beyond every deadline in some replication"
    return SloVerdict(name, metric, op, float(threshold), interval.mean, lo, hi, verdict == PASS, interval.n, reason,
                      verdict, interval.method, interval.unbounded)


def _straddles(lo: float, hi: float, op: str, threshold: float) -> bool:
    if op == "==":
        return lo <= threshold <= hi and not (lo == hi == threshold)
    return _holds(lo, op, threshold) != _holds(hi, op, threshold)


def decided(interval: Interval, op: str, threshold: float) -> bool:
    """The interval lies wholly on one side of the threshold: more replications would not change the verdict."""
    lo, hi = interval.low, interval.high
    if lo is None or hi is None:
        return False
    return not _straddles(lo, hi, normalise_op(op), threshold)


def overall(verdicts: Iterable[SloVerdict]) -> str:
    """The run's verdict: FAIL if any SLO fails, else INCONCLUSIVE if any is, else PASS."""
    seen = {v.verdict for v in verdicts}
    return FAIL if FAIL in seen else INCONCLUSIVE if INCONCLUSIVE in seen else PASS


def evaluate(name: str, metric: str, op: str, threshold: float, values: Iterable[float | None],
             confidence: float = CONFIDENCE, *, unit: str | None = None,
             counts: Sequence[tuple[int, int] | None] = ()) -> SloVerdict:
    """The verdict of one SLO over the per-replication values of its metric (see `confidence_interval`)."""
    return judge(name, metric, op, threshold, confidence_interval(values, confidence, unit=unit, counts=counts))
