"""The bus double with signatures on: callers identified by certificate, signatures verified with the reason of
each refusal, deliveries signed by the bus (and deliberately broken when a test asks)."""

from __future__ import annotations

import pytest
from bus_helpers import TYPES, FakeClock, inn_request, inn_response
from lxml import etree

from conformance.bus.client import BusClient
from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.crypto.testpki import build_pki
from conformance.findings import Status
from conformance.protocol import model as m
from conformance.protocol.codes import FaultName, SignatureVerificationReason
from conformance.xmldsig.signer import signing_hook
from conformance.xmldsig.verifier import verify_message

PKI = build_pki(participants=2, seed="bus-signature-tests")
CREDS = {c.name: c for c in (*PKI.participants, PKI.ca)}


def _sign_as(name: str):
    return signing_hook(CREDS[name].key, CREDS[name].certificate)


@pytest.fixture(scope="module")
def signed_bus():
    shipped = load_credentials()
    creds = BusCredentials(shipped.key, shipped.certificate, PKI.ca.certificate, PKI.crl, {
        "MVD": CREDS["participant-1"].certificate, "FNS": CREDS["participant-2"].certificate,
        "MFC": CREDS["expired"].certificate, "SFR": CREDS["revoked"].certificate})
    bus = Bus(TYPES, config=BusConfig(signatures=True, ack_timeout=30), credentials=creds, clock=FakeClock())
    running = start(bus)
    yield bus, running
    running.close()


def _signature_fault(reply, reason: SignatureVerificationReason):
    assert reply.status == 500 and reply.fault is not None, reply.body
    assert reply.fault.name is FaultName.SIGNATURE_VERIFICATION_FAULT and reply.fault.reason is reason, reply.fault
    return reply.fault


def test_signed_exchange_and_bus_signatures_verify(signed_bus):
    _bus, running = signed_bus
    client, provider = BusClient(running.url, sign=_sign_as("participant-1")), \
        BusClient(running.url, sign=_sign_as("participant-2"))
    sent = client.send_request(inn_request())
    assert sent.status == 200, sent.body
    findings = verify_message(etree.fromstring(sent.body), trust=[load_credentials().ca])
    assert not [f for f in findings if f.status is Status.FAIL], findings
    got = provider.get_request()
    assert got.status == 200, got.body
    request = got.message.message.request
    findings = verify_message(etree.fromstring(got.body), trust=[load_credentials().ca, PKI.ca.certificate])
    failed = [f for f in findings if f.status is Status.FAIL]
    assert not failed, failed  # the bus's signature over Request and the sender's kept signature both hold
    assert request.sender_signature is not None
    assert provider.ack(request.data.message_id).status == 200
    assert provider.send_response(request.reply_to, m.BusinessAnswer(content=inn_response())).status == 200
    response = client.get_response()
    assert response.message.message.response.sender_signature is not None
    findings = verify_message(etree.fromstring(response.body), trust=[load_credentials().ca, PKI.ca.certificate])
    assert not [f for f in findings if f.status is Status.FAIL]


def test_unsigned_call_is_refused_with_no_signature_found(signed_bus):
    _bus, running = signed_bus
    _signature_fault(BusClient(running.url, sender="MVD").send_request(inn_request()),
                     SignatureVerificationReason.NO_SIGNATURE_FOUND)


def test_certificate_not_registered_is_sender_is_not_registered(signed_bus):
    import datetime as dt

    from conformance.crypto.issue import issue_certificate
    from conformance.crypto.keyformats import generate_private_key

    _bus, running = signed_bus
    key = generate_private_key(PKI.participants[0].key.parameter_set, seed="bus-signature-tests/stranger")
    now = dt.datetime.now(dt.UTC)
    stranger = issue_certificate(subject=[("CN", "stranger")], public_key=key.public_key, issuer_key=PKI.ca.key,
                                 issuer=PKI.ca.certificate, serial=0x5151, not_before=now - dt.timedelta(days=1),
                                 not_after=now + dt.timedelta(days=30), deterministic=True)
    reply = BusClient(running.url, sign=signing_hook(key, stranger)).send_request(inn_request())
    assert reply.fault is not None and reply.fault.name is FaultName.SENDER_IS_NOT_REGISTERED


def test_the_cas_own_certificate_may_not_sign_calls(signed_bus):
    """Its KeyUsage is keyCertSign and cRLSign: the signature holds, the certificate is no signer's."""
    _bus, running = signed_bus
    reply = BusClient(running.url, sign=_sign_as("ca")).send_request(inn_request())
    assert reply.fault is not None and reply.fault.name is FaultName.SIGNATURE_VERIFICATION_FAULT
    assert reply.fault.reason is SignatureVerificationReason.CERTIFICATE_IS_NOT_FOUND
    assert "KeyUsage" in reply.fault.faultstring


def test_tampered_content_is_signature_is_invalid(signed_bus):
    _bus, running = signed_bus
    sign = _sign_as("participant-1")

    def sign_then_tamper(envelope, operation, version):
        sign(envelope, operation, version)
        passport = envelope.find(".//{urn://x-artefacts-test/inn/1.0}Passport")
        passport.text = "9999 999999"

    fault = _signature_fault(BusClient(running.url, sign=sign_then_tamper).send_request(inn_request()),
                             SignatureVerificationReason.SIGNATURE_IS_INVALID)
    assert "SIG-DIGEST" in fault.faultstring


def test_signature_over_the_wrong_element_is_incorrect_signature_target(signed_bus):
    _bus, running = signed_bus
    sign = _sign_as("participant-1")

    def sign_then_retarget(envelope, operation, version):
        sign(envelope, operation, version)
        reference = envelope.find(".//{http://www.w3.org/2000/09/xmldsig#}Reference")
        reference.set("URI", "#ELSEWHERE")

    _signature_fault(BusClient(running.url, sign=sign_then_retarget).send_request(inn_request()),
                     SignatureVerificationReason.INCORRECT_SIGNATURE_TARGET)


@pytest.mark.parametrize("name", ["expired", "revoked"])
def test_expired_or_revoked_certificate_is_certificate_is_expired(signed_bus, name):
    _bus, running = signed_bus
    reply = BusClient(running.url, sign=_sign_as(name)).send_request(inn_request())
    fault = _signature_fault(reply, SignatureVerificationReason.CERTIFICATE_IS_EXPIRED)
    assert ("CERT-VALIDITY" if name == "expired" else "CERT-REVOCATION") in fault.faultstring


def test_certificate_of_another_ca_is_certificate_is_not_found(signed_bus):
    _bus, running = signed_bus
    bus_key, bus_cert, _ = load_credentials().key, load_credentials().certificate, None
    reply = BusClient(running.url, sign=signing_hook(bus_key, bus_cert)).send_request(inn_request())
    assert reply.fault.name is FaultName.SENDER_IS_NOT_REGISTERED  # not registered: identity comes first


def test_delivery_with_a_broken_bus_signature_fails_verification(signed_bus):
    bus, running = signed_bus
    client = BusClient(running.url, sign=_sign_as("participant-2"))
    mid = BusClient(running.url, sign=_sign_as("participant-1")).send_request(inn_request()).message.metadata.message_id
    first = client.get_request()
    assert first.message.message.request.data.message_id == mid
    bus.redeliver(mid, bad_signature=True)
    broken = client.get_request()
    assert broken.message.message.request.data.message_id == mid
    findings = verify_message(etree.fromstring(broken.body), trust=[load_credentials().ca, PKI.ca.certificate])
    assert {f.rule_id for f in findings if f.status is Status.FAIL} == {"SIG-VALUE"}
    assert client.ack(mid, accepted=False).status == 200
