"""Random distributions of durations and sizes, as scenarios write them, and the objects the model samples.

Grammar (the argument values carry units: durations for times, sizes for payloads; `sigma` and `k` are plain):

    150ms                              a constant (same as const(150ms))
    const(20ms)                        deterministic: always 20 ms
    exp(150ms)                         exponential with MEAN 150 ms (also exp(mean=150ms))
    uniform(10ms, 50ms)                uniform between low and high
    normal(1s, 200ms)                  normal with mean 1 s and standard deviation 200 ms, truncated at 0
                                       (negative draws are redrawn; `mean` reports the truncated mean)
    lognormal(median=200ms, sigma=0.5) lognormal by its median and the sigma of log(value)
    lognormal(mean=250ms, sigma=0.5)   ... or by its mean
    erlang(3, 1s)                      Erlang with k phases and MEAN 1 s (sum of k exponentials)
    discrete(10ms: 30%, 1s: 70%)       an empirical distribution: values with their probabilities
    discrete(1s, 2s, 5s)               ... equally likely values (alias: empirical(...))

All objects are frozen, picklable, hold SI values (seconds, bytes), and offer `sample(rng)`, a vectorised
`sample_n(rng, n)`, `mean`, `variance`, `quantile(q)`, `scaled(factor)` (e.g. a participant slowed down by a fault)
and `text(fmt)` that writes the grammar back with the given unit formatter. The moments and quantiles of the
parametric families come from `scipy.stats` (`rv`, the frozen scipy distribution), not from formulas written here;
sampling stays on the replication's `numpy` generator (scipy is not asked for random numbers, so a seed gives the
same draws as before).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats as _scipy_stats

from conformance.yamlnodes.problems import did_you_mean
from conformance.yamlnodes.quantities import UnitError, parse_number, parse_share

__all__ = [
    "Distribution", "Constant", "Exponential", "Uniform", "TruncatedNormal", "LogNormal", "Erlang", "Discrete",
    "parse_distribution",
]

Formatter = Callable[[float], str]


class Distribution:
    """A non-negative random quantity in SI units."""

    mean: float

    @property
    def rv(self) -> Any:
        """The frozen `scipy.stats` distribution with the same law; None for a constant, an empirical law, or a
        family given zero spread (scipy's families need a positive scale), whose moments are then `_point`'s."""
        return None

    @property
    def _point(self) -> float:
        """The single value of a law with zero spread."""
        raise NotImplementedError

    @property
    def variance(self) -> float:
        rv = self.rv
        return float(rv.var()) if rv is not None else 0.0

    def quantile(self, q: float) -> float:
        """The value below which a share `q` in [0, 1] of the draws fall."""
        rv = self.rv
        return float(rv.ppf(q)) if rv is not None else self._point

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.sample_n(rng, 1)[0])

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every value multiplied by `factor` (> 0)."""
        raise NotImplementedError

    def text(self, fmt: Formatter = repr) -> str:
        raise NotImplementedError

    @property
    def is_deterministic(self) -> bool:
        return False


@dataclass(frozen=True)
class Constant(Distribution):
    value: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.value

    @property
    def _point(self) -> float:
        return self.value

    @property
    def is_deterministic(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=float)

    def scaled(self, factor: float) -> Constant:
        return Constant(self.value * factor)

    def text(self, fmt: Formatter = repr) -> str:
        return f"const({fmt(self.value)})"


@dataclass(frozen=True)
class Exponential(Distribution):
    mean: float

    @property
    def rv(self) -> Any:
        return _scipy_stats.expon(scale=self.mean)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.exponential(self.mean))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)

    def scaled(self, factor: float) -> Exponential:
        return Exponential(self.mean * factor)

    def text(self, fmt: Formatter = repr) -> str:
        return f"exp({fmt(self.mean)})"


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float

    @property
    def rv(self) -> Any:
        return _scipy_stats.uniform(loc=self.low, scale=self.high - self.low) if self.high > self.low else None

    @property
    def _point(self) -> float:
        return self.low

    @cached_property
    def mean(self) -> float:  # type: ignore[override]
        return float(self.rv.mean()) if self.high > self.low else self.low

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def scaled(self, factor: float) -> Uniform:
        return Uniform(self.low * factor, self.high * factor)

    def text(self, fmt: Formatter = repr) -> str:
        return f"uniform({fmt(self.low)}, {fmt(self.high)})"


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """Normal(mu, sd) conditioned on being >= 0 (the loader requires mu > 0, so at least half the draws are kept)."""

    mu: float
    sd: float

    @property
    def rv(self) -> Any:
        return _scipy_stats.truncnorm(-self.mu / self.sd, math.inf, loc=self.mu, scale=self.sd) if self.sd else None

    @property
    def _point(self) -> float:
        return self.mu

    @cached_property
    def mean(self) -> float:  # type: ignore[override]
        return float(self.rv.mean()) if self.sd else self.mu

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = rng.normal(self.mu, self.sd, n)
        bad = out < 0
        while bad.any():
            out[bad] = rng.normal(self.mu, self.sd, int(bad.sum()))
            bad = out < 0
        return out

    def sample(self, rng: np.random.Generator) -> float:
        while True:
            value = float(rng.normal(self.mu, self.sd))
            if value >= 0:
                return value

    def scaled(self, factor: float) -> TruncatedNormal:
        return TruncatedNormal(self.mu * factor, self.sd * factor)

    def text(self, fmt: Formatter = repr) -> str:
        return f"normal({fmt(self.mu)}, {fmt(self.sd)})"


@dataclass(frozen=True)
class LogNormal(Distribution):
    """exp(Normal(log(median), sigma))."""

    median: float
    sigma: float

    @property
    def rv(self) -> Any:
        return _scipy_stats.lognorm(self.sigma, scale=self.median) if self.sigma > 0 else None

    @property
    def _point(self) -> float:
        return self.median

    @cached_property
    def mean(self) -> float:  # type: ignore[override]
        return float(self.rv.mean()) if self.sigma > 0 else self.median

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.lognormal(math.log(self.median), self.sigma))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, n)

    def scaled(self, factor: float) -> LogNormal:
        return LogNormal(self.median * factor, self.sigma)

    def text(self, fmt: Formatter = repr) -> str:
        return f"lognormal(median={fmt(self.median)}, sigma={_plain(self.sigma)})"


@dataclass(frozen=True)
class Erlang(Distribution):
    """Sum of `k` exponentials; `mean` is the mean of the sum."""

    k: int
    mean: float

    @property
    def rv(self) -> Any:
        return _scipy_stats.gamma(self.k, scale=self.mean / self.k)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.gamma(self.k, self.mean / self.k))

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.k, self.mean / self.k, n)

    def scaled(self, factor: float) -> Erlang:
        return Erlang(self.k, self.mean * factor)

    def text(self, fmt: Formatter = repr) -> str:
        return f"erlang({self.k}, {fmt(self.mean)})"


@dataclass(frozen=True)
class Discrete(Distribution):
    """Finitely many values with probabilities (normalised to sum to 1 by the parser)."""

    values: tuple[float, ...]
    probabilities: tuple[float, ...]

    @property
    def mean(self) -> float:  # type: ignore[override]
        return float(sum(v * p for v, p in zip(self.values, self.probabilities, strict=True)))

    @property
    def variance(self) -> float:
        m = self.mean
        return float(sum(p * (v - m) ** 2 for v, p in zip(self.values, self.probabilities, strict=True)))

    @property
    def _point(self) -> float:
        return self.values[0]

    def quantile(self, q: float) -> float:
        """The smallest value whose cumulative probability reaches `q` (the empirical quantile)."""
        order = sorted(zip(self.values, self.probabilities, strict=True))
        total = 0.0
        for value, p in order:
            total += p
            if total >= q - 1e-12:
                return value
        return order[-1][0]

    @property
    def is_deterministic(self) -> bool:
        return len(set(self.values)) == 1

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.asarray(self.values, dtype=float)[rng.choice(len(self.values), size=n, p=self.probabilities)]

    def scaled(self, factor: float) -> Discrete:
        return Discrete(tuple(v * factor for v in self.values), self.probabilities)

    def text(self, fmt: Formatter = repr) -> str:
        parts = ", ".join(f"{fmt(v)}: {_plain(p * 100)}%" for v, p in zip(self.values, self.probabilities, strict=True))
        return f"discrete({parts})"


def _plain(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


# --- parsing -----------------------------------------------------------------------------------------------------

_CALL = re.compile(r"\s*([A-Za-z_]+)\s*\((.*)\)\s*", re.DOTALL)
_KNOWN = ("const", "exp", "uniform", "normal", "lognormal", "erlang", "discrete", "empirical")


def parse_distribution(text: object, parse_value: Callable[[object], float], what: str = "duration") -> Distribution:
    """Parse the grammar above; `parse_value` reads one quantity (e.g. `units.parse_duration`).

    Raises `UnitError` with a message that names the problem (unknown family, wrong arguments, negative values).
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool) or (
        isinstance(text, str) and "(" not in text
    ):
        value = parse_value(text)
        _non_negative(value, "value", what)
        return Constant(float(value))
    if not isinstance(text, str):
        raise UnitError(f"expected a {what} distribution such as 'exp(150ms)', got {type(text).__name__}")
    if text.count("(") != text.count(")"):
        raise UnitError(f"unbalanced parentheses in {text!r}; inside a {{...}} mapping, quote a distribution that has "
                        f"a comma: \"lognormal(median=200ms, sigma=0.5)\"")
    match = _CALL.fullmatch(text)
    if not match:
        raise UnitError(f"expected a {what} distribution such as 'exp(150ms)' or 'uniform(10ms, 50ms)', got {text!r}")
    family, body = match.group(1), match.group(2)
    if family not in _KNOWN:
        raise UnitError(f"unknown distribution {family!r}{did_you_mean(family, _KNOWN)}; known: {', '.join(_KNOWN)}")
    positional, named = _arguments(body, text)
    return _BUILDERS[family](positional, named, parse_value, what, text)


def _arguments(body: str, text: str) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    named: dict[str, str] = {}
    for raw in body.split(","):
        part = raw.strip()
        if not part:
            raise UnitError(f"empty argument in {text!r}")
        if "=" in part:
            key, _, value = part.partition("=")
            named[key.strip()] = value.strip()
        else:
            if named:
                raise UnitError(f"positional argument after a named one in {text!r}")
            positional.append(part)
    return positional, named


def _non_negative(value: float, name: str, what: str) -> None:
    if value < 0:
        raise UnitError(f"{name} of a {what} distribution must not be negative")


def _take(positional: list[str], named: dict[str, str], names: tuple[str, ...], text: str) -> list[str]:
    """Bind arguments to `names` (all required), refusing extra or unknown ones."""
    if len(positional) > len(names):
        raise UnitError(f"{text!r} takes {len(names)} argument(s): {', '.join(names)}")
    bound = dict(zip(names, positional, strict=False))
    for key, value in named.items():
        if key not in names:
            raise UnitError(f"unknown argument {key!r} in {text!r}; expected {', '.join(names)}")
        if key in bound:
            raise UnitError(f"argument {key!r} given twice in {text!r}")
        bound[key] = value
    missing = [n for n in names if n not in bound]
    if missing:
        raise UnitError(f"{text!r} is missing {', '.join(missing)}")
    return [bound[n] for n in names]


def _const(pos, named, parse_value, what, text) -> Distribution:
    (value,) = _take(pos, named, ("value",), text)
    v = parse_value(value)
    _non_negative(v, "value", what)
    return Constant(float(v))


def _exp(pos, named, parse_value, what, text) -> Distribution:
    (mean,) = _take(pos, named, ("mean",), text)
    m = parse_value(mean)
    if m <= 0:
        raise UnitError(f"mean of exp(...) must be positive in {text!r}")
    return Exponential(float(m))


def _uniform(pos, named, parse_value, what, text) -> Distribution:
    low, high = (float(parse_value(v)) for v in _take(pos, named, ("low", "high"), text))
    _non_negative(low, "low", what)
    if high < low:
        raise UnitError(f"high is below low in {text!r}")
    return Uniform(low, high)


def _normal(pos, named, parse_value, what, text) -> Distribution:
    mu, sd = (float(parse_value(v)) for v in _take(pos, named, ("mean", "sd"), text))
    if mu <= 0:
        raise UnitError(f"mean of normal(...) must be positive in {text!r}")
    _non_negative(sd, "sd", what)
    return TruncatedNormal(mu, sd)


def _lognormal(pos, named, parse_value, what, text) -> Distribution:
    if pos:
        raise UnitError(f"write lognormal(median=..., sigma=...) or lognormal(mean=..., sigma=...), got {text!r}")
    if "median" in named and "mean" in named:
        raise UnitError(f"give either median or mean, not both, in {text!r}")
    centre = "mean" if "mean" in named else "median"
    value, sigma_text = _take([], named, (centre, "sigma"), text)
    v = float(parse_value(value))
    sigma = parse_number(sigma_text, "sigma")
    if v <= 0:
        raise UnitError(f"{centre} of lognormal(...) must be positive in {text!r}")
    if sigma < 0:
        raise UnitError(f"sigma of lognormal(...) must not be negative in {text!r}")
    median = v / math.exp(sigma**2 / 2) if centre == "mean" else v
    return LogNormal(median, sigma)


def _erlang(pos, named, parse_value, what, text) -> Distribution:
    k_text, mean_text = _take(pos, named, ("k", "mean"), text)
    k = parse_number(k_text, "k")
    if k < 1 or k != int(k):
        raise UnitError(f"k of erlang(...) must be a whole number >= 1 in {text!r}")
    mean = float(parse_value(mean_text))
    if mean <= 0:
        raise UnitError(f"mean of erlang(...) must be positive in {text!r}")
    return Erlang(int(k), mean)


def _discrete(pos, named, parse_value, what, text) -> Distribution:
    if named:
        raise UnitError(f"write discrete(value: probability, ...) or discrete(value, ...), got {text!r}")
    values: list[float] = []
    weights: list[float] = []
    for part in pos:
        value_text, colon, weight_text = part.partition(":")
        values.append(float(parse_value(value_text.strip())))
        _non_negative(values[-1], "value", what)
        weights.append(parse_share(weight_text.strip()) if colon else 1.0)
    if any(bool(":" in p) != bool(":" in pos[0]) for p in pos):
        raise UnitError(f"give a probability for every value or for none in {text!r}")
    total = sum(weights)
    if total <= 0:
        raise UnitError(f"probabilities sum to zero in {text!r}")
    if ":" in pos[0] and abs(total - 1.0) > 1e-6:
        raise UnitError(f"probabilities sum to {_plain(total * 100)}%, not 100%, in {text!r}")
    return Discrete(tuple(values), tuple(w / total for w in weights))


_BUILDERS = {
    "const": _const, "exp": _exp, "uniform": _uniform, "normal": _normal, "lognormal": _lognormal,
    "erlang": _erlang, "discrete": _discrete, "empirical": _discrete,
}
