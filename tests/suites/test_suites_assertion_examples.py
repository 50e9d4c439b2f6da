"""Every live assertion's examples are tests, played through the real engine and bus double against a scripted
participant (`conformance.reference.examples`): a bad example fails its rule (or, for structure and signature, the
catalogue rules it names) and nothing else; a good one fails nothing and passes its rule."""

from __future__ import annotations

import pytest

from conformance.findings import Status
from conformance.reference.examples import play
from conformance.rules.live import ASSERTIONS
from conformance.rules.live.base import LiveAssertion, LiveExample

UNITS = [unit for checks in ASSERTIONS.values() for unit in checks.values()]


def cases(kind: str) -> list:
    return [pytest.param(unit, example, id=f"{unit.rule_id}-{index}")
            for unit in UNITS for index, example in enumerate(getattr(unit, kind))]


def shown(result) -> list[tuple[str, str, str]]:
    return [(f.rule_id, f.status.value, f.message) for f in result.findings if f.status is not Status.PASS]


def test_every_live_assertion_has_a_bad_and_a_good_example_and_declares_its_parameters():
    assert [u.rule_id for u in UNITS if not u.bad or not u.good] == []
    assert len({u.rule_id for u in UNITS}) == len(UNITS)
    for unit in UNITS:  # the main parameter of a check with parameters is the check itself
        assert not unit.required or unit.required[0].name == unit.check, unit.rule_id


@pytest.mark.parametrize(("unit", "example"), cases("bad"))
def test_bad_example_fails_exactly_its_rule(unit: LiveAssertion, example: LiveExample):
    result = play(example)
    failed = {f.rule_id for f in result.findings if f.status is Status.FAIL}
    assert failed == set(example.fails or (unit.rule_id,)), shown(result)


@pytest.mark.parametrize(("unit", "example"), cases("good"))
def test_good_example_passes_its_rule_and_fails_nothing(unit: LiveAssertion, example: LiveExample):
    result = play(example)
    assert not [f for f in result.findings if f.status is Status.FAIL], shown(result)
    assert (unit.rule_id, Status.PASS) in {(f.rule_id, f.status) for f in result.findings}, shown(result)
