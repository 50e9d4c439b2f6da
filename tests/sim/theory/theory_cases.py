"""What the theory tests share: running a scenario written in the test through the public entry points
(`sim.scenario.loads`, `sim.runner.execute`), and asserting that a 95 % interval covers the exact value while it
excludes the values a wrong model would give (so each test shows it can fail)."""

from __future__ import annotations

from collections.abc import Iterable

from sim.metrics.stats import Interval, confidence_interval
from sim.runner import ReplicationSet, execute
from sim.scenario import loads

HOPS_S = 0.0012
"""Six 0.2 ms hops inside one data centre (send, poll, deliver; the same back): constant on top of a sojourn."""


def replications(text: str, name: str) -> ReplicationSet:
    """The replications of a scenario given as YAML text, as `smev-sim run` makes them (its `run` section)."""
    return execute(loads(text, source=f"<{name}>")).points[0].replications


def interval(values: Iterable[float]) -> Interval:
    """The Student t 95 % interval of per-replication values."""
    return confidence_interval(list(values))


def assert_covers(ci: Interval, exact: float, what: str) -> None:
    assert ci.low <= exact <= ci.high, f"{what}: exact {exact:.5g} outside [{ci.low:.5g}, {ci.high:.5g}]"


def assert_excludes(ci: Interval, wrong: dict[str, float], what: str) -> None:
    """Each value a wrong model would give lies outside the interval: the test has the power to fail."""
    for label, value in wrong.items():
        assert not ci.low <= value <= ci.high, \
            f"{what}: [{ci.low:.5g}, {ci.high:.5g}] cannot tell the exact value from {label} ({value:.5g})"
