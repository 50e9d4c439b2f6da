"""Property of the precision loop over synthetic replication outputs: it stops at the target or at the cap, never
beyond the cap, and what it reports is what the replications show."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.metrics.collector import Collector
from sim.runner import Precision, run_replications

_EMPTY = Collector(1.0).summary()


def _normal_simulate(mean: float, sd: float):
    def simulate(scenario, seed, *, audit_path=None):
        value = float(np.random.default_rng(seed).normal(mean, sd))
        return replace(_EMPTY, metrics={"x": value, "zero": 0.0, "never": None})
    return simulate


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
@settings(max_examples=40, deadline=None)
@given(mean=st.floats(1.0, 100.0), cv=st.floats(0.0, 0.5), target=st.floats(0.01, 0.2),
       start=st.integers(2, 6), cap=st.integers(6, 60), seed=st.integers(0, 2**32 - 1))
def test_precision_loop_stops_at_target_or_cap(mean, cv, target, start, cap, seed):
    rset, outcome = run_replications(None, seed, start, simulate=_normal_simulate(mean, cv * mean),
                                     precision=Precision(target, cap), watch=["x", "zero", "never"])
    assert start <= rset.n <= max(cap, start)
    rhw = rset.interval("x").relative_half_width
    assert outcome.relative_half_widths["x"] == rhw
    assert outcome.reached == (rhw <= target)  # "zero" is always met; "never" has no data and cannot block
    if not outcome.reached:
        assert rset.n >= cap
    if rset.n > start:  # the loop added replications only because the first ones missed the target
        first = replace(rset, summaries=rset.summaries[:start]).interval("x").relative_half_width
        assert first > target
