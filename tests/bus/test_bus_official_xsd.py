"""Everything the bus double answers validates against the official SMEV XSDs: every answer of a whole signed
exchange, and every live SOAP fault (each fault each RPC may get, forced, and the faults calls cause themselves),
in 1.1, 1.2 and 1.3. The judge is the official set copied in `tests/vectors/official-xsd/` (1.2: the project's set,
the official 1.3 structure; see `tests/protocol/schema_1_2.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bus_helpers import NS, TYPES, FakeClock, inn_request, inn_response
from lxml import etree

from conformance.bus.client import BusClient, Reply
from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.service import Bus, BusConfig
from conformance.crypto.testpki import build_pki
from conformance.protocol import model as m
from conformance.protocol.codes import FaultName, RejectionReasonCode, StatusCategory
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import Rpc, faults_for
from conformance.schemas import validate_envelope
from conformance.xmldsig.signer import signing_hook
from conformance.xmlsafe import parse_bytes

OFFICIAL = Path(__file__).resolve().parents[1] / "vectors" / "official-xsd"
PKI = build_pki(participants=2, seed="bus-official-xsd")
CREDS = {c.name: c for c in PKI.participants}

EXCHANGE = ("SendRequestResponse", "GetRequestResponse", "GetRequestResponse-empty", "AckResponse",
            "SendResponseResponse", "GetResponseResponse", "GetResponseResponse-rejected",
            "GetResponseResponse-status", "GetResponseResponse-async-status", "GetResponseResponse-empty",
            "GetStatusResponse", "GetStatusResponse-empty", "Fault-BusinessDataTypeIsNotSupported-caused",
            "Fault-TargetMessageIsNotFound-caused", "Fault-MessageIsAlreadySent-caused",
            "Fault-SignatureVerificationFault-caused", "Fault-InvalidContent-caused",
            "Fault-RecipientIsNotFound-caused", "Fault-UnknownMessageType-caused")


def _cases() -> list[tuple[Version, str]]:
    cases = []
    for version in Version:
        cases += [(version, label) for label in EXCHANGE]
        if version is Version.V1_1:
            cases.append((version, "GetIncomingQueueStatisticsResponse"))
        for rpc in Rpc:
            if rpc.exists_in(version):
                cases += [(version, f"Fault-{fault.value}-{rpc.value}") for fault in sorted(faults_for(rpc, version))]
    return cases


CASES = _cases()
pytestmark = pytest.mark.slow  # one signed exchange and ~60 faults per version: about 8 s


def official_errors(data: bytes, version: Version) -> list:
    directory = OFFICIAL / version.value if version is not Version.V1_2 else None
    return validate_envelope(parse_bytes(data), version, schema_dir=directory)


def _run(bus: Bus, url: str, version: Version) -> dict[str, Reply]:
    """Drive a whole exchange and every fault through the double; the answers by label."""
    consumer = BusClient(url, version=version, sign=signing_hook(CREDS["participant-1"].key,
                                                                   CREDS["participant-1"].certificate))
    provider = BusClient(url, version=version, sign=signing_hook(CREDS["participant-2"].key,
                                                                   CREDS["participant-2"].certificate))
    got: dict[str, Reply] = {}

    def exchange(answer: m.ResponseAnswer, label: str) -> str:
        sent = consumer.send_request(inn_request())
        got["SendRequestResponse"] = sent
        delivered = provider.get_request()
        got["GetRequestResponse"] = delivered
        request = delivered.message.message.request
        got["AckResponse"] = provider.ack(request.metadata.message_id)
        got["SendResponseResponse"] = provider.send_response(request.reply_to, answer)
        response = consumer.get_response()
        got[label] = response
        consumer.ack(response.message.message.response.metadata.message_id)
        return sent.message.metadata.message_id

    exchange(m.BusinessAnswer(inn_response()), "GetResponseResponse")
    exchange(m.Rejection((m.RequestRejected(RejectionReasonCode.NO_DATA, "nothing"),)),
             "GetResponseResponse-rejected")
    exchange(m.RequestStatus(7, "in progress"), "GetResponseResponse-status")
    rejected = consumer.send_request(inn_request()).message.metadata.message_id
    for _ in range(2):  # one for GetStatus, one for GetResponse
        bus.notify_status(rejected, StatusCategory.REQUEST_IS_REJECTED_BY_SMEV, details="refused",
                          fault=FaultName.INVALID_CONTENT, fault_description="the payload does not match its schema")
    got["GetStatusResponse"] = consumer.get_status()
    status = consumer.get_response()
    got["GetResponseResponse-async-status"] = status
    consumer.ack(status.message.message.response.metadata.message_id)
    while consumer.get_status().message.message is not None:
        pass
    got["GetStatusResponse-empty"] = consumer.get_status()
    while provider.get_request().message.message is not None:  # drain what the exchange left queued
        pass
    got["GetRequestResponse-empty"] = provider.get_request()
    got["GetResponseResponse-empty"] = consumer.get_response()
    if version is Version.V1_1:
        got["GetIncomingQueueStatisticsResponse"] = provider.queue_statistics()

    unknown = m.SenderProvidedRequestData(message_id=_new_id(), content=_element('<u:Unknown xmlns:u="urn:u"/>'))
    got["Fault-BusinessDataTypeIsNotSupported-caused"] = consumer.call(m.SendRequestRequest(unknown))
    got["Fault-TargetMessageIsNotFound-caused"] = consumer.ack(_new_id())
    twice = _new_id()
    consumer.send_request(inn_request(), message_id=twice)
    got["Fault-MessageIsAlreadySent-caused"] = consumer.send_request(inn_request(), message_id=twice)
    got["Fault-SignatureVerificationFault-caused"] = consumer.call(
        m.SendRequestRequest(m.SenderProvidedRequestData(_new_id(), inn_request())), sign=lambda *a: None)
    got["Fault-InvalidContent-caused"] = consumer.post(b"<soap:Envelope", soap_action="urn:SendRequest")
    got["Fault-RecipientIsNotFound-caused"] = provider.send_response("not-a-reply-to", m.BusinessAnswer(
        inn_response()))
    got["Fault-UnknownMessageType-caused"] = provider.get_request("urn:nobody", "Nothing")

    for rpc in Rpc:
        if not rpc.exists_in(version):
            continue
        for fault in sorted(faults_for(rpc, version)):
            bus.force_fault(rpc, fault)
            got[f"Fault-{fault.value}-{rpc.value}"] = _call(rpc, consumer, provider)
    return got


def _new_id() -> str:
    from conformance.protocol import ids

    return ids.new_message_id()


def _element(xml: str):
    from conformance.protocol.xmlfragment import XmlFragment

    return XmlFragment(etree.fromstring(xml))


def _call(rpc: Rpc, consumer: BusClient, provider: BusClient) -> Reply:
    return {
        Rpc.SEND_REQUEST: lambda: consumer.send_request(inn_request()),
        Rpc.SEND_RESPONSE: lambda: provider.send_response("x", m.BusinessAnswer(inn_response())),
        Rpc.GET_REQUEST: lambda: provider.get_request(NS, "InnRequest"),
        Rpc.GET_RESPONSE: lambda: consumer.get_response(),
        Rpc.ACK: lambda: consumer.ack(_new_id()),
        Rpc.GET_STATUS: lambda: consumer.get_status(),
        Rpc.GET_INCOMING_QUEUE_STATISTICS: lambda: provider.queue_statistics(),
    }[rpc]()


@pytest.fixture(scope="module")
def answers():
    from conformance.bus.server import start

    shipped = load_credentials()
    creds = BusCredentials(shipped.key, shipped.certificate, PKI.ca.certificate, PKI.crl, {
        "MVD": CREDS["participant-1"].certificate, "FNS": CREDS["participant-2"].certificate})
    bus = Bus(TYPES, config=BusConfig(signatures=True, ack_timeout=30), credentials=creds, clock=FakeClock())
    running = start(bus)
    try:
        yield {(version, label): reply for version in Version
               for label, reply in _run(bus, running.url, version).items()}
    finally:
        running.close()


@pytest.mark.parametrize(("version", "label"), CASES, ids=[f"{v.value}-{label}" for v, label in CASES])
def test_the_double_answers_what_the_official_xsd_accepts(answers, version, label):
    reply = answers[(version, label)]
    assert reply.parsed is not None, (reply.status, reply.error, reply.body[:400])
    if label == "Fault-InvalidContent-caused":  # unusable XML names no version: the double answers in the latest
        version = Version.V1_3
    assert reply.parsed.version is version
    kind = label.split("-")[0]
    if kind == "Fault":
        assert reply.status in (400, 500) and reply.fault is not None
        assert reply.fault.name.value == label.split("-")[1], reply.fault
    else:
        assert reply.status == 200 and reply.parsed.operation.value == kind, reply.body[:400]
    assert official_errors(reply.body, version) == []


def test_the_async_rejection_is_an_xsi_typed_smev_fault(answers):
    for version in Version:
        status = answers[(version, "GetResponseResponse-async-status")].message.message.response.data.answer
        assert status.smev_fault.type is FaultName.INVALID_CONTENT
        assert status.smev_fault.validation_errors
    legacy = answers[(Version.V1_1, "GetResponseResponse")].message.message.response.metadata
    assert legacy.status is StatusCategory.RESPONSE_IS_DELIVERED  # 1.1 has no messageIsDelivered


def test_caused_faults_carry_what_their_type_requires(answers):
    fault = answers[(Version.V1_3, "Fault-BusinessDataTypeIsNotSupported-caused")].fault
    assert dict(fault.details) == {"RootElementLocalName": "Unknown", "RootElementNamespaceURI": "urn:u"}
    void = answers[(Version.V1_3, "Fault-TargetMessageIsNotFound-caused")].fault
    assert void.code is None and void.description is None and "never delivered" in void.faultstring


def test_the_exchange_answers_carry_content(answers):
    for version in Version:
        assert answers[(version, "GetStatusResponse")].message.message is not None
        assert answers[(version, "GetStatusResponse-empty")].message.message is None
        delivered = answers[(version, "GetRequestResponse")].message.message
        assert delivered is not None and delivered.smev_signature is not None  # inside RequestMessage
