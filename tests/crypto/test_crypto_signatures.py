"""GOST R 34.10-2012 signatures with SMEV's conventions: a real signed envelope, cross-backend signing, and the
convention variants the diagnostics use to name an integrator's mistake."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance import xmlsafe
from conformance.crypto import (
    PublicKey,
    generate_private_key,
    get_backend,
    load_certificate,
    oids,
    verify_with_conventions,
)
from conformance.crypto.gost3410 import SignatureInputError, deterministic_nonce, sign_digest

REAL_ENVELOPE = str(Path(__file__).resolve().parents[1] / "xmldsig" / "vectors" / "real" / "SendRequestRequest-1.2.xml")
DS = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
PARAMETER_SETS = [oids.CRYPTOPRO_XCHA, oids.CRYPTOPRO_B, oids.TC26_256_A, oids.TC26_512_A, oids.TC26_512_C]


@pytest.fixture(scope="module")
def real_signature():
    """(c14n of SignedInfo, SignatureValue bytes, certificate) of the real SMEV test-environment envelope."""
    root = xmlsafe.parse_file(REAL_ENVELOPE).getroot()
    signed_info = root.find(".//ds:SignedInfo", DS)
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
    value = base64.b64decode(root.find(".//ds:SignatureValue", DS).text)
    certificate = load_certificate(root.find(".//ds:X509Certificate", DS).text)
    return canonical, value, certificate


def test_real_envelope_certificate_key(real_signature):
    _, _, certificate = real_signature
    key = certificate.public_key
    assert key.parameter_set == oids.CRYPTOPRO_XCHA and key.bits == 256 and key.is_on_curve()


@pytest.mark.parametrize("backend_name", ["pure", pytest.param("native", marks=pytest.mark.native)])
def test_real_envelope_signature_verifies(request, real_signature, backend_name):
    backend = request.getfixturevalue(backend_name)
    canonical, value, certificate = real_signature
    digest = backend.digest(canonical)
    assert backend.verify(certificate.public_key, digest, value)
    tampered = canonical.replace(b"SIGNED_BY_CONSUMER", b"SIGNED_BY_CONSUMEr")
    assert not backend.verify(certificate.public_key, backend.digest(tampered), value)


def test_real_envelope_fails_under_every_wrong_convention(pure, real_signature):
    canonical, value, certificate = real_signature
    digest = pure.digest(canonical)
    assert verify_with_conventions(certificate.public_key, digest, value)
    assert not verify_with_conventions(certificate.public_key, digest, value, order="rs")
    assert not verify_with_conventions(certificate.public_key, digest, value, digest_endianness="be")
    assert not verify_with_conventions(certificate.public_key, digest, value, key_endianness="be")


def _rs(signature: bytes) -> bytes:
    half = len(signature) // 2
    return signature[half:] + signature[:half]


def test_each_convention_mistake_is_recognised_by_name():
    """A signer that made exactly one mistake verifies under exactly that convention."""
    key = generate_private_key(seed="conventions")
    digest = bytes(range(32))
    public = key.public_key
    correct = sign_digest(key, digest, nonce=12345)
    assert verify_with_conventions(public, digest, correct)
    # r‖s instead of s‖r
    assert verify_with_conventions(public, digest, _rs(correct), order="rs")
    assert not verify_with_conventions(public, digest, _rs(correct))
    # the digest not reversed: the signer computed over the big-endian integer
    unreversed = sign_digest(key, digest[::-1], nonce=12345)
    assert verify_with_conventions(public, digest, unreversed, digest_endianness="be")
    assert not verify_with_conventions(public, digest, unreversed)
    # the certificate holds X‖Y big-endian: reading it correctly (little-endian) gives a wrong point
    as_published = PublicKey.from_bytes(public.to_bytes("big"), public.parameter_set, "little")
    assert verify_with_conventions(as_published, digest, correct, key_endianness="be")
    assert not verify_with_conventions(as_published, digest, correct)


@pytest.mark.parametrize("parameter_set", PARAMETER_SETS)
def test_pure_signatures_round_trip_and_bind_the_digest(pure, parameter_set):
    key = generate_private_key(parameter_set, seed=parameter_set)
    digest = pure.digest(b"message", key.bits)
    signature = pure.sign(key, digest)
    assert len(signature) == key.bits // 4
    assert pure.verify(key.public_key, digest, signature)
    assert not pure.verify(key.public_key, pure.digest(b"massage", key.bits), signature)
    other = generate_private_key(parameter_set, seed="other")
    assert not pure.verify(other.public_key, digest, signature)


@pytest.mark.native
@pytest.mark.parametrize("parameter_set", PARAMETER_SETS)
def test_each_backend_verifies_the_others_signatures(pure, native, parameter_set):
    key = generate_private_key(parameter_set, seed=f"cross/{parameter_set}")
    digest = native.digest(b"cross-check " + parameter_set.encode(), key.bits)
    assert pure.verify(key.public_key, digest, native.sign(key, digest))
    assert native.verify(key.public_key, digest, pure.sign(key, digest))


@pytest.mark.native
@settings(max_examples=6, deadline=None)
@given(message=st.binary(max_size=200), seed=st.integers(0, 2**32),
       parameter_set=st.sampled_from([oids.CRYPTOPRO_XCHA, oids.TC26_256_A, oids.TC26_512_B]),
       flip=st.integers(0, 63))
def test_cross_backend_random_messages_and_keys(pure, native, message, seed, parameter_set, flip):
    key = generate_private_key(parameter_set, seed=seed)
    digest = pure.digest(message, key.bits)
    by_native = native.sign(key, digest)
    by_pure = pure.sign(key, digest)
    assert pure.verify(key.public_key, digest, by_native)
    assert native.verify(key.public_key, digest, by_pure)
    corrupted = bytearray(by_pure)
    corrupted[flip] ^= 0x01
    assert not native.verify(key.public_key, digest, bytes(corrupted))


@pytest.mark.parametrize("backend_name", ["pure", pytest.param("native", marks=pytest.mark.native)])
def test_malformed_signature_and_digest(request, backend_name):
    backend = request.getfixturevalue(backend_name)
    key = generate_private_key(seed="lengths")
    digest = backend.digest(b"x")
    assert not backend.verify(key.public_key, digest, b"\x00" * 64)
    assert not backend.verify(key.public_key, digest, backend.sign(key, digest)[:63])
    with pytest.raises(SignatureInputError, match="32-byte digest"):
        backend.verify(key.public_key, digest + b"\x00", b"\x01" * 64)
    with pytest.raises(SignatureInputError):
        backend.sign(key, digest[:31])


def test_deterministic_nonce_gives_reproducible_signatures():
    key = generate_private_key(seed="nonce")
    digest = bytes(32)
    first = sign_digest(key, digest, nonce=deterministic_nonce(key, digest))
    assert first == sign_digest(key, digest, nonce=deterministic_nonce(key, digest))
    assert first != sign_digest(key, bytes(31) + b"\x01", nonce=deterministic_nonce(key, bytes(31) + b"\x01"))


def test_generated_keys_are_seeded():
    assert generate_private_key(seed=1) == generate_private_key(seed=1)
    assert generate_private_key(seed=1) != generate_private_key(seed=2)
    assert generate_private_key().d != generate_private_key().d


def test_forcing_a_missing_native_backend_names_the_package(monkeypatch):
    from conformance.crypto import backends
    from conformance.crypto.backends import native as native_module
    from conformance.errors import UsageError

    def missing(*args, **kwargs):
        raise OSError("libcrypto.so.3: cannot open shared object file")

    monkeypatch.setattr(native_module.ctypes, "CDLL", missing)
    monkeypatch.setattr(native_module, "_openssl", None)
    monkeypatch.setattr(backends, "_cache", {})
    with pytest.raises(UsageError, match="libengine-gost-openssl"):
        get_backend("native")
    assert get_backend().name == "pure"
    assert backends.available_backends() == ["pure"]


def test_unknown_backend_is_a_usage_error():
    from conformance.errors import UsageError

    with pytest.raises(UsageError, match="pure"):
        get_backend("fast")


@pytest.mark.native
@settings(max_examples=30, deadline=None)
@given(signature=st.binary(min_size=64, max_size=64), digest=st.binary(min_size=32, max_size=32))
def test_backends_agree_on_arbitrary_signatures(pure, native, signature, digest):
    key = generate_private_key(seed="arbitrary").public_key
    assert pure.verify(key, digest, signature) is native.verify(key, digest, signature) is False


@pytest.mark.parametrize("backend_name", ["pure", pytest.param("native", marks=pytest.mark.native)])
def test_key_off_the_curve_never_verifies(request, backend_name):
    backend = request.getfixturevalue(backend_name)
    key = generate_private_key(seed="off-curve")
    digest = backend.digest(b"m")
    signature = backend.sign(key, digest)
    public = key.public_key
    off = PublicKey(public.parameter_set, public.x, public.y + 1, 256)
    assert not off.is_on_curve()
    assert not backend.verify(off, digest, signature)
