"""Messages of every operation and version, signed with the shipped test PKI, for the xmldsig tests.

Built with the protocol core's model and builder; `AT` is the instant the tests judge certificates at.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from functools import cache

from lxml import etree

from conformance.crypto import Certificate, get_backend, load_certificate, load_crl
from conformance.crypto.testdata import read_testdata
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import MessageType, StatusCategory
from conformance.protocol.ids import new_message_id
from conformance.protocol.operations import Operation
from conformance.protocol.xmlfragment import XmlFragment
from conformance.xmldsig.recipes import credentials  # noqa: F401  (the test PKI, re-exported for the tests)
from conformance.xmldsig.signer import sign_message
from conformance.xmldsig.verifier import VerifyOptions, verify_tree
from conformance.xmlsafe import parse_bytes

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PAYLOAD_NS = "urn://x-artefacts-example-ru/inn-by-passport/1.0.0"
_rng = random.Random(3)
REQUEST_ID = new_message_id(AT - timedelta(minutes=5), rng=_rng)
RESPONSE_ID = new_message_id(AT - timedelta(minutes=1), rng=_rng)


@cache
def trust() -> tuple[Certificate, ...]:
    return (load_certificate(read_testdata("ca.cert.pem")),)


@cache
def crl():
    return (load_crl(read_testdata("ca.crl.pem")),)


def business(local: str = "InnRequest", text: str = "4509 > 1 & <2>") -> XmlFragment:
    element = etree.Element(f"{{{PAYLOAD_NS}}}{local}", nsmap={"inn": PAYLOAD_NS})
    etree.SubElement(element, f"{{{PAYLOAD_NS}}}Series").text = text
    etree.SubElement(element, f"{{{PAYLOAD_NS}}}Number").text = "235857"
    return XmlFragment(element)


def _selector() -> m.MessageTypeSelector:
    return m.MessageTypeSelector(AT - timedelta(seconds=3), PAYLOAD_NS, "InnRequest")


def _request_data() -> m.SenderProvidedRequestData:
    return m.SenderProvidedRequestData(message_id=REQUEST_ID, content=business(), test_message=True)


def _response_data() -> m.SenderProvidedResponseData:
    return m.SenderProvidedResponseData(RESPONSE_ID, "eyJyZXBseSI6InRvIn0=", m.BusinessAnswer(business("InnResponse")))


def _metadata(kind: MessageType = MessageType.REQUEST, id: str | None = "SIGNED_BY_SMEV") -> m.MessageMetadata:
    return m.MessageMetadata(message_type=kind, sending_timestamp=AT - timedelta(minutes=4), message_id=REQUEST_ID,
                             sender=m.Party("Consumer system", "CONS01"), recipient=m.Party("Provider", "PROV01"),
                             supplementary_data=m.SupplementaryData("PGU2OIV"),
                             destination_name="unknown", id=id)


def message(operation: Operation):
    """A model message of `operation` with everything its signatures need."""
    return {
        Operation.SEND_REQUEST: lambda: m.SendRequestRequest(_request_data()),
        Operation.SEND_RESPONSE: lambda: m.SendResponseRequest(_response_data()),
        Operation.GET_REQUEST: lambda: m.GetRequestRequest(_selector()),
        Operation.GET_RESPONSE: lambda: m.GetResponseRequest(_selector()),
        Operation.ACK: lambda: m.AckRequest(m.AckTargetMessage(REQUEST_ID)),
        Operation.GET_STATUS: lambda: m.GetStatusRequest(m.SignedTimestamp(AT - timedelta(seconds=2))),
        Operation.GET_INCOMING_QUEUE_STATISTICS: lambda: m.GetIncomingQueueStatisticsRequest(
            m.SignedTimestamp(AT - timedelta(seconds=2))),
        Operation.SEND_REQUEST_RESPONSE: lambda: m.SendRequestResponse(_metadata()),
        Operation.SEND_RESPONSE_RESPONSE: lambda: m.SendResponseResponse(_metadata(MessageType.RESPONSE)),
        Operation.GET_REQUEST_RESPONSE: lambda: m.GetRequestResponse(m.RequestMessage(
            m.Request(_request_data(), _metadata(id=None), reply_to="eyJyZXBseSI6InRvIn0="))),
        Operation.GET_RESPONSE_RESPONSE: lambda: m.GetResponseResponse(m.ResponseMessage(
            m.Response(_response_data(), _metadata(MessageType.RESPONSE, None), original_message_id=REQUEST_ID))),
        Operation.GET_STATUS_RESPONSE: lambda: m.GetStatusResponse(m.SmevAsyncProcessingMessage(
            m.AsyncProcessingStatusData(m.AsyncProcessingStatus(REQUEST_ID, StatusCategory.REQUEST_IS_QUEUED)))),
    }[operation]()


SIGNED_OPERATIONS = (Operation.SEND_REQUEST, Operation.SEND_RESPONSE, Operation.GET_REQUEST, Operation.GET_RESPONSE,
                     Operation.ACK, Operation.GET_STATUS, Operation.GET_INCOMING_QUEUE_STATISTICS,
                     Operation.SEND_REQUEST_RESPONSE, Operation.SEND_RESPONSE_RESPONSE, Operation.GET_REQUEST_RESPONSE,
                     Operation.GET_RESPONSE_RESPONSE, Operation.GET_STATUS_RESPONSE)


def signed(operation: Operation = Operation.SEND_REQUEST, version: str = "1.3", *, personal: bool = False,
           signer: str | None = None, backend_name: str | None = None) -> etree._ElementTree:
    """The message, serialised, re-read, signed (personal first when asked) and re-read again."""
    backend = get_backend(backend_name)
    tree = parse_bytes(build(message(operation), version))
    who = signer or ("smev" if operation.is_response else "participant")
    key, cert = credentials(who)
    if personal:
        sign_message(tree, None, key, cert, personal=True, backend=backend)
    sign_message(tree, None, key, cert, backend=backend)
    return reparse(tree)


def reparse(tree: etree._ElementTree | etree._Element) -> etree._ElementTree:
    return parse_bytes(etree.tostring(tree))


def outcomes(tree, **options):
    options.setdefault("at", AT)
    options.setdefault("backend", get_backend())
    return verify_tree(tree, VerifyOptions(**options))


def statuses(tree, **options) -> dict[str, set[str]]:
    """rule id -> the set of statuses it got (over every signature)."""
    found: dict[str, set[str]] = {}
    for outcome in outcomes(tree, **options):
        found.setdefault(outcome.rule_id, set()).add(outcome.status.value)
    return found


def failures(tree, **options) -> dict[str, str]:
    """rule id -> message, for every failed or warned outcome."""
    return {o.rule_id: o.message for o in outcomes(tree, **options) if o.status.value in ("fail", "warn")}
