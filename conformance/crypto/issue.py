"""Issuing X.509 v3 certificates and v2 CRLs signed with GOST R 34.10-2012 (for the test PKI)."""

from __future__ import annotations

import datetime as dt
import hashlib

from asn1crypto import crl, keys, x509

from conformance.crypto import der, oids
from conformance.crypto.backends import Backend
from conformance.crypto.certificates import Certificate, parse_certificate
from conformance.crypto.crl import Crl, parse_crl
from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.crypto.signed import sign_tbs, signature_algorithm_identifier
from conformance.crypto.x509name import encode_name

CA_USAGE = {"key_cert_sign", "crl_sign"}  # KeyUsage (RFC 5280 §4.2.1.3) of the CA and of a participant
PARTICIPANT_USAGE = {"digital_signature", "non_repudiation"}


def _time(value: dt.datetime) -> x509.Time:
    """UTCTime for 1950–2049 and GeneralizedTime otherwise, as RFC 5280 requires."""
    value = value.astimezone(dt.UTC).replace(microsecond=0)
    return x509.Time(name="utc_time" if der.utc_time_fits(value) else "general_time", value=value)


def _extension(oid: str, value: object, critical: bool = False) -> x509.Extension:
    return x509.Extension({"extn_id": oid, "critical": critical, "extn_value": value})


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
    backend: Backend | None = None,
) -> Certificate:
    """A certificate of `public_key` for `subject`, signed by `issuer_key`; `issuer` None makes it self-signed.

    `subject` is a list of (attribute, value) such as [("CN", "…"), ("O", "…"), ("C", "RU")].
    """
    subject_der = encode_name(subject)
    issuer_der = issuer.subject_der if issuer is not None else subject_der
    authority_key = issuer.public_key if issuer is not None else public_key
    if authority_key is None:
        raise ValueError("the issuer certificate has no GOST 2012 key")
    extensions = [
        _extension(oids.EXT_BASIC_CONSTRAINTS, {"ca": is_ca}, critical=True),
        _extension(oids.EXT_KEY_USAGE, CA_USAGE if is_ca else PARTICIPANT_USAGE, critical=True),
        _extension(oids.EXT_SUBJECT_KEY_ID, key_identifier(public_key)),
        _extension(oids.EXT_AUTHORITY_KEY_ID, {"key_identifier": key_identifier(authority_key)}),
    ]
    tbs = x509.TbsCertificate({
        "version": "v3",
        "serial_number": serial,
        "signature": x509.SignedDigestAlgorithm.load(signature_algorithm_identifier(issuer_key.bits)),
        "issuer": der.verbatim(x509.Name, issuer_der),
        "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
        "subject": der.verbatim(x509.Name, subject_der),
        "subject_public_key_info": der.verbatim(keys.PublicKeyInfo, public_key.spki_der()),
        "extensions": extensions,
    })
    return parse_certificate(sign_tbs(tbs.dump(), issuer_key, deterministic=deterministic, backend=backend))


def issue_crl(
    *,
    issuer_key: PrivateKey,
    issuer: Certificate,
    revoked: list[tuple[int, dt.datetime]],
    this_update: dt.datetime,
    next_update: dt.datetime,
    number: int = 1,
    deterministic: bool = False,
    backend: Backend | None = None,
) -> Crl:
    """A v2 CRL by `issuer` listing `revoked` (serial, revocation time), with a CRL number."""
    if issuer.public_key is None:
        raise ValueError("the issuer certificate has no GOST 2012 key")
    tbs = crl.TbsCertList({
        "version": "v2",
        "signature": crl.SignedDigestAlgorithm.load(signature_algorithm_identifier(issuer_key.bits)),
        "issuer": der.verbatim(x509.Name, issuer.subject_der),
        "this_update": _time(this_update),
        "next_update": _time(next_update),
        "revoked_certificates": [{"user_certificate": serial, "revocation_date": _time(when)}
                                 for serial, when in revoked] or None,
        "crl_extensions": [
            {"extn_id": oids.EXT_AUTHORITY_KEY_ID,
             "extn_value": {"key_identifier": key_identifier(issuer.public_key)}},
            {"extn_id": oids.EXT_CRL_NUMBER, "extn_value": number},
        ],
    })
    return parse_crl(sign_tbs(tbs.dump(), issuer_key, deterministic=deterministic, backend=backend))
