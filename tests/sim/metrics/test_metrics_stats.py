"""Confidence intervals across replications, and SLO verdicts on whole intervals."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.metrics.slo import evaluate, judge, normalise_op
from sim.metrics.stats import Interval, confidence_interval, replications_needed, t_quantile


def test_t_quantiles_match_tables():
    assert t_quantile(2) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile(10) == pytest.approx(2.262, abs=1e-3)
    assert t_quantile(30) == pytest.approx(2.045, abs=1e-3)


def test_interval_of_known_values():
    iv = confidence_interval([1.0, 2.0, 3.0, None])
    assert iv.n == 3 and iv.mean == 2.0 and iv.std == 1.0
    assert iv.half_width == pytest.approx(4.303 / math.sqrt(3), abs=1e-3)
    assert iv.low == pytest.approx(2 - iv.half_width) and iv.high == pytest.approx(2 + iv.half_width)


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
@pytest.mark.parametrize("n", [5, 20])
def test_95_percent_intervals_cover_the_true_mean_about_95_percent_of_the_time(n):
    rng = np.random.default_rng(20261122 + n)
    trials = 4000
    samples = rng.normal(10.0, 3.0, size=(trials, n))
    covered = 0
    for row in samples:
        iv = confidence_interval(row.tolist())
        covered += iv.low <= 10.0 <= iv.high
    # binomial sd at p=.95 with 4000 trials is 0.0034: +-4 sd
    assert covered / trials == pytest.approx(0.95, abs=0.014)


def test_degenerate_intervals():
    assert confidence_interval([]).mean is None
    one = confidence_interval([4.0])
    assert one.n == 1 and one.low is None and one.relative_half_width is None
    zero = confidence_interval([0.0, 0.0, 0.0])
    assert zero.half_width == 0 and zero.relative_half_width == 0.0
    spread_round_zero = confidence_interval([-1.0, 1.0])
    assert spread_round_zero.relative_half_width == math.inf


def test_replications_needed_scales_with_the_square_of_the_width_ratio():
    iv = Interval(n=10, mean=100.0, std=10.0, half_width=10.0)  # 10 % relative half-width
    assert replications_needed(iv, 0.05) == 40
    assert replications_needed(iv, 0.2) == 10


def test_slo_passes_only_when_the_whole_interval_does():
    # mean 1.9 s is under 2 s, but the interval reaches above 2 s: not shown to hold
    straddling = evaluate("rt", "realtime.latency.p99", "<=", 2.0, [1.6, 2.2, 1.9, 1.9])
    assert straddling.mean == pytest.approx(1.9)
    assert straddling.ci_low < 2.0 < straddling.ci_high
    assert not straddling.passed and "straddles" in straddling.reason
    tight = evaluate("rt", "realtime.latency.p99", "<=", 2.0, [1.88, 1.92, 1.9, 1.9])
    assert tight.passed
    violated = evaluate("share", "async.within_48h.share", ">=", 0.999, [0.9, 0.91, 0.92])
    assert not violated.passed and "violates" in violated.reason


def test_slo_on_zero_lost_messages_with_equality():
    assert evaluate("lost", "messages.lost", "==", 0, [0.0, 0.0, 0.0]).passed
    assert not evaluate("lost", "messages.lost", "==", 0, [0.0, 0.0, 3.0]).passed
    assert evaluate("lost", "messages.lost", "<=", 0, [0.0, 0.0]).passed


def test_slo_without_an_interval_fails_with_a_reason():
    none = evaluate("x", "portal.availability", ">=", 0.99, [None, None])
    assert not none.passed and none.reason.startswith("no data")
    single = evaluate("x", "portal.availability", ">=", 0.99, [1.0, None])
    assert not single.passed and "one replication" in single.reason


def test_operator_spellings():
    assert normalise_op("≤") == "<=" and normalise_op("ge") == ">="
    with pytest.raises(ValueError, match="unknown SLO operator"):
        normalise_op("~")


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30), st.floats(-1e6, 1e6),
       st.sampled_from(["<=", "<", ">=", ">"]))
def test_verdict_is_true_exactly_when_both_interval_ends_hold(values, threshold, op):
    iv = confidence_interval(values)
    verdict = judge("s", "m", op, threshold, iv)
    holds = {"<=": lambda x: x <= threshold, "<": lambda x: x < threshold,
             ">=": lambda x: x >= threshold, ">": lambda x: x > threshold}[op]
    assert verdict.passed == (holds(iv.low) and holds(iv.high))
    assert iv.low <= iv.mean <= iv.high
