"""Every MSG-/FLOW-/TIME- rule of the catalogue: a valid message passes it, and one mutation of its subject makes the
check fail (or warn) with exactly that rule's id among the findings."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from lxml import etree
from rules_messages import (
    AT,
    MESSAGES,
    PDF,
    REGISTRY,
    REQUEST_ID,
    RESPONSE_ID,
    TYPE,
    business,
    check,
    envelope,
    failed,
    own_rules,
)

from conformance.findings import Status
from conformance.protocol.ids import new_message_id
from conformance.protocol.namespaces import SOAP_ENV, ns
from conformance.registry import Side
from conformance.rules.corpus import Corpus

VERSIONS = ("1.1", "1.2", "1.3")


def one(root: etree._Element, local: str) -> etree._Element:
    found = root.xpath(f"//*[local-name()='{local}']")
    assert found, f"the fixture has no {local}"
    return found[0]


def edit(message: str, change: Callable[[etree._Element], None], version: str = "1.3") -> bytes:
    root = etree.fromstring(envelope(message, version))
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def set_text(local: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        one(root, local).text = value
    return change


def remove(local: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = one(root, local)
        element.getparent().remove(element)
    return change


def business_root(root: etree._Element) -> etree._Element:
    return one(root, "MessagePrimaryContent")[0]


def _deep_payload(root: etree._Element) -> None:
    node = business_root(root)
    for _ in range(200):
        node = etree.SubElement(node, "{urn:deep}x")


def _soap12(root: etree._Element) -> None:
    root.tag = "{http://www.w3.org/2003/05/soap-envelope}Envelope"


def _unknown_operation(root: etree._Element) -> None:
    body = root.find(f"{{{SOAP_ENV}}}Body")[0]
    body.tag = body.tag.replace("SendRequestRequest", "SendMessageRequest")


def _mixed_version(root: etree._Element) -> None:
    one(root, "MessageID").tag = f"{{{ns('1.2').types}}}MessageID"


def _extra_block(root: etree._Element) -> None:
    data = one(root, "SenderProvidedRequestData")
    data.insert(1, etree.Element(f"{{{ns('1.3').types}}}Priority"))


def _duplicate_id(root: etree._Element) -> None:
    one(root, "MessagePrimaryContent").set("Id", "SIGNED_BY_CONSUMER")


def _misplaced_test_message(root: etree._Element) -> None:
    element = one(root, "TestMessage")
    parent = element.getparent()
    parent.remove(element)
    parent.insert(1, element)


def _second_business_element(root: etree._Element) -> None:
    content = one(root, "MessagePrimaryContent")
    etree.SubElement(content, "{urn://x-artefacts-example-ru/other/1.0.0}Other")


def _original_is_own(root: etree._Element) -> None:
    one(root, "OriginalMessageId").text = RESPONSE_ID


def _stale(root: etree._Element) -> None:
    one(root, "MessageID").text = new_message_id(AT - timedelta(days=3))


def _future(root: etree._Element) -> None:
    one(root, "MessageID").text = new_message_id(AT + timedelta(hours=1))


def _orphan_content(root: etree._Element) -> None:
    one(root, "Id").text = "doc-2"


def _doctype(_: str) -> bytes:
    data = envelope("send_request")
    return data.replace(b"?>", b'?>\n<!DOCTYPE x [<!ENTITY e "boom">]>', 1)


def _bad_boolean(root: etree._Element) -> None:
    one(root, "AckTargetMessage").set("accepted", "maybe")


def _payload_missing_child(root: etree._Element) -> None:
    payload = business_root(root)
    payload.remove([c for c in payload if isinstance(c.tag, str)][0])


def _unregistered(root: etree._Element) -> None:
    payload = business_root(root)
    payload.tag = "{urn://x-artefacts-unknown/1.0.0}" + etree.QName(payload).localname


def _request_as_answer(root: etree._Element) -> None:
    content = one(root, "MessagePrimaryContent")
    content.replace(content[0], business(Side.REQUEST).element())


def _intruder(root: etree._Element) -> None:
    one(root, "Mnemonic").text = "INTRUDER"


def _request_after_answer(root: etree._Element) -> None:
    data = one(root, "SenderProvidedResponseData")
    one(root, "OriginalMessageId").text = new_message_id(AT + timedelta(hours=2))
    one(data, "MessageID").text = new_message_id(AT - timedelta(minutes=1))


def _late_answer(root: etree._Element) -> None:
    data = one(root, "SenderProvidedResponseData")
    one(data, "MessageID").text = new_message_id(AT + timedelta(hours=49))


@dataclass(frozen=True)
class Mutation:
    """`build()` gives the mutated bytes; `settings()` what goes to the engine (a tighter size limit, other files)."""

    build: Callable[[], bytes]
    settings: Callable[[], dict] = dict


XOP = "http://www.w3.org/2004/08/xop/include"


def _unresolved_include(root: etree._Element) -> None:
    content = one(root, "Content")
    content.text = None
    etree.SubElement(content, f"{{{XOP}}}Include", href="cid:part-1@example")


def _mtom_capture_without_its_part() -> bytes:
    """A header block, then a multipart whose root part names a MIME part that the capture does not carry."""
    from conformance.bus.mtom import encode_multipart

    content_type, body = encode_multipart(edit("send_request", _unresolved_include), {})
    return f"Content-Type: {content_type}\r\n\r\n".encode() + body


def _no_human_readable_name(root: etree._Element) -> None:
    sender = one(root, "Sender")
    for child in list(sender):
        if etree.QName(child).localname == "HumanReadableName":
            sender.remove(child)


def _sent_elsewhere() -> dict:
    corpus = Corpus()
    corpus.add("other.xml", etree.ElementTree(etree.fromstring(envelope("send_request"))))
    return {"corpus": corpus}


MUTATIONS: dict[str, Mutation] = {
    "MSG-XML-EMPTY": Mutation(lambda: b"  \n"),
    "MSG-XML-SIZE": Mutation(lambda: envelope("send_request"), lambda: {"max_bytes": 512}),
    "MSG-XML-DTD": Mutation(lambda: _doctype("send_request")),
    "MSG-XML-DEPTH": Mutation(lambda: edit("send_request", _deep_payload)),
    "MSG-XML-WELLFORMED": Mutation(lambda: envelope("send_request")[:-40]),
    "MSG-SOAP-ENVELOPE": Mutation(lambda: edit("send_request", _soap12)),
    "MSG-SOAP-OPERATION": Mutation(lambda: edit("send_request", _unknown_operation)),
    "MSG-SCHEMA-ENVELOPE": Mutation(lambda: edit("ack", _bad_boolean)),
    "MSG-SCHEMA-PAYLOAD": Mutation(lambda: edit("send_request", _payload_missing_child)),
    "MSG-CONTENT-REGISTERED": Mutation(lambda: edit("send_request", _unregistered)),
    "MSG-CONTENT-RESPONSE-TYPE": Mutation(lambda: edit("send_response", _request_as_answer)),
    "MSG-SELECTOR-REGISTERED": Mutation(lambda: edit("get_request", set_text("RootElementLocalName", "Nope"))),
    "MSG-ACCESS-MATRIX": Mutation(lambda: edit("get_request_response", _intruder)),
    "MSG-NS-VERSION": Mutation(lambda: edit("send_request", _mixed_version)),
    "MSG-BLOCKS-DESCRIBED": Mutation(lambda: edit("send_request", _extra_block)),
    "MSG-XMLID-UNIQUE": Mutation(lambda: edit("send_request", _duplicate_id)),
    "MSG-FIELD-TRANSACTION-CODE": Mutation(lambda: edit("send_request", set_text("TransactionCode", "x" * 1501))),
    "MSG-FIELD-NODE-ID": Mutation(lambda: edit("send_request", set_text("NodeID", "n" * 51))),
    "MSG-MTOM-UNRESOLVED": Mutation(lambda: edit("send_request", _unresolved_include)),
    "MSG-MTOM-PACKAGE": Mutation(_mtom_capture_without_its_part),
    "MSG-SCHEMA-TOLERATED": Mutation(lambda: edit("get_request_response", _no_human_readable_name)),
    "MSG-TEST-MESSAGE": Mutation(lambda: edit("send_request", _misplaced_test_message)),
    "MSG-CONTENT-SINGLE": Mutation(lambda: edit("send_request", _second_business_element)),
    "MSG-ID-UUID1": Mutation(lambda: edit("send_request", set_text("MessageID", REQUEST_ID.upper()))),
    "MSG-ATTACH-COORDINATED": Mutation(lambda: edit("send_request", _orphan_content)),
    "MSG-ATTACH-MIME": Mutation(lambda: edit("send_request", set_text("MimeType", "pdf"))),
    "MSG-ATTACH-MIME-CONTENT": Mutation(lambda: edit("send_request", set_text("MimeType", "image/png"))),
    "MSG-ATTACH-BASE64": Mutation(lambda: edit("send_request", set_text("Content", "not*base64"))),
    "MSG-ATTACH-SIZE": Mutation(lambda: edit("send_request", set_text(
        "Content", base64.b64encode(PDF + bytes(5 * 1024 * 1024)).decode()))),
    "MSG-ATTACH-SIGNATURE": Mutation(lambda: edit("send_request", remove("SignaturePKCS7"))),
    "MSG-ATTACH-REF-HASH": Mutation(lambda: edit("send_request",
                                                 set_text("Hash", base64.b64encode(bytes(20)).decode()))),
    "MSG-ATTACH-REF-UUID": Mutation(lambda: edit("send_request", set_text("uuid", "file-42"))),
    "FLOW-REFERENCE-ID": Mutation(lambda: edit("send_request", set_text("ReferenceMessageID",
                                                                        "0b5e9a39-3f64-4a8e-9a53-2b1b8b0c9d11"))),
    "FLOW-ID-UNIQUE": Mutation(lambda: envelope("send_request"), _sent_elsewhere),
    "FLOW-ORIGINAL-ID": Mutation(lambda: edit("get_response_response", _original_is_own)),
    "FLOW-ACK-TARGET": Mutation(lambda: edit("ack", set_text("AckTargetMessage", "42"))),
    "FLOW-REPLY-TO": Mutation(lambda: edit("send_response", set_text("To", " "))),
    "TIME-METADATA-ORDER": Mutation(lambda: edit("get_request_response", set_text(
        "SendingTimestamp", (AT - timedelta(days=3)).isoformat()))),
    "TIME-ANSWER-DEADLINE": Mutation(lambda: edit("get_response_response", _late_answer)),
    "TIME-ID-ORDER": Mutation(lambda: edit("get_response_response", _request_after_answer)),
    "FLOW-MESSAGE-TYPE": Mutation(lambda: edit("get_response_response", set_text("MessageType", "REQUEST"))),
    "TIME-EOL": Mutation(lambda: edit("send_request", set_text("EOL", (AT - timedelta(hours=1)).isoformat()))),
    "TIME-ID-STALE": Mutation(lambda: edit("send_request", _stale)),
    "TIME-ID-FUTURE": Mutation(lambda: edit("send_request", _future)),
}

def own_ids() -> list[str]:
    return [e.rule.id for e in own_rules() if e.rule.family in ("MSG", "FLOW", "TIME")]


def test_every_rule_has_a_mutation():
    missing = sorted(set(own_ids()) - set(MUTATIONS))
    assert not missing, f"rules without a mutation test: {missing}"
    assert not set(MUTATIONS) - set(own_ids()), "a mutation names a rule that is not in the catalogue"


@pytest.mark.parametrize("name", sorted(MESSAGES))
@pytest.mark.parametrize("version", VERSIONS)
def test_valid_messages_pass_every_rule(name: str, version: str):
    result = check(envelope(name, version))
    problems = [(f.rule_id, f.message) for f in result.findings if f.status in (Status.FAIL, Status.WARN)]
    assert problems == []
    assert result.operation is not None and result.version == version


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_mutation_fails_with_its_rule(rule_id: str):
    mutation = MUTATIONS[rule_id]
    result = check(mutation.build(), **mutation.settings())
    assert rule_id in failed(result), [(f.rule_id, f.status.value, f.message) for f in result.findings
                                       if f.status is not Status.PASS]
    located = [f for f in result.findings if f.rule_id == rule_id and f.status is not Status.PASS]
    assert all(f.location.file == "message.xml" for f in located)
    assert not any("the check itself failed" in f.message for f in result.findings)


def test_rules_that_held_on_the_valid_message_were_judged_not_skipped():
    """The fixtures must exercise the rules: on the rich SendRequest most rules apply rather than skip."""
    result = check(envelope("send_request"))
    skipped = {f.rule_id for f in result.findings if f.status is Status.SKIP}
    assert skipped <= {"FLOW-ORIGINAL-ID", "FLOW-ACK-TARGET", "FLOW-REPLY-TO", "MSG-SELECTOR-REGISTERED",
                       "MSG-ACCESS-MATRIX", "FLOW-ID-UNIQUE", "FLOW-MESSAGE-TYPE", "TIME-METADATA-ORDER",
                       "TIME-ANSWER-DEADLINE"}, skipped


def test_a_message_alone_in_its_corpus_holds_flow_id_unique():
    corpus = Corpus()
    corpus.add("message.xml", etree.ElementTree(etree.fromstring(envelope("send_request"))))
    result = check(envelope("send_request"), corpus=corpus)
    assert [f.status for f in result.findings if f.rule_id == "FLOW-ID-UNIQUE"] == [Status.PASS]


def test_response_must_be_of_the_type_its_request_asked_for():
    """Across files: the request (found by OriginalMessageId) asked for another type than the answer carries."""
    other = next(spec for spec in REGISTRY.types if spec.name != TYPE.name)
    corpus = Corpus(requests={REQUEST_ID: (other.request.namespace, other.request.root)})
    result = check(envelope("get_response_response"), corpus=corpus)
    problems = [f for f in result.findings if f.rule_id == "MSG-CONTENT-RESPONSE-TYPE" and f.status is Status.FAIL]
    assert problems and other.name in problems[0].message
    same = Corpus(requests={REQUEST_ID: (TYPE.request.namespace, TYPE.request.root)})
    assert "MSG-CONTENT-RESPONSE-TYPE" not in failed(check(envelope("get_response_response"), corpus=same))


def test_realtime_types_must_answer_within_two_seconds():
    realtime = next((spec for spec in REGISTRY.types if spec.realtime), None)
    assert realtime is not None, "the shipped registry has a real-time type"

    def answer_realtime_late(root: etree._Element) -> None:
        content = one(root, "MessagePrimaryContent")
        content.replace(content[0], etree.Element(f"{{{realtime.response.namespace}}}{realtime.response.root}"))
        one(one(root, "SenderProvidedResponseData"), "MessageID").text = new_message_id(AT + timedelta(seconds=5))

    result = check(edit("get_response_response", answer_realtime_late))
    late = [f for f in result.findings if f.rule_id == "TIME-ANSWER-DEADLINE"]
    assert [f.status for f in late] == [Status.WARN] and "2 seconds" in late[0].message


def test_sent_after_delivered_is_reported_at_the_delivery_timestamp():
    def delivered_early(root: etree._Element) -> None:
        sending = one(root, "SendingTimestamp")
        delivery = etree.Element(sending.tag.replace("SendingTimestamp", "DeliveryTimestamp"))
        delivery.text = (AT - timedelta(days=1)).isoformat()
        sending.getparent().append(delivery)

    result = check(edit("get_request_response", delivered_early))
    found = [f for f in result.findings if f.rule_id == "TIME-METADATA-ORDER"]
    assert found and found[0].status is Status.FAIL and found[0].location.xpath.endswith("DeliveryTimestamp")


def test_a_delivered_message_is_judged_stale_at_its_sending_timestamp():
    """Checked long after delivery, a request is not stale: the bus accepted it at SendingTimestamp."""
    later = AT + timedelta(days=30)
    result = check(envelope("get_request_response"), at=later)
    assert [f.status for f in result.findings if f.rule_id == "TIME-ID-STALE"] == [Status.PASS]
    late_send = edit("get_request_response", set_text("SendingTimestamp", (AT + timedelta(days=3)).isoformat()))
    found = [f for f in check(late_send).findings if f.rule_id == "TIME-ID-STALE"]
    assert [f.status for f in found] == [Status.FAIL] and "SendingTimestamp" in found[0].message
