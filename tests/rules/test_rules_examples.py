"""Every static rule's examples are tests: its bad example fails it (and, of the other rules of its scope, only
those the example names), its good example passes it; a static rule without both examples fails here."""

from __future__ import annotations

import pytest

from conformance.findings import Example, FileResult, Status
from conformance.rules import catalogue
from conformance.rules.catalogue import RegisteredRule
from conformance.rules.engine import CheckSettings, check_bytes
from conformance.rules.recipes import registry

SIGNATURE_FAMILIES = ("SIG", "CERT")


def static_rules() -> list[RegisteredRule]:
    return [entry for entry in catalogue.registered() if entry.static]


def scope(entry: RegisteredRule) -> list[RegisteredRule]:
    """The rules an example is judged by: the signature families verify real signatures, the others' examples carry
    placeholder ones, so each family group is judged alone."""
    signed = entry.rule.family in SIGNATURE_FAMILIES
    return [other for other in static_rules() if (other.rule.family in SIGNATURE_FAMILIES) == signed]


def run(entry: RegisteredRule, example: Example) -> FileResult:
    settings = {"registry": registry(), **example.settings()}
    return check_bytes("example.xml", example.build(), CheckSettings(rules=scope(entry), **settings))


def broken(result: FileResult) -> set[str]:
    return {f.rule_id for f in result.findings if f.status in (Status.FAIL, Status.WARN)}


def shown(result: FileResult) -> list[tuple[str, str, str]]:
    return [(f.rule_id, f.status.value, f.message) for f in result.findings if f.status is not Status.PASS]


def cases(kind: str) -> list:
    return [pytest.param(entry, example, id=f"{entry.rule.id}-{index}")
            for entry in static_rules() for index, example in enumerate(getattr(entry.rule, kind))]


def test_every_static_rule_has_a_bad_and_a_good_example():
    missing = [entry.rule.id for entry in static_rules() if not entry.rule.bad or not entry.rule.good]
    assert missing == [], f"rules without examples (give them bad= and good=): {missing}"


@pytest.mark.parametrize(("entry", "example"), cases("bad"))
def test_bad_example_fails_its_rule_and_only_the_expected_others(entry: RegisteredRule, example: Example):
    result = run(entry, example)
    assert entry.rule.id in broken(result), shown(result)
    assert broken(result) - {entry.rule.id} == set(example.also), shown(result)
    assert not any("the check itself failed" in f.message for f in result.findings)


@pytest.mark.parametrize(("entry", "example"), cases("good"))
def test_good_example_passes_its_rule(entry: RegisteredRule, example: Example):
    result = run(entry, example)
    mine = [f.status for f in result.findings if f.rule_id == entry.rule.id]
    assert Status.PASS in mine and not {Status.FAIL, Status.WARN} & set(mine), shown(result)
