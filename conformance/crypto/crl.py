"""Certificate revocation lists: reading (DER or PEM) and verifying one by its issuer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.crypto import der, oids
from conformance.crypto.pem import to_der
from conformance.crypto.signed import split_signed, verify_signed
from conformance.crypto.x509name import render_name
from conformance.errors import ConformanceError

if TYPE_CHECKING:
    from conformance.crypto.backends import Backend
    from conformance.crypto.certificates import Certificate


class CrlError(ConformanceError):
    """The data is not a readable CRL."""


@dataclass(frozen=True)
class RevokedCertificate:
    serial: int
    revoked_at: dt.datetime


@dataclass(frozen=True)
class Crl:
    der: bytes = field(repr=False)
    issuer: str
    issuer_der: bytes = field(repr=False)
    this_update: dt.datetime
    next_update: dt.datetime | None
    revoked: tuple[RevokedCertificate, ...]
    signature_algorithm: str
    tbs_der: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    number: int | None = None  # the cRLNumber extension

    def revocation_of(self, serial: int) -> RevokedCertificate | None:
        """The entry revoking `serial`, or None."""
        for entry in self.revoked:
            if entry.serial == serial:
                return entry
        return None

    def is_revoked(self, serial: int, at: dt.datetime | None = None) -> bool:
        """True when `serial` is listed (and, with `at`, was revoked at or before `at`)."""
        entry = self.revocation_of(serial)
        return entry is not None and (at is None or entry.revoked_at <= at)

    def pem(self) -> bytes:
        from conformance.crypto.pem import pem_encode

        return pem_encode(self.der, "X509 CRL")


def parse_crl(data: bytes) -> Crl:
    try:
        signed = split_signed(data, "CRL")
        fields = signed.tbs.children()
        index = 1 if fields[0].tag == der.INTEGER else 0
        issuer = fields[index + 1]
        this_update = fields[index + 2].time()
        rest = fields[index + 3:]
        next_update = None
        if rest and rest[0].tag in (der.UTC_TIME, der.GENERALIZED_TIME):
            next_update = rest[0].time()
            rest = rest[1:]
        revoked = []
        if rest and rest[0].tag == der.SEQUENCE:
            for entry in rest[0].children():
                parts = entry.children()
                revoked.append(RevokedCertificate(parts[0].integer(), parts[1].time()))
            rest = rest[1:]
        number = None
        if rest and rest[0].is_context(0):
            for extension in der.read(rest[0].content).children():
                parts = extension.children()
                if parts[0].oid() == oids.EXT_CRL_NUMBER:
                    number = der.read(parts[-1].octets()).integer()
        return Crl(der=bytes(data), issuer=render_name(issuer), issuer_der=issuer.raw, this_update=this_update,
                   next_update=next_update, revoked=tuple(revoked), signature_algorithm=signed.algorithm,
                   tbs_der=signed.tbs.raw, signature=signed.signature, number=number)
    except (der.DerError, IndexError, ValueError) as exc:
        raise CrlError(f"not a readable CRL: {exc}") from None


def load_crl(data: bytes | str) -> Crl:
    """A CRL from DER or PEM ("X509 CRL")."""
    try:
        _, body = to_der(data, ("X509 CRL",), "a CRL")
    except ConformanceError as exc:
        raise CrlError(str(exc)) from None
    return parse_crl(body)


def verify_crl(crl: Crl, issuer_cert: Certificate, backend: Backend | None = None) -> bool:
    """True when `issuer_cert` names the CRL's issuer and its key signed the CRL."""
    if crl.issuer_der != issuer_cert.subject_der:
        return False
    return verify_signed(crl.tbs_der, crl.signature_algorithm, crl.signature, issuer_cert.public_key, backend)
