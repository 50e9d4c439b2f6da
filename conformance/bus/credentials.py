"""The bus double's keys and whom it knows: its own signing key, the CA it trusts, participants' certificates.

`--keys DIR` layout (the names `smev-conformance pki init` writes):

    DIR/smev.key.pem, DIR/smev.cert.pem      the bus's own key and the certificate of that key (it signs what it
                                             delivers)
    DIR/ca.cert.pem                          the CA that callers' certificates must chain to (optional)
    DIR/ca.crl.pem                           its CRL (optional; issued and signed by that CA, current when loaded)
    DIR/participants/<MNEMONIC>.cert.pem     each participant's certificate: how the bus knows who calls

An encrypted smev.key.pem opens with the command's --key-password-file or --key-password-env.
Without a directory the shipped test PKI is used (`conformance.crypto.testdata.bus_credentials`). A caller is
the participant registered with the certificate that verified its signature (`conformance.bus.signatures`); with
signatures switched off, the one its `X-SMEV-Sender` header names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from conformance.crypto import Backend, load_certificate, load_crl, verify_crl
from conformance.crypto.keyfile import read_private_key
from conformance.crypto.testdata import bus_credentials
from conformance.errors import InputError


@dataclass(frozen=True)
class BusCredentials:
    key: object
    """`conformance.crypto.PrivateKey` of the bus."""
    certificate: object
    """`conformance.crypto.Certificate` of the bus."""
    ca: object | None = None
    crl: object | None = None
    participants: dict[str, object] = field(default_factory=dict)
    """Mnemonic -> certificate."""

    def mnemonic_of(self, certificate_der: bytes) -> str | None:
        """The one participant registered with exactly this certificate (None: nobody, or more than one)."""
        found = [mnemonic for mnemonic, cert in self.participants.items()
                 if cert.der == certificate_der]  # type: ignore[attr-defined]
        return found[0] if len(found) == 1 else None

    def with_participant(self, mnemonic: str, certificate: object) -> BusCredentials:
        return BusCredentials(self.key, self.certificate, self.ca, self.crl,
                              {**self.participants, mnemonic: certificate})


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None


def load_certificate_file(path: str | Path) -> object:
    p = Path(path)
    try:
        return load_certificate(_read(p))
    except InputError:
        raise
    except Exception as exc:  # the crypto package raises its own errors for a bad certificate
        raise InputError(f"not a certificate: {exc}", path=str(p)) from None


def _check_crl(crl: object, ca: object | None, path: Path) -> None:
    """The bus relies on its CRL for every call: it must be its CA's, signed by that CA, and current when loaded
    (a CRL of another issuer would silently check nothing; a stale one misses revocations since its nextUpdate)."""
    if ca is None:
        raise InputError("a CRL needs the CA that signs it: ca.cert.pem is missing", path=str(path))
    if crl.issuer_der != ca.subject_der:  # type: ignore[attr-defined]
        raise InputError(f"the CRL is issued by {crl.issuer}, not by the CA of ca.cert.pem ({ca.subject}): "  # type: ignore[attr-defined]
                         "it would check the revocation of no caller", path=str(path))
    if not verify_crl(crl, ca):  # type: ignore[arg-type]
        raise InputError(f"the CRL names {crl.issuer} as its issuer but that CA's key did not sign it", path=str(path))  # type: ignore[attr-defined]
    next_update = crl.next_update  # type: ignore[attr-defined]
    if next_update is not None and next_update < datetime.now(UTC):
        raise InputError(f"the CRL is stale: its nextUpdate ({next_update.isoformat()}) has passed, so revocations "
                         "since are not in it; give a current CRL (smev-conformance pki revoke reissues it)",
                         path=str(path))


def load_credentials(keys_dir: str | Path | None = None, *, password: bytes | None = None,
                     backend: Backend | None = None) -> BusCredentials:
    """The bus's credentials from `keys_dir`, or the shipped test PKI when None; an encrypted smev.key.pem is
    decrypted with `password` by `backend` (`conformance.crypto.keyfile`)."""
    if keys_dir is None:
        key, cert, ca = bus_credentials()
        return BusCredentials(key, cert, ca)
    base = Path(keys_dir)
    if not base.is_dir():
        raise InputError("--keys names no directory", path=str(base))
    key_path, cert_path = base / "smev.key.pem", base / "smev.cert.pem"
    for needed in (key_path, cert_path):
        if not needed.is_file():
            raise InputError("missing: the bus signs with smev.key.pem and smev.cert.pem in the --keys directory",
                             path=str(needed))
    key = read_private_key(key_path, password, backend)
    cert = load_certificate_file(cert_path)
    if cert.public_key is None or cert.public_key != key.public_key:  # type: ignore[attr-defined]
        raise InputError("smev.cert.pem does not certify smev.key.pem: participants could not verify what the bus "
                         "signs with it", path=str(cert_path))
    ca = load_certificate_file(base / "ca.cert.pem") if (base / "ca.cert.pem").is_file() else None
    crl = None
    if (base / "ca.crl.pem").is_file():
        try:
            crl = load_crl(_read(base / "ca.crl.pem"))
        except Exception as exc:
            raise InputError(f"not a CRL: {exc}", path=str(base / "ca.crl.pem")) from None
        _check_crl(crl, ca, base / "ca.crl.pem")
    participants: dict[str, object] = {}
    folder = base / "participants"
    if folder.is_dir():
        for path in sorted(folder.glob("*.cert.pem")):
            certificate = load_certificate_file(path)
            twin = next((name for name, known in participants.items()
                         if known.der == certificate.der), None)  # type: ignore[attr-defined]
            if twin is not None:
                raise InputError(f"the same certificate is registered for {twin} too: a certificate identifies "
                                 "one participant", path=str(path))
            participants[path.name.removesuffix(".cert.pem")] = certificate
    return BusCredentials(key, cert, ca, crl, participants)
