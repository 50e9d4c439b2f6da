"""Confidence intervals across independent replications, kept inside the range the metric can take.

Each replication yields one value of a metric (a mean, a percentile, a count, a share); the replications are
independent and identically distributed, so the Student t interval on their mean is the classic replication/deletion
estimate. Two refinements make the interval one an expert can read without correcting it by hand:

- Range. The t interval is intersected with the metric's range (`RANGES`: shares in [0, 1]; latencies, counts, rates
  and ratios >= 0). The true value always lies in that range, so the intersection has exactly the coverage of the t
  interval (P(theta in I and R) = P(theta in I) when theta is in R) and never shows an impossible value. A logit
  transform was not used: it estimates expit(E[logit p]), not the mean share the SLO is about.
- Shares. A share also gets the Wilson score interval of the counts pooled over the replications
  (`scipy.stats.binomtest(...).proportion_ci("wilson")`), and the interval is the hull of the two: when every
  replication gives the same share (100 % within the deadline, say) the t interval has width zero, and the Wilson
  interval keeps the sampling uncertainty of the requests actually observed.
- Unanswered requests. A latency percentile that falls on requests never answered is `math.inf` ("beyond every
  deadline"). An interval over values some of which are infinite has mean and upper end infinite and, as lower end,
  the smallest replication value: the statement "at least this" is all the data supports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats

CONFIDENCE = 0.95

RANGES: dict[str, tuple[float, float]] = {
    "share": (0.0, 1.0),
    "s": (0.0, math.inf),
    "count": (0.0, math.inf),
    "1/s": (0.0, math.inf),
    "ratio": (0.0, math.inf),
}
"""The range of a metric by its catalogue unit; a unit not listed is unbounded."""

METHOD_T = "t"
METHOD_T_RANGE = "t-range"
METHOD_T_WILSON = "t-range+wilson"
METHOD_UNBOUNDED = "unbounded"
METHODS: dict[str, str] = {
    METHOD_T: "Student t interval of the mean across replications",
    METHOD_T_RANGE: "Student t interval across replications, intersected with the metric's range (>= 0, or [0, 1])",
    METHOD_T_WILSON: "hull of the Student t interval across replications (within [0, 1]) and the Wilson score "
                     "interval of the counts pooled over replications",
    METHOD_UNBOUNDED: "some replications left requests unanswered at this percentile: at least the smallest "
                      "replication value, no upper bound",
}


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval on the mean of `n` replication values. With n < 2 there is no interval.

    `lower`/`upper`, when set, are the ends after the range and Wilson refinements; otherwise the ends are
    mean -/+ half_width. `half_width` is always half the interval's width (so the precision loop compares like with
    like)."""

    n: int
    mean: float | None
    std: float | None
    half_width: float | None
    confidence: float = CONFIDENCE
    lower: float | None = None
    upper: float | None = None
    method: str = METHOD_T

    @property
    def low(self) -> float | None:
        if self.lower is not None:
            return self.lower
        return None if self.mean is None or self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        if self.upper is not None:
            return self.upper
        return None if self.mean is None or self.half_width is None else self.mean + self.half_width

    @property
    def unbounded(self) -> bool:
        """The value is beyond every deadline in some replication (unanswered requests)."""
        return self.mean is not None and math.isinf(self.mean)

    @property
    def relative_half_width(self) -> float | None:
        """half-width / |mean|; 0 for a zero-width interval (even at mean 0); None when undefined; inf when
        unbounded or centred on zero."""
        if self.half_width is None or self.mean is None:
            return None
        if self.unbounded:
            return math.inf
        if self.half_width == 0:
            return 0.0
        if self.mean == 0:
            return math.inf
        return self.half_width / abs(self.mean)

    def to_dict(self) -> dict[str, object]:
        """JSON form; infinite values (unanswered requests) become None with `unbounded` true."""
        return {"n": self.n, "mean": _finite_or_none(self.mean), "std": _finite_or_none(self.std),
                "ci_low": _finite_or_none(self.low), "ci_high": _finite_or_none(self.high),
                "half_width": _finite_or_none(self.half_width),
                "relative_half_width": _finite_or_none(self.relative_half_width),
                "method": self.method, "unbounded": self.unbounded}


def _finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student t critical value for `n` samples (n - 1 degrees of freedom)."""
    return float(_scipy_stats.t.ppf(0.5 + confidence / 2, n - 1))


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a binomial share (scipy's implementation)."""
    result = _scipy_stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(result.low), float(result.high)


def confidence_interval(values: Iterable[float | None], confidence: float = CONFIDENCE, *,
                        unit: str | None = None, counts: Sequence[tuple[int, int] | None] = ()) -> Interval:
    """The interval of the mean of the given values; None entries (nothing measured) are left out.

    `unit` (a catalogue unit) bounds the interval to the metric's range; for a share, `counts` (successes, trials)
    per replication add the pooled Wilson interval (see the module's docstring)."""
    raw = [v for v in values if v is not None]
    n = len(raw)
    bounded = unit in RANGES
    if n == 0:
        return Interval(0, None, None, None, confidence)
    xs = np.array(raw, dtype=np.float64)
    if np.isinf(xs).any():
        low = float(xs.min())
        return Interval(n, math.inf, None, math.inf, confidence, low, math.inf, METHOD_UNBOUNDED)
    mean = float(xs.mean())
    if n == 1:
        return Interval(1, mean, None, None, confidence)
    std = float(xs.std(ddof=1))
    if std <= 1e-12 * max(1.0, abs(mean)):  # identical values up to rounding: a zero-width interval
        std = 0.0
    half = t_quantile(n, confidence) * std / math.sqrt(n)
    if not bounded:
        return Interval(n, mean, std, half, confidence)
    lo_r, hi_r = RANGES[unit]  # type: ignore[index]
    low, high = max(mean - half, lo_r), min(mean + half, hi_r)
    method = METHOD_T_RANGE
    pooled = [c for c in counts if c is not None]
    if unit == "share" and pooled:
        k, trials = sum(c[0] for c in pooled), sum(c[1] for c in pooled)
        if trials > 0:
            w_low, w_high = wilson(k, trials, confidence)
            low, high = min(low, w_low), max(high, w_high)
            method = METHOD_T_WILSON
    return Interval(n, mean, std, (high - low) / 2, confidence, low, high, method)


def quantiles(samples: np.ndarray, unanswered: int, qs: Sequence[float]) -> list[float]:
    """Percentiles (linear interpolation, as `numpy.percentile`) of `samples` plus `unanswered` values beyond every
    deadline: a percentile that needs one of those is `math.inf`."""
    if unanswered <= 0:
        return [float(x) for x in np.percentile(samples, qs)] if samples.size else [math.nan] * len(qs)
    n = samples.size + unanswered
    out = []
    ordered = np.sort(samples)
    for q in qs:
        h = (n - 1) * q / 100.0
        lo = math.floor(h)
        hi = math.ceil(h)
        if hi >= samples.size:
            out.append(float(ordered[lo]) if hi == lo and lo < samples.size else math.inf)
        else:
            out.append(float(ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])))
    return out


def replications_needed(interval: Interval, target: float) -> int | None:
    """How many replications would bring the relative half-width to `target`, if the spread stays the same.

    Uses the normal-quantile approximation n' = n (rhw / target)^2 (the t factor shrinks a little more as n grows,
    so this is slightly conservative). None when the interval is undefined, unbounded or centred on zero.
    """
    rhw = interval.relative_half_width
    if rhw is None or not math.isfinite(rhw):
        return None
    if rhw <= target:
        return interval.n
    return math.ceil(interval.n * (rhw / target) ** 2)
