"""The mutation score: the shipped provider and consumer suites, run by the suite engine through the bus double,
pass the reference participant and catch every broken variant, each with the finding the variants table expects.

The participants run in process (`conformance.reference.mutation`), each on its own bus and free ports; a variant
runs only the case its expected finding names, on one real-time type (the CLI's `--variants` runs whole suites).
"""

from __future__ import annotations

import dataclasses

import pytest

from conformance.findings import FileResult, Finding, Status
from conformance.reference.mutation import mutation_score, run_variant, score_variant
from conformance.reference.participant_files import REGISTRY_FILE
from conformance.reference.variants import VARIANTS, Named
from conformance.rules import catalogue
from conformance.suites.engine import RunSettings
from conformance.suites.lint import load

FAST = RunSettings(registry_path=str(REGISTRY_FILE), deadline_scale=0.00002, ack_timeout=2.0, poll=0.02,
                   wait_scale=0.2)
ONE_TYPE = ("sfr-snils-check",)  # real time: 2 s to answer
pytestmark = pytest.mark.serial  # time is scaled (2 s ack timeout, tiny deadlines): a parallel test's load fails cases


def _refused_consumer_then_answered():
    """uuid4-id's SendRequest is refused; the case then delivers a response to it (once a KeyError traceback)."""
    suite = load("consumer")
    suite = dataclasses.replace(suite, cases=tuple(c for c in suite.cases if c.id == "polls-and-acks-response"))
    return run_variant(VARIANTS["uuid4-id"], "consumer", suite, FAST, types=ONE_TYPE)


@pytest.fixture(scope="module")
def scores():
    """Both roles' scores and the extra run, one after the other: each score runs its reference alone (its 2 s
    real-time verdict must not share the interpreter with another score's variants), then its variants at once."""
    scored = {role: mutation_score(role, load(role), FAST, types=ONE_TYPE, only_named_case=True)
              for role in ("provider", "consumer")}
    return scored | {"refused": _refused_consumer_then_answered()}


@pytest.mark.slow  # the `scores` fixture runs both roles' references, then their variants (45 s)
@pytest.mark.parametrize("role", ["provider", "consumer"])
def test_reference_mutation_score_reference_passes_the_whole_suite(scores, role):
    report, runs = scores[role]
    assert report.reference_passes, report.reference_failures
    cases = {r.path.split("/", 1)[1].split("[")[0] for r in runs["reference"]}
    assert cases == {c.id for c in load(role).cases}
    assert all(any(f.status is Status.PASS for f in r.findings) for r in runs["reference"])


@pytest.mark.slow  # the `scores` fixture runs both roles' references, then their variants (45 s)
@pytest.mark.parametrize("role", ["provider", "consumer"])
def test_reference_mutation_score_every_variant_is_caught_and_named(scores, role):
    report, _ = scores[role]
    expected = [v.name for v in VARIANTS.values() if role in v.roles]
    assert [v.variant for v in report.variants] == expected
    missed = [(v.variant, v.expected, v.naming) for v in report.variants if not (v.caught and v.named)]
    assert not missed, report.text()
    assert report.holds and report.score == f"{len(expected)}/{len(expected)} caught, {len(expected)}/{len(expected)} named"
    for v in report.variants:  # the naming finding is the expected one, in its case
        named = VARIANTS[v.variant].named_for(role)
        assert v.naming.startswith(f"{named.case}: {named.rule}: "), v


@pytest.mark.slow  # the `scores` fixture runs both roles' references, then their variants (45 s)
def test_reference_mutation_score_provider_counts_all_thirteen(scores):
    report, _ = scores["provider"]
    assert len(report.variants) == 13 and report.score == "13/13 caught, 13/13 named"
    data = report.as_dict()
    assert data["caught"] == data["named"] == data["total"] == 13
    assert all(entry["named"] and entry["naming"] for entry in data["variants"])
    assert "mutation score of the provider suite: 13/13 caught, 13/13 named" in report.text()
    assert report.meta()["mutant slow"].startswith("named by answers-valid-request: TIME-LIVE-WITHIN")


@pytest.mark.slow  # the `scores` fixture runs both roles' references, then their variants (45 s)
def test_reference_mutation_score_every_emitted_rule_is_declared(scores):
    """Whatever the engine reported in any run (live ids, static rules a structure or signature check named)."""
    emitted = {f.rule_id for role in ("provider", "consumer") for runs in [scores[role][1]] for rs in runs.values()
               for r in rs for f in r.findings}
    emitted |= {f.rule_id for r in scores["refused"] for f in r.findings}
    assert {"FLOW-LIVE-CASE", "FLOW-LIVE-REFUSED", "TIME-LIVE-WITHIN", "FLOW-LIVE-ACKED"} <= emitted
    assert [rule for rule in sorted(emitted) if catalogue.get_rule(rule) is None] == []


@pytest.mark.slow  # the `scores` fixture runs both roles' references, then their variants (45 s)
def test_reference_mutation_score_a_refused_request_is_a_finding_not_a_crash(scores):
    [result] = scores["refused"]
    failed = [f for f in result.findings if f.status is Status.FAIL]
    assert failed and failed[0].rule_id == "FLOW-LIVE-REFUSED"
    assert "InvalidMessageIdFormat" in failed[0].message and "no request to answer" in failed[0].message
    assert failed[0].location.line is not None  # located at the deliver step


def _result(case: str, *findings: tuple[str, Status, str]) -> FileResult:
    return FileResult(f"provider/{case}[t]", None, "1.3", tuple(Finding(r, s, m) for r, s, m in findings))


def test_reference_mutation_score_naming_needs_the_case_the_rule_and_the_text():
    variant = dataclasses.replace(VARIANTS["rs-order"], named=(Named("answers-valid-request", "SIG-VALUE", "r‖s"),
                                                               Named("sends-valid-request", "SIG-VALUE", "r‖s")))
    right = _result("answers-valid-request", ("SIG-VALUE", Status.FAIL, "diagnosis: r‖s instead of s‖r"))
    assert score_variant(variant, "provider", [right]).named
    wrong_text = _result("answers-valid-request", ("SIG-VALUE", Status.FAIL, "diagnosis: inclusive c14n"))
    wrong_case = _result("answers-test-message", ("SIG-VALUE", Status.FAIL, "diagnosis: r‖s instead of s‖r"))
    passed = _result("answers-valid-request", ("SIG-VALUE", Status.PASS, "r‖s"))
    for results, caught in (([wrong_text], True), ([wrong_case], True), ([passed], False)):
        score = score_variant(variant, "provider", results)
        assert (score.caught, score.named) == (caught, False)
