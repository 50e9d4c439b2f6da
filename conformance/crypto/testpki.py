"""A test public-key infrastructure: a CA, participants, one expired and one revoked participant, and a CRL.

Everything is GOST R 34.10-2012 256: the CA on CryptoPro-A, participants on CryptoPro-XchA (as real SMEV
certificates). With a seed and a start date the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from conformance.crypto import oids
from conformance.crypto.backends import Backend
from conformance.crypto.certificates import Certificate, load_certificate, verify_certificate
from conformance.crypto.crl import Crl, load_crl
from conformance.crypto.issue import issue_certificate, issue_crl
from conformance.crypto.keyformats import generate_private_key, load_private_key
from conformance.crypto.keys import PrivateKey
from conformance.errors import InputError, UsageError

CA_PARAMETER_SET = oids.CRYPTOPRO_A
PARTICIPANT_PARAMETER_SET = oids.CRYPTOPRO_XCHA
CA_SUBJECT = [("CN", "Тестовый удостоверяющий центр СМЭВ (smev-tools)"), ("O", "smev-tools test PKI"), ("C", "RU")]


@dataclass(frozen=True)
class Credential:
    """One key pair with its certificate, and the base name of its files."""

    name: str
    key: PrivateKey
    certificate: Certificate
    note: str


@dataclass(frozen=True)
class TestPki:
    ca: Credential
    participants: tuple[Credential, ...]  # valid ones, then "expired", then "revoked"
    crl: Crl

    __test__ = False  # not a pytest class


def _participant_subject(number: int, label: str) -> list[tuple[str, str]]:
    ogrn = f"1{number:02d}77000000{number:02d}"[:13].ljust(13, "0")
    return [("CN", f"Тестовая ИС участника {label}"), ("O", f"Тестовый участник СМЭВ {label}"),
            ("OGRN", ogrn), ("C", "RU")]


def _serial(seed: str | None, name: str) -> int:
    if seed is None:
        return secrets.randbits(63) | (1 << 62)
    return int.from_bytes(hashlib.sha256(f"{seed}/serial/{name}".encode()).digest()[:8], "big") >> 1 | (1 << 62)


def build_pki(
    *,
    participants: int = 2,
    validity_days: int = 365,
    start: dt.datetime | None = None,
    seed: str | None = None,
    ca_not_before: dt.datetime | None = None,
    ca_not_after: dt.datetime | None = None,
    backend: Backend | None = None,
) -> TestPki:
    """Keys, certificates and a CRL; valid participants run from `start` for `validity_days`.

    The CA covers the participants with a year of margin either side unless given explicitly; "expired" ended the
    day before `start`; "revoked" is valid by dates and revoked at `start`. `start` defaults to today 00:00 UTC.
    """
    if participants < 1:
        raise ValueError("at least one participant is needed")
    if validity_days < 1:
        raise ValueError("validity must be at least one day")
    if start is None:
        start = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=validity_days)
    deterministic = seed is not None

    def key(name: str, parameter_set: str) -> PrivateKey:
        return generate_private_key(parameter_set, seed=None if seed is None else f"{seed}/{name}")

    ca_key = key("ca", CA_PARAMETER_SET)
    expired_from = start - dt.timedelta(days=validity_days + 1)
    ca_cert = issue_certificate(
        subject=CA_SUBJECT, public_key=ca_key.public_key, issuer_key=ca_key, issuer=None,
        serial=_serial(seed, "ca"), is_ca=True, deterministic=deterministic, backend=backend,
        not_before=ca_not_before or expired_from - dt.timedelta(days=365),
        not_after=ca_not_after or end + dt.timedelta(days=365),
    )
    ca = Credential("ca", ca_key, ca_cert, "the test certification authority (self-signed root)")

    plan: list[tuple[str, str, dt.datetime, dt.datetime, str]] = [
        (f"participant-{n}", str(n), start, end, "valid participant") for n in range(1, participants + 1)
    ]
    plan.append(("expired", "E", expired_from, start - dt.timedelta(days=1), "expired the day before the start"))
    plan.append(("revoked", "R", start, end, "valid by dates, revoked in the CRL"))
    issued = []
    for number, (name, label, not_before, not_after, note) in enumerate(plan, start=1):
        participant_key = key(name, PARTICIPANT_PARAMETER_SET)
        certificate = issue_certificate(
            subject=_participant_subject(number, label), public_key=participant_key.public_key, issuer_key=ca_key,
            issuer=ca_cert, serial=_serial(seed, name), not_before=not_before, not_after=not_after,
            deterministic=deterministic, backend=backend)
        issued.append(Credential(name, participant_key, certificate, note))
    revoked = issued[-1]
    crl = issue_crl(issuer_key=ca_key, issuer=ca_cert, revoked=[(revoked.certificate.serial, start)],
                    this_update=start, next_update=end, deterministic=deterministic, backend=backend)
    return TestPki(ca, tuple(issued), crl)


def write_pki(pki: TestPki, directory: Path) -> list[Path]:
    """Write keys (PKCS#8 PEM), certificates (PEM and DER), the CRL (PEM and DER) and README.txt; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, bytes, str]] = []
    for credential in (pki.ca, *pki.participants):
        cert = credential.certificate
        files += [
            (f"{credential.name}.key.pem", credential.key.pkcs8_pem(), f"private key of {credential.name} (PKCS#8, unencrypted)"),
            (f"{credential.name}.cert.pem", cert.pem(), f"certificate: {credential.note}"),
            (f"{credential.name}.cert.der", cert.der, "the same certificate in DER"),
        ]
    files += [("ca.crl.pem", pki.crl.pem(), "CRL of the CA listing the revoked participant"),
              ("ca.crl.der", pki.crl.der, "the same CRL in DER")]
    written = []
    for name, data, _ in files:
        path = directory / name
        path.write_bytes(data)
        if name.endswith(".key.pem"):
            path.chmod(0o600)
        written.append(path)
    readme = directory / "README.txt"
    readme.write_text(_readme(pki, files), encoding="utf-8")
    written.append(readme)
    return written


def _readme(pki: TestPki, files: list[tuple[str, bytes, str]]) -> str:
    lines = [
        "Test PKI for SMEV 3 conformance testing (smev-conformance pki init). NOT FOR PRODUCTION.",
        "Algorithms: GOST R 34.10-2012 256 with Streebog-256; CA on CryptoPro-A, participants on CryptoPro-XchA.",
        "",
        "Certificates:",
    ]
    for credential in (pki.ca, *pki.participants):
        cert = credential.certificate
        lines.append(f"  {credential.name}: serial {cert.serial:x}, {cert.not_before:%Y-%m-%d %H:%M} .. "
                     f"{cert.not_after:%Y-%m-%d %H:%M} UTC, {credential.note}")
        lines.append(f"    subject: {cert.subject}")
    lines += ["", f"CRL: this update {pki.crl.this_update:%Y-%m-%d}, next update "
              f"{pki.crl.next_update:%Y-%m-%d}, revoked serials: "
              f"{', '.join(f'{r.serial:x}' for r in pki.crl.revoked)}", "", "Files:"]
    lines += [f"  {name:28} {description}" for name, _, description in files]
    lines += ["", "Use: smev-conformance sign FILE --key participant-1.key.pem --cert participant-1.cert.pem",
              "     smev-conformance verify FILE --trust ca.cert.pem --crl ca.crl.pem", ""]
    return "\n".join(lines)



def _read_ca(directory: Path) -> tuple[PrivateKey, Certificate, Crl | None]:
    """The CA key, certificate and current CRL of a PKI written by `write_pki`."""
    paths = [directory / "ca.key.pem", directory / "ca.cert.pem"]
    for path in paths:
        if not path.is_file():
            raise InputError("missing: not a directory made by `pki init`", path=str(path))
    key = load_private_key(paths[0].read_bytes())
    certificate = load_certificate(paths[1].read_bytes())
    if certificate.public_key != key.public_key:
        raise InputError("ca.key.pem does not belong to ca.cert.pem", path=str(directory))
    crl_path = directory / "ca.crl.pem"
    return key, certificate, load_crl(crl_path.read_bytes()) if crl_path.is_file() else None


def issue_into(
    directory: Path,
    name: str,
    *,
    key: PrivateKey | None = None,
    common_name: str | None = None,
    organisation: str | None = None,
    validity_days: int = 365,
    start: dt.datetime | None = None,
    seed: str | None = None,
    backend: Backend | None = None,
) -> list[Path]:
    """Issue a certificate by the CA in `directory` for `key` (a new one when None); write NAME.* and return them."""
    ca_key, ca_cert, _ = _read_ca(directory)
    if start is None:
        start = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    not_after = start + dt.timedelta(days=validity_days)
    if not (ca_cert.valid_at(start) and ca_cert.valid_at(not_after)):
        raise UsageError(f"{start:%Y-%m-%d} .. {not_after:%Y-%m-%d} lies outside the CA's validity "
                         f"({ca_cert.not_before:%Y-%m-%d} .. {ca_cert.not_after:%Y-%m-%d}); choose --start/--validity")
    written = []
    if key is None:
        key = generate_private_key(PARTICIPANT_PARAMETER_SET, seed=None if seed is None else f"{seed}/{name}")
        key_path = directory / f"{name}.key.pem"
        key_path.write_bytes(key.pkcs8_pem())
        key_path.chmod(0o600)
        written.append(key_path)
    subject = [("CN", common_name or f"Тестовая ИС {name}"), ("O", organisation or f"Тестовый участник СМЭВ {name}"),
               ("C", "RU")]
    certificate = issue_certificate(
        subject=subject, public_key=key.public_key, issuer_key=ca_key, issuer=ca_cert, serial=_serial(seed, name),
        not_before=start, not_after=not_after, deterministic=seed is not None, backend=backend)
    for suffix, data in ((".cert.pem", certificate.pem()), (".cert.der", certificate.der)):
        path = directory / f"{name}{suffix}"
        path.write_bytes(data)
        written.append(path)
    _note(directory, f"{name}: serial {certificate.serial:x}, {certificate.not_before:%Y-%m-%d} .. "
                     f"{certificate.not_after:%Y-%m-%d}, issued later ({', '.join(p.name for p in written)})")
    return written


def revoke_in(directory: Path, certificate: Certificate, at: dt.datetime | None = None,
              backend: Backend | None = None) -> Crl:
    """Add `certificate` to the CRL of the CA in `directory` (a new CRL number), rewrite ca.crl.pem/.der."""
    ca_key, ca_cert, crl = _read_ca(directory)
    if not verify_certificate(certificate, ca_cert, backend):
        raise InputError(f"the certificate (issuer {certificate.issuer}) was not signed by this CA's key",
                         path=str(directory))
    at = at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    entries = [(entry.serial, entry.revoked_at) for entry in (crl.revoked if crl else ())]
    if all(serial != certificate.serial for serial, _ in entries):
        entries.append((certificate.serial, at))
    this_update = max(at, crl.this_update) if crl else at
    next_update = crl.next_update if crl and crl.next_update and crl.next_update > this_update else \
        this_update + dt.timedelta(days=30)
    new = issue_crl(issuer_key=ca_key, issuer=ca_cert, revoked=entries, this_update=this_update,
                    next_update=next_update, number=((crl.number or 0) if crl else 0) + 1, backend=backend)
    (directory / "ca.crl.pem").write_bytes(new.pem())
    (directory / "ca.crl.der").write_bytes(new.der)
    _note(directory, f"revoked serial {certificate.serial:x} at {at:%Y-%m-%d %H:%M:%S} UTC (CRL number {new.number})")
    return new


def _note(directory: Path, line: str) -> None:
    with (directory / "README.txt").open("a", encoding="utf-8") as readme:
        readme.write(f"Later: {line}\n")


# The fixed test PKI shipped in conformance/crypto/testdata (see `conformance.crypto.testdata`).
SHIPPED_SEED = "smev-tools shipped test PKI v1"
SHIPPED_START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
SHIPPED_END = dt.datetime(2045, 12, 31, tzinfo=dt.UTC)


def build_shipped_pki() -> TestPki:
    """The shipped test PKI: participant-1 is "the participant", participant-2 signs as the bus (SMEV)."""
    return build_pki(participants=2, seed=SHIPPED_SEED, start=SHIPPED_START,
                     validity_days=(SHIPPED_END - SHIPPED_START).days,
                     ca_not_before=SHIPPED_START, ca_not_after=SHIPPED_END + dt.timedelta(days=1))


def shipped_files(pki: TestPki) -> dict[str, bytes]:
    """File name -> content of the shipped test PKI."""
    participant, bus = pki.participants[0], pki.participants[1]
    return {
        "ca.key.pem": pki.ca.key.pkcs8_pem(),
        "ca.cert.pem": pki.ca.certificate.pem(),
        "ca.crl.pem": pki.crl.pem(),
        "participant.key.pem": participant.key.pkcs8_pem(),
        "participant.cert.pem": participant.certificate.pem(),
        "smev.key.pem": bus.key.pkcs8_pem(),
        "smev.cert.pem": bus.certificate.pem(),
        "revoked.key.pem": pki.participants[-1].key.pkcs8_pem(),
        "revoked.cert.pem": pki.participants[-1].certificate.pem(),
    }


if __name__ == "__main__":  # regenerate: python -m conformance.crypto.testpki
    target = Path(__file__).with_name("testdata")
    for file_name, content in shipped_files(build_shipped_pki()).items():
        (target / file_name).write_bytes(content)
        print(target / file_name)
