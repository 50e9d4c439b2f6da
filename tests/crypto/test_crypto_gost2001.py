"""GOST R 34.10-2001 / 34.11-94: the withdrawn algorithms are verified in full (pure and native), with a warning.

The pure GOST R 34.11-94 is checked against the standard's published CryptoPro vectors and, on any input, against
OpenSSL's `md_gost94` (the native oracle); a real 2001-signed SMEV message verifies with both backends, and a 2001
signature made here from the test PKI's key verifies, and fails on one changed byte.
"""

from __future__ import annotations

import base64
import copy
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.crypto import der, oids
from conformance.crypto.certificates import parse_certificate
from conformance.crypto.gost3410 import sign_digest
from conformance.crypto.gost341194 import gost341194
from conformance.crypto.signed import sign_tbs
from conformance.protocol.operations import Operation
from conformance.xmldsig import constants as c
from conformance.xmldsig import verifier as v
from conformance.xmldsig.c14n import exc_c14n
from conformance.xmldsig.pipeline import apply_transforms
from conformance.xmldsig.verifier import VerifyOptions, verify_tree
from conformance.xmlsafe import parse_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "xmldsig"))
from xmldsig_messages import AT, credentials, signed  # noqa: E402

REAL = Path(__file__).resolve().parents[1] / "vectors" / "real-traffic" / "sm3-habr-SendRequestRequest-1.1-gost2001.xml"
REAL_AT = "2015-08-06T07:30:00+00:00"  # its MessageID was made at 2015-08-06T07:00:43Z
DS = {"ds": c.DS_NS}

# The standard's examples with the CryptoPro parameters (as published with RFC 5831's parameter set).
VECTORS = {
    b"": "981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0",
    b"a": "e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011",
    b"abc": "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c",
    b"message digest": "bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0",
}


@pytest.mark.parametrize(("data", "expected"), VECTORS.items(), ids=[repr(k) for k in VECTORS])
def test_gost341194_published_vectors(data, expected):
    assert gost341194(data).hex() == expected


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_gost341194_equals_openssl_md_gost94(native, data):
    # OpenSSL's engine is the independent implementation; it differs from the standard on the empty input only.
    if native._ssl.gost94 is None:
        pytest.skip("this OpenSSL GOST provider offers no md_gost94")
    assert native.digest_gost94(data) == gost341194(data)


@pytest.mark.parametrize("backend_name", ["pure", "native"])
def test_real_gost2001_message_verifies(request, backend_name):
    backend = request.getfixturevalue(backend_name)
    from datetime import datetime

    found = {(o.rule_id, o.status.value) for o in verify_tree(
        parse_file(REAL), VerifyOptions(at=datetime.fromisoformat(REAL_AT), backend=backend))}
    for rule in (v.SIG_ALG, v.SIG_DIGEST, v.SIG_VALUE, v.CERT_PRESENT, v.CERT_VALIDITY):
        assert (rule, "pass") in found, rule
    assert (v.SIG_ALG_CURRENT, "warn") in found
    assert not [rule for rule, status in found if status == "fail"]


def _legacy_certificate():
    """The test participant's certificate with its key re-labelled GOST R 34.10-2001 (its curve is CryptoPro-XchA,
    one of the 2001 curves, so the very same point is a valid 2001 key)."""
    key, cert = credentials("participant")
    fields = der.read(cert.tbs_der).children()
    spki = der.sequence(
        der.sequence(der.oid(oids.KEY_GOST2001), der.sequence(der.oid(key.parameter_set), der.oid(oids.DIGEST_GOST94))),
        der.bit_string(der.octet_string(key.public_key.to_bytes())))
    tbs = der.sequence(*(spki if index == 6 else field.raw for index, field in enumerate(fields)))
    return key, parse_certificate(sign_tbs(tbs, key))


def _signed_2001(tamper: bool = False):
    """A SendRequest signed with GOST R 34.10-2001 / 34.11-94, made by hand from the test PKI's key."""
    key, legacy = _legacy_certificate()
    tree = signed(Operation.SEND_REQUEST, "1.3")
    signature = tree.xpath("//ds:Signature", namespaces=DS)[0]
    signature.find(f"{{{c.DS_NS}}}SignedInfo/{{{c.DS_NS}}}SignatureMethod").set("Algorithm", c.SIG_GOST2001)
    reference = signature.find(f"{{{c.DS_NS}}}SignedInfo/{{{c.DS_NS}}}Reference")
    reference.find(f"{{{c.DS_NS}}}DigestMethod").set("Algorithm", c.DIGEST_GOST94)
    target = tree.xpath("//*[@Id='SIGNED_BY_CONSUMER']")[0]
    transformed = apply_transforms(target, c.SMEV_TRANSFORMS, signature=signature)
    reference.find(f"{{{c.DS_NS}}}DigestValue").text = base64.b64encode(gost341194(transformed)).decode()
    value = sign_digest(key, gost341194(exc_c14n(signature.find(f"{{{c.DS_NS}}}SignedInfo"))))
    signature.find(f"{{{c.DS_NS}}}SignatureValue").text = base64.b64encode(value).decode()
    signature.xpath(".//ds:X509Certificate", namespaces=DS)[0].text = base64.b64encode(legacy.der).decode()
    if tamper:
        number = tree.xpath("//*[local-name()='Number']")[0]
        number.text = number.text[:-1] + ("8" if number.text[-1] != "8" else "9")
    return etree.ElementTree(copy.deepcopy(tree.getroot()))


def _statuses(tree, backend) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for outcome in verify_tree(tree, VerifyOptions(at=AT, backend=backend)):
        found.setdefault(outcome.rule_id, set()).add(outcome.status.value)
    return found


@pytest.mark.parametrize("backend_name", ["pure", "native"])
def test_made_gost2001_signature_verifies_and_warns(request, backend_name):
    found = _statuses(_signed_2001(), request.getfixturevalue(backend_name))
    assert found[v.SIG_DIGEST] == found[v.SIG_VALUE] == found[v.CERT_PRESENT] == {"pass"}
    assert found[v.SIG_ALG_CURRENT] == {"warn"}


def test_changed_content_fails_the_gost94_digest(pure):
    found = _statuses(_signed_2001(tamper=True), pure)
    assert found[v.SIG_DIGEST] == {"fail"} and found[v.SIG_VALUE] == {"pass"}


def test_a_2012_key_under_a_2001_signature_method_is_named(pure):
    tree = _signed_2001()
    _, cert = credentials("participant")
    tree.xpath("//ds:X509Certificate", namespaces=DS)[0].text = base64.b64encode(cert.der).decode()
    outcomes = [o for o in verify_tree(tree, VerifyOptions(at=AT, backend=pure)) if o.rule_id == v.CERT_PRESENT]
    assert [o.status.value for o in outcomes] == ["fail"]
    assert "GOST R 34.10-2012 key but SignatureMethod is GOST R 34.10-2001" in outcomes[0].message


def _cms_2001(content: bytes, *, digest_oid: str = oids.DIGEST_GOST94) -> bytes:
    """A detached CMS SignedData over `content`, GOST R 34.10-2001 / 34.11-94, built field by field (RFC 5652)."""
    key, legacy = _legacy_certificate()

    def attribute(oid: str, value: bytes) -> bytes:
        return der.sequence(der.oid(oid), der.set_of(value))

    signed_attributes = der.set_of(attribute(oids.ATTR_CONTENT_TYPE, der.oid(oids.CONTENT_DATA)),
                                   attribute(oids.ATTR_MESSAGE_DIGEST, der.octet_string(gost341194(content))))
    signature = sign_digest(key, gost341194(signed_attributes))
    signer_info = der.sequence(der.integer(1), der.sequence(legacy.issuer_der, der.integer(legacy.serial)),
                               der.sequence(der.oid(digest_oid)), b"\xa0" + signed_attributes[1:],
                               der.sequence(der.oid(oids.KEY_GOST2001)), der.octet_string(signature))
    body = der.sequence(der.integer(1), der.set_of(der.sequence(der.oid(digest_oid))),
                        der.sequence(der.oid(oids.CONTENT_DATA)), der.context(0, legacy.der), der.set_of(signer_info))
    return der.sequence(der.oid(oids.CONTENT_SIGNED_DATA), der.context(0, body))


@pytest.mark.parametrize("backend_name", ["pure", "native"])
def test_a_gost2001_attachment_signature_verifies(request, backend_name):
    from conformance.crypto.cms import DIGEST_MISMATCH, UNSUPPORTED_ALGORITHM, verify_detached

    backend = request.getfixturevalue(backend_name)
    content = b"PK\x03\x04 an old archive attachment"
    assert verify_detached(_cms_2001(content), content, backend=backend).ok
    assert DIGEST_MISMATCH in verify_detached(_cms_2001(content), content + b"!", backend=backend).codes()
    mixed = _cms_2001(content, digest_oid=oids.DIGEST_STREEBOG256)  # a 2001 key with Streebog: no such pair
    assert UNSUPPORTED_ALGORITHM in verify_detached(mixed, content, backend=backend).codes()


def test_an_indented_gost2001_signed_info_is_diagnosed_with_the_2001_hash(pure):
    tree = _signed_2001()
    signed_info = tree.xpath("//ds:SignedInfo", namespaces=DS)[0]
    for child in signed_info:
        child.tail = "\n  "
    signed_info.text = "\n  "
    outcomes = [o for o in verify_tree(tree, VerifyOptions(at=AT, backend=pure)) if o.rule_id == v.SIG_VALUE]
    assert [o.status.value for o in outcomes] == ["fail"]
    assert "indented after signing" in outcomes[0].message
