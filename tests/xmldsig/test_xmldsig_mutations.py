"""Every mutation of a signed message fails with a finding that names it; wrapping tricks are caught."""

from __future__ import annotations

import base64
import copy
from datetime import timedelta

import pytest
from lxml import etree
from xmldsig_messages import AT, credentials, crl, failures, outcomes, reparse, signed, statuses, trust

from conformance.crypto import get_backend
from conformance.protocol.operations import Operation
from conformance.xmldsig import constants as c
from conformance.xmldsig import verifier as v
from conformance.xmldsig.signer import sign_message

DS = {"ds": c.DS_NS}


def _one(tree, xpath: str):
    found = tree.xpath(xpath, namespaces=DS)
    assert len(found) == 1, xpath
    return found[0]


def _signed():
    return signed(Operation.SEND_REQUEST, "1.3")


def test_unmutated_message_has_no_failure() -> None:
    assert failures(_signed(), trust=trust(), crls=crl()) == {}


def test_one_byte_of_content() -> None:
    tree = _signed()
    number = _one(tree, "//*[local-name()='Number']")
    number.text = number.text[:-1] + "8"
    found = failures(tree)
    assert set(found) == {v.SIG_DIGEST}
    assert "changed after signing" in found[v.SIG_DIGEST]


def test_the_id_of_the_signed_element() -> None:
    tree = _signed()
    _one(tree, "//*[@Id='SIGNED_BY_CONSUMER']").set("Id", "SIGNED_BY_SOMEONE")
    found = failures(tree)
    assert "resolves to nothing" in found[v.SIG_REF_RESOLVES]
    assert "IncorrectSignatureTarget" in found[v.SIG_REF_TARGET]


def test_the_reference_uri() -> None:
    tree = _signed()
    _one(tree, "//*[local-name()='MessagePrimaryContent']").set("Id", "OTHER")
    _one(tree, "//ds:Reference").set("URI", "#OTHER")
    found = failures(tree)
    assert "IncorrectSignatureTarget" in found[v.SIG_REF_TARGET]
    assert "MessagePrimaryContent" in found[v.SIG_REF_TARGET]
    assert v.SIG_VALUE in found  # the Reference is inside SignedInfo
    assert v.SIG_DIGEST in found


def test_the_certificate() -> None:
    tree = _signed()
    other = credentials("smev")[1]
    _one(tree, "//ds:X509Certificate").text = base64.b64encode(other.der).decode()
    found = failures(tree, trust=trust())
    assert set(found) == {v.SIG_VALUE}
    assert "another key" in found[v.SIG_VALUE]


def test_the_order_of_transforms() -> None:
    tree = _signed()
    transforms = _one(tree, "//ds:Transforms")
    first = transforms[0]
    transforms.remove(first)
    transforms.append(first)
    found = failures(tree)
    assert "wrong order" in found[v.SIG_TRANSFORMS]
    assert v.SIG_VALUE in found


def test_an_indent_in_signed_info() -> None:
    tree = _signed()
    info = _one(tree, "//ds:SignedInfo")
    etree.indent(info, space="  ", level=5)
    tree = reparse(tree)
    found = failures(tree)
    assert "indented after signing" in found[v.SIG_VALUE]
    assert v.SIG_LAYOUT in found and v.SIG_DIGEST not in found


def test_the_signature_value() -> None:
    tree = _signed()
    value = _one(tree, "//ds:SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[5] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    assert set(failures(tree)) == {v.SIG_VALUE}


def test_wrapping_with_a_duplicate_id() -> None:
    """The attacker keeps the signed original (in the Header) and puts a forged element with the same Id in the body."""
    tree = _signed()
    original = _one(tree, "//*[@Id='SIGNED_BY_CONSUMER']")
    header = _one(tree, "/*/*[local-name()='Header']")
    header.append(copy.deepcopy(original))
    _one(tree, "//*[local-name()='Body']//*[local-name()='Number']").text = "000000"
    found = failures(reparse(tree))
    assert "resolves to 2 elements" in found[v.SIG_REF_RESOLVES]
    assert "signature-wrapping" in found[v.SIG_REF_RESOLVES]


def test_wrapping_with_a_copy_outside_the_signed_position() -> None:
    """The signed original moves to the Header with its Id; the forged body element carries another Id."""
    tree = _signed()
    original = _one(tree, "//*[@Id='SIGNED_BY_CONSUMER']")
    header = _one(tree, "/*/*[local-name()='Header']")
    header.append(copy.deepcopy(original))
    original.set("Id", "FORGED")
    found = failures(reparse(tree))
    assert v.SIG_DIGEST not in found  # the reference still digests correctly: only the position gives it away
    assert "signature wrapping" in found[v.SIG_REF_TARGET]
    assert "Header" in found[v.SIG_REF_TARGET]


def test_missing_signature() -> None:
    tree = _signed()
    wrapper = _one(tree, "//*[local-name()='CallerInformationSystemSignature']")
    wrapper.getparent().remove(wrapper)
    found = failures(tree)
    assert "NoSignatureFound" in found[v.SIG_PRESENT]


def test_signature_in_a_foreign_wrapper() -> None:
    tree = _signed()
    signature = _one(tree, "//ds:Signature")
    header = _one(tree, "/*/*[local-name()='Header']")
    header.append(signature)
    found = failures(tree)
    assert "not a signature wrapper" in found[v.SIG_POSITION]
    assert "NoSignatureFound" in found[v.SIG_PRESENT]


def test_expired_and_not_yet_valid_certificates() -> None:
    cert = credentials("participant")[1]
    later = failures(_signed(), at=cert.not_after + timedelta(days=1))
    assert "expired" in later[v.CERT_VALIDITY]
    earlier = failures(_signed(), at=cert.not_before - timedelta(days=1))
    assert "not yet valid" in earlier[v.CERT_VALIDITY]


def test_revoked_certificate() -> None:
    tree = signed(Operation.SEND_REQUEST, "1.3", signer="revoked")
    found = failures(tree, trust=trust(), crls=crl(), at=AT + timedelta(days=3650))
    assert "revoked" in found[v.CERT_REVOCATION]
    assert statuses(_signed(), trust=trust(), crls=crl())[v.CERT_REVOCATION] == {"pass"}


def test_untrusted_chain() -> None:
    found = failures(_signed(), trust=(credentials("smev")[1],))
    assert "does not chain" in found[v.CERT_CHAIN]
    assert statuses(_signed())[v.CERT_CHAIN] == {"skip"}


def test_obsolete_algorithms_warn() -> None:
    tree = _signed()
    _one(tree, "//ds:SignatureMethod").set("Algorithm", c.SIG_GOST2001)
    _one(tree, "//ds:DigestMethod").set("Algorithm", c.DIGEST_GOST94)
    found = statuses(tree)
    assert found[v.SIG_ALG_CURRENT] == {"warn"}
    assert found[v.SIG_ALG] == {"pass"}


def test_unknown_algorithm_and_inclusive_canonicalization() -> None:
    tree = _signed()
    _one(tree, "//ds:SignatureMethod").set("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
    _one(tree, "//ds:CanonicalizationMethod").set("Algorithm", c.C14N_10)
    found = failures(tree)
    assert "not a GOST algorithm" in found[v.SIG_ALG]
    assert "exclusive c14n" in found[v.SIG_C14N]


def test_two_references_are_malformed() -> None:
    tree = _signed()
    reference = _one(tree, "//ds:Reference")
    reference.addnext(copy.deepcopy(reference))
    found = failures(tree)
    assert "2 ds:Reference" in found[v.SIG_STRUCTURE]


def test_a_signature_inside_the_business_content_is_not_judged() -> None:
    tree = _signed()
    business = _one(tree, "//*[local-name()='InnRequest']")
    business.append(copy.deepcopy(_one(tree, "//ds:Signature")))  # a payload that carries its own signature
    key, cert = credentials("participant")
    sign_message(tree, None, key, cert, backend=get_backend())
    found = failures(tree)
    assert found == {}
    skipped = [o for o in outcomes(tree) if o.rule_id == v.SIG_POSITION and o.status.value == "skip"]
    assert len(skipped) == 1 and "payload" in skipped[0].message


HOSTILE = {
    "empty signature": ("//ds:Signature", lambda e: [e.remove(child) for child in list(e)], v.SIG_STRUCTURE),
    "reference without URI": ("//ds:Reference", lambda e: e.attrib.pop("URI"), v.SIG_REF_RESOLVES),
    "xpointer reference": ("//ds:Reference", lambda e: e.set("URI", "#xpointer(id('SIGNED_BY_CONSUMER'))"),
                           v.SIG_REF_RESOLVES),
    "digest not base64": ("//ds:DigestValue", lambda e: setattr(e, "text", "%%%"), v.SIG_DIGEST),
    "signature value not base64": ("//ds:SignatureValue", lambda e: setattr(e, "text", "!!"), v.SIG_VALUE),
    "short signature value": ("//ds:SignatureValue", lambda e: setattr(e, "text", "AAAA"), v.SIG_VALUE),
    "certificate garbage": ("//ds:X509Certificate", lambda e: setattr(e, "text", "MIIB"), v.CERT_PRESENT),
    "no key info": ("//ds:KeyInfo", lambda e: e.getparent().remove(e), v.CERT_PRESENT),
    "transform without algorithm": ("//ds:Transform", lambda e: e.attrib.pop("Algorithm"), v.SIG_TRANSFORMS),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_signature_shapes_give_findings_not_tracebacks(name: str) -> None:
    xpath, mutate, rule_id = HOSTILE[name]
    tree = _signed()
    mutate(tree.xpath(xpath, namespaces=DS)[0])
    assert rule_id in failures(tree)
