"""Arrival processes: the time change that turns unit-rate gaps into a piecewise-rate Poisson process, the rate of a
flow (profile x bursts x window), and the streams' counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.kernel import Kernel
from sim.scenario.distributions import Constant
from sim.scenario.model import Burst, DailyProfile
from sim.workload.arrivals import ArrivalStream, PiecewiseRate, flow_rate


@settings(max_examples=60, deadline=None)
@given(widths=st.lists(st.floats(0.5, 100.0), min_size=1, max_size=6),
       rates=st.lists(st.floats(0.01, 50.0), min_size=7, max_size=7),
       u=st.floats(0.0, 1.0))
def test_model_rate_inverse_undoes_cumulative(widths: list[float], rates: list[float], u: float) -> None:
    edges = np.concatenate(([0.0], np.cumsum(widths)))
    rate = PiecewiseRate(list(edges), rates[: len(edges)])
    t = np.array([u * edges[-1] * 1.5])
    assert rate.inverse(rate.cumulative(t))[0] == pytest.approx(t[0], rel=1e-9, abs=1e-9)


def test_model_rate_is_infinite_where_it_stays_zero() -> None:
    rate = PiecewiseRate([0.0, 10.0], [1.0, 0.0])
    assert rate.inverse(np.array([5.0]))[0] == pytest.approx(5.0)
    assert rate.inverse(np.array([10.5]))[0] == np.inf


def test_model_flow_rate_combines_profile_bursts_and_window() -> None:
    profile = DailyProfile("day", ((0.0, 0.5), (3600.0, 2.0)))
    burst = Burst("b", start=1800.0, duration=600.0, factor=3.0, flows=())
    rate = flow_rate(10.0, 7200.0, profile, [burst], start=600.0, end=6000.0)
    at = {t: float(rate.rates[np.searchsorted(rate.edges, t, side="right") - 1]) for t in (0, 700, 1900, 2500, 4000, 6500)}
    assert at == {0: 0.0, 700: 5.0, 1900: 15.0, 2500: 5.0, 4000: 20.0, 6500: 0.0}


def test_model_poisson_stream_counts_match_the_integral() -> None:
    kernel = Kernel(np.random.default_rng(3), 20_000.0)
    rate = PiecewiseRate([0.0, 5_000.0, 10_000.0], [2.0, 0.5, 4.0])
    times: list[float] = []
    stream = ArrivalStream(kernel, lambda: times.append(kernel.now), rate=rate)
    stream.start()
    kernel.run()
    counts = np.histogram(times, bins=[0, 5_000, 10_000, 20_000])[0]
    expected = np.array([10_000, 2_500, 40_000])
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected)), counts  # Poisson: 4 standard deviations
    assert times == sorted(times)


def test_model_renewal_stream_with_constant_gaps() -> None:
    kernel = Kernel(np.random.default_rng(4), 10.0)
    times: list[float] = []
    ArrivalStream(kernel, lambda: times.append(kernel.now), gaps=Constant(0.25)).start()
    kernel.run()
    assert times == pytest.approx([0.25 * i for i in range(1, 41)])
