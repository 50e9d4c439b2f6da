"""X.509 certificates with GOST R 34.10-2012 keys: reading (DER, PEM, the base64 of `ds:X509Certificate`) and
verifying one certificate's signature by its issuer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from asn1crypto import x509

from conformance.crypto import der, oids
from conformance.crypto.backends import Backend, resolve_backend
from conformance.crypto.gostasn1 import GostPublicKeyInfo
from conformance.crypto.keyformats import KeyFormatError, decode_spki
from conformance.crypto.keys import PublicKey
from conformance.crypto.pem import pem_encode, to_der
from conformance.crypto.signed import signature_value, verify_signed
from conformance.crypto.x509name import render_name
from conformance.errors import ConformanceError


class CertificateError(ConformanceError):
    """The data is not a readable X.509 certificate; the message says what is wrong."""


@dataclass(frozen=True)
class Certificate:
    """A parsed X.509 certificate. `public_key` is None when the key is not GOST 2012 (see `key_error`)."""

    der: bytes = field(repr=False)
    subject: str
    issuer: str
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    public_key: PublicKey | None
    key_algorithm: str  # OID of the subject key algorithm
    signature_algorithm: str  # OID, e.g. 1.2.643.7.1.1.3.2
    tbs_der: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    is_ca: bool
    subject_der: bytes = field(repr=False)
    issuer_der: bytes = field(repr=False)
    key_error: str | None = None
    subject_key_id: bytes | None = None
    authority_key_id: bytes | None = None
    key_usage: frozenset[int] | None = None
    """The KeyUsage bits set (RFC 5280 §4.2.1.3, 0 = digitalSignature, 1 = nonRepudiation); None: no extension."""

    @property
    def signs_documents(self) -> bool:
        """Whether the key may sign data (not only certificates or CRLs): no KeyUsage, or one with
        digitalSignature or nonRepudiation."""
        return self.key_usage is None or bool(self.key_usage & {0, 1})

    def valid_at(self, when: dt.datetime) -> bool:
        """True when `when` (aware) lies within notBefore..notAfter inclusive."""
        return self.not_before <= when <= self.not_after

    @property
    def signature_algorithm_name(self) -> str:
        return oids.name_of(self.signature_algorithm)

    def pem(self) -> bytes:
        return pem_encode(self.der, "CERTIFICATE")


def time_of(value: x509.Time) -> dt.datetime:
    """A UTCTime or GeneralizedTime as an aware UTC datetime to the second (fractions are dropped)."""
    moment = value.native
    if not isinstance(moment, dt.datetime):
        raise der.DerError(f"time {value.chosen.contents!r} is outside the years a datetime holds")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _extensions(tbs: x509.TbsCertificate) -> dict[str, x509.Extension]:
    """The extensions by OID; each is parsed only when used, so an odd extension nobody reads stops nothing."""
    return {extension["extn_id"].dotted: extension for extension in tbs["extensions"]}


def _is_ca(extensions: dict[str, x509.Extension]) -> bool:
    extension = extensions.get(oids.EXT_BASIC_CONSTRAINTS)
    return extension is not None and bool(extension["extn_value"].parsed["ca"].native)


_KEY_USAGE_BITS = {name: bit for bit, name in x509.KeyUsage._map.items()}


def _key_usage(extensions: dict[str, x509.Extension]) -> frozenset[int] | None:
    """The KeyUsage bits set (0 digitalSignature, 1 nonRepudiation, …, RFC 5280 §4.2.1.3), or None without one."""
    extension = extensions.get(oids.EXT_KEY_USAGE)
    if extension is None:
        return None
    # asn1crypto names the bits it knows (0-8) and gives the others by number.
    return frozenset(_KEY_USAGE_BITS.get(bit, bit) for bit in extension["extn_value"].parsed.native)


def _key_ids(extensions: dict[str, x509.Extension]) -> tuple[bytes | None, bytes | None]:
    ski = aki = None
    if oids.EXT_SUBJECT_KEY_ID in extensions:
        ski = extensions[oids.EXT_SUBJECT_KEY_ID]["extn_value"].parsed.native
    if oids.EXT_AUTHORITY_KEY_ID in extensions:
        aki = extensions[oids.EXT_AUTHORITY_KEY_ID]["extn_value"].parsed["key_identifier"].native
    return ski, aki


def parse_certificate(data: bytes) -> Certificate:
    """A certificate from its DER encoding; raises `CertificateError`. The same bytes give the same (immutable)
    object: a bus or a batch check meets the same few certificates in every message."""
    return _parse_certificate(bytes(data))


@lru_cache(maxsize=1024)
def _parse_certificate(data: bytes) -> Certificate:
    try:
        der.require_der(data, "certificate")
        parsed = x509.Certificate.load(data, strict=True)
        tbs = parsed["tbs_certificate"]
        issuer, subject, validity = tbs["issuer"], tbs["subject"], tbs["validity"]
        spki = der.encoded(tbs["subject_public_key_info"])
        key_algorithm = GostPublicKeyInfo.load(spki)["algorithm"]["algorithm"].dotted
        public_key, key_error = None, None
        try:
            public_key = decode_spki(spki, "certificate public key")
        except KeyFormatError as exc:
            key_error = str(exc)
        extensions = _extensions(tbs)
        ski, aki = _key_ids(extensions)
        return Certificate(
            der=bytes(data), subject=render_name(subject), issuer=render_name(issuer),
            serial=tbs["serial_number"].native, not_before=time_of(validity["not_before"]),
            not_after=time_of(validity["not_after"]), public_key=public_key, key_algorithm=key_algorithm,
            signature_algorithm=parsed["signature_algorithm"]["algorithm"].dotted, tbs_der=der.encoded(tbs),
            signature=signature_value(parsed["signature_value"], "certificate"), is_ca=_is_ca(extensions),
            subject_der=der.encoded(subject), issuer_der=der.encoded(issuer), key_error=key_error,
            subject_key_id=ski, authority_key_id=aki, key_usage=_key_usage(extensions),
        )
    except der.MALFORMED as exc:
        raise CertificateError(f"not a readable X.509 certificate: {exc}") from None


def load_certificate(data: bytes | str) -> Certificate:
    """A certificate from DER, PEM ("CERTIFICATE") or a bare base64 body (the text of `ds:X509Certificate`)."""
    try:
        _, body = to_der(data, ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"), "a certificate")
    except ConformanceError as exc:
        raise CertificateError(str(exc)) from None
    return parse_certificate(body)


def verify_certificate(cert: Certificate, issuer_cert: Certificate, backend: Backend | None = None) -> bool:
    """True when `issuer_cert` names `cert`'s issuer and its key signed `cert` (the validity dates are not checked).
    `backend` None: the automatic choice (`backends.resolve_backend`)."""
    if cert.issuer_der != issuer_cert.subject_der:
        return False
    return verify_signed(cert.tbs_der, cert.signature_algorithm, cert.signature, issuer_cert.public_key,
                         resolve_backend(backend))
