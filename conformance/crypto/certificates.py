"""X.509 certificates with GOST R 34.10-2012 keys: reading (DER, PEM, the base64 of `ds:X509Certificate`) and
verifying one certificate's signature by its issuer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from conformance.crypto import der, oids
from conformance.crypto.keyformats import KeyFormatError, decode_spki
from conformance.crypto.keys import PublicKey
from conformance.crypto.pem import to_der
from conformance.crypto.signed import split_signed, verify_signed
from conformance.crypto.x509name import render_name
from conformance.errors import ConformanceError

if TYPE_CHECKING:
    from conformance.crypto.backends import Backend


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
        from conformance.crypto.pem import pem_encode

        return pem_encode(self.der, "CERTIFICATE")


def _extensions(element: der.Element) -> dict[str, tuple[bool, bytes]]:
    """{OID: (critical, extnValue content)} of an Extensions SEQUENCE."""
    found = {}
    for extension in element.children():
        parts = extension.children()
        critical = len(parts) == 3 and parts[1].boolean()
        found[parts[0].oid()] = (critical, parts[-1].octets())
    return found


def _is_ca(extensions: dict[str, tuple[bool, bytes]]) -> bool:
    if oids.EXT_BASIC_CONSTRAINTS not in extensions:
        return False
    items = der.read(extensions[oids.EXT_BASIC_CONSTRAINTS][1]).children()
    return bool(items) and items[0].tag == der.BOOLEAN and items[0].boolean()


def _key_usage(extensions: dict[str, tuple[bool, bytes]]) -> frozenset[int] | None:
    if oids.EXT_KEY_USAGE not in extensions:
        return None
    bits = der.read(extensions[oids.EXT_KEY_USAGE][1]).expect(der.BIT_STRING, "KeyUsage").content
    if not bits or bits[0] > 7:
        raise der.DerError("KeyUsage is not a BIT STRING")
    unused, value = bits[0], bits[1:]
    return frozenset(i for i in range(len(value) * 8 - (unused if value else 0)) if value[i // 8] & (0x80 >> i % 8))


def _key_ids(extensions: dict[str, tuple[bool, bytes]]) -> tuple[bytes | None, bytes | None]:
    ski = aki = None
    if oids.EXT_SUBJECT_KEY_ID in extensions:
        ski = der.read(extensions[oids.EXT_SUBJECT_KEY_ID][1]).octets()
    if oids.EXT_AUTHORITY_KEY_ID in extensions:
        for item in der.read(extensions[oids.EXT_AUTHORITY_KEY_ID][1]).children():
            if item.is_context(0):
                aki = item.content
    return ski, aki


def parse_certificate(data: bytes) -> Certificate:
    """A certificate from its DER encoding; raises `CertificateError`. The same bytes give the same (immutable)
    object: a bus or a batch check meets the same few certificates in every message."""
    return _parse_certificate(bytes(data))


@lru_cache(maxsize=1024)
def _parse_certificate(data: bytes) -> Certificate:
    try:
        signed = split_signed(data, "certificate")
        fields = signed.tbs.children()
        index = 1 if fields[0].is_context(0) else 0
        serial = fields[index].integer()
        issuer = fields[index + 2]
        not_before, not_after = (t.time() for t in fields[index + 3].expect(der.SEQUENCE, "validity").children())
        subject = fields[index + 4]
        spki = fields[index + 5]
        extensions: dict[str, tuple[bool, bytes]] = {}
        for extra in fields[index + 6:]:
            if extra.is_context(3):
                extensions = _extensions(der.read(extra.content))
        key_algorithm = spki.children()[0].children()[0].oid()
        public_key, key_error = None, None
        try:
            public_key = decode_spki(spki, "certificate public key")
        except KeyFormatError as exc:
            key_error = str(exc)
        ski, aki = _key_ids(extensions)
        return Certificate(
            der=bytes(data), subject=render_name(subject), issuer=render_name(issuer), serial=serial,
            not_before=not_before, not_after=not_after, public_key=public_key, key_algorithm=key_algorithm,
            signature_algorithm=signed.algorithm, tbs_der=signed.tbs.raw, signature=signed.signature,
            is_ca=_is_ca(extensions), subject_der=subject.raw, issuer_der=issuer.raw, key_error=key_error,
            subject_key_id=ski, authority_key_id=aki, key_usage=_key_usage(extensions),
        )
    except (der.DerError, IndexError, ValueError) as exc:
        raise CertificateError(f"not a readable X.509 certificate: {exc}") from None


def load_certificate(data: bytes | str) -> Certificate:
    """A certificate from DER, PEM ("CERTIFICATE") or a bare base64 body (the text of `ds:X509Certificate`)."""
    try:
        _, body = to_der(data, ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"), "a certificate")
    except ConformanceError as exc:
        raise CertificateError(str(exc)) from None
    return parse_certificate(body)


def verify_certificate(cert: Certificate, issuer_cert: Certificate, backend: Backend | None = None) -> bool:
    """True when `issuer_cert` names `cert`'s issuer and its key signed `cert` (the validity dates are not checked)."""
    if cert.issuer_der != issuer_cert.subject_der:
        return False
    return verify_signed(cert.tbs_der, cert.signature_algorithm, cert.signature, issuer_cert.public_key, backend)
