"""Confidence intervals across independent replications (Student t), and their relative half-width.

Each replication yields one value of a metric (a mean, a percentile, a count); the replications are independent and
identically distributed, so the t interval on their mean is the classic replication/deletion estimate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval on the mean of `n` replication values. With n < 2 there is no interval."""

    n: int
    mean: float | None
    std: float | None
    half_width: float | None
    confidence: float = CONFIDENCE

    @property
    def low(self) -> float | None:
        return None if self.mean is None or self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.mean is None or self.half_width is None else self.mean + self.half_width

    @property
    def relative_half_width(self) -> float | None:
        """half-width / |mean|; 0 for a zero-width interval (even at mean 0); None when undefined."""
        if self.half_width is None or self.mean is None:
            return None
        if self.half_width == 0:
            return 0.0
        if self.mean == 0:
            return math.inf
        return self.half_width / abs(self.mean)

    def to_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "mean": self.mean, "std": self.std, "ci_low": self.low, "ci_high": self.high,
                "half_width": self.half_width, "relative_half_width": _finite_or_none(self.relative_half_width)}


def _finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student t critical value for `n` samples (n - 1 degrees of freedom)."""
    return float(_scipy_stats.t.ppf(0.5 + confidence / 2, n - 1))


def confidence_interval(values: Iterable[float | None], confidence: float = CONFIDENCE) -> Interval:
    """The t interval of the mean of the given values; None entries (nothing measured) are left out."""
    xs = np.array([v for v in values if v is not None], dtype=np.float64)
    n = int(xs.size)
    if n == 0:
        return Interval(0, None, None, None, confidence)
    mean = float(xs.mean())
    if n == 1:
        return Interval(1, mean, None, None, confidence)
    std = float(xs.std(ddof=1))
    if std <= 1e-12 * max(1.0, abs(mean)):  # identical values up to rounding: a zero-width interval
        std = 0.0
    half = t_quantile(n, confidence) * std / math.sqrt(n)
    return Interval(n, mean, std, half, confidence)


def replications_needed(interval: Interval, target: float) -> int | None:
    """How many replications would bring the relative half-width to `target`, if the spread stays the same.

    Uses the normal-quantile approximation n' = n (rhw / target)^2 (the t factor shrinks a little more as n grows,
    so this is slightly conservative). None when the interval is undefined or centred on zero.
    """
    rhw = interval.relative_half_width
    if rhw is None or not math.isfinite(rhw):
        return None
    if rhw <= target:
        return interval.n
    return math.ceil(interval.n * (rhw / target) ** 2)
