"""`conformance.protocol.facts`: the lenient envelope facts agree with the strict typed reader on every sample
(a differential test), read SMEV namespaces only (a payload's MessageID never counts), and never raise."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance import xmlsafe
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.facts import envelope_facts, read_facts
from conformance.protocol.ids import uuid1_time
from conformance.protocol.operations import Operation, detect
from conformance.protocol.reader import parse
from conformance.protocol.samples import iter_samples, sample_envelope
from conformance.rules.messagefile import read_message_file

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SAMPLES = list(iter_samples(at=AT))
REAL = Path(__file__).resolve().parents[1] / "vectors" / "real-traffic"
T13 = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.3"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def _expected(message: object) -> dict[str, list]:
    """What the strict reader's model says, collected by walking its dataclasses (the independent model)."""
    found: dict[str, list] = {"sent": [], "metadata": [], "reference": [], "original": [], "ack": [], "to": [],
                              "parties": [], "attachments": []}
    stack = [message]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple | list):
            stack.extend(item)
            continue
        if not dataclasses.is_dataclass(item):
            continue
        if isinstance(item, m.SenderProvidedRequestData | m.SenderProvidedResponseData):
            found["sent"].append(item.message_id)
        if isinstance(item, m.SenderProvidedResponseData):
            found["to"].append(item.to)
        if isinstance(item, m.MessageMetadata) and item.message_id is not None:
            found["metadata"].append(item.message_id)
        if isinstance(item, m.MessageMetadata):
            found["parties"] += [("Sender", p.mnemonic, p.human_readable_name) for p in [item.sender] if p]
            found["parties"] += [("Recipient", p.mnemonic, p.human_readable_name) for p in [item.recipient] if p]
        if getattr(item, "reference_message_id", None) is not None:
            found["reference"].append(item.reference_message_id)
        if isinstance(item, m.Response | m.AsyncProcessingStatus) and item.original_message_id is not None:
            found["original"].append(item.original_message_id)
        if isinstance(item, m.AckTargetMessage):
            found["ack"].append(item.message_id)
        if isinstance(item, m.AttachmentHeader):
            found["attachments"].append(item.content_id)
        if isinstance(item, m.AttachmentContent):
            found["attachments"].append(item.id)
        if isinstance(item, m.RefAttachmentHeader):
            found["attachments"].append(item.uuid)
        stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
    return {key: sorted(values, key=str) for key, values in found.items()}


def _read(facts) -> dict[str, list]:
    texts = lambda items: sorted(f.text for f in items)  # noqa: E731
    return {"sent": texts(facts.sent_ids), "metadata": texts(facts.named("MessageId", holder="MessageMetadata")),
            "reference": texts(facts.reference_ids), "original": texts(facts.original_ids),
            "ack": texts(facts.ack_targets), "to": [facts.to.text] if facts.to is not None else [],
            "parties": sorted(((p.role, p.mnemonic, p.name) for p in facts.parties), key=str),
            "attachments": texts(facts.attachment_ids)}


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s.version.value}-{s.operation.value}-{s.variant}" for s in SAMPLES])
def test_facts_agree_with_the_strict_reader_on_every_sample(sample) -> None:
    data = build(sample.message, sample.version)
    parsed = parse(data)
    facts = envelope_facts(xmlsafe.parse_bytes(data))
    assert (facts.operation, facts.version) == (parsed.operation, parsed.version)
    assert _read(facts) == _expected(parsed.message)
    assert facts.missing == ()
    if sample.variant == "attachments":
        assert facts.attachment_ids  # the differential test sees attachments, not only their absence
    for item in facts.fields:  # every fact points at its element, with a line
        assert item.line is not None and item.element.getparent() is not None


def test_a_payload_message_id_in_another_namespace_never_counts() -> None:
    """A business element named MessageID (in the payload, in a SOAP header, beside the SMEV one) is no fact."""
    tree = xmlsafe.parse_bytes(sample_envelope("SendRequestRequest", "1.3", at=AT))
    body = detect(tree).body
    data = body.find(f"{{{T13}}}SenderProvidedRequestData")
    own = data.find(f"{{{T13}}}MessageID").text
    business = data.find(".//{*}MessagePrimaryContent")[0]
    forged = "3c1f3b44-1111-11e0-8000-000000000000"  # a version 1 UUID of 2010
    etree.SubElement(business, "{urn:payload}MessageID").text = forged
    etree.SubElement(business, f"{{{T13}}}MessageID").text = forged  # SMEV-named, but business data
    header = etree.Element(f"{{{SOAP}}}Header")
    tree.getroot().insert(0, header)
    etree.SubElement(header, "{urn:evil}MessageID").text = forged
    facts = envelope_facts(tree)
    assert [f.text for f in facts.named("MessageID")] == [own]
    assert facts.message_id == own
    assert facts.time() is not None and facts.time().at == uuid1_time(own)
    assert read_facts(header).fields == ()


def test_a_spoilt_field_is_seen_but_yields_no_value_or_time() -> None:
    tree = xmlsafe.parse_bytes(sample_envelope("SendRequestRequest", "1.3", at=AT))
    message_id = tree.find(".//{*}SenderProvidedRequestData/{*}MessageID")
    message_id.append(etree.Comment("x"))
    foreign = etree.SubElement(tree.find(".//{*}SenderProvidedRequestData"), "{urn:x}Noise")
    foreign.text = "y"
    facts = envelope_facts(tree)
    item = facts.sent_ids[0]
    assert not item.clean and item.value is None and item.time() is None
    assert facts.time() is None  # a SendRequest carries no other time in what it signs


def test_a_document_of_no_known_operation_gives_what_it_can_and_says_why() -> None:
    root = etree.fromstring(f'<s:Envelope xmlns:s="{SOAP}"><s:Body><t:Bogus xmlns:t="{T13}">'
                            f"<t:MessageID>abc</t:MessageID></t:Bogus></s:Body></s:Envelope>".encode())
    facts = envelope_facts(root)
    assert facts.operation is None and facts.missing and facts.missing[0].startswith("operation:")
    assert [f.text for f in facts.named("MessageID")] == ["abc"]
    assert envelope_facts(etree.fromstring(b"<plain/>")).fields == ()


def test_a_send_request_without_message_id_records_it_missing() -> None:
    tree = xmlsafe.parse_bytes(sample_envelope("SendRequestRequest", "1.3", at=AT))
    element = tree.find(".//{*}SenderProvidedRequestData/{*}MessageID")
    element.getparent().remove(element)
    facts = envelope_facts(tree)
    assert facts.operation is Operation.SEND_REQUEST and facts.message_id is None
    assert facts.missing == ("MessageID: the message carries none",)


def test_signed_parts_name_what_the_signatures_reference() -> None:
    from conformance.crypto import bus_credentials, reproducible, test_credentials
    from conformance.xmldsig.signer import traffic_signing_hook

    sign = traffic_signing_hook(test_credentials()[:2], bus_credentials()[:2], backend=reproducible(),
                                signing_time=AT)
    data = sample_envelope("SendRequestRequest", "1.3", at=AT, sign=sign)
    parts = envelope_facts(xmlsafe.parse_bytes(data)).signed_parts
    assert [(p.name, p.referenced) for p in parts] == [("SenderProvidedRequestData", True)]


def test_real_traffic_facts_name_their_parties_and_ids() -> None:
    """Real 1.2 answers name a party by its Mnemonic alone; every real message yields its own id."""
    seen_mnemonic_only = False
    for path in sorted(REAL.glob("*.xml")) + sorted(REAL.glob("*.mime")):
        facts = envelope_facts(read_message_file(path).tree)
        if facts.operation is None:
            continue
        for party in facts.parties:
            assert party.mnemonic, (path.name, party)
            seen_mnemonic_only |= party.name is None
        if facts.operation in (Operation.SEND_REQUEST, Operation.SEND_RESPONSE):
            assert facts.message_id, path.name
    assert seen_mnemonic_only


@st.composite
def _damaged(draw) -> bytes:
    sample = draw(st.sampled_from(SAMPLES))
    root = etree.fromstring(build(sample.message, sample.version))
    elements = list(root.iter())
    for _ in range(draw(st.integers(1, 4))):
        victim = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["drop", "text", "rename", "comment"]))
        parent = victim.getparent()
        if action == "drop" and parent is not None:
            parent.remove(victim)
            elements = list(root.iter())
        elif action == "text":
            victim.text = draw(st.text(max_size=20).filter(lambda s: "\x00" not in s and s.isprintable()))
        elif action == "rename" and isinstance(victim.tag, str):
            victim.tag = draw(st.sampled_from(["{urn:x}MessageID", "MessageID", f"{{{T13}}}To", "{urn:x}Y"]))
        elif action == "comment" and isinstance(victim.tag, str):
            victim.append(etree.Comment("c"))
    return etree.tostring(root)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged())
def test_facts_never_raise_on_a_damaged_message(data: bytes) -> None:
    root = etree.fromstring(data)
    facts = envelope_facts(root)
    facts.time()
    assert all(p.role in ("Sender", "Recipient") for p in facts.parties)
    assert all(f.element.getroottree().getroot() is root for f in facts.fields)
    if facts.operation is None:
        assert facts.missing


def test_a_refused_call_is_read_for_its_own_message_id_and_to_not_a_payload_s() -> None:
    """The suite engine reads a call the strict reader refused through the facts: a payload's MessageID or To (in
    its own namespace, placed before the SMEV ones) is not taken for the call's."""
    from conformance.bus.store import Exchange
    from conformance.suites.engine import _loose_fields

    tree = xmlsafe.parse_bytes(sample_envelope("SendResponseRequest", "1.3", at=AT))
    data = tree.find(".//{*}SenderProvidedResponseData")
    own_id, own_to = data.find("{*}MessageID").text, data.find("{*}To").text
    header = etree.Element(f"{{{SOAP}}}Header")
    tree.getroot().insert(0, header)
    etree.SubElement(header, "{urn:payload}MessageID").text = "not-the-id"
    etree.SubElement(header, "{urn:payload}To").text = "not-the-reply-to"
    etree.SubElement(data, f"{{{T13}}}Unexpected")  # the strict reader refuses the call
    body = etree.tostring(tree)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal of the strict reader
        parse(body)
    exchange = Exchange(1, 0.0, None, "SendResponse", "1.3", None, 500, None, "Content-Type: text/xml", body, "", b"")
    assert _loose_fields(exchange, None) == (own_id, own_to.strip())
