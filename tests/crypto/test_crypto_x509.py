"""Reading keys, certificates and CRLs; the DER codec; the shipped test PKI."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import xmlsafe
from conformance.crypto import (
    der,
    generate_private_key,
    load_certificate,
    load_crl,
    load_private_key,
    load_public_key,
    oids,
    test_credentials,
    verify_certificate,
    verify_crl,
)
from conformance.crypto.certificates import CertificateError
from conformance.crypto.keyformats import KeyFormatError
from conformance.crypto.testdata import bus_credentials, read_testdata, test_crl
from conformance.crypto.testpki import build_shipped_pki, shipped_files

REAL_ENVELOPE = str(Path(__file__).resolve().parents[1] / "xmldsig" / "vectors" / "real" / "SendRequestRequest-1.2.xml")


@pytest.fixture(scope="module")
def real_certificate_text() -> str:
    root = xmlsafe.parse_file(REAL_ENVELOPE).getroot()
    return root.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text


def test_real_certificate_fields(real_certificate_text):
    cert = load_certificate(real_certificate_text)
    assert cert.subject.startswith("OGRN=1027700546510, INN=007707018904")
    assert "CN=Комитет по архитектуре и градостроительству Московской области" in cert.subject
    assert 'CN=ЗАО "ТАКСНЕТ"' in cert.issuer
    assert cert.serial == 0x5725036F00010003EF46
    assert cert.not_before == dt.datetime(2019, 12, 16, 12, 24, 35, tzinfo=dt.UTC)
    assert cert.not_after == dt.datetime(2020, 12, 16, 12, 24, 35, tzinfo=dt.UTC)
    assert cert.signature_algorithm == oids.SIGNATURE_GOST2012_256
    assert cert.public_key.parameter_set == oids.CRYPTOPRO_XCHA
    assert cert.public_key.digest_oid == oids.DIGEST_STREEBOG256
    assert not cert.is_ca
    assert len(cert.signature) == 64
    assert cert.valid_at(dt.datetime(2020, 5, 20, tzinfo=dt.UTC))
    assert not cert.valid_at(dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
    assert der.read(cert.tbs_der).tag == der.SEQUENCE and cert.tbs_der in cert.der


def test_certificate_forms_agree(real_certificate_text):
    from_text = load_certificate(real_certificate_text)
    from_der = load_certificate(base64.b64decode(real_certificate_text))
    from_pem = load_certificate(from_der.pem())
    assert from_text == from_der == from_pem


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"hello world", "neither DER, PEM nor base64"),
    (b"\x30\x03\x02\x01\x01", "not a readable X.509 certificate"),
    (b"\x30\x82\x10\x00\x02", "runs past the end"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no PEM block of a certificate"),
])
def test_unreadable_certificates_are_explained(data, message):
    with pytest.raises(CertificateError, match=message):
        load_certificate(data)


def test_shipped_credentials_chain_and_match():
    key, cert, ca = test_credentials()
    assert cert.public_key == key.public_key
    assert ca.is_ca and not cert.is_ca
    assert verify_certificate(cert, ca) and verify_certificate(ca, ca)
    assert not verify_certificate(ca, cert)
    assert cert.not_before <= dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert cert.not_after >= dt.datetime(2045, 12, 31, tzinfo=dt.UTC)
    bus_key, bus_cert, _ = bus_credentials()
    assert bus_cert.public_key == bus_key.public_key and verify_certificate(bus_cert, ca)
    assert bus_cert.serial != cert.serial


def test_shipped_crl_revokes_the_revoked_certificate():
    _, cert, ca = test_credentials()
    crl = test_crl()
    revoked = load_certificate(read_testdata("revoked.cert.pem"))
    assert verify_crl(crl, ca)
    assert crl.is_revoked(revoked.serial) and not crl.is_revoked(cert.serial)
    assert not crl.is_revoked(revoked.serial, at=crl.revocation_of(revoked.serial).revoked_at - dt.timedelta(1))
    assert load_crl(crl.der) == crl


def test_shipped_files_are_exactly_the_seeded_regeneration():
    for name, content in shipped_files(build_shipped_pki()).items():
        assert read_testdata(name) == content, name


def test_tampered_certificate_fails_verification():
    _, cert, ca = test_credentials()
    position = cert.der.index("Тестовая".encode())
    tampered = bytearray(cert.der)
    tampered[position + 1] ^= 0x01
    assert not verify_certificate(load_certificate(bytes(tampered)), ca)


def test_remembered_verdicts_follow_the_bytes():
    """Parsed certificates and signature verdicts are remembered by their bytes: the same bytes give the same
    object and verdict, changed ones are judged afresh (in both orders)."""
    _, cert, ca = test_credentials()
    assert load_certificate(cert.der) is load_certificate(cert.der)
    flipped = bytearray(cert.signature)
    flipped[5] ^= 0x01
    forged = dataclasses.replace(cert, signature=bytes(flipped))
    for _ in range(2):
        assert verify_certificate(cert, ca)
        assert not verify_certificate(forged, ca)


@pytest.mark.parametrize("parameter_set", [oids.CRYPTOPRO_XCHA, oids.TC26_256_A, oids.TC26_512_B])
def test_keys_round_trip_through_pkcs8_and_spki(parameter_set):
    key = generate_private_key(parameter_set, seed="round-trip")
    assert load_private_key(key.pkcs8_der()) == key
    assert load_private_key(key.pkcs8_pem()) == key
    assert load_public_key(key.public_key.spki_der()) == key.public_key


def test_older_private_key_layouts_load():
    key = generate_private_key(seed="layouts")
    algorithm = der.read(key.pkcs8_der()).children()[1].raw
    nested = der.sequence(der.integer(0), algorithm, der.octet_string(der.octet_string(key.d.to_bytes(32, "little"))))
    as_integer = der.sequence(der.integer(0), algorithm, der.octet_string(der.integer(key.d)))
    assert load_private_key(nested) == key
    assert load_private_key(as_integer) == key


def _pkcs8(algorithm: str, parameter_set: str) -> bytes:
    return der.sequence(der.integer(0), der.sequence(der.oid(algorithm), der.sequence(der.oid(parameter_set))),
                        der.octet_string(b"\x01" * 32))


@pytest.mark.parametrize(("data", "message"), [
    (_pkcs8(oids.KEY_GOST2001, oids.CRYPTOPRO_A), "withdrawn"),
    (_pkcs8(oids.KEY_GOST2012_256, "1.2.643.2.2.99.0"), "unknown GOST R 34.10-2012 parameter set"),
    (_pkcs8(oids.KEY_GOST2012_512, oids.CRYPTOPRO_A), "does not fit a 512-bit key"),
    (_pkcs8(oids.KEY_GOST2012_256, oids.CRYPTOPRO_A)[:-5], "malformed PKCS#8"),
    (der.sequence(der.integer(0), der.sequence(der.oid(oids.KEY_GOST2012_256), der.sequence(der.oid(oids.CRYPTOPRO_A))),
                  der.octet_string(b"\xff" * 32)), "out of range"),
])
def test_bad_private_keys_are_explained(data, message):
    with pytest.raises(KeyFormatError, match=message):
        load_private_key(data)


def test_public_key_off_the_curve_is_refused():
    key = generate_private_key(seed="curve").public_key
    spki = key.spki_der()
    broken = spki[:-1] + bytes([spki[-1] ^ 0x01])
    with pytest.raises(KeyFormatError, match="not on the curve"):
        load_public_key(broken)


def test_encrypted_private_key_needs_a_password():
    key = generate_private_key(seed="encrypted")
    fake = der.sequence(der.sequence(der.oid(oids.PBES2), der.sequence()), der.octet_string(b"\x00" * 16))
    with pytest.raises(KeyFormatError, match="password"):
        load_private_key(fake)
    assert key  # the unencrypted form needs none


@pytest.mark.native
@pytest.mark.parametrize("cipher", ["aes-256-cbc", "gost89"])
def test_encrypted_private_key_from_openssl(native, openssl_gost, tmp_path, cipher):
    key = generate_private_key(seed="pkcs8")
    plain = tmp_path / "k.pem"
    plain.write_bytes(key.pkcs8_pem())
    encrypted = openssl_gost("pkcs8", "-engine", "gost", "-topk8", "-v2", cipher, "-in", plain,
                             "-passout", "pass:секрет")
    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    assert load_private_key(encrypted, password="секрет") == key
    with pytest.raises(KeyFormatError, match="wrong password"):
        load_private_key(encrypted, password="wrong")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**600), max_value=2**600))
def test_der_integers_round_trip(value):
    encoded = der.integer(value)
    assert der.read(encoded).integer() == value
    content = der.read(encoded).content
    assert len(content) == 1 or not (content[0] == 0 and content[1] < 0x80) and not (
        content[0] == 0xFF and content[1] >= 0x80), "DER integers are minimal"


@settings(max_examples=200, deadline=None)
@given(st.tuples(st.integers(0, 2), st.integers(0, 39)), st.lists(st.integers(0, 2**40), max_size=8))
def test_der_oids_round_trip(head, tail):
    dotted = ".".join(str(arc) for arc in [*head, *tail])
    assert der.read(der.oid(dotted)).oid() == dotted


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=70000))
def test_der_lengths_round_trip(payload):
    element = der.read(der.octet_string(payload))
    assert element.octets() == payload


def test_der_rejects_non_der():
    with pytest.raises(der.DerError, match="indefinite"):
        der.read(b"\x30\x80\x00\x00")
    with pytest.raises(der.DerError, match="trailing"):
        der.read(b"\x05\x00\x00")
    assert der.read_all(b"\x05\x00\x05\x00")[1].offset == 2


def test_withdrawn_2001_certificate_loads_with_a_legacy_key():
    """A GOST 2001 certificate is readable with its key marked legacy: old signatures can be verified with it."""
    from conformance.crypto.certificates import parse_certificate
    from conformance.crypto.signed import sign_tbs

    key, cert, _ = test_credentials()
    fields = der.read(cert.tbs_der).children()
    old_spki = der.sequence(
        der.sequence(der.oid(oids.KEY_GOST2001), der.sequence(der.oid(oids.CRYPTOPRO_A), der.oid(oids.DIGEST_GOST94))),
        der.bit_string(der.octet_string(key.public_key.to_bytes())))
    tbs = der.sequence(*(old_spki if index == 6 else field.raw for index, field in enumerate(fields)))
    old = parse_certificate(sign_tbs(tbs, key))
    assert old.public_key is not None and old.public_key.legacy and old.key_error is None
    assert old.key_algorithm == oids.KEY_GOST2001 == old.public_key.algorithm
    assert old.subject == cert.subject
    assert not verify_certificate(cert, old), "a GOST 2001 key does not verify a GOST 2012 signature"
