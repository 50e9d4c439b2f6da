"""Recipes of the MSG/FLOW/TIME rules' examples: valid messages of each kind, built with the protocol core, and the
small edits that break one rule.

A rule's good example is usually one of `MESSAGES` as built (`message("send_request")`); its bad example that
message with one edit (`edited("send_request", set_text("MessageID", ...))`). `AT` is the instant every example is
judged at (`judged()`); ids are made shortly before it with a seeded generator, so examples repeat byte for byte.
The signatures here are placeholders: the SIG/CERT rules, which verify real ones, have their own recipes
(`conformance.xmldsig.examples`).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from lxml import etree

from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import MessageType, StatusCategory
from conformance.protocol.ids import new_message_id
from conformance.protocol.namespaces import XMLDSIG
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry import MessageTypeSpec, Registry, Side, load_registry, make_payload

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
