"""Signing then verifying round-trips for every operation x version; the real envelope verifies as it stands."""

from __future__ import annotations

from pathlib import Path

import pytest
from xmldsig_messages import AT, SIGNED_OPERATIONS, credentials, crl, outcomes, signed, statuses, trust

from conformance.crypto import get_backend
from conformance.findings import Status
from conformance.protocol.operations import SIGNATURES, Operation, locate
from conformance.xmldsig import verifier as v
from conformance.xmldsig.signer import sign_message
from conformance.xmldsig.verifier import verify_message
from conformance.xmlsafe import parse_file

REAL = str(Path(__file__).parent / "vectors" / "real" / "SendRequestRequest-1.2.xml")
CASES = [(op, version) for version in ("1.1", "1.2", "1.3") for op in SIGNED_OPERATIONS if op.exists_in(version)]


@pytest.mark.parametrize(("operation", "version"), CASES, ids=[f"{o.value}-{v}" for o, v in CASES])
def test_sign_then_verify_passes_every_rule(operation: Operation, version: str) -> None:
    tree = signed(operation, version)
    found = statuses(tree, trust=trust(), crls=crl())
    assert found[v.SIG_PRESENT] <= {"pass", "skip"}
    for rule_id in v.PER_SIGNATURE_RULES:
        assert found[rule_id] == {"pass"}, (rule_id, found[rule_id])
    signature_count = sum(1 for o in outcomes(tree) if o.rule_id == v.SIG_DIGEST)
    assert signature_count == 1
    spec = SIGNATURES[operation][0]
    wrapper = locate(tree.getroot().find(".//{*}Body")[0], spec.wrapper_path)
    assert wrapper is not None and len(wrapper) == 1  # the signature sits in the wrapper the protocol names


@pytest.mark.parametrize("version", ["1.1", "1.2", "1.3"])
def test_personal_and_system_signatures_both_verify(version: str) -> None:
    tree = signed(Operation.SEND_REQUEST, version, personal=True)
    digests = [o for o in outcomes(tree, trust=trust(), crls=crl()) if o.rule_id == v.SIG_DIGEST]
    assert [o.status for o in digests] == [Status.PASS, Status.PASS]
    targets = [o.message for o in outcomes(tree) if o.rule_id == v.SIG_REF_TARGET]
    assert any("MessagePrimaryContent/*" in message for message in targets)


def test_sender_signature_inside_a_delivered_request_verifies() -> None:
    tree = signed(Operation.GET_REQUEST_RESPONSE, "1.3")
    key, cert = credentials("participant")
    sender_spec = SIGNATURES[Operation.GET_REQUEST_RESPONSE][1]
    sign_message(tree, None, key, cert, spec=sender_spec, backend=get_backend())
    # The bus's signature covers the whole Request, so adding the sender's signature afterwards breaks it: the
    # bus signs last. Re-sign as the bus and both hold.
    smev_key, smev_cert = credentials("smev")
    sign_message(tree, None, smev_key, smev_cert, backend=get_backend())
    digests = [o.status for o in outcomes(tree) if o.rule_id == v.SIG_DIGEST]
    assert digests == [Status.PASS, Status.PASS]


def test_real_envelope_verifies_at_its_own_time_with_chain_skipped() -> None:
    findings = verify_message(parse_file(REAL), path="real.xml", at="message")
    by_rule = {f.rule_id: f for f in findings}
    for rule_id in (v.SIG_DIGEST, v.SIG_VALUE, v.SIG_REF_TARGET, v.SIG_TRANSFORMS, v.CERT_PRESENT):
        assert by_rule[rule_id].status is Status.PASS, by_rule[rule_id]
    # Valid at the message's own time, expired now: never a silent pass.
    assert by_rule[v.CERT_VALIDITY].status is Status.WARN, by_rule[v.CERT_VALIDITY]
    assert "the message's own time from SenderProvidedRequestData/MessageID" in by_rule[v.CERT_VALIDITY].message
    assert by_rule[v.CERT_CHAIN].status is Status.SKIP
    assert "no trust anchor" in by_rule[v.CERT_CHAIN].message


def test_real_envelope_certificate_expired_now() -> None:
    findings = verify_message(parse_file(REAL), at=AT)
    validity = next(f for f in findings if f.rule_id == v.CERT_VALIDITY)
    assert validity.status is Status.FAIL and "CertificateIsExpired" in validity.message


@pytest.mark.native
def test_pure_and_native_backends_agree() -> None:
    tree = signed(Operation.SEND_REQUEST, "1.3", backend_name="pure")
    for name in ("pure", "native"):
        found = statuses(tree, backend=get_backend(name))
        assert found[v.SIG_VALUE] == {"pass"} and found[v.SIG_DIGEST] == {"pass"}, name
    real = parse_file(REAL)
    assert statuses(real, backend=get_backend("pure"))[v.SIG_VALUE] == {"pass"}


@pytest.mark.parametrize("backend_name", [pytest.param("native", marks=pytest.mark.native), "pure"])
def test_gost_2012_512_keys_sign_with_the_512_algorithms(backend_name: str) -> None:
    from lxml import etree
    from xmldsig_messages import message

    from conformance.crypto import generate_private_key, oids
    from conformance.crypto.issue import issue_certificate
    from conformance.protocol.builder import build
    from conformance.xmldsig import constants as c
    from conformance.xmlsafe import parse_bytes

    ca_key, ca_cert = credentials("ca")
    key = generate_private_key(oids.TC26_512_A, seed=512)
    cert = issue_certificate(subject=[("CN", "512-bit signer")], public_key=key.public_key, issuer_key=ca_key,
                             issuer=ca_cert, serial=512, not_before=ca_cert.not_before, not_after=ca_cert.not_after,
                             deterministic=True)
    tree = parse_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    backend = get_backend(backend_name)
    sign_message(tree, None, key, cert, backend=backend)
    tree = parse_bytes(etree.tostring(tree))
    assert tree.find(f".//{{{c.DS_NS}}}SignatureMethod").get("Algorithm") == c.SIG_GOST2012_512
    found = statuses(tree, trust=trust(), backend=backend)
    for rule_id in (v.SIG_ALG, v.SIG_DIGEST, v.SIG_VALUE, v.CERT_PRESENT, v.CERT_CHAIN):
        assert found[rule_id] == {"pass"}, rule_id


def test_signing_hook_signs_what_the_builder_builds() -> None:
    from xmldsig_messages import message

    from conformance.protocol.builder import build
    from conformance.xmldsig.signer import signing_hook
    from conformance.xmlsafe import parse_bytes

    key, cert = credentials("participant")
    data = build(message(Operation.SEND_REQUEST), "1.2", sign=signing_hook(key, cert, personal=True,
                                                                           backend=get_backend()))
    found = [o for o in outcomes(parse_bytes(data)) if o.rule_id in (v.SIG_DIGEST, v.SIG_VALUE)]
    assert len(found) == 4 and all(o.status is Status.PASS for o in found)


def test_sign_message_takes_the_operation_by_name() -> None:
    from xmldsig_messages import message

    from conformance.protocol.builder import build
    from conformance.xmlsafe import parse_bytes

    key, cert = credentials("participant")
    tree = parse_bytes(build(message(Operation.ACK), "1.3"))
    sign_message(tree, "Ack", key, cert, backend=get_backend())
    assert statuses(tree)[v.SIG_VALUE] == {"pass"}
