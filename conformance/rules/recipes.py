"""Recipes of the MSG/FLOW/TIME rules' examples: valid messages of each kind, built with the protocol core, and the
small edits that break one rule.

A rule's good example is usually one of `MESSAGES` as built (`message("send_request")`); its bad example that
message with one edit (`edited("send_request", set_text("MessageID", ...))`). `AT` is the instant every example is
judged at (`judged()`); ids are made shortly before it with a seeded generator, so examples repeat byte for byte.
The signatures here are placeholders: the SIG/CERT rules, which verify real ones, have their own recipes
(`conformance.xmldsig.recipes`).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from lxml import etree

from conformance.findings import Example
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import MessageType, StatusCategory
from conformance.protocol.ids import new_message_id
from conformance.protocol.namespaces import SOAP_ENV, XMLDSIG, ns
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry import MessageTypeSpec, Registry, Side, load_registry, make_payload
from conformance.rules.corpus import Corpus

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
XOP = "http://www.w3.org/2004/08/xop/include"

Change = Callable[[etree._Element], None]


def _ids(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [new_message_id(AT - timedelta(hours=count - i), rng=rng) for i in range(count)]


FIRST_ID, REQUEST_ID, RESPONSE_ID, OTHER_ID = _ids(4)


@cache
def registry() -> Registry:
    """The shipped registry, read once."""
    return load_registry()


def first_type() -> MessageTypeSpec:
    """The first registered type: its request and response elements are the business payloads of every example."""
    return registry().first


def signature() -> XmlFragment:
    """A placeholder ds:Signature: presence rules only look at where it is, not at its mathematics."""
    element = etree.Element(f"{{{XMLDSIG}}}Signature", nsmap={"ds": XMLDSIG})
    info = etree.SubElement(element, f"{{{XMLDSIG}}}SignedInfo")
    etree.SubElement(info, f"{{{XMLDSIG}}}Reference", URI="#SIGNED_BY_CONSUMER")
    etree.SubElement(element, f"{{{XMLDSIG}}}SignatureValue").text = base64.b64encode(bytes(64)).decode()
    return XmlFragment(element)


def business(side: Side = Side.REQUEST) -> XmlFragment:
    request = make_payload(first_type(), Side.REQUEST, seed=11, at=AT)
    if side is Side.REQUEST:
        return XmlFragment(request)
    return XmlFragment(make_payload(first_type(), Side.RESPONSE, seed=11, at=AT, request=request))


def request_data(**overrides: Any) -> m.SenderProvidedRequestData:
    fields: dict[str, Any] = dict(
        message_id=REQUEST_ID,
        content=business(),
        reference_message_id=FIRST_ID,
        transaction_code="TX-2026-000123",
        node_id="node-01",
        eol=AT + timedelta(days=1),
        attachment_headers=(m.AttachmentHeader("doc-1", "application/pdf", b"\x30\x82\x01\x00cms"),),
        ref_attachment_headers=(m.RefAttachmentHeader("6f1c2b9e-1d1b-4e59-9a9c-3d5f0a7b8c21", bytes(range(32)),
                                                      "application/zip", b"\x30\x82\x01\x00cms"),),
        test_message=True,
    )
    fields.update(overrides)
    return m.SenderProvidedRequestData(**fields)


def metadata(kind: MessageType = MessageType.REQUEST) -> m.MessageMetadata:
    return m.MessageMetadata(message_type=kind, sending_timestamp=AT - timedelta(minutes=30), message_id=REQUEST_ID,
                             sender=m.Party("Consumer system", first_type().consumers[0]),
                             recipient=m.Party("Provider", "PROV01"),
                             supplementary_data=m.SupplementaryData("PGU2OIV"),
                             destination_name="unknown", id=None)


def send_request() -> m.SendRequestRequest:
    return m.SendRequestRequest(request_data(), attachments=(m.AttachmentContent("doc-1", PDF),), signature=signature())


def send_response() -> m.SendResponseRequest:
    data = m.SenderProvidedResponseData(RESPONSE_ID, "eyJyZXBseSI6InRvIn0=",
                                        m.BusinessAnswer(business(Side.RESPONSE)))
    return m.SendResponseRequest(data, signature=signature())


def get_request_response() -> m.GetRequestResponse:
    request = m.Request(request_data(), metadata(), reply_to="eyJyZXBseSI6InRvIn0=")
    return m.GetRequestResponse(m.RequestMessage(request, attachments=(m.AttachmentContent("doc-1", PDF),)))


def get_response_response() -> m.GetResponseResponse:
    data = m.SenderProvidedResponseData(RESPONSE_ID, "eyJyZXBseSI6InRvIn0=", m.BusinessAnswer(business(Side.RESPONSE)))
    response = m.Response(data, metadata(MessageType.RESPONSE), original_message_id=REQUEST_ID,
                          reference_message_id=FIRST_ID)
    return m.GetResponseResponse(m.ResponseMessage(response))


def ack() -> m.AckRequest:
    return m.AckRequest(m.AckTargetMessage(REQUEST_ID, accepted=True), signature=signature())


def get_request() -> m.GetRequestRequest:
    selector = m.MessageTypeSelector(AT - timedelta(seconds=5), first_type().request.namespace,
                                     first_type().request.root)
    return m.GetRequestRequest(selector, signature=signature())


def status_response() -> m.GetStatusResponse:
    status = m.AsyncProcessingStatus(REQUEST_ID, StatusCategory.REQUEST_IS_QUEUED)
    return m.GetStatusResponse(m.SmevAsyncProcessingMessage(m.AsyncProcessingStatusData(status)))


MESSAGES: dict[str, Callable[[], Any]] = {
    "send_request": send_request,
    "send_response": send_response,
    "get_request_response": get_request_response,
    "get_response_response": get_response_response,
    "ack": ack,
    "get_request": get_request,
    "status_response": status_response,
}


def envelope(name: str, version: str = "1.3") -> bytes:
    """The valid message `name` of `MESSAGES`, serialised for SMEV `version`."""
    return build(MESSAGES[name](), version)


# -- recipes ------------------------------------------------------------------------------------------------------

def message(name: str, version: str = "1.3") -> Callable[[], bytes]:
    """A recipe: the valid message as built."""
    return lambda: envelope(name, version)


def edited(name: str, change: Change, version: str = "1.3") -> Callable[[], bytes]:
    """A recipe: the valid message with `change` applied to its tree."""

    def recipe() -> bytes:
        root = etree.fromstring(envelope(name, version))
        change(root)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    return recipe


def judged(**settings: Any) -> Callable[[], dict[str, Any]]:
    """Check settings of an example: judged at `AT`, plus `settings` (e.g. `max_bytes`); callables are called."""
    return lambda: {"at": AT, **{k: v() if callable(v) else v for k, v in settings.items()}}


def one(root: etree._Element, local: str) -> etree._Element:
    found = root.xpath(f"//*[local-name()='{local}']")
    if not found:
        raise AssertionError(f"the example message has no {local}")
    return found[0]


def set_text(local: str, value: str) -> Change:
    """The first element named `local` gets the text `value`."""

    def change(root: etree._Element) -> None:
        one(root, local).text = value

    return change


def remove(local: str) -> Change:
    """The first element named `local` is removed."""

    def change(root: etree._Element) -> None:
        element = one(root, local)
        element.getparent().remove(element)

    return change


def business_root(root: etree._Element) -> etree._Element:
    return one(root, "MessagePrimaryContent")[0]


def message_id_at(when: timedelta) -> str:
    """A fresh MessageID made `when` after `AT`."""
    return new_message_id(AT + when)


# -- edits that break one rule (named in the rules' examples) ---------------------------------------------------------

def deep_payload(root: etree._Element) -> None:
    node = business_root(root)
    for _ in range(200):
        node = etree.SubElement(node, "{urn:deep}x")


def soap12(root: etree._Element) -> None:
    root.tag = "{http://www.w3.org/2003/05/soap-envelope}Envelope"


def unknown_operation(root: etree._Element) -> None:
    body = root.find(f"{{{SOAP_ENV}}}Body")[0]
    body.tag = body.tag.replace("SendRequestRequest", "SendMessageRequest")


def mixed_version(root: etree._Element) -> None:
    one(root, "MessageID").tag = f"{{{ns('1.2').types}}}MessageID"


def extra_block(root: etree._Element) -> None:
    one(root, "SenderProvidedRequestData").insert(1, etree.Element(f"{{{ns('1.3').types}}}Priority"))


def duplicate_id(root: etree._Element) -> None:
    one(root, "MessagePrimaryContent").set("Id", "SIGNED_BY_CONSUMER")


def misplaced_test_message(root: etree._Element) -> None:
    element = one(root, "TestMessage")
    parent = element.getparent()
    parent.remove(element)
    parent.insert(1, element)


def second_business_element(root: etree._Element) -> None:
    etree.SubElement(one(root, "MessagePrimaryContent"), "{urn://x-artefacts-example-ru/other/1.0.0}Other")


def original_is_own(root: etree._Element) -> None:
    one(root, "OriginalMessageId").text = RESPONSE_ID


def stale(root: etree._Element) -> None:
    one(root, "MessageID").text = message_id_at(-timedelta(days=3))


def future(root: etree._Element) -> None:
    one(root, "MessageID").text = message_id_at(timedelta(hours=1))


def oversized_attachment(size: int) -> Change:
    """The first AttachmentContent becomes a PDF of `size` bytes (built when the example is, not at import)."""

    def change(root: etree._Element) -> None:
        one(root, "Content").text = base64.b64encode(PDF + bytes(size - len(PDF))).decode()

    return change


def orphan_content(root: etree._Element) -> None:
    one(root, "Id").text = "doc-2"


def with_doctype() -> bytes:
    return envelope("send_request").replace(b"?>", b'?>\n<!DOCTYPE x [<!ENTITY e "boom">]>', 1)


def bad_boolean(root: etree._Element) -> None:
    one(root, "AckTargetMessage").set("accepted", "maybe")


def payload_missing_child(root: etree._Element) -> None:
    payload = business_root(root)
    payload.remove([c for c in payload if isinstance(c.tag, str)][0])


def unregistered(root: etree._Element) -> None:
    payload = business_root(root)
    payload.tag = "{urn://x-artefacts-unknown/1.0.0}" + etree.QName(payload).localname


def request_as_answer(root: etree._Element) -> None:
    content = one(root, "MessagePrimaryContent")
    content.replace(content[0], business(Side.REQUEST).element())


def request_after_answer(root: etree._Element) -> None:
    data = one(root, "SenderProvidedResponseData")
    one(root, "OriginalMessageId").text = message_id_at(timedelta(hours=2))
    one(data, "MessageID").text = message_id_at(-timedelta(minutes=1))


def late_answer(root: etree._Element) -> None:
    one(one(root, "SenderProvidedResponseData"), "MessageID").text = message_id_at(timedelta(hours=49))


def unresolved_include(root: etree._Element) -> None:
    content = one(root, "Content")
    content.text = None
    etree.SubElement(content, f"{{{XOP}}}Include", href="cid:part-1@example")


def mtom_capture_without_its_part() -> bytes:
    """A header block, then a multipart whose root part names a MIME part that the capture does not carry."""
    boundary = "uuid:example-boundary"
    head = (f'Content-Type: multipart/related; type="application/xop+xml"; boundary="{boundary}"; '
            'start="<root@example>"; start-info="text/xml"\r\n\r\n'
            f'--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n'
            "Content-ID: <root@example>\r\n\r\n")
    return head.encode() + edited("send_request", unresolved_include)() + f"\r\n--{boundary}--\r\n".encode()


def no_human_readable_name(root: etree._Element) -> None:
    sender = one(root, "Sender")
    for child in list(sender):
        if etree.QName(child).localname == "HumanReadableName":
            sender.remove(child)


def corpus_of(*names: str) -> Callable[[], Corpus]:
    """A corpus (the other files of a check) holding the valid messages `names`, each as `NAME.xml`."""

    def make() -> Corpus:
        corpus = Corpus()
        for name in names:
            corpus.add(f"{name}.xml", etree.ElementTree(etree.fromstring(envelope(name))))
        return corpus

    return make


def broken(summary: str, name: str, change: Change, *also: str, **settings: Any) -> Example:
    """A bad example: the valid message `name` with `change`; `also` the other rules it breaks."""
    return Example(summary, edited(name, change), judged(**settings), tuple(also))


def shown(summary: str, recipe: Callable[[], bytes], *also: str, **settings: Any) -> Example:
    """An example from any recipe (raw bytes, a capture...)."""
    return Example(summary, recipe, judged(**settings), tuple(also))


def valid(name: str, **settings: Any) -> Example:
    """A good example: the valid message `name` as built."""
    return Example(f"the valid {name} message of the examples (1.3)", message(name), judged(**settings))
