"""Detached CMS signatures of attachments: round trip, and every mutation reported with its reason."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.crypto import der, oids, test_credentials
from conformance.crypto.cms import (
    CERTIFICATE_MISSING,
    DIGEST_MISMATCH,
    MALFORMED,
    SIGNATURE_INVALID,
    UNSUPPORTED_ALGORITHM,
    CmsError,
    sign_detached,
    verify_detached,
)
from conformance.crypto.pem import pem_encode
from conformance.crypto.testdata import bus_credentials

CONTENT = "вложение: выписка из реестра".encode() * 50
WHEN = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def signed() -> bytes:
    key, cert, _ = test_credentials()
    return sign_detached(CONTENT, key, cert, signing_time=WHEN)


def test_round_trip_reports_signer_and_attributes(signed, pure):
    result = verify_detached(signed, CONTENT)
    assert result.ok and not result.problems
    assert result.signer == test_credentials()[1]
    assert result.signing_time == WHEN
    assert result.expected_digest == result.actual_digest == pure.digest(CONTENT)  # no byte reversal


def test_signed_attributes_are_what_smev_expects(signed):
    signed_data = der.read(der.read(signed).children()[1].content)
    signer_info = signed_data.children()[-1].children()[0].children()
    attributes = signer_info[3]
    assert attributes.is_context(0)
    types = [attribute.children()[0].oid() for attribute in attributes.children()]
    assert sorted(types) == sorted([oids.ATTR_CONTENT_TYPE, oids.ATTR_SIGNING_TIME, oids.ATTR_MESSAGE_DIGEST])
    assert len(signed_data.children()[2].children()) == 1, "detached: no eContent"


def test_base64_and_pem_forms_verify(signed):
    import base64

    assert verify_detached(base64.b64encode(signed).decode(), CONTENT).ok
    assert verify_detached(pem_encode(signed, "CMS"), CONTENT).ok


def test_changed_content_is_a_digest_mismatch(signed):
    result = verify_detached(signed, CONTENT + b" ")
    assert result.codes() == {DIGEST_MISMATCH}
    assert "differs from Streebog-256" in result.problems[0].message


def test_reversed_message_digest_is_named(pure):
    """A signer that reversed the file hash (as for XML signatures) is told so."""
    key, cert, _ = test_credentials()
    signed = sign_detached(CONTENT, key, cert, signing_time=WHEN)
    digest = pure.digest(CONTENT)
    tampered = signed.replace(der.octet_string(digest), der.octet_string(digest[::-1]))
    result = verify_detached(tampered, CONTENT)
    assert DIGEST_MISMATCH in result.codes() and SIGNATURE_INVALID in result.codes()
    assert "byte-reversed" in next(p.message for p in result.problems if p.code == DIGEST_MISMATCH)


def test_changed_signature_value_is_invalid(signed):
    tampered = bytearray(signed)
    tampered[-5] ^= 0x40  # the signature OCTET STRING is the last element
    assert verify_detached(bytes(tampered), CONTENT).codes() == {SIGNATURE_INVALID}


def test_changed_signed_attribute_invalidates_the_signature(signed):
    tampered = signed.replace(der.time(WHEN), der.time(WHEN + dt.timedelta(seconds=1)))
    assert tampered != signed
    assert verify_detached(tampered, CONTENT).codes() == {SIGNATURE_INVALID}


def test_missing_certificate_is_reported_and_can_be_supplied():
    key, cert, _ = test_credentials()
    bare = sign_detached(CONTENT, key, cert, include_certificate=False)
    assert verify_detached(bare, CONTENT).codes() == {CERTIFICATE_MISSING}
    assert verify_detached(bare, CONTENT, certificate=cert).ok
    other = bus_credentials()[1]
    assert verify_detached(bare, CONTENT, certificate=other).codes() == {CERTIFICATE_MISSING}


def test_wrong_key_for_certificate_is_refused():
    key, _, _ = test_credentials()
    _, other, _ = bus_credentials()
    with pytest.raises(CmsError, match="does not belong"):
        sign_detached(CONTENT, key, other)


def test_obsolete_digest_is_unsupported(signed):
    tampered = signed.replace(der.oid(oids.DIGEST_STREEBOG256), der.oid("1.2.643.7.1.1.2.9"))
    assert UNSUPPORTED_ALGORITHM in verify_detached(tampered, CONTENT).codes()


@pytest.mark.parametrize("garbage", [b"", b"not cms at all", b"\x30\x03\x06\x01\x00", der.sequence(der.oid("1.2.3"))])
def test_garbage_is_malformed_not_a_traceback(garbage):
    result = verify_detached(garbage, CONTENT)
    assert result.codes() == {MALFORMED} and not result.ok


@pytest.mark.native
@settings(max_examples=5, deadline=None)
@given(content=st.binary(max_size=2000))
def test_native_signed_verifies_with_pure(native, pure, content):
    key, cert, _ = test_credentials()
    signed = sign_detached(content, key, cert, backend=native)
    assert verify_detached(signed, content, backend=pure).ok
    assert verify_detached(signed, content + b"\x00", backend=native).codes() == {DIGEST_MISMATCH}
