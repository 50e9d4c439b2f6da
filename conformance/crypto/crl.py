"""Certificate revocation lists: reading (DER or PEM) and verifying one by its issuer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import crl as asn1crl

from conformance.crypto import der, oids
from conformance.crypto.backends import Backend, resolve_backend
from conformance.crypto.certificates import Certificate, time_of
from conformance.crypto.pem import pem_encode, to_der
from conformance.crypto.signed import signature_value, verify_signed
from conformance.crypto.x509name import render_name
from conformance.errors import ConformanceError


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
        return pem_encode(self.der, "X509 CRL")


def parse_crl(data: bytes) -> Crl:
    """A CRL from its DER encoding; raises `CrlError`."""
    try:
        der.require_der(data, "CRL")
        parsed = asn1crl.CertificateList.load(data, strict=True)
        tbs = parsed["tbs_cert_list"]
        issuer = tbs["issuer"]
        next_update = tbs["next_update"]
        revoked = tuple(RevokedCertificate(entry["user_certificate"].native, time_of(entry["revocation_date"]))
                        for entry in tbs["revoked_certificates"])
        number = None
        for extension in tbs["crl_extensions"]:
            if extension["extn_id"].dotted == oids.EXT_CRL_NUMBER:
                number = extension["extn_value"].parsed.native
        return Crl(der=bytes(data), issuer=render_name(issuer), issuer_der=der.encoded(issuer),
                   this_update=time_of(tbs["this_update"]),
                   next_update=None if next_update.native is None else time_of(next_update),
                   revoked=revoked, signature_algorithm=parsed["signature_algorithm"]["algorithm"].dotted,
                   tbs_der=der.encoded(tbs), signature=signature_value(parsed["signature"], "CRL"), number=number)
    except der.MALFORMED as exc:
        raise CrlError(f"not a readable CRL: {exc}") from None


def load_crl(data: bytes | str) -> Crl:
    """A CRL from DER or PEM ("X509 CRL")."""
    try:
        _, body = to_der(data, ("X509 CRL",), "a CRL")
    except ConformanceError as exc:
        raise CrlError(str(exc)) from None
    return parse_crl(body)


def verify_crl(crl: Crl, issuer_cert: Certificate, backend: Backend | None = None) -> bool:
    """True when `issuer_cert` names the CRL's issuer and its key signed the CRL. `backend` None: the automatic
    choice (`backends.resolve_backend`)."""
    if crl.issuer_der != issuer_cert.subject_der:
        return False
    return verify_signed(crl.tbs_der, crl.signature_algorithm, crl.signature, issuer_cert.public_key,
                         resolve_backend(backend))
