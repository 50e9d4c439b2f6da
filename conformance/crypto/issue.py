"""Issuing X.509 v3 certificates and v2 CRLs signed with GOST R 34.10-2012 (for the test PKI)."""

from __future__ import annotations

import datetime as dt
import hashlib

from conformance.crypto import der, oids
from conformance.crypto.certificates import Certificate, parse_certificate
from conformance.crypto.crl import Crl, parse_crl
from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.crypto.signed import sign_tbs, signature_algorithm_identifier
from conformance.crypto.x509name import encode_name

# KeyUsage bits (RFC 5280 §4.2.1.3), numbered from the most significant bit of the first byte.
DIGITAL_SIGNATURE = 0
NON_REPUDIATION = 1
KEY_ENCIPHERMENT = 2
KEY_CERT_SIGN = 5
CRL_SIGN = 6


def _named_bits(bits: set[int]) -> bytes:
    """A DER BIT STRING of named bits, trailing zero bits removed as DER requires."""
    if not bits:
        return der.encode(der.BIT_STRING, b"\x00")
    value = bytearray((max(bits) // 8) + 1)
    for bit in bits:
        value[bit // 8] |= 0x80 >> (bit % 8)
    unused = 7 - max(bits) % 8
    return der.encode(der.BIT_STRING, bytes([unused]) + bytes(value))


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    parts = [der.oid(oid)]
    if critical:
        parts.append(der.boolean(True))
    parts.append(der.octet_string(value))
    return der.sequence(*parts)


def key_identifier(key: PublicKey) -> bytes:
    """The SHA-1 of the subject public key bits (RFC 5280 §4.2.1.2, method 1)."""
    return hashlib.sha1(der.octet_string(key.to_bytes("little")), usedforsecurity=False).digest()


def issue_certificate(
    *,
    subject: list[tuple[str, str]],
    public_key: PublicKey,
    issuer_key: PrivateKey,
    issuer: Certificate | None,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    is_ca: bool = False,
    deterministic: bool = False,
) -> Certificate:
    """A certificate of `public_key` for `subject`, signed by `issuer_key`; `issuer` None makes it self-signed.

    `subject` is a list of (attribute, value) such as [("CN", "…"), ("O", "…"), ("C", "RU")].
    """
    subject_der = encode_name(subject)
    issuer_der = issuer.subject_der if issuer is not None else subject_der
    authority_key = issuer.public_key if issuer is not None else public_key
    if authority_key is None:
        raise ValueError("the issuer certificate has no GOST 2012 key")
    usage = {KEY_CERT_SIGN, CRL_SIGN} if is_ca else {DIGITAL_SIGNATURE, NON_REPUDIATION}
    constraints = der.sequence(der.boolean(True)) if is_ca else der.sequence()
    extensions = [
        _extension(oids.EXT_BASIC_CONSTRAINTS, constraints, critical=True),
        _extension(oids.EXT_KEY_USAGE, _named_bits(usage), critical=True),
        _extension(oids.EXT_SUBJECT_KEY_ID, der.octet_string(key_identifier(public_key))),
        _extension(oids.EXT_AUTHORITY_KEY_ID, der.sequence(der.context(0, key_identifier(authority_key), False))),
    ]
    tbs = der.sequence(
        der.context(0, der.integer(2)),
        der.integer(serial),
        signature_algorithm_identifier(issuer_key.bits),
        issuer_der,
        der.sequence(der.time(not_before), der.time(not_after)),
        subject_der,
        public_key.spki_der(),
        der.context(3, der.sequence(*extensions)),
    )
    return parse_certificate(sign_tbs(tbs, issuer_key, deterministic=deterministic))


def issue_crl(
    *,
    issuer_key: PrivateKey,
    issuer: Certificate,
    revoked: list[tuple[int, dt.datetime]],
    this_update: dt.datetime,
    next_update: dt.datetime,
    number: int = 1,
    deterministic: bool = False,
) -> Crl:
    """A v2 CRL by `issuer` listing `revoked` (serial, revocation time), with a CRL number."""
    if issuer.public_key is None:
        raise ValueError("the issuer certificate has no GOST 2012 key")
    parts = [
        der.integer(1),
        signature_algorithm_identifier(issuer_key.bits),
        issuer.subject_der,
        der.time(this_update),
        der.time(next_update),
    ]
    if revoked:
        parts.append(der.sequence(*(der.sequence(der.integer(serial), der.time(when)) for serial, when in revoked)))
    parts.append(der.context(0, der.sequence(
        _extension(oids.EXT_AUTHORITY_KEY_ID, der.sequence(der.context(0, key_identifier(issuer.public_key), False))),
        _extension(oids.EXT_CRL_NUMBER, der.integer(number)),
    )))
    return parse_crl(sign_tbs(der.sequence(*parts), issuer_key, deterministic=deterministic))
