"""Warm-up detection (MSER-5) and a non-stationarity check on one replication's latency series.

MSER-5 (White 1997; Franklin & White 2008): batch the observations in time order into means of 5, Z_1..Z_m, and
pick the truncation d (0 <= d <= m/2) that minimises the marginal standard error
MSER(d) = sum_{j>d} (Z_j - mean_{j>d} Z)^2 / (m - d)^2. The warm-up it detects is the send time of the first
observation kept. A minimum in the second half of the series (d at its bound) is the classic sign that the output
never settles in this run: the series is called non-stationary then. A second check looks for a trend after the
truncation: Kendall's tau between time and `TREND_BATCHES` batch means (`scipy.stats.kendalltau`), significant at
`TREND_P`, means the level keeps moving (queues growing, or a daily profile the run follows on purpose).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as _scipy_stats

BATCH = 5
MIN_BATCHES = 20
TREND_BATCHES = 20
TREND_P = 0.001


def mser_truncation(values: np.ndarray, batch: int = BATCH) -> tuple[int, int]:
    """(d, m): the MSER-`batch` truncation in batches and the number of batches (linear time)."""
    m = values.size // batch
    if m == 0:
        return 0, 0
    z = values[: m * batch].reshape(m, batch).mean(axis=1)
    s1 = np.cumsum(z[::-1])[::-1]  # suffix sums: s1[d] = sum_{j>=d} z_j
    s2 = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(m // 2 + 1)
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
    first = d * BATCH
    detected = float(t[first]) if d > 0 else 0.0
    settles = d < m // 2
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
