"""Detection of operation and version, the operations table, signing table and fault lists."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from conformance.protocol import build
from conformance.protocol.codes import FaultName
from conformance.protocol.namespaces import SOAP_ENV, Role, Version, classify, ns
from conformance.protocol.operations import (
    FAULTS,
    RULE_ENVELOPE,
    RULE_OPERATION,
    SIGNATURES,
    SIGNING,
    Operation,
    ProtocolError,
    Rpc,
    Signer,
    detect,
    faults_for,
    locate,
)
from conformance.protocol.samples import iter_samples
from conformance.xmlsafe import parse_bytes, parse_file

REAL = Path(__file__).resolve().parents[1] / "xmldsig" / "vectors" / "real" / "SendRequestRequest-1.2.xml"
AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SAMPLES = list(iter_samples(seed=2, at=AT))


def _tree(xml: str):
    return parse_bytes(xml.encode(), source="t.xml")


def test_real_envelope_is_detected():
    if not REAL.exists():
        pytest.skip("shared vectors not mounted")
    operation, version = detect(parse_file(REAL))
    assert (operation, version) == (Operation.SEND_REQUEST, Version.V1_2)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_sample_is_detected_as_what_it_is(sample):
    detection = detect(parse_bytes(build(sample.message, sample.version)))
    assert (detection.operation, detection.version) == (sample.operation, sample.version)


@pytest.mark.parametrize(("xml", "rule", "words"), [
    ("<a/>", RULE_ENVELOPE, "not a SOAP 1.1 Envelope"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"/>', RULE_ENVELOPE, "0 soap:Body"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body/></s:Envelope>', RULE_ENVELOPE, "0 element children"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><a/><b/></s:Body></s:Envelope>', RULE_ENVELOPE,
     "2 element children"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><x:Hello xmlns:x="urn:other"/></s:Body></s:Envelope>',
     RULE_OPERATION, "{urn:other}Hello is not in an SMEV 3 types namespace"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><x:SendRequestRequest xmlns:x="{ns(Version.V1_3).basic}"/>'
     f'</s:Body></s:Envelope>', RULE_OPERATION, "not in an SMEV 3 types namespace"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><x:SendRequests xmlns:x="{ns(Version.V1_3).types}"/>'
     f'</s:Body></s:Envelope>', RULE_OPERATION, "SendRequests is not an SMEV 3 operation"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><x:GetIncomingQueueStatisticsRequest '
     f'xmlns:x="{ns(Version.V1_3).types}"/></s:Body></s:Envelope>', RULE_OPERATION, "only in 1.1"),
    (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>x'
     f'</faultstring></s:Fault></s:Body></s:Envelope>', RULE_OPERATION, "version is unknown"),
])
def test_non_smev_documents_are_refused_with_the_element_named(xml, rule, words):
    with pytest.raises(ProtocolError) as caught:
        detect(_tree(xml), source="t.xml")
    assert caught.value.rule == rule
    assert words in str(caught.value)
    assert str(caught.value).startswith("t.xml:")


def test_fault_version_comes_from_its_detail():
    xml = (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><s:Fault><faultcode>s:Server</faultcode>'
           f'<faultstring>x</faultstring><detail><f:SMEVFailure xmlns:f="{ns(Version.V1_1).faults}"/></detail>'
           f'</s:Fault></s:Body></s:Envelope>')
    assert tuple(detect(_tree(xml))) == (Operation.FAULT, Version.V1_1)


def test_namespaces_are_classified():
    for version in Version:
        v = ns(version)
        assert classify(v.types) == (version, Role.TYPES)
        assert classify(v.faults) == (version, Role.FAULTS)
        assert v.types == f"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/{version.value}"
    assert ns(Version.V1_3).routing.endswith("/types/routing/1.3")
    assert ns(Version.V1_2).routing is None
    assert classify("urn:unknown") is None


def test_operation_names_parse_in_every_spelling():
    assert Operation.parse("SendRequest") is Operation.SEND_REQUEST
    assert Operation.parse("sendrequestresponse") is Operation.SEND_REQUEST_RESPONSE
    assert Operation.parse("GET_STATUS") is Operation.GET_STATUS
    assert Operation.parse("get-response") is Operation.GET_RESPONSE
    assert Operation.parse("Fault") is Operation.FAULT
    with pytest.raises(ValueError, match="SendRequestRequest"):
        Operation.parse("Send")
    assert Version.parse("v1.1") is Version.V1_1
    with pytest.raises(ValueError, match="1.1, 1.2, 1.3"):
        Version.parse("1.4")


def test_operation_sides_and_pairs():
    for rpc in Rpc:
        request = Operation.parse(rpc.value)
        assert not request.is_response
        assert request.counterpart.is_response
        assert request.counterpart.counterpart is request
        assert request.rpc is rpc
    assert Operation.FAULT.is_response and Operation.FAULT.rpc is None
    assert Rpc.SEND_REQUEST.soap_action == "urn:SendRequest"


def test_signing_table_matches_the_protocol_page():
    expected = {
        Operation.SEND_REQUEST: "SenderProvidedRequestData",
        Operation.SEND_RESPONSE: "SenderProvidedResponseData",
        Operation.GET_REQUEST: "MessageTypeSelector",
        Operation.GET_RESPONSE: "MessageTypeSelector",
        Operation.ACK: "AckTargetMessage",
        Operation.GET_STATUS: "Timestamp",
        Operation.GET_INCOMING_QUEUE_STATISTICS: "Timestamp",
    }
    assert {op: spec.signed for op, spec in SIGNING.items()} == expected
    assert all(spec.wrapper == "CallerInformationSystemSignature" and spec.signer is Signer.CALLER
               for spec in SIGNING.values())
    assert set(SIGNATURES) == set(Operation)
    for op, spec in SIGNING.items():
        assert SIGNATURES[op][0] is spec


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.variant == "default"], ids=lambda s: s.name)
def test_every_signature_site_of_a_sample_is_locatable(sample):
    body = detect(parse_bytes(build(sample.message, sample.version))).body
    for spec in SIGNATURES[sample.operation]:
        if set(spec.signed_path) & {"Routing", "Cancel"}:
            continue  # optional blocks no default sample carries (tests/realtraffic/test_realtraffic_variants.py)
        target = locate(body, spec.signed_path)
        if spec.signer is Signer.PERSON:  # the business element itself, which has no Id of its own
            assert target is not None and classify(etree.QName(target).namespace) is None
            assert etree.QName(target.getparent()).localname == "MessagePrimaryContent"
            continue
        assert target is not None, spec
        assert etree.QName(target).localname == spec.signed
        assert target.get("Id") == spec.default_id
        assert locate(body, spec.wrapper_path[:-1]) is not None


def test_fault_lists_follow_the_protocol_page():
    send_request = FAULTS[Rpc.SEND_REQUEST]
    send_response = FAULTS[Rpc.SEND_RESPONSE]
    assert len(send_request) == 17
    assert FaultName.INCORRECT_RESPONSE_CONTENT_TYPE in send_response
    assert not {FaultName.TRANSACTION_CODE_INVALID, FaultName.ACCESS_DENIED, FaultName.PERSONAL_ACCESS_DENIED,
                FaultName.END_OF_LIFE_REACHED} & send_response
    assert FaultName.TARGET_MESSAGE_IS_NOT_FOUND in FAULTS[Rpc.ACK]
    assert FaultName.UNKNOWN_MESSAGE_TYPE in FAULTS[Rpc.GET_STATUS]
    assert FaultName.PERSONAL_ACCESS_DENIED not in faults_for(Rpc.SEND_REQUEST, Version.V1_2)
    assert FaultName.PERSONAL_ACCESS_DENIED in faults_for(Rpc.SEND_REQUEST, Version.V1_3)
    assert set().union(*FAULTS.values()) == set(FaultName)
