"""Whatever a scenario file holds, loading ends in a Scenario or a ScenarioError of well-formed problems:
never a traceback (property test over random mutations of a valid scenario and of the shipped reference)."""

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_base_text import BASE

from sim.errors import ScenarioError
from sim.scenario import loads

REFERENCE = (Path(__file__).resolve().parents[3] / "scenarios" / "reference.yaml").read_text(encoding="utf-8")
PROBLEM = re.compile(r"^<string>(:\d+)?: \S.*$")

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "-1s", "5", "1e400", "exp(", "exp(-1s)", "lognormal(median=1s)", "99%", "2/s", "*",
                     "all", "moscow-1", "portal", "bank-001", "10GiB", "00:00", "const(0s)", "uniform(2s, 1s)"]),
    st.lists(st.sampled_from(["a", "moscow-1", "bank", "1s"]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "kind", "rate", "code"]), st.sampled_from([1, "x", None]), max_size=2),
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, i))


def _mutated(document, path, replacement, delete):
    if not path:
        return replacement
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return document


def _check(text: str) -> None:
    try:
        loads(text)
    except ScenarioError as exc:
        assert exc.messages
        for problem in exc.messages:
            assert PROBLEM.match(problem), problem


@pytest.mark.slow  # measured: 9 s on a loaded 2-core machine
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([BASE, REFERENCE]))
def test_random_mutations_never_crash_the_loader(data, source):
    document = yaml.safe_load(source)
    paths = list(_paths(document))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        document = _mutated(document, path, data.draw(junk), data.draw(st.booleans()))
        paths = list(_paths(document))
    _check(yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_loader(text):
    _check(text)
