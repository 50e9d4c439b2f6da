"""Distributions: the grammar, their means (analytic against sampled), and text -> object -> text round trips."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.yamlnodes.quantities import UnitError, format_duration, format_size, parse_duration, parse_size
from sim.scenario.distributions import (
    Constant,
    Discrete,
    Erlang,
    Exponential,
    LogNormal,
    TruncatedNormal,
    Uniform,
    parse_distribution,
)


def d(text):
    return parse_distribution(text, parse_duration)


@pytest.mark.parametrize(("text", "expected"), [
    ("20ms", Constant(0.02)),
    ("const(20ms)", Constant(0.02)),
    ("exp(150ms)", Exponential(0.15)),
    ("exp(mean=150ms)", Exponential(0.15)),
    ("uniform(10ms, 50ms)", Uniform(0.01, 0.05)),
    ("normal(1s, 200ms)", TruncatedNormal(1.0, 0.2)),
    ("lognormal(median=200ms, sigma=0.5)", LogNormal(0.2, 0.5)),
    ("erlang(3, 1s)", Erlang(3, 1.0)),
    ("discrete(10ms: 30%, 1s: 70%)", Discrete((0.01, 1.0), (0.3, 0.7))),
    ("empirical(1s, 3s)", Discrete((1.0, 3.0), (0.5, 0.5))),
])
def test_grammar(text, expected):
    assert d(text) == expected


def test_lognormal_by_mean_has_that_mean():
    dist = d("lognormal(mean=250ms, sigma=0.5)")
    assert math.isclose(dist.mean, 0.25)


def test_sizes_use_size_units():
    assert parse_distribution("lognormal(median=64KiB, sigma=1)", parse_size, "size") == LogNormal(65536, 1.0)
    with pytest.raises(UnitError, match="not a size unit"):
        parse_distribution("exp(5ms)", parse_size, "size")


@pytest.mark.parametrize(("text", "needle"), [
    ("gamma(1s)", "unknown distribution 'gamma'"),
    ("expo(1s)", "did you mean 'exp'"),
    ("exp(-1s)", "must be positive"),
    ("exp(1s, 2s)", "takes 1 argument"),
    ("uniform(50ms, 10ms)", "high is below low"),
    ("uniform(10ms)", "missing high"),
    ("normal(-1s, 1s)", "must be positive"),
    ("lognormal(200ms, 0.5)", "write lognormal(median=..., sigma=...)"),
    ("lognormal(median=200ms, mean=1s, sigma=1)", "either median or mean"),
    ("lognormal(median=200ms, sigma=-1)", "sigma of lognormal(...) must not be negative"),
    ("erlang(2.5, 1s)", "whole number"),
    ("discrete(1s: 30%, 2s: 30%)", "sum to 60%"),
    ("discrete(1s: 30%, 2s)", "for every value or for none"),
    ("lognormal(median=1s", "unbalanced parentheses"),
    ("exp(1s, mean=1s)", "given twice"),
    ("exp(150)", "has no unit"),
    ("-5ms", "must not be negative"),
])
def test_bad_distributions_say_why(text, needle):
    with pytest.raises(UnitError, match=needle.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        d(text)


@pytest.mark.parametrize("text", [
    "exp(150ms)", "uniform(10ms, 50ms)", "normal(1s, 200ms)", "normal(100ms, 100ms)", "lognormal(median=200ms, sigma=0.8)",
    "erlang(4, 2s)", "discrete(10ms: 25%, 1s: 75%)", "const(3s)",
])
def test_declared_mean_matches_the_sampled_mean(text):
    dist = d(text)
    samples = dist.sample_n(np.random.default_rng(7), 200_000)
    assert samples.min() >= 0
    standard_error = samples.std() / math.sqrt(len(samples))
    assert abs(samples.mean() - dist.mean) <= 5 * standard_error + 1e-12


def test_single_samples_follow_the_same_distribution_and_seeds_reproduce():
    dist = d("normal(100ms, 100ms)")  # heavily truncated: many redraws
    rng = np.random.default_rng(3)
    singles = np.array([dist.sample(rng) for _ in range(20_000)])
    assert singles.min() >= 0
    assert abs(singles.mean() - dist.mean) < 5 * singles.std() / math.sqrt(len(singles))
    a = d("exp(1s)").sample_n(np.random.default_rng(11), 5)
    b = d("exp(1s)").sample_n(np.random.default_rng(11), 5)
    assert (a == b).all()


def test_scaled_multiplies_the_mean_and_objects_pickle():
    for text in ("exp(1s)", "uniform(1s, 3s)", "normal(2s, 1s)", "lognormal(median=1s, sigma=1)", "erlang(2, 1s)",
                 "discrete(1s, 2s)", "1s"):
        dist = d(text)
        assert math.isclose(dist.scaled(3).mean, 3 * dist.mean)
        assert pickle.loads(pickle.dumps(dist)) == dist


durations = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False).map(lambda x: parse_duration(format_duration(x)))
sigmas = st.floats(min_value=0.01, max_value=3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.one_of(
    durations.map(Constant), durations.map(Exponential),
    st.tuples(durations, durations).map(lambda p: Uniform(min(p), max(p))),
    st.tuples(durations, durations).map(lambda p: TruncatedNormal(*p)),
    st.tuples(durations, sigmas).map(lambda p: LogNormal(p[0], float(repr(p[1])))),
    st.tuples(st.integers(1, 20), durations).map(lambda p: Erlang(*p)),
))
def test_text_parses_back_to_the_same_distribution(dist):
    assert d(dist.text(format_duration)) == dist


def test_size_text_round_trip():
    dist = LogNormal(65536.0, 1.0)
    assert parse_distribution(dist.text(lambda v: format_size(int(v))), parse_size, "size") == dist


# --- moments from scipy.stats, against the closed forms the module used to compute by hand ----------------------

def _truncated_normal_mean(mu, sd):  # the formula the module had before scipy: mu + sd phi(a) / (1 - Phi(a))
    alpha = -mu / sd
    pdf = math.exp(-alpha * alpha / 2) / math.sqrt(2 * math.pi)
    return mu + sd * pdf / (0.5 * math.erfc(alpha / math.sqrt(2)))


_SCALE = st.floats(1e-4, 1e4)


@settings(max_examples=100, deadline=None)
@given(_SCALE, st.one_of(st.just(0.0), st.floats(1e-3, 3.0)), _SCALE, st.floats(0.0, 1e3), _SCALE, st.integers(1, 20))
def test_scipy_moments_equal_the_closed_forms(median, sigma, low, width, mean, k):
    close = lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)  # noqa: E731
    ln = LogNormal(median, sigma)
    assert close(ln.mean, median * math.exp(sigma**2 / 2))
    assert math.isclose(ln.variance, math.expm1(sigma**2) * median**2 * math.exp(sigma**2), rel_tol=1e-9)
    assert close(ln.quantile(0.5), median)
    assert ln.quantile(0.99) >= median and (sigma > 0 or ln.quantile(0.99) == median)
    u = Uniform(low, low + width)
    assert close(u.mean, (u.low + u.high) / 2)
    assert math.isclose(u.variance, (u.high - u.low) ** 2 / 12, rel_tol=1e-12, abs_tol=1e-300)
    er = Erlang(k, mean)
    assert close(er.rv.mean(), mean)
    assert close(er.variance, mean**2 / k)
    ex = Exponential(mean)
    assert close(ex.variance, mean**2)
    assert close(ex.quantile(0.5), mean * math.log(2))


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_truncated_normal_mean_equals_the_closed_form(mu, sd):
    if mu / sd > 30:  # the truncation removes nothing representable: the mean is mu
        assert TruncatedNormal(mu, sd).mean == pytest.approx(mu, rel=1e-12)
        return
    assert math.isclose(TruncatedNormal(mu, sd).mean, _truncated_normal_mean(mu, sd), rel_tol=1e-12)


def test_degenerate_and_empirical_moments():
    assert Constant(0.3).variance == 0.0 and Constant(0.3).quantile(0.99) == 0.3
    assert TruncatedNormal(1.0, 0.0).mean == 1.0 and TruncatedNormal(1.0, 0.0).variance == 0.0
    dist = Discrete((0.01, 1.0), (0.3, 0.7))
    assert dist.variance == pytest.approx(0.3 * 0.7 * (1.0 - 0.01) ** 2, rel=1e-12)
    assert dist.quantile(0.3) == 0.01 and dist.quantile(0.31) == 1.0


def test_moments_survive_pickling_and_equality_ignores_the_cache():
    ln = LogNormal(0.2, 0.5)
    _ = ln.mean  # cached
    assert pickle.loads(pickle.dumps(ln)) == ln == LogNormal(0.2, 0.5)
    assert hash(ln) == hash(LogNormal(0.2, 0.5))
