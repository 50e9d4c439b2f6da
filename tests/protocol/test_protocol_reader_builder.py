"""The strict reader's errors, and the builder's version rules and signature placement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from conformance.protocol import build, build_element, parse, place_signature
from conformance.protocol import model as m
from conformance.protocol.builder import BuildError
from conformance.protocol.codes import FaultName, MessageType
from conformance.protocol.namespaces import XMLDSIG, Version
from conformance.protocol.operations import SIGNATURES, SIGNING, Operation, ProtocolError, Signer, detect, locate
from conformance.protocol.reader import RULE_STRUCTURE
from conformance.protocol.samples import sample_message
from conformance.protocol.xmlfragment import XmlFragment
from conformance.xmlsafe import parse_bytes

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _send_request_xml(version: Version = Version.V1_3) -> str:
    return build(sample_message(Operation.SEND_REQUEST, version, seed=1, at=AT), version).decode()


def _expect_error(xml: str, *words: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse(xml.encode(), source="msg.xml")
    text = str(caught.value)
    for word in words:
        assert word in text
    assert text.startswith("msg.xml:")
    assert caught.value.line is not None
    return caught.value


def test_missing_required_element_is_named():
    xml = _send_request_xml()
    start = xml.index("<tns:MessageID>")
    end = xml.index("</tns:MessageID>") + len("</tns:MessageID>")
    error = _expect_error(xml[:start] + xml[end:], "SenderProvidedRequestData needs MessageID",
                          "found MessagePrimaryContent")
    assert error.rule == RULE_STRUCTURE


def test_unknown_element_is_named():
    xml = _send_request_xml().replace("</tns:SenderProvidedRequestData>",
                                      "<tns:Surprise/></tns:SenderProvidedRequestData>")
    _expect_error(xml, "unexpected element Surprise in SenderProvidedRequestData")


def test_elements_out_of_order_are_refused():
    xml = _send_request_xml()
    message_id = xml[xml.index("<tns:MessageID>"):xml.index("</tns:MessageID>") + 16]
    moved = xml.replace(message_id, "").replace("</basic:MessagePrimaryContent>",
                                                 "</basic:MessagePrimaryContent>" + message_id)
    _expect_error(moved, "needs MessageID")


def test_bad_values_are_named():
    xml = build(sample_message(Operation.GET_REQUEST, Version.V1_3, seed=1, at=AT), Version.V1_3).decode()
    start = xml.index("<basic:Timestamp>") + len("<basic:Timestamp>")
    end = xml.index("</basic:Timestamp>")
    _expect_error(xml[:start] + "yesterday" + xml[end:], "Timestamp", "not an xs:dateTime")
    ack = build(sample_message(Operation.ACK, Version.V1_2, seed=1, at=AT), Version.V1_2).decode()
    _expect_error(ack.replace('accepted="true"', 'accepted="yes"'), "accepted", "xs:boolean")
    ack_1_1 = build(sample_message(Operation.ACK, Version.V1_1, seed=1, at=AT), Version.V1_1).decode()
    _expect_error(ack_1_1.replace(' accepted="true"', ""), "needs the attribute accepted")  # optional from 1.2
    meta = build(sample_message(Operation.SEND_REQUEST_RESPONSE, Version.V1_3, seed=1, at=AT), Version.V1_3)
    _expect_error(meta.decode().replace(">REQUEST<", ">CANCEL<"), "MessageType CANCEL does not exist in version 1.3")
    _expect_error(meta.decode().replace(">REQUEST<", ">ASK<"), "'ASK' is not one of REQUEST")


def test_bad_base64_is_named():
    version = Version.V1_3
    xml = build(sample_message(Operation.SEND_REQUEST, version, seed=1, at=AT, variant="attachments"),
                version).decode()
    start = xml.index("<basic:Content>") + len("<basic:Content>")
    _expect_error(xml[:start] + "!!" + xml[start:], "Content", "base64")


def test_base64_with_line_breaks_is_read():
    version = Version.V1_3
    message = sample_message(Operation.SEND_REQUEST, version, seed=1, at=AT, variant="attachments")
    xml = build(message, version).decode()
    start = xml.index("<basic:Content>") + len("<basic:Content>")
    wrapped = xml[:start + 8] + "\n" + xml[start + 8:]
    assert parse(wrapped.encode()).message == message


def test_text_where_elements_belong_is_refused():
    xml = _send_request_xml().replace("<tns:MessageID>", "stray text<tns:MessageID>")
    _expect_error(xml, "unexpected text 'stray text'")


def test_primary_content_needs_exactly_one_element():
    xml = _send_request_xml()
    xml = xml.replace("</basic:MessagePrimaryContent>", "<x:Second xmlns:x='urn:x'/></basic:MessagePrimaryContent>")
    _expect_error(xml, "MessagePrimaryContent must hold exactly one element, found 2")


def test_fault_detail_must_carry_a_known_smev_fault():
    fault = build(m.SoapFault(FaultName.SMEV_FAILURE, "boom"), Version.V1_3).decode()
    _expect_error(fault.replace("SMEVFailure", "Kaboom"), "Kaboom is not an SMEV fault")
    personal = build(m.SoapFault(FaultName.PERSONAL_ACCESS_DENIED, "no"), Version.V1_3).decode()
    _expect_error(personal.replace("/faults/1.3", "/faults/1.2"), "does not exist in version 1.2")


def test_faultcode_is_soap_server_with_any_prefix():
    data = build(m.SoapFault(FaultName.INVALID_CONTENT, "bad", validation_errors=(
        m.ValidationError("pattern", 3),)), Version.V1_1)
    assert b"<faultcode>soap:Server</faultcode>" in data
    renamed = data.replace(b"soap:", b"S:").replace(b"xmlns:soap=", b"xmlns:S=")
    parsed = parse(renamed)
    assert parsed.message.faultcode == ("http://schemas.xmlsoap.org/soap/envelope/", "Server")
    assert parsed.message.validation_errors[0].error_position == 3


def test_version_specific_content_cannot_be_built_elsewhere():
    with pytest.raises(BuildError, match="only|does not exist"):
        build(m.GetIncomingQueueStatisticsRequest(m.SignedTimestamp(AT)), Version.V1_3)
    with pytest.raises(BuildError, match="PersonalAccessDenied does not exist in version 1.2"):
        build(m.SoapFault(FaultName.PERSONAL_ACCESS_DENIED, "x"), Version.V1_2)
    meta = m.MessageMetadata(MessageType.CANCEL, AT, sender=m.Party("A", "AAA"), destination_name="d",
                             supplementary_data=m.SupplementaryData("NotDetected"))
    with pytest.raises(BuildError, match="CANCEL"):
        build(m.SendRequestResponse(meta), Version.V1_2)
    assert b">CANCEL<" in build(m.SendRequestResponse(meta), Version.V1_1)


def test_legacy_metadata_fields_are_written_only_in_1_1():
    meta = m.MessageMetadata(MessageType.REQUEST, AT, sender=m.Party("A", "AAA"), destination_name="dest",
                             supplementary_data=m.SupplementaryData("NotDetected"))
    legacy = build(m.SendRequestResponse(meta), Version.V1_1)
    modern = build(m.SendRequestResponse(meta), Version.V1_3)
    assert b"DestinationName" in legacy and b"SupplementaryData" in legacy
    assert b"DestinationName" not in modern and b"SupplementaryData" not in modern


def _signature() -> etree._Element:
    sig = etree.Element(f"{{{XMLDSIG}}}Signature", nsmap={"ds": XMLDSIG})
    etree.SubElement(sig, f"{{{XMLDSIG}}}SignatureValue").text = "AAAA"
    return sig


@pytest.mark.parametrize("operation", [Operation.SEND_REQUEST, Operation.SEND_RESPONSE,
                                       Operation.GET_RESPONSE_RESPONSE, Operation.GET_REQUEST_RESPONSE,
                                       Operation.GET_STATUS_RESPONSE, Operation.ACK, Operation.GET_STATUS])
def test_placed_signatures_land_where_the_reader_expects_them(operation):
    message = sample_message(operation, Version.V1_3, seed=3, at=AT)
    envelope = build_element(message, Version.V1_3)
    body = detect(envelope).body
    specs = [s for s in SIGNATURES[operation] if not set(s.signed_path) & {"Routing", "Cancel"}]  # not in samples
    for spec in specs:
        place_signature(body, spec, _signature())
        place_signature(body, spec, _signature())  # replacing, not duplicating
    parsed = parse(etree.tostring(envelope)).message
    expected = XmlFragment(_signature())
    for spec in specs:
        wrapper = locate(body, spec.wrapper_path)
        assert wrapper is not None and len(wrapper) == 1
    if operation in SIGNING:
        assert parsed.signature == expected
    if operation is Operation.SEND_REQUEST:
        assert parsed.data.personal_signature == expected
    if operation is Operation.GET_RESPONSE_RESPONSE:
        assert parsed.message.smev_signature == expected
        assert parsed.message.response.sender_signature == expected
        assert parsed.message.response.data.answer.personal_signature == expected
    if operation is Operation.GET_REQUEST_RESPONSE:
        assert parsed.message.smev_signature == expected and parsed.message.request.sender_signature == expected


def test_sign_hook_sees_the_envelope_operation_and_version():
    seen = []

    def hook(envelope, operation, version):
        seen.append((etree.QName(envelope).localname, operation, version))
        place_signature(detect(envelope).body, SIGNING[operation], _signature())

    data = build(sample_message(Operation.GET_STATUS, Version.V1_2, seed=1, at=AT), Version.V1_2, sign=hook)
    assert seen == [("Envelope", Operation.GET_STATUS, Version.V1_2)]
    assert parse(data).message.signature == XmlFragment(_signature())


def test_place_signature_needs_its_parent():
    body = detect(build_element(m.GetRequestResponse(), Version.V1_3)).body
    spec = next(s for s in SIGNATURES[Operation.GET_REQUEST_RESPONSE] if s.signer is Signer.SENDER)
    with pytest.raises(BuildError, match="RequestMessage/Request is absent"):
        place_signature(body, spec, _signature())


def test_fragments_compare_by_canonical_xml():
    a = XmlFragment(parse_bytes(b'<p:a xmlns:p="urn:x" xmlns:unused="urn:y"><p:b>1</p:b></p:a>').getroot())
    b = XmlFragment(parse_bytes(b'<q:a xmlns:q="urn:x"><q:b>1</q:b></q:a>').getroot())
    c = XmlFragment(parse_bytes(b'<q:a xmlns:q="urn:x"><q:b>2</q:b></q:a>').getroot())
    assert a == a and hash(a) == hash(XmlFragment(a.element()))
    assert a != c
    # prefixes differ, so exclusive c14n differs: a fragment is compared as written, prefix included
    assert a != b
    copy = a.element()
    copy.text = "changed"
    assert a.element().text is None  # the fragment is immutable
