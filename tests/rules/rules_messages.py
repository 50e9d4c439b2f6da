"""Valid messages that exercise every rule of the catalogue, built with the protocol core, and helpers to check them.

`AT` is the instant every test judges at; ids are made shortly before it with a seeded generator, so runs repeat.
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

from lxml import etree

from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import MessageType, StatusCategory
from conformance.protocol.ids import new_message_id
from conformance.protocol.namespaces import XMLDSIG
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry import Side, load_registry, make_payload
from conformance.rules import catalogue
from conformance.rules.catalogue import RegisteredRule
from conformance.rules.engine import CheckSettings, check_bytes
from conformance.rules.model import FileResult, Status

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _ids(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [new_message_id(AT - timedelta(hours=count - i), rng=rng) for i in range(count)]


FIRST_ID, REQUEST_ID, RESPONSE_ID, OTHER_ID = _ids(4)


def signature() -> XmlFragment:
    """A placeholder ds:Signature: presence rules only look at where it is, not at its mathematics."""
    element = etree.Element(f"{{{XMLDSIG}}}Signature", nsmap={"ds": XMLDSIG})
    info = etree.SubElement(element, f"{{{XMLDSIG}}}SignedInfo")
    etree.SubElement(info, f"{{{XMLDSIG}}}Reference", URI="#SIGNED_BY_CONSUMER")
    etree.SubElement(element, f"{{{XMLDSIG}}}SignatureValue").text = base64.b64encode(bytes(64)).decode()
    return XmlFragment(element)


REGISTRY = load_registry()
TYPE = REGISTRY.first
"""The first registered type: its request and response elements are the business payloads of every fixture."""


def business(side: Side = Side.REQUEST) -> XmlFragment:
    request = make_payload(TYPE, Side.REQUEST, seed=11, at=AT)
    if side is Side.REQUEST:
        return XmlFragment(request)
    return XmlFragment(make_payload(TYPE, Side.RESPONSE, seed=11, at=AT, request=request))


def request_data(**overrides) -> m.SenderProvidedRequestData:
    fields = dict(
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
                             sender=m.Party("Consumer system", TYPE.consumers[0]), recipient=m.Party("Provider", "PROV01"),
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
    selector = m.MessageTypeSelector(AT - timedelta(seconds=5), TYPE.request.namespace, TYPE.request.root)
    return m.GetRequestRequest(selector, signature=signature())


def status_response() -> m.GetStatusResponse:
    status = m.AsyncProcessingStatus(REQUEST_ID, StatusCategory.REQUEST_IS_QUEUED)
    return m.GetStatusResponse(m.SmevAsyncProcessingMessage(m.AsyncProcessingStatusData(status)))


MESSAGES = {
    "send_request": send_request,
    "send_response": send_response,
    "get_request_response": get_request_response,
    "get_response_response": get_response_response,
    "ack": ack,
    "get_request": get_request,
    "status_response": status_response,
}


def envelope(name: str, version: str = "1.3") -> bytes:
    return build(MESSAGES[name](), version)


OTHER_OWNERS = ("conformance.rules.sig", "conformance.rules.cert")
"""Family modules of the signature engineer: their rules verify real signatures, which these fixtures do not carry."""


def own_rules() -> list[RegisteredRule]:
    """The catalogue without the SIG-/CERT- rules of the signature engineer's modules."""
    return [entry for entry in catalogue.registered() if entry.module not in OTHER_OWNERS and entry.static]


def check(data: bytes, *, at: datetime = AT, path: str = "message.xml", **settings) -> FileResult:
    settings.setdefault("rules", own_rules())
    settings.setdefault("registry", REGISTRY)
    return check_bytes(path, data, CheckSettings(at=at, **settings))


def failed(result: FileResult) -> set[str]:
    """Ids of the rules that failed or warned."""
    return {f.rule_id for f in result.findings if f.status in (Status.FAIL, Status.WARN)}
