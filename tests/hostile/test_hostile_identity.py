"""A second attacker's pass on identity: participant MFC (the attacker) tries to read, ack, answer or send as another
participant by means the first pass (test_hostile_signatures.py, test_hostile_review.py) did not try. One message,
one expected fault per case; every case must be refused before any queue is touched.

Cast as in test_hostile_signatures.py: MVD consumes `inn`, FNS provides it, MFC is the attacker."""

from __future__ import annotations

import base64

import pytest
from hostile_helpers import refused
from lxml import etree
from test_hostile_signatures import (  # the cast and its PKI
    DS,
    NS,
    PKI,
    T13,
    TYPES,
    WHO,
    cert_of,
    client,
    drain,
    inn_request,
    sign_as,
)

from conformance.bus.client import BusClient
from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.findings import Status
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import FaultName
from conformance.protocol.codes import SignatureVerificationReason as Reason
from conformance.protocol.xmlfragment import XmlFragment

T12 = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.2"


@pytest.fixture(scope="module")
def double():
    shipped = load_credentials()
    creds = BusCredentials(shipped.key, shipped.certificate, PKI.ca.certificate, PKI.crl,
                           {name: cert_of(name) for name in WHO})
    running = start(Bus(TYPES, config=BusConfig(signatures=True, ack_timeout=3600), credentials=creds))
    yield running
    running.close()


def _key_info(envelope: etree._Element) -> etree._Element:
    return envelope.find(f".//{{{DS}}}KeyInfo")


def _b64(certificate) -> str:
    return base64.b64encode(certificate.der).decode()


def chain_with_the_victim_as_intermediate(victim):
    """The attacker's leaf first (it verifies), the victim's certificate after it, as a chain's intermediate."""
    def edit(envelope):
        data = _key_info(envelope).find(f"{{{DS}}}X509Data")
        etree.SubElement(data, f"{{{DS}}}X509Certificate").text = _b64(cert_of(victim))
    return edit


def issuer_serial_of_the_victim(victim):
    """The attacker's certificate, plus an X509IssuerSerial naming the victim's."""
    def edit(envelope):
        data = _key_info(envelope).find(f"{{{DS}}}X509Data")
        serial = etree.SubElement(data, f"{{{DS}}}X509IssuerSerial")
        etree.SubElement(serial, f"{{{DS}}}X509IssuerName").text = cert_of(victim).issuer
        etree.SubElement(serial, f"{{{DS}}}X509SerialNumber").text = str(cert_of(victim).serial)
    return edit


def key_name_of_the_victim(victim):
    def edit(envelope):
        _key_info(envelope).insert(0, etree.Element(f"{{{DS}}}KeyName"))
        _key_info(envelope)[0].text = victim
    return edit


def retrieval_method_to_the_victim(victim):
    def edit(envelope):
        method = etree.Element(f"{{{DS}}}RetrievalMethod", URI=f"https://pki.example/{victim}.cer",
                               Type="http://www.w3.org/2000/09/xmldsig#rawX509Certificate")
        _key_info(envelope).append(method)
    return edit


def only_a_key_name_of_the_victim(victim):
    """No certificate at all: just the victim's name (a bus that looks keys up by name would act as it)."""
    def edit(envelope):
        key_info = _key_info(envelope)
        for child in list(key_info):
            key_info.remove(child)
        etree.SubElement(key_info, f"{{{DS}}}KeyName").text = victim
    return edit


def only_an_issuer_serial_of_the_victim(victim):
    def edit(envelope):
        data = _key_info(envelope).find(f"{{{DS}}}X509Data")
        for child in list(data):
            data.remove(child)
        serial = etree.SubElement(data, f"{{{DS}}}X509IssuerSerial")
        etree.SubElement(serial, f"{{{DS}}}X509IssuerName").text = cert_of(victim).issuer
        etree.SubElement(serial, f"{{{DS}}}X509SerialNumber").text = str(cert_of(victim).serial)
    return edit


def victim_certificate_in_x509data_of_the_victim_and_a_bare_key_value(victim):
    """The victim's certificate, plus a KeyValue carrying the attacker's key (a verifier that prefers KeyValue would
    verify with it and name the victim)."""
    def edit(envelope):
        key_info = _key_info(envelope)
        key_info.find(f"{{{DS}}}X509Data/{{{DS}}}X509Certificate").text = _b64(cert_of(victim))
        value = etree.SubElement(key_info, f"{{{DS}}}KeyValue")
        etree.SubElement(value, "{urn:evil}GostKeyValue").text = base64.b64encode(b"\x00" * 64).decode()
    return edit


IDENTITY_FORGERIES = {
    "chain-with-the-victim-as-intermediate": (chain_with_the_victim_as_intermediate, Reason.CERTIFICATE_IS_NOT_FOUND),
    "issuer-serial-of-the-victim": (issuer_serial_of_the_victim, Reason.CERTIFICATE_IS_NOT_FOUND),
    "key-name-of-the-victim": (key_name_of_the_victim, Reason.CERTIFICATE_IS_NOT_FOUND),
    "retrieval-method-to-the-victim": (retrieval_method_to_the_victim, Reason.CERTIFICATE_IS_NOT_FOUND),
    "only-a-key-name-of-the-victim": (only_a_key_name_of_the_victim, Reason.CERTIFICATE_IS_NOT_FOUND),
    "only-an-issuer-serial-of-the-victim": (only_an_issuer_serial_of_the_victim, Reason.CERTIFICATE_IS_NOT_FOUND),
    "victim-certificate-and-the-attackers-key-value": (victim_certificate_in_x509data_of_the_victim_and_a_bare_key_value,
                                                       None),
}


@pytest.mark.parametrize("version", ["1.1", "1.2", "1.3"])
@pytest.mark.parametrize("forgery", IDENTITY_FORGERIES)
def test_key_info_naming_the_provider_never_reads_its_queue(double, forgery, version):
    """MFC signs GetRequest with its own key and names FNS in KeyInfo every way XML-DSig allows: refused, and
    FNS's request stays for FNS."""
    drain(double, "FNS")
    mid = client(double, "MVD").send_request(inn_request()).message.metadata.message_id
    mutation, reason = IDENTITY_FORGERIES[forgery]
    attacker = client(double, "MFC", mutation("FNS"), version=version)
    fault = refused(attacker.get_request(), FaultName.SIGNATURE_VERIFICATION_FAULT, reason)
    assert "FNS" not in (fault.faultstring or "").split("[")[0]
    refused(attacker.ack(mid), FaultName.SIGNATURE_VERIFICATION_FAULT)
    got = client(double, "FNS").get_request().message.message.request
    assert got.data.message_id == mid
    client(double, "FNS").ack(mid)


def _captured_signature(who: str) -> etree._Element:
    """A genuine, valid caller signature of `who`, captured from one of its calls."""
    data = build(m.SendRequestRequest(m.SenderProvidedRequestData(ids.new_message_id(), inn_request())), "1.3",
                 sign=sign_as(who))
    return etree.fromstring(data).find(f".//{{{DS}}}Signature")


def victims_signature_as_personal_signature(envelope):
    block = envelope.find(f".//{{{T13}}}SenderProvidedRequestData")
    personal = etree.Element(f"{{{T13}}}PersonalSignature")
    personal.append(_captured_signature("MVD"))
    block.insert(2, personal)


def victims_signature_inside_the_business_content(envelope):
    envelope.find(f".//{{{NS}}}InnRequest").append(_captured_signature("MVD"))


def victims_signature_in_the_soap_header(envelope):
    header = etree.Element("{http://schemas.xmlsoap.org/soap/envelope/}Header")
    header.append(_captured_signature("MVD"))
    envelope.insert(0, header)


PLACEMENTS = {
    "as-personal-signature": (victims_signature_as_personal_signature, Reason.INCORRECT_SIGNATURE_TARGET),
    "in-the-soap-header": (victims_signature_in_the_soap_header, Reason.POOR_SOAP_ENVELOPE_FORMAT),
    # A signature inside the business content is the business's (an agency's signed document): the bus neither
    # verifies it nor takes anyone's identity from it; the call is MFC's and is queued as MFC's.
    "inside-the-business-content": (victims_signature_inside_the_business_content, None),
}


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_a_victims_captured_signature_elsewhere_never_makes_the_caller_the_victim(double, placement):
    """MFC carries a genuine signature of MVD somewhere in its SendRequest and signs the whole as itself: refused
    where SMEV signatures live, and never queued as MVD's."""
    drain(double, "FNS")
    insert, reason = PLACEMENTS[placement]

    def insert_then_sign(envelope, operation, version):
        insert(envelope)
        sign_as("MFC")(envelope, operation, version)

    data = m.SenderProvidedRequestData(ids.new_message_id(), inn_request())
    reply = BusClient(double.url).post(build(m.SendRequestRequest(data), "1.3", sign=insert_then_sign),
                                       soap_action="urn:SendRequest")
    queued = double.bus.store.get(data.message_id)
    if reason is None:
        assert reply.status == 200 and queued is not None and queued.sender == "MFC", reply.body[:300]
    else:
        refused(reply, FaultName.SIGNATURE_VERIFICATION_FAULT, reason)
        assert queued is None
    drain(double, "FNS")


def test_a_message_id_another_participant_used_is_already_sent(double):
    """MFC reuses the MessageID MVD sent: MessageIsAlreadySent, and nothing of MFC's is queued under it."""
    drain(double, "FNS")
    mid = client(double, "MVD").send_request(inn_request()).message.metadata.message_id
    data = m.SenderProvidedRequestData(mid, inn_request("6666 666666"))
    reply = client(double, "MFC").post(build(m.SendRequestRequest(data), "1.3", sign=sign_as("MFC")),
                                       soap_action="urn:SendRequest")
    refused(reply, FaultName.MESSAGE_IS_ALREADY_SENT)
    assert double.bus.store.get(mid).sender == "MVD"
    drain(double, "FNS")


def test_a_victims_captured_send_request_replayed_is_already_sent(double):
    """The victim's own signed SendRequest, captured and resent byte for byte by the attacker: not queued twice."""
    drain(double, "FNS")
    data = m.SenderProvidedRequestData(ids.new_message_id(), inn_request())
    raw = build(m.SendRequestRequest(data), "1.3", sign=sign_as("MVD"))
    assert client(double, "MVD").post(raw, soap_action="urn:SendRequest").status == 200
    refused(client(double, "MFC").post(raw, soap_action="urn:SendRequest"), FaultName.MESSAGE_IS_ALREADY_SENT)
    assert len([q for q in double.bus.store.messages(recipient="FNS") if q.message_id == data.message_id]) == 1
    drain(double, "FNS")


def test_a_victims_captured_ack_replayed_changes_nothing(double):
    """FNS acks with accepted=true; MFC replays that exact signed Ack: it acts as FNS would (the same Ack, idempotent)
    and cannot turn it into a refusal; the first Ack's `accepted` stands."""
    drain(double, "FNS")
    mid = client(double, "MVD").send_request(inn_request()).message.metadata.message_id
    client(double, "FNS").get_request()
    raw = build(m.AckRequest(m.AckTargetMessage(mid, accepted=True)), "1.3", sign=sign_as("FNS"))
    assert client(double, "FNS").post(raw, soap_action="urn:Ack").status == 200
    assert client(double, "MFC").post(raw, soap_action="urn:Ack").status == 200
    forged = build(m.AckRequest(m.AckTargetMessage(mid, accepted=False)), "1.3", sign=sign_as("MFC"))
    refused(client(double, "MFC").post(forged, soap_action="urn:Ack"), FaultName.TARGET_MESSAGE_IS_NOT_FOUND)
    assert double.bus.store.get(mid).accepted is True


def _mixed(envelope):
    """Renames the signed block into the 1.2 namespace inside a 1.3 operation (before signing)."""
    block = envelope.find(f".//{{{T13}}}SenderProvidedRequestData")
    for element in block.iter(f"{{{T13}}}*"):
        element.tag = f"{{{T12}}}{etree.QName(element).localname}"


def test_namespaces_of_two_versions_in_one_envelope_are_invalid_content(double):
    drain(double, "FNS")

    def mix_then_sign(envelope, operation, version):
        _mixed(envelope)
        sign_as("MFC")(envelope, operation, version)
    data = m.SenderProvidedRequestData(ids.new_message_id(), inn_request())
    raw = build(m.SendRequestRequest(data), "1.3", sign=mix_then_sign)
    reply = client(double, "MFC").post(raw, soap_action="urn:SendRequest")
    fault = refused(reply, FaultName.INVALID_CONTENT)
    assert "MSG-NS-VERSION" in fault.faultstring
    assert double.bus.store.get(data.message_id) is None


def test_a_send_response_signed_by_the_provider_but_replayed_by_another_is_already_sent(double):
    """FNS's signed SendResponse, captured and replayed by MFC: not queued twice, whoever replays it."""
    drain(double, "FNS")
    drain(double, "MVD")
    client(double, "MVD").send_request(inn_request())
    request = client(double, "FNS").get_request().message.message.request
    client(double, "FNS").ack(request.data.message_id)
    answer = m.BusinessAnswer(XmlFragment(etree.fromstring(f'<i:InnResponse xmlns:i="{NS}"><i:INN>7</i:INN>'
                                                           '</i:InnResponse>')))
    data = m.SenderProvidedResponseData(message_id=ids.new_message_id(), to=request.reply_to, answer=answer)
    raw = build(m.SendResponseRequest(data), "1.3", sign=sign_as("FNS"))
    assert client(double, "FNS").post(raw, soap_action="urn:SendResponse").status == 200
    refused(client(double, "MFC").post(raw, soap_action="urn:SendResponse"), FaultName.MESSAGE_IS_ALREADY_SENT)
    drain(double, "MVD")



# -- costs an attacker chooses inside the signature ---------------------------------------------------------------


def _transforms(count: int):
    def edit(envelope):
        container = envelope.find(f".//{{{DS}}}Transforms")
        for _ in range(count):
            etree.SubElement(container, f"{{{DS}}}Transform", Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    return edit


def test_a_reference_with_thousands_of_transforms_is_not_computed(monkeypatch):
    """Each transform may re-read the signed element: 150,000 of them cost 6 s over a tiny block (and forever over
    a large one). A chain past MAX_TRANSFORMS is refused without running one of them."""
    from test_hostile_signatures import outcomes, signed_request

    from conformance.xmldsig import pipeline

    runs = []
    monkeypatch.setattr(pipeline, "exc_c14n", lambda node: runs.append(1) or b"")
    found = outcomes(signed_request("MVD", _transforms(5_000)))
    digest = next(o for o in found if o.rule_id == "SIG-DIGEST")
    assert digest.status is Status.SKIP and "chain of 5002 transforms" in digest.message
    transforms = next(o for o in found if o.rule_id == "SIG-TRANSFORMS")
    assert transforms.status is Status.FAIL and "4998 more" in transforms.message and len(transforms.message) < 1000
    assert runs == []


def test_a_reference_with_thousands_of_transforms_is_refused_by_the_double_in_a_short_fault(double):
    """The double refuses it (PoorSOAPEnvelopeFormat), and its fault does not echo the attacker's 20,000 URIs back
    (before: a 12 MB answer to a 10 MB request)."""
    reply = client(double, "MFC", _transforms(20_000)).get_request()
    refused(reply, FaultName.SIGNATURE_VERIFICATION_FAULT, Reason.POOR_SOAP_ENVELOPE_FORMAT)
    assert len(reply.body) < 10_000, len(reply.body)


# -- a captured poll, replayed inside the freshness window ---------------------------------------------------------


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_a_captured_poll_replayed_within_the_window_reads_nothing(double):
    """FNS's signed GetRequest, captured and replayed by MFC a moment later (well inside the ±5 min window): before,
    the double took FNS's next request off its queue and handed it to MFC. Now a poll's signature is good for one
    call: the replay is InvalidContent and the request stays for FNS."""
    drain(double, "FNS")
    raw = build(m.GetRequestRequest(m.MessageTypeSelector(_now())), "1.3", sign=sign_as("FNS"))
    assert client(double, "FNS").post(raw, soap_action="urn:GetRequest").status == 200  # the original, on empty
    mid = client(double, "MVD").send_request(inn_request()).message.metadata.message_id
    fault = refused(client(double, "MFC").post(raw, soap_action="urn:GetRequest"), FaultName.INVALID_CONTENT)
    assert "received before" in fault.faultstring
    assert double.bus.store.get(mid).deliveries == 0
    got = client(double, "FNS").get_request().message.message.request  # a poll signed anew is served
    assert got.data.message_id == mid
    client(double, "FNS").ack(mid)


@pytest.mark.parametrize("rpc", ["GetResponse", "GetStatus"])
def test_the_same_signed_poll_twice_is_refused_the_second_time(double, rpc):
    message = m.GetResponseRequest(m.MessageTypeSelector(_now())) if rpc == "GetResponse" else \
        m.GetStatusRequest(m.SignedTimestamp(_now()))
    raw = build(message, "1.3", sign=sign_as("MVD"))
    assert client(double, "MVD").post(raw, soap_action=f"urn:{rpc}").status == 200
    refused(client(double, "MVD").post(raw, soap_action=f"urn:{rpc}"), FaultName.INVALID_CONTENT)
    assert client(double, "MVD").call(message).status == 200  # the same content signed anew: a new signature


def _respelled_signature_value(raw: bytes) -> bytes:
    """The same signature bytes spelled otherwise: line breaks inside, and the spare bits of the last base64
    character before the padding flipped (a lenient decoder reads the same 64 bytes)."""
    root = etree.fromstring(raw)
    value = root.find(f".//{{{DS}}}SignatureValue")
    text = "".join(value.text.split())
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    head, last, pad = text.rstrip("=")[:-1], text.rstrip("=")[-1], text[len(text.rstrip("=")):]
    if pad:
        last = alphabet[alphabet.index(last) ^ 1]  # a spare bit when there is padding
    assert base64.b64decode(head + last + pad) == base64.b64decode(text)
    value.text = "\n".join((head + last + pad)[i:i + 20] for i in range(0, len(text), 20))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_captured_poll_replayed_with_its_signature_value_respelled_is_still_a_replay(double):
    drain(double, "FNS")
    raw = build(m.GetRequestRequest(m.MessageTypeSelector(_now())), "1.3", sign=sign_as("FNS"))
    assert client(double, "FNS").post(raw, soap_action="urn:GetRequest").status == 200
    mid = client(double, "MVD").send_request(inn_request()).message.metadata.message_id
    replay = _respelled_signature_value(raw)
    assert replay != raw
    fault = refused(client(double, "MFC").post(replay, soap_action="urn:GetRequest"), FaultName.INVALID_CONTENT)
    assert "received before" in fault.faultstring  # the signature verified: it is refused as the replay it is
    assert double.bus.store.get(mid).deliveries == 0
    drain(double, "FNS")
