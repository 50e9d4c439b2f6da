"""Each diagnosis has a test: produce the mistaken signature deliberately, assert the finding names the mistake."""

from __future__ import annotations

import base64
import copy

import pytest
from lxml import etree
from xmldsig_messages import AT, credentials, message, reparse, trust

from conformance.crypto import PublicKey, get_backend
from conformance.crypto.issue import issue_certificate
from conformance.findings import Status
from conformance.protocol.builder import build
from conformance.protocol.operations import Operation
from conformance.xmldsig import constants as c
from conformance.xmldsig import verifier as v
from conformance.xmldsig.c14n import exc_c14n, inclusive_c14n
from conformance.xmldsig.pipeline import apply_transforms
from conformance.xmldsig.signer import sign_message
from conformance.xmldsig.transform import smev_transform
from conformance.xmldsig.verifier import VerifyOptions, verify_message, verify_tree
from conformance.xmlsafe import parse_bytes

NATIVE = get_backend()  # the fastest backend here (native when installed): these tests need one to sign
DS = {"ds": c.DS_NS}


def _message(pretty: bool = False, personal: bool = False) -> etree._ElementTree:
    """A SendRequest signed correctly (personal signature inside when asked); pretty-printed before signing."""
    tree = parse_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    if pretty:
        etree.indent(tree)
        tree = reparse(tree)
    key, cert = credentials("participant")
    if personal:
        sign_message(tree, None, key, cert, personal=True, backend=NATIVE)
    sign_message(tree, None, key, cert, backend=NATIVE)
    return tree


def _caller_signature(tree) -> etree._Element:
    return tree.xpath("//*[local-name()='CallerInformationSystemSignature']/ds:Signature", namespaces=DS)[0]


def _resign(signature: etree._Element, *, digest_bytes: bytes | None = None,
            signature_value: bytes | None = None) -> None:
    """Replace the DigestValue and re-sign SignedInfo correctly (or put `signature_value` as given)."""
    key = credentials("participant")[0]
    info = signature.find(f"{{{c.DS_NS}}}SignedInfo")
    if digest_bytes is not None:
        info.find(f".//{{{c.DS_NS}}}DigestValue").text = base64.b64encode(digest_bytes).decode()
    if signature_value is None:
        signature_value = NATIVE.sign(key, NATIVE.digest(exc_c14n(info)))
    signature.find(f"{{{c.DS_NS}}}SignatureValue").text = base64.b64encode(signature_value).decode()


def _finding(tree, rule_id: str, **options):
    options.setdefault("at", AT)
    options.setdefault("backend", NATIVE)
    found = [o for o in verify_tree(tree, VerifyOptions(**options)) if o.rule_id == rule_id]
    assert len(found) >= 1
    return found[-1]  # the caller's signature is the last one of a SendRequest


def _target(tree) -> etree._Element:
    return tree.xpath("//*[@Id='SIGNED_BY_CONSUMER']")[0]


DIGEST_MISTAKES = {
    "no SMEV transform": (False, False, lambda el, sig: exc_c14n(el)),
    "inclusive instead of exclusive c14n": (False, False, lambda el, sig: inclusive_c14n(el)),
    "the other escaping mode of the SMEV transform (plain)": (
        False, False, lambda el, sig: smev_transform(el, escaping="plain")),
    "whitespace-only text left in": (True, False, lambda el, sig: smev_transform(el, keep_whitespace=True)),
    "an enveloped-signature transform added": (False, True, lambda el, sig: apply_transforms(
        el, (c.ENVELOPED, *c.SMEV_TRANSFORMS), signature=sig, enveloped_removes_all=True)),
}


@pytest.mark.parametrize("mistake", sorted(DIGEST_MISTAKES))
def test_digest_mistake_is_named(mistake: str) -> None:
    pretty, personal, produce = DIGEST_MISTAKES[mistake]
    tree = _message(pretty=pretty, personal=personal)
    signature = _caller_signature(tree)
    _resign(signature, digest_bytes=NATIVE.digest(produce(_target(tree), signature)))
    assert _finding(tree, v.SIG_VALUE).status is Status.PASS  # only the digest is wrong
    finding = _finding(tree, v.SIG_DIGEST)
    assert finding.status is Status.FAIL
    assert mistake in finding.message, finding.message
    details = dict(finding.details)
    assert details["transformed"].startswith("<ns1:SenderProvidedRequestData")  # what was canonicalised is shown
    assert mistake in details["diagnosis"]


def test_reversed_digest_bytes_are_named() -> None:
    tree = _message()
    signature = _caller_signature(tree)
    _resign(signature, digest_bytes=NATIVE.digest(smev_transform(_target(tree)))[::-1])
    assert "reverse order" in _finding(tree, v.SIG_DIGEST).message


def test_digest_over_a_changed_content_names_no_mistake() -> None:
    tree = _message()
    _target(tree).xpath(".//*[local-name()='Number']")[0].text = "1"
    finding = _finding(tree, v.SIG_DIGEST)
    assert "changed after signing" in finding.message
    assert "none of the usual mistakes" in dict(finding.details)["diagnosis"]


def _rs(value: bytes) -> bytes:
    return value[32:] + value[:32]


SIGNATURE_MISTAKES = {
    "r‖s instead of s‖r": lambda key, info: _rs(NATIVE.sign(key, NATIVE.digest(exc_c14n(info)))),
    "the digest read as a big-endian integer": lambda key, info: NATIVE.sign(key, NATIVE.digest(exc_c14n(info))[::-1]),
    "r‖s instead of s‖r and the digest read as a big-endian integer": lambda key, info: _rs(
        NATIVE.sign(key, NATIVE.digest(exc_c14n(info))[::-1])),
    "SignedInfo canonicalised with inclusive instead of exclusive c14n": lambda key, info: NATIVE.sign(
        key, NATIVE.digest(inclusive_c14n(info))),
}


@pytest.mark.parametrize("mistake", sorted(SIGNATURE_MISTAKES))
def test_signature_convention_mistake_is_named(mistake: str) -> None:
    tree = _message()
    signature = _caller_signature(tree)
    info = signature.find(f"{{{c.DS_NS}}}SignedInfo")
    _resign(signature, signature_value=SIGNATURE_MISTAKES[mistake](credentials("participant")[0], info))
    finding = _finding(tree, v.SIG_VALUE)
    assert finding.status is Status.FAIL
    assert mistake in finding.message, finding.message
    assert _finding(tree, v.SIG_DIGEST).status is Status.PASS


def test_an_indented_signed_info_that_was_signed_then_flattened() -> None:
    tree = _message()
    signature = _caller_signature(tree)
    info = signature.find(f"{{{c.DS_NS}}}SignedInfo")
    pretty = copy.deepcopy(info)
    etree.indent(pretty, space="    ", level=5)  # as a pretty-printer leaves it at its depth in the envelope
    _resign(signature, signature_value=NATIVE.sign(credentials("participant")[0], NATIVE.digest(exc_c14n(pretty))))
    finding = _finding(tree, v.SIG_VALUE)
    assert "an indented SignedInfo was signed (4 spaces, level 5)" in finding.message


def test_signed_info_indented_after_signing() -> None:
    tree = _message()
    etree.indent(_caller_signature(tree).find(f"{{{c.DS_NS}}}SignedInfo"), space="\t")
    finding = _finding(reparse(tree), v.SIG_VALUE)
    assert "indented after signing" in finding.message


def test_big_endian_public_key_is_named() -> None:
    """The signer's certificate carries X‖Y big-endian: verifying with the key read little-endian fails."""
    key, _ = credentials("participant")
    ca_key, ca_cert = credentials("ca")
    true_key = key.public_key
    wrong = PublicKey.from_bytes(true_key.to_bytes("big"), true_key.parameter_set, "little", true_key.digest_oid)
    cert = issue_certificate(subject=[("CN", "big-endian signer")], public_key=wrong, issuer_key=ca_key,
                             issuer=ca_cert, serial=77, not_before=ca_cert.not_before, not_after=ca_cert.not_after,
                             deterministic=True)
    tree = parse_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    sign_message(tree, None, key, cert, backend=NATIVE)
    finding = _finding(tree, v.SIG_VALUE)
    assert "the public key's X and Y big-endian" in finding.message, finding.message
    assert "big-endian instead of little-endian" in _finding(tree, v.CERT_PRESENT).message


def test_a_signature_of_another_key_names_no_convention() -> None:
    tree = _message()
    other = credentials("smev")[0]
    signature = _caller_signature(tree)
    _resign(signature, signature_value=NATIVE.sign(other, NATIVE.digest(exc_c14n(
        signature.find(f"{{{c.DS_NS}}}SignedInfo")))))
    finding = _finding(tree, v.SIG_VALUE)
    assert "another key" in finding.message
    assert "none of the usual mistakes" in dict(finding.details)["diagnosis"]


def test_findings_locate_the_element_and_carry_the_rule() -> None:
    tree = _message()
    _target(tree).xpath(".//*[local-name()='Number']")[0].text = "1"
    findings = verify_message(reparse(tree), at=AT, backend=NATIVE, trust=trust(), path="m.xml")
    digest = next(f for f in findings if f.rule_id == v.SIG_DIGEST)
    assert digest.location.file == "m.xml" and digest.location.line is not None
    assert digest.location.xpath.endswith("DigestValue")


def test_a_digest_of_the_wrong_size_is_named() -> None:
    tree = _message()
    signature = _caller_signature(tree)
    _resign(signature, digest_bytes=NATIVE.digest(smev_transform(_target(tree)), 512))
    assert "512-bit digest where DigestMethod names a 256-bit one" in _finding(tree, v.SIG_DIGEST).message
