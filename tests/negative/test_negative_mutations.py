"""The mutation vocabulary: each mutation spoils exactly what it names, templates expand as documented, and
`mutate` is reproducible for a seed and a moment."""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance import xmlsafe
from conformance.findings import Status
from conformance.negative.loader import load_catalogue
from conformance.negative.messages import facts_for, mutate
from conformance.negative.model import Step
from conformance.negative.mutations import SIGNED, Facts, MutationError, expand, phase_of
from conformance.protocol import ids
from conformance.xmldsig.verifier import verify_message

BY_ID = {case.id: case for case in load_catalogue()}
MOMENT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _facts(seed: int) -> Facts:
    return Facts(now=MOMENT, rng=random.Random(seed), message_id=ids.new_message_id(MOMENT))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32))
def test_id_templates(seed):
    facts = _facts(seed)
    assert ids.check_message_id(expand("{uuid1}", facts))
    assert not ids.check_message_id(expand("{uuid1-upper}", facts))
    assert not ids.check_message_id(expand("{uuid4}", facts))
    stale = expand("{uuid1-stale}", facts)
    assert ids.check_message_id(stale) and ids.is_stale(stale, MOMENT)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10**5), st.sampled_from(["s", "m", "h", "d"]))
def test_time_templates(amount, unit):
    facts = _facts(0)
    past = datetime.fromisoformat(expand(f"{{past:{amount}{unit}}}", facts))
    future = datetime.fromisoformat(expand(f"{{future:{amount}{unit}}}", facts))
    assert past < MOMENT < future
    assert MOMENT - past == future - MOMENT


@pytest.mark.parametrize("template", ["{past:1000000d}", "{future:99999999d}", "{past:soon}"])
def test_unusable_durations_are_mutation_errors(template):
    with pytest.raises(MutationError, match=re.escape(template)):
        expand(template, _facts(0))


@given(st.from_regex(r"\{urn:[a-z/.:0-9]{1,30}\}[A-Za-z]{1,10}", fullmatch=True))
def test_clark_names_are_not_templates(name):
    assert expand(name, _facts(0)) == name


def test_mutate_is_reproducible_for_a_seed_and_a_moment():
    case = dataclasses.replace(BY_ID["NEG-SR-NODE-ID-LONG"], signer=None)
    first = mutate(case, facts_for(case, seed=7, now=MOMENT))
    assert first == mutate(case, facts_for(case, seed=7, now=MOMENT))
    assert first != mutate(case, facts_for(case, seed=8, now=MOMENT))
    assert b"N" * 51 in first


def test_message_id_mutation_writes_the_form():
    case = BY_ID["NEG-SR-ID-UPPER"]
    data = mutate(dataclasses.replace(case, signer=None), facts_for(case, now=MOMENT))
    message_id = etree.fromstring(data).findtext(".//{*}SenderProvidedRequestData/{*}MessageID")
    assert message_id == message_id.upper() and re.fullmatch(r"[0-9A-F-]{36}", message_id)


@pytest.mark.parametrize(("case_id", "failed_rule"), [
    ("NEG-SIG-VALUE", "SIG-VALUE"), ("NEG-SIG-RS-ORDER", "SIG-VALUE"), ("NEG-SIG-INDENTED", "SIG-VALUE"),
    ("NEG-SIG-DIGEST", "SIG-DIGEST"), ("NEG-SIG-TAMPERED", "SIG-DIGEST"), ("NEG-SIG-C14N-INCLUSIVE", "SIG-C14N"),
    ("NEG-SIG-NO-SMEV-TRANSFORM", "SIG-TRANSFORMS"), ("NEG-SIG-REF-DANGLING", "SIG-REF-RESOLVES"),
])
def test_signature_mutations_break_what_they_name(case_id, failed_rule):
    from conformance.negative.identities import _pki

    case = BY_ID[case_id]
    data = mutate(case, facts_for(case))
    findings = verify_message(etree.fromstring(data), trust=[_pki().ca.certificate])
    failed = {f.rule_id for f in findings if f.status is Status.FAIL}
    assert failed_rule in failed, failed
    unspoiled = mutate(dataclasses.replace(case, mutations=()), facts_for(case))
    findings = verify_message(etree.fromstring(unspoiled), trust=[_pki().ca.certificate])
    assert not [f for f in findings if f.status is Status.FAIL]


@pytest.mark.parametrize(("case_id", "rule"), [
    ("NEG-XML-DOCTYPE", "MSG-XML-DTD"), ("NEG-XML-ENTITY-EXPANSION", "MSG-XML-DTD"),
    ("NEG-XML-EXTERNAL-ENTITY", "MSG-XML-DTD"), ("NEG-XML-DEPTH", "MSG-XML-DEPTH"),
    ("NEG-XML-TRUNCATED", "MSG-XML-WELLFORMED"), ("NEG-XML-EMPTY", "MSG-XML-EMPTY"),
])
def test_hostile_mutations_are_refused_by_the_hardened_parser(case_id, rule):
    case = dataclasses.replace(BY_ID[case_id], signer=None)
    with pytest.raises(xmlsafe.XmlInputError) as caught:
        xmlsafe.parse_bytes(mutate(case, facts_for(case)), source=case_id)
    assert caught.value.rule == rule


def test_oversize_pads_to_the_size_asked():
    case = dataclasses.replace(BY_ID["NEG-XML-OVERSIZE"], signer=None,
                               mutations=(Step("oversize", {"mib": 1}),))
    assert len(mutate(case, facts_for(case))) >= 1024 * 1024


def test_a_mutation_that_cannot_apply_names_the_case_and_line():
    case = dataclasses.replace(BY_ID["NEG-SR-ID-UPPER"], signer=None,
                               mutations=(Step("delete", {"xpath": "//t:Nothing"}, line=42),))
    with pytest.raises(MutationError, match=r"NEG-SR-ID-UPPER: mutation delete \(line 42\): XPath '//t:Nothing' "
                                            r"selects no element"):
        mutate(case, facts_for(case))


def test_setup_templates_need_a_setup():
    with pytest.raises(MutationError, match="setup"):
        expand("{reply-to}", _facts(0))
    facts = dataclasses.replace(_facts(0), reply_to="UkVQTFk=", delivered="d")
    assert expand("{reply-to}/{delivered}", facts) == "UkVQTFk=/d"


def test_stale_ids_are_stale_by_two_days_at_least():
    facts = _facts(3)
    made = ids.uuid1_time(expand("{uuid1-stale}", facts))
    assert MOMENT - made >= timedelta(days=2)


@pytest.mark.parametrize(("case_id", "reaches"), [
    ("NEG-SIG-VALUE", True), ("NEG-CERT-EXPIRED", True), ("NEG-SR-PAYLOAD-SCHEMA", True),
    ("NEG-XML-DOCTYPE", False), ("NEG-HTTP-GET", False), ("NEG-SR-QUOTA", False), ("NEG-GQ-SIG-NONE", False),
    ("NEG-HTTP-SOAPACTION-MISSING", False),
])
def test_which_cases_reach_a_participant(case_id, reaches):
    from conformance.negative.messages import reaches_participant

    assert reaches_participant(BY_ID[case_id]) is reaches


UNSIGNED_MUTATIONS = sorted(
    case_id for case_id, case in BY_ID.items()
    if case.mutations and all(phase_of(s.name, s.args) != SIGNED for s in case.mutations)
    and not any(s.name in ("repeat-message-id", "sign-attachment", "pad-attachment", "oversize") for s in case.mutations)
    and "deliver" not in case.setup)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(UNSIGNED_MUTATIONS), st.integers(0, 2**16))
def test_every_mutation_changes_the_message(case_id, seed):
    case = dataclasses.replace(BY_ID[case_id], signer=None)
    spoiled = mutate(case, facts_for(case, seed, MOMENT))
    plain = mutate(dataclasses.replace(case, mutations=()), facts_for(case, seed, MOMENT))
    assert spoiled != plain


def test_a_spoiled_request_delivered_to_a_participant_keeps_its_fault_under_a_valid_bus_signature():
    from conformance.crypto import bus_credentials
    from conformance.negative.identities import _pki
    from conformance.negative.messages import as_delivery
    from conformance.rules.catalogue import select
    from conformance.rules.engine import CheckSettings, check_bytes

    trust = [_pki().ca.certificate, bus_credentials()[2]]
    case = BY_ID["NEG-SIG-VALUE"]
    delivery = as_delivery(case, facts_for(case))
    findings = verify_message(etree.fromstring(delivery), trust=trust)
    failed = {(f.rule_id, f.location.xpath or "") for f in findings if f.status is Status.FAIL}
    assert {rule for rule, _ in failed} == {"SIG-VALUE"}  # the sender's signature only; the bus's holds
    assert b"SenderInformationSystemSignature" in delivery and b"SMEVSignature" in delivery

    case = BY_ID["NEG-SR-PAYLOAD-SCHEMA"]
    result = check_bytes("delivery.xml", as_delivery(case, facts_for(case)),
                         CheckSettings(rules=select(["MSG"]), at=datetime.now(UTC)))
    assert result.operation == "GetRequestResponse"
    assert "MSG-SCHEMA-PAYLOAD" in {f.rule_id for f in result.findings if f.status is Status.FAIL}


def test_only_cases_that_reach_a_participant_become_deliveries():
    from conformance.negative.messages import as_delivery

    case = BY_ID["NEG-XML-DOCTYPE"]
    with pytest.raises(MutationError, match="does not travel to a provider"):
        as_delivery(case, facts_for(case))
