"""Arrival processes, one stream per source, with arrival times drawn in vectorised batches.

A non-homogeneous Poisson process with a piecewise-constant rate λ(t) is generated exactly by time change:
if E1, E2, ... are unit-rate exponential gaps, arrivals are Λ⁻¹(E1), Λ⁻¹(E1+E2), ... where Λ(t) = ∫₀ᵗ λ.
`flow_rate` builds λ for one source: base rate × daily profile × bursts, zero outside the source's window.

Every way of describing arrivals composes through that one time change: a flow given by `interarrival` is a renewal
process whose unit-mean gaps (the interarrival distribution divided by its mean) are laid out in operational time
Λ(t) = ∫₀ᵗ λ, with λ = (1 / mean gap) × profile × bursts × window, exactly as a Poisson flow's unit exponential gaps
are. So a window, a profile or a burst acts on a renewal flow as on a Poisson one (no arrival outside the window,
the rate multiplied where the profile or a burst says), and a constant λ gives back the plain renewal process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sim.engine import Kernel

DAY = 86_400.0


class PiecewiseRate:
    """λ(t) constant on [edges[i], edges[i+1]), and `rates[-1]` after the last edge. Rates in 1/s, edges in s."""

    def __init__(self, edges: Sequence[float], rates: Sequence[float]) -> None:
        if len(edges) != len(rates) or not edges or edges[0] != 0.0:
            raise ValueError("edges must start at 0 and match rates one to one")
        if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ValueError("edges must increase")
        if any(r < 0 for r in rates):
            raise ValueError("rates must be >= 0")
        self.edges = np.asarray(edges, dtype=float)
        self.rates = np.asarray(rates, dtype=float)
        widths = np.diff(self.edges)
        self.cum = np.concatenate(([0.0], np.cumsum(widths * self.rates[:-1])))  # Λ at each edge

    @classmethod
    def constant(cls, rate: float) -> PiecewiseRate:
        return cls([0.0], [rate])

    def mean_over(self, horizon: float) -> float:
        """Average rate over [0, horizon]."""
        return self.cumulative(np.array([horizon]))[0] / horizon if horizon > 0 else float(self.rates[0])

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.edges, t, side="right") - 1
        return self.cum[i] + (t - self.edges[i]) * self.rates[i]

    def inverse(self, lam: np.ndarray) -> np.ndarray:
        """Λ⁻¹: the earliest t with Λ(t) = lam (inf where the rate stays 0 for ever)."""
        i = np.searchsorted(self.cum, lam, side="right") - 1
        rate = self.rates[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.edges[i] + np.where(rate > 0, (lam - self.cum[i]) / np.where(rate > 0, rate, 1.0), np.inf)
        return t


class ArrivalStream:
    """One arrival process for one source: calls `on_arrival()` at each arrival until the horizon.

    Arrival k is at Λ⁻¹(G₁ + … + G_k): `rate` gives Λ (a `PiecewiseRate`; absent: Λ(t) = t) and `gaps` the
    i.i.d. gaps G (a Distribution; absent: unit exponentials, which makes a Poisson process of rate λ(t)). With both,
    the gaps should have mean 1, `rate` carrying the flow's mean rate (see the module docstring).
    """

    def __init__(
        self,
        kernel: Kernel,
        on_arrival: Callable[[], Any],
        *,
        rate: PiecewiseRate | None = None,
        gaps: Any = None,
        batch: int = 256,
    ) -> None:
        if rate is None and gaps is None:
            raise ValueError("give a rate, gaps or both")
        self.kernel = kernel
        self.on_arrival = on_arrival
        self.rate = rate
        self.gaps = gaps
        self.batch = batch
        self._times = np.empty(0)
        self._i = 0
        self._last_lam = 0.0
        self.count = 0

    def start(self) -> None:
        self._schedule_next()

    def _refill(self) -> None:
        rng = self.kernel.rng
        if self.gaps is None:
            steps = rng.exponential(1.0, self.batch)
        else:
            steps = np.asarray(self.gaps.sample_n(rng, self.batch), dtype=float)
        lam = self._last_lam + np.cumsum(steps)
        self._last_lam = float(lam[-1])
        self._times = lam if self.rate is None else self.rate.inverse(lam)
        self._i = 0

    def _schedule_next(self) -> None:
        if self._i >= len(self._times):
            self._refill()
        t = float(self._times[self._i])
        self._i += 1
        if t > self.kernel.horizon:
            return
        self.kernel.later(t - self.kernel.now, self._fire)

    def _fire(self) -> None:
        self.count += 1
        self._schedule_next()
        self.on_arrival()


def flow_rate(
    base_rate: float,
    horizon: float,
    profile: Any = None,
    bursts: Sequence[Any] = (),
    start: float = 0.0,
    end: float | None = None,
) -> PiecewiseRate:
    """The rate of one source: `base_rate` times a `DailyProfile` (step points within each day) times every burst
    active at t (`Burst.start`, `.duration`, `.factor`), zero outside [start, end)."""
    points = {0.0, max(start, 0.0)}
    if end is not None:
        points.add(end)
    if profile is not None:
        for day in range(int(horizon // DAY) + 1):
            points.update(day * DAY + second for second, _ in profile.points)
    for burst in bursts:
        points.update((burst.start, burst.start + burst.duration))
    edges = sorted(p for p in points if 0.0 <= p <= horizon)
    rates = []
    for t in edges:
        r = base_rate if start <= t and (end is None or t < end) else 0.0
        if profile is not None:
            r *= profile.factor(t)
        for burst in bursts:
            if burst.start <= t < burst.start + burst.duration:
                r *= burst.factor
        rates.append(r)
    return PiecewiseRate(edges, rates)
