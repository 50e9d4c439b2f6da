"""The double describes itself as SMEV does: `?wsdl` gives the official WSDL of the endpoint's version addressed to
the double, its XSDs come by relative URL; and a real SOAP client (zeep) drives a whole signed exchange through
that WSDL: SendRequest -> GetRequest -> Ack -> SendResponse -> GetResponse -> Ack, GetStatus and faults.

zeep builds and decodes every body from the official XSDs; a zeep plugin signs each call with the project's signer
(the double verifies callers' signatures), so zeep only ever sees what the official schemas say.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bus_helpers import NS, TYPES, FakeClock, inn_request, inn_response
from lxml import etree

from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.crypto.testpki import build_pki
from conformance.protocol import ids
from conformance.protocol.codes import FaultName, StatusCategory
from conformance.protocol.operations import Operation
from conformance.protocol.operations import detect as detect_operation
from conformance.xmldsig.signer import sign_message

OFFICIAL = Path(__file__).resolve().parents[1] / "vectors" / "official-xsd"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
PKI = build_pki(participants=2, seed="bus-wsdl-zeep")
CREDS = {c.name: c for c in PKI.participants}
pytestmark = pytest.mark.slow  # zeep compiles the official WSDL and XSDs per client: about 8 s in all


@pytest.fixture(scope="module")
def double():
    shipped = load_credentials()
    creds = BusCredentials(shipped.key, shipped.certificate, PKI.ca.certificate, PKI.crl, {
        "MVD": CREDS["participant-1"].certificate, "FNS": CREDS["participant-2"].certificate})
    bus = Bus(TYPES, config=BusConfig(signatures=True, ack_timeout=30), credentials=creds, clock=FakeClock())
    running = start(bus)
    yield bus, running.url.rstrip("/").rsplit("/", 1)[0]
    running.close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the local double
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize("version", ["1.1", "1.2", "1.3"])
def test_wsdl_is_the_versions_own_addressed_to_the_double(double, version):
    _bus, base = double
    status, data = _get(f"{base}/smev/{version}?wsdl")
    assert status == 200
    document = etree.fromstring(data)
    assert document.get("targetNamespace") == f"urn://x-artefacts-smev-gov-ru/services/message-exchange/{version}"
    [address] = document.iter(f"{{{WSDL_SOAP}}}address")
    assert address.get("location") == f"{base}/smev/{version}"
    if version != "1.2":  # the official WSDL, unchanged but for the address
        official = etree.parse(str(OFFICIAL / version / f"smev-message-exchange-service-{version}.wsdl")).getroot()
        for element in official.iter(f"{{{WSDL_SOAP}}}address"):
            element.set("location", f"{base}/smev/{version}")
        assert etree.tostring(document, method="c14n") == etree.tostring(official, method="c14n")


def test_imported_xsds_are_served_by_relative_url(double):
    _bus, base = double
    for version in ("1.1", "1.3"):
        for path in sorted((OFFICIAL / version).glob("*.xsd")):
            status, data = _get(f"{base}/smev/{path.name}")
            assert status == 200 and data == path.read_bytes(), path.name
    assert _get(f"{base}/smev/../../etc/passwd.xsd")[0] == 404
    assert _get(f"{base}/smev/unknown.xsd")[0] == 404
    assert _get(f"{base}/smev?WSDL")[0] == 200  # SOAP stacks differ in case
    assert b"/1.3" in _get(f"{base}/anything?wsdl")[1]  # no version in the path: the latest


# --- zeep ---------------------------------------------------------------------------------------------------------

zeep = pytest.importorskip("zeep", reason="zeep (the test extra) drives the double as a real SOAP client")


class ProjectSigner(zeep.Plugin):
    """Signs each envelope zeep is about to send, as the participant, with the project's signer."""

    def __init__(self, who: str):
        self.key, self.certificate = CREDS[who].key, CREDS[who].certificate

    def egress(self, envelope, http_headers, operation, binding_options):
        if envelope.find(f"{{{etree.QName(envelope).namespace}}}Header") is None:
            etree.SubElement(envelope, f"{{{etree.QName(envelope).namespace}}}Header")
            envelope.insert(0, envelope[-1])  # SMEV wants soap:Header (PoorSOAPEnvelopeFormat without it)
        sign_message(envelope, detect_operation(envelope).operation, self.key, self.certificate)
        return envelope, http_headers


def _client(base: str, who: str, version: str = "1.3"):
    return zeep.Client(f"{base}/smev/{version}?wsdl", plugins=[ProjectSigner(who)])


def _selector(client, element: tuple[str, str]):
    """zeep fills an optional xs:sequence only whole: the selector names its type."""
    return {"NamespaceURI": element[0], "RootElementLocalName": element[1], "Timestamp": datetime.now(UTC),
            "Id": "SIGNED_BY_CALLER"}


def _text(element: etree._Element, local: str) -> str:
    return element.find(f".//{{{NS}}}{local}").text


def test_zeep_drives_a_whole_exchange_through_the_official_wsdl(double):
    bus, base = double
    consumer, provider = _client(base, "participant-1"), _client(base, "participant-2")
    request_id = ids.new_message_id()

    sent = consumer.service.SendRequest(
        SenderProvidedRequestData={"Id": "SIGNED_BY_CONSUMER", "MessageID": request_id,
                                   "MessagePrimaryContent": {"_value_1": inn_request("4500 654321").element()}})
    assert sent.MessageMetadata.MessageId == request_id
    assert sent.MessageMetadata.Status == StatusCategory.REQUEST_IS_QUEUED.value
    assert sent.SMEVSignature is not None

    # zeep unwraps a body of one element: GetRequestResponse gives its RequestMessage
    got = provider.service.GetRequest(MessageTypeSelector=_selector(provider, (NS, "InnRequest")))
    request = got.Request
    assert request.SenderProvidedRequestData.MessageID == request_id
    assert _text(request.SenderProvidedRequestData.MessagePrimaryContent._value_1, "Passport") == "4500 654321"
    assert request.MessageMetadata.Sender.Mnemonic == "MVD"
    assert got.SMEVSignature is not None  # inside RequestMessage, where zeep looks for it
    delivered_id = request.MessageMetadata.MessageId
    assert provider.service.Ack(AckTargetMessage={"_value_1": delivered_id, "Id": "SIGNED_BY_CALLER",
                                                  "accepted": True}) is None

    response_id = ids.new_message_id()
    answered = provider.service.SendResponse(SenderProvidedResponseData={
        "Id": "SIGNED_BY_PROVIDER", "MessageID": response_id, "To": request.ReplyTo,
        "MessagePrimaryContent": {"_value_1": inn_response("500100732259").element()}})
    assert answered.MessageMetadata.MessageId == response_id

    reply = consumer.service.GetResponse(MessageTypeSelector=_selector(consumer, (NS, "InnResponse")))
    response = reply.Response
    assert response.OriginalMessageId == request_id
    assert _text(response.SenderProvidedResponseData.MessagePrimaryContent._value_1, "INN") == "500100732259"
    assert reply.SMEVSignature is not None
    assert consumer.service.Ack(AckTargetMessage={"_value_1": response.MessageMetadata.MessageId,
                                                  "Id": "SIGNED_BY_CALLER", "accepted": True}) is None
    assert consumer.service.GetResponse(MessageTypeSelector=_selector(consumer, (NS, "InnResponse"))) is None  # empty queue

    bus.notify_status(request_id, StatusCategory.REQUEST_IS_REJECTED_BY_SMEV, details="refused by the test",
                      fault=FaultName.INVALID_CONTENT, fault_description="the payload does not match its schema")
    status = consumer.service.GetStatus(Timestamp={"_value_1": datetime.now(UTC), "Id": "SIGNED_BY_CALLER"},
                                        CallerInformationSystemSignature=zeep.xsd.SkipValue)
    processing = status.AsyncProcessingStatusData.AsyncProcessingStatus
    assert processing.OriginalMessageId == request_id
    assert processing.StatusCategory == StatusCategory.REQUEST_IS_REJECTED_BY_SMEV.value
    assert processing.SmevFault.Description == "the payload does not match its schema"
    assert processing.SmevFault.ValidationError[0]._value_1 == "the payload does not match its schema"
    assert status.SMEVSignature is not None


def _fault_detail(client, error) -> object:
    """The fault element of a zeep Fault, decoded by the WSDL's own faults schema."""
    item = next(iter(error.detail))
    return client.wsdl.types.get_element(item.tag).parse(item, client.wsdl.types), etree.QName(item).localname


def test_zeep_decodes_the_doubles_faults_by_the_official_schema(double):
    bus, base = double
    consumer = _client(base, "participant-1")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        consumer.service.Ack(AckTargetMessage={"_value_1": ids.new_message_id(), "Id": "SIGNED_BY_CALLER",
                                               "accepted": True})
    decoded, name = _fault_detail(consumer, caught.value)
    assert name == FaultName.TARGET_MESSAGE_IS_NOT_FOUND.value and caught.value.code.endswith("Server")
    assert "never delivered" in caught.value.message
    assert len(next(iter(caught.value.detail))) == 0  # basic:Void: no content at all

    unknown = etree.fromstring('<u:Unknown xmlns:u="urn://x-artefacts-test/unknown/1.0"/>')
    with pytest.raises(zeep.exceptions.Fault) as caught:
        consumer.service.SendRequest(SenderProvidedRequestData={
            "Id": "SIGNED_BY_CONSUMER", "MessageID": ids.new_message_id(),
            "MessagePrimaryContent": {"_value_1": unknown}})
    decoded, name = _fault_detail(consumer, caught.value)
    assert name == FaultName.BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED.value
    assert (decoded.RootElementLocalName, decoded.RootElementNamespaceURI) == (
        "Unknown", "urn://x-artefacts-test/unknown/1.0")
    assert decoded.Code == "SMEV-DOUBLE-BusinessDataTypeIsNotSupported"

    bus.force_fault("GetRequest", FaultName.SIGNATURE_VERIFICATION_FAULT, reason="CertificateIsExpired")
    provider = _client(base, "participant-2", version="1.1")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        provider.service.GetRequest(MessageTypeSelector=_selector(provider, (NS, "InnRequest")))
    decoded, name = _fault_detail(provider, caught.value)
    assert name == FaultName.SIGNATURE_VERIFICATION_FAULT.value
    assert decoded.SignatureVerificationFault == "CertificateIsExpired"


def test_operation_detection_sees_zeeps_body(double):
    """The plugin relies on the project's detection of zeep's envelope (its own prefixes)."""
    _bus, base = double
    client = _client(base, "participant-1")
    node = client.create_message(client.service, "GetStatus",
                                 Timestamp={"_value_1": datetime.now(UTC), "Id": "SIGNED_BY_CALLER"},
                                 CallerInformationSystemSignature=zeep.xsd.SkipValue)
    assert detect_operation(node).operation is Operation.GET_STATUS
