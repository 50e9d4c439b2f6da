"""The shipped catalogue: big enough, every fault of every operation, every signature reason, every rule family,
hostile XML and transport faults; forced faults only where no message can provoke the fault."""

from __future__ import annotations

import pytest

from conformance.findings import FAMILIES
from conformance.negative.loader import load_catalogue
from conformance.negative.mutations import BYTES, MUTATIONS
from conformance.protocol.codes import FaultName, SignatureVerificationReason
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import Rpc, faults_for
from conformance.rules.catalogue import get_rule

CASES = load_catalogue()

FORCED_ONLY = {
    (Rpc.SEND_REQUEST, FaultName.QUOTE_LIMIT_EXCEEDED), (Rpc.SEND_REQUEST, FaultName.DESTINATION_OVERFLOW),
    (Rpc.SEND_REQUEST, FaultName.PERSONAL_ACCESS_DENIED), (Rpc.SEND_REQUEST, FaultName.RECIPIENT_IS_NOT_FOUND),
    (Rpc.SEND_RESPONSE, FaultName.QUOTE_LIMIT_EXCEEDED), (Rpc.SEND_RESPONSE, FaultName.DESTINATION_OVERFLOW),
    (Rpc.SEND_RESPONSE, FaultName.ATTACHMENT_SIZE_LIMIT_EXCEEDED), (Rpc.GET_STATUS, FaultName.UNKNOWN_MESSAGE_TYPE),
    *((rpc, FaultName.SMEV_FAILURE) for rpc in Rpc),
}
"""(operation, fault) pairs a test double cannot be made to produce by a message: quotas, full queues, officials,
disconnected providers, internal failures."""

NATIVE_VERSION = {rpc: Version.V1_1 if rpc is Rpc.GET_INCOMING_QUEUE_STATISTICS else Version.V1_3 for rpc in Rpc}

DELIVERY_ONLY_RULES = {"FLOW-MESSAGE-TYPE", "FLOW-ORIGINAL-ID", "TIME-METADATA-ORDER"}
"""Error rules about what the bus delivers (MessageMetadata, OriginalMessageId): a caller never sends those
elements, so no call to the bus can break them."""


def test_at_least_sixty_cases_with_unique_ids():
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("rpc", list(Rpc), ids=lambda r: r.value)
def test_every_fault_of_every_operation_is_expected_by_some_case(rpc):
    covered = {case.expect.fault for case in CASES if case.rpc is rpc and case.expect.fault}
    missing = faults_for(rpc, NATIVE_VERSION[rpc]) - covered
    assert not missing, f"{rpc.value}: no case expects {sorted(f.value for f in missing)}"


def test_every_fault_name_of_the_protocol_is_expected():
    assert {case.expect.fault for case in CASES if case.expect.fault} == set(FaultName)


def test_faults_are_provoked_by_a_message_unless_no_message_can():
    provoked = {(case.rpc, case.expect.fault) for case in CASES if case.force is None and case.expect.fault}
    for case in CASES:
        if case.force is not None:
            assert case.force is case.expect.fault, case.id
            assert (case.rpc, case.force) in FORCED_ONLY, f"{case.id} forces a fault a message could provoke"
    assert {(rpc, f) for rpc in Rpc for f in faults_for(rpc, NATIVE_VERSION[rpc])} - provoked <= FORCED_ONLY


def test_every_signature_verification_reason_is_expected():
    reasons = {case.expect.reason for case in CASES if case.expect.reason}
    assert reasons == set(SignatureVerificationReason)


def test_every_rule_family_explains_some_case_and_every_rule_exists():
    for case in CASES:
        assert get_rule(case.expect.rule) is not None, case.id
    assert {case.expect.rule.split("-")[0] for case in CASES} == set(FAMILIES)


def test_every_error_rule_a_call_can_break_explains_some_case():
    from conformance.findings import Severity
    from conformance.rules.catalogue import registered

    explained = {case.expect.rule for case in CASES}
    # Rules of a message (static ones): the live suites' rules judge a participant's behaviour, not a call's bytes.
    errors = {e.rule.id for e in registered() if e.static and e.rule.severity is Severity.ERROR}
    assert not errors - explained - DELIVERY_ONLY_RULES, "error rules without a negative case"


def test_hostile_xml_and_transport_faults_are_covered():
    names = {step.name for case in CASES for step in case.mutations}
    assert {"doctype", "entity-expansion", "external-entity", "nest", "oversize", "truncate", "empty"} <= names
    assert {name for name in names if MUTATIONS[name].phase == BYTES} >= {"doctype", "oversize"}
    transports = [case.transport for case in CASES]
    assert {t.drop for t in transports} >= {"mid-request", "mid-answer"}
    assert any(t.content_type for t in transports)
    assert any(t.mime == "bad-boundary" for t in transports)
    assert any(t.soap_action == "none" for t in transports)
    assert {t.method for t in transports} - {"POST"}


def test_every_version_is_exercised_and_every_mutation_is_used():
    assert {case.version for case in CASES} == set(Version)
    used = {step.name for case in CASES for step in case.mutations}
    assert used == set(MUTATIONS), f"unused mutations: {set(MUTATIONS) - used}"


def test_xfail_marks_carry_a_reason():
    for case in CASES:
        if case.xfail is not None:
            assert len(case.xfail) > 20, case.id
