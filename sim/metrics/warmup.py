"""Warm-up detection (MSER-5) and a non-stationarity check on one replication's output series.

MSER-5 (White 1997; Franklin & White 2008): batch the observations in time order into means of 5, Z_1..Z_m, and
pick the truncation d that minimises the marginal standard error
MSER(d) = sum_{j>d} (Z_j - mean_{j>d} Z)^2 / (m - d)^2 over 0 <= d <= 3m/4 (a quarter of the series is always kept:
the statistic is unstable on a short tail). A minimum in the last half of the series is the classic sign that the
output never settles in this run: the series is called non-stationary then, and the truncation applied stops at the
middle (`HALF`), the latest point the method vouches for. The warm-up it detects is the send time of the first
observation kept. A second check looks for a trend after the
truncation: Kendall's tau between time and `TREND_BATCHES` batch means (`scipy.stats.kendalltau`), significant at
`TREND_P`, means the level keeps moving (queues growing, or a daily profile the run follows on purpose).

The series are those of the SLO metrics (`series_for`): a latency SLO looks at the answered requests' client-side
latencies in send order (`<class>.latency`), a deadline share at the 0/1 series "answered within the deadline" of
every request whose outcome is known (`<class>.deadline`). With `run.warmup: auto` the replication's warm-up is the
latest truncation point over those series (`applied_warmup`), and the statistics start there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import stats as _scipy_stats

BATCH = 5
MIN_BATCHES = 20
TREND_BATCHES = 20
TREND_P = 0.001


def mser_truncation(values: np.ndarray, batch: int = BATCH) -> tuple[int, int]:
    """(d, m): the MSER-`batch` truncation in batches (searched up to 3m/4; beyond m // 2: never settles) and the
    number of batches (linear time)."""
    m = values.size // batch
    if m == 0:
        return 0, 0
    z = values[: m * batch].reshape(m, batch).mean(axis=1)
    s1 = np.cumsum(z[::-1])[::-1]  # suffix sums: s1[d] = sum_{j>=d} z_j
    s2 = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(3 * m // 4 + 1)
    k = (m - d).astype(np.float64)
    ss = np.maximum(s2[d] - s1[d] ** 2 / k, 0.0)
    return int(np.argmin(ss / (k * k))), m


def mser5(times: np.ndarray, latencies: np.ndarray, warmup: float, end: float) -> dict[str, Any]:
    """MSER-5 on latencies ordered by send time from t = 0, against the configured `warmup`; and the trend check."""
    order = np.argsort(times, kind="stable")
    t, y = times[order], latencies[order]
    d, m = mser_truncation(y)
    out: dict[str, Any] = {"observations": int(y.size), "batches": m, "configured_s": warmup}
    if m < MIN_BATCHES:
        out.update(detected_s=None, sufficient=None, settles=None, trend=None)
        return out
    settles = d <= m // 2
    d = min(d, m // 2)
    first = d * BATCH
    detected = float(t[first]) if d > 0 else 0.0
    out.update(detected_s=detected, truncated=first, settles=settles, sufficient=settles and detected <= warmup)
    kept = y[t >= max(warmup, detected)]
    n = kept.size // TREND_BATCHES
    trend = None
    if n >= 1:
        z = kept[: n * TREND_BATCHES].reshape(TREND_BATCHES, n).mean(axis=1)
        tau, p = _scipy_stats.kendalltau(np.arange(TREND_BATCHES), z)
        if np.isfinite(tau):
            trend = {"tau": float(tau), "p": float(p), "significant": bool(p < TREND_P)}
    out["trend"] = trend
    return out


_CLASSES = ("realtime", "async")
_DEADLINE_SHARES = {"realtime": "realtime.within_2s.share", "async": "async.within_48h.share"}


def series_for(metric: str) -> tuple[str, ...]:
    """The series whose warm-up matters to `metric` (an SLO's metric); () for whole-run counts and time averages."""
    for cls in _CLASSES:
        if metric.startswith((f"{cls}.latency.", f"{cls}.accepted_latency.")):
            return (f"{cls}.latency",)
        if metric in (f"{cls}.unanswered", _DEADLINE_SHARES[cls]):
            return (f"{cls}.deadline",)
    if metric.startswith("type.") and ".latency." in metric:
        return tuple(f"{cls}.latency" for cls in _CLASSES)
    if metric in ("within_deadline.share", "answered.share") or metric.endswith(".within_deadline.share"):
        return tuple(f"{cls}.deadline" for cls in _CLASSES)
    return ()


def warmup_series(metrics: Iterable[str]) -> tuple[str, ...]:
    """The series MSER-5 watches for SLOs on these metrics, in a stable order (see `series_for`)."""
    names = {name for metric in metrics for name in series_for(metric)}
    return tuple(sorted(names))


def applied_warmup(series: Sequence[tuple[np.ndarray, np.ndarray]]) -> float:
    """The warm-up to apply: the latest MSER-5 truncation time over `series` ((send times, values) each); 0 when
    none has enough observations to tell (`MIN_BATCHES` batches)."""
    latest = 0.0
    for times, values in series:
        order = np.argsort(times, kind="stable")
        d, m = mser_truncation(values[order])
        d = min(d, m // 2)
        if m >= MIN_BATCHES and d > 0:
            latest = max(latest, float(times[order][d * BATCH]))
    return latest
