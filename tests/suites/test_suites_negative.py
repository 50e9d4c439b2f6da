"""Negative deliveries of a provider suite: the catalogue's spoiled requests reach the provider, the reference refuses
each, a provider that ignores signatures is caught; the selection is bounded, seeded and spread over families;
every rule id a live suite can report is declared in the catalogue."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.errors import UsageError
from conformance.findings import Status
from conformance.reference.mutation import run_variant
from conformance.reference.participant_files import REGISTRY_FILE
from conformance.reference.variants import REFERENCE, VARIANTS
from conformance.rules import catalogue
from conformance.rules.live import declared_live_ids
from conformance.suites.engine import RunSettings
from conformance.suites.lint import load
from conformance.suites.negative import PROVIDER_DUTIES, family_of, select_cases, signature_duty
from conformance.suites.schema import ASSERTIONS

CASES = ("NEG-SIG-VALUE", "NEG-CERT-GARBLED", "NEG-SR-PAYLOAD-SCHEMA", "NEG-SIG-SECOND-SIGNATURE-IN-HEADER")


def _negative_only(variant):
    """Only the negative deliveries (the suite's own cases removed), restricted to CASES."""
    suite = dataclasses.replace(load("provider"), cases=())
    settings = RunSettings(registry_path=str(REGISTRY_FILE), deadline_scale=0.00002, ack_timeout=2.0, poll=0.02,
                           wait_scale=0.2, negative=None, negative_ids=CASES)
    results = run_variant(variant, "provider", suite, settings, types=("sfr-snils-check",))
    return {r.path.rsplit("/", 1)[1]: r.findings[0] for r in results}


@pytest.fixture(scope="module")
def negative_runs():
    with ThreadPoolExecutor(max_workers=2) as pool:
        reference = pool.submit(_negative_only, REFERENCE)
        ignoring = pool.submit(_negative_only, VARIANTS["ignores-bad-signature"])
        return reference.result(), ignoring.result()


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
def test_suites_negative_reference_refuses_every_delivered_case(negative_runs):
    reference, _ = negative_runs
    assert set(reference) == set(CASES)
    assert {f.rule_id for f in reference.values()} == {"FLOW-LIVE-REFUSES-NEGATIVE"}
    assert reference["NEG-SIG-VALUE"].status is Status.PASS
    assert "accepted=false" in reference["NEG-SIG-VALUE"].message
    assert reference["NEG-CERT-GARBLED"].status is Status.PASS
    assert reference["NEG-SR-PAYLOAD-SCHEMA"].status is Status.PASS
    assert "RequestRejected" in reference["NEG-SR-PAYLOAD-SCHEMA"].message
    # a spoiled soap:Header never reaches a provider: said, not judged
    assert reference["NEG-SIG-SECOND-SIGNATURE-IN-HEADER"].status is Status.SKIP
    assert "soap:Header" in reference["NEG-SIG-SECOND-SIGNATURE-IN-HEADER"].message
    assert reference["NEG-SIG-VALUE"].location.line is not None  # points into the catalogue


def test_suites_negative_a_provider_ignoring_signatures_is_caught(negative_runs):
    _, ignoring = negative_runs
    for case in ("NEG-SIG-VALUE", "NEG-CERT-GARBLED"):
        assert ignoring[case].status is Status.FAIL, ignoring[case]
        assert "sender signature does not hold" in ignoring[case].message
    assert ignoring["NEG-SR-PAYLOAD-SCHEMA"].status is Status.PASS  # its content checks still hold


def test_suites_negative_selection_is_the_providers_duty_and_spread_over_families():
    every = select_cases(None, 0, "1.3")
    assert len(every) >= 15
    assert all(c.expect.rule.startswith(PROVIDER_DUTIES) and c.signer is not None for c in every)
    assert any(signature_duty(c) for c in every) and any(not signature_duty(c) for c in every)
    chosen = select_cases(6, 0, "1.3")
    assert len(chosen) == 6 and {family_of(c) for c in chosen} == {family_of(c) for c in every}


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
@settings(max_examples=20, deadline=None)
@given(limit=st.integers(min_value=0, max_value=60), seed=st.integers(min_value=0, max_value=10_000))
def test_suites_negative_selection_is_bounded_seeded_and_a_subset(limit, seed):
    every = {c.id for c in select_cases(None, seed, "1.3")}
    chosen = [c.id for c in select_cases(limit, seed, "1.3")]
    assert len(chosen) == min(limit, len(every)) and len(set(chosen)) == len(chosen)
    assert set(chosen) <= every
    assert chosen == [c.id for c in select_cases(limit, seed, "1.3")]


def test_suites_negative_count_option():
    from conformance.suites.negative import negative_count

    assert negative_count("all") is None and negative_count("0") == 0 and negative_count("15") == 15
    assert negative_count(None, "provider") == 15 and negative_count(None, "my-suite.yaml") == 0
    for bad in ("-1", "many"):
        with pytest.raises(UsageError, match="--negative"):
            negative_count(bad)


def test_suites_negative_every_live_rule_id_is_declared_and_selectable():
    ids = set(declared_live_ids())
    for family, checks in ASSERTIONS.items():
        from conformance.rules.live import assertion_rule_id

        ids |= {assertion_rule_id(family, check) for check in checks}
    assert [i for i in sorted(ids) if catalogue.get_rule(i) is None] == []
    selected = {e.rule.id for e in catalogue.select(["FLOW-LIVE", "TIME-LIVE"], ["FLOW-LIVE-CASE"])}
    assert "FLOW-LIVE-ACKED" in selected and "TIME-LIVE-WITHIN" in selected and "FLOW-LIVE-CASE" not in selected
    assert not any(i.startswith("MSG-") for i in selected)


def test_suites_negative_started_participant_gets_a_fresh_run_directory(monkeypatch, tmp_path):
    """A participant the harness starts keeps its state in a directory fresh for the run (kept across restarts);
    the reference's default state file lives there."""
    from conformance.bus.process import RUN_DIRECTORY_ENV, ParticipantProcess
    from conformance.reference.__main__ import default_state
    from conformance.suites.participant import load_participant

    participant = load_participant(REGISTRY_FILE.parent / "reference.provider.yaml")
    first, second = ParticipantProcess(participant, bus=None), ParticipantProcess(participant, bus=None)
    one, two = first._environment()[RUN_DIRECTORY_ENV], second._environment()[RUN_DIRECTORY_ENV]
    assert one != two and first._environment()[RUN_DIRECTORY_ENV] == one  # fresh per run, stable across restarts
    monkeypatch.setenv(RUN_DIRECTORY_ENV, one)
    assert default_state("provider", "reference", participant.bus_url).startswith(one + "/")
    monkeypatch.delenv(RUN_DIRECTORY_ENV)
    assert not default_state("provider", "reference", participant.bus_url).startswith(one)
    import shutil

    for path in (one, two):
        shutil.rmtree(path)


def test_suites_negative_an_internal_error_is_a_located_finding_not_a_traceback(monkeypatch):
    """Whatever goes wrong inside a step (here the bus double itself), the case reports it and the run goes on."""
    from conformance.bus.service import Bus, BusConfig
    from conformance.reference.bus_setup import reference_credentials, reference_types
    from conformance.suites.engine import Engine
    from conformance.suites.participant import load_participant

    bus = Bus(reference_types(), config=BusConfig(ack_timeout=1.0), credentials=reference_credentials())

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bus, "inject_request", broken)
    suite = load("provider")
    suite = dataclasses.replace(suite, cases=suite.cases[:2])
    participant = load_participant(REGISTRY_FILE.parent / "reference.provider.yaml")
    participant = dataclasses.replace(participant, types=participant.types[:1])
    results = Engine(suite, participant, bus, RunSettings(registry_path=str(REGISTRY_FILE))).run()
    assert len(results) == 2
    for result in results:
        [finding] = result.findings
        assert finding.rule_id == "FLOW-LIVE-CASE" and finding.status is Status.FAIL
        assert "RuntimeError: disk full" in finding.message and finding.location.line is not None


def test_suites_negative_variants_option_writes_json_text_and_html(monkeypatch, tmp_path, capsys):
    """`run --variants` writes the three reports and exits by the score (the runs themselves: the mutation tests)."""
    import json

    import conformance.reference.mutation as mutation
    from conformance.cli import main
    from conformance.findings import FileResult, Finding

    def scored(role, suite, settings, **kwargs):
        results = [FileResult(f"{role}/answers-valid-request[t]", None, "1.3",
                              (Finding("SIG-VALUE", Status.FAIL, "diagnosis: r‖s instead of s‖r"),))]
        variant = VARIANTS["rs-order"]
        report = mutation.MutationReport(role, True, (), (mutation.score_variant(variant, role, results),))
        return report, {"reference": [], "rs-order": results}

    monkeypatch.setattr(mutation, "mutation_score", scored)
    assert main(["run", "--suite", "provider", "--variants", "--output", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "mutation.json").read_text())
    assert data["score"] == "1/1 caught, 1/1 named" and data["variants"][0]["named"] is True
    assert "rs-order: named" in (tmp_path / "mutation.txt").read_text()
    html = (tmp_path / "mutation.html").read_text()
    assert "1/1 caught, 1/1 named" in html and "rs-order/provider/answers-valid-request" in html
    assert "mutation score of the provider suite" in capsys.readouterr().out
    assert main(["run", "--suite", "provider", "--variants", "--participant", "x.yaml"]) == 2
