"""Who the catalogue's callers are: a seeded test PKI whose certificates the bus is told about.

| identity       | mnemonic  | certificate                                   | what the bus must make of it     |
|----------------|-----------|-----------------------------------------------|----------------------------------|
| consumer       | EPGU      | valid, of the catalogue CA                    | a consumer of every sample type  |
| provider       | FNS       | valid, of the catalogue CA                    | the provider of the first type   |
| outsider       | MVD       | valid, of the catalogue CA                    | registered, not a consumer of it |
| expired        | MFC       | expired the day before the PKI's start        | CertificateIsExpired             |
| revoked        | BANK_TEST | valid by dates, revoked in the CA's CRL       | CertificateIsExpired             |
| foreign        | SFR       | the shipped participant, of another CA        | CertificateIsNotFound            |
| unregistered   | (none)    | valid, of the catalogue CA, not registered    | SenderIsNotRegistered            |

The PKI is fixed by a seed and a start date, so `write_bus_keys(DIR)` (the `--keys DIR` layout of
`smev-conformance serve`) and a later `negative --bus URL` agree on every certificate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.bus.credentials import BusCredentials
from conformance.crypto import bus_credentials as shipped_bus
from conformance.crypto import test_credentials
from conformance.crypto.issue import issue_certificate
from conformance.crypto.keyformats import generate_private_key
from conformance.crypto.testdata import read_testdata
from conformance.crypto.testpki import PARTICIPANT_PARAMETER_SET, build_pki
from conformance.protocol.operations import Rpc

if TYPE_CHECKING:
    from conformance.bus.credentials import BusCredentials
    from conformance.crypto import Certificate, PrivateKey
    from conformance.crypto.testpki import TestPki

SEED = "smev-tools negative catalogue"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
VALIDITY_DAYS = 3650

MNEMONICS: dict[str, str | None] = {
    "consumer": "EPGU", "provider": "FNS", "outsider": "MVD", "expired": "MFC", "revoked": "BANK_TEST",
    "foreign": "SFR", "unregistered": None,
}
"""Identity -> the mnemonic the bus knows its certificate under (None: not registered)."""

CALLER_OF: dict[Rpc, str] = {
    Rpc.SEND_REQUEST: "consumer", Rpc.GET_RESPONSE: "consumer", Rpc.GET_STATUS: "consumer",
    Rpc.SEND_RESPONSE: "provider", Rpc.GET_REQUEST: "provider", Rpc.ACK: "provider",
    Rpc.GET_INCOMING_QUEUE_STATISTICS: "provider",
}
"""The identity that usually makes each call (`signer: caller` in a case)."""


@dataclass(frozen=True)
class Identity:
    name: str
    mnemonic: str | None
    key: PrivateKey
    certificate: Certificate


@cache
def _pki() -> TestPki:
    return build_pki(participants=3, seed=SEED, start=START, validity_days=VALIDITY_DAYS)


@cache
def identities() -> dict[str, Identity]:
    """Every identity of the table above, by name."""
    pki = _pki()
    by_name = {c.name: c for c in pki.participants}
    shipped_key, shipped_cert, _ = test_credentials()
    pairs = {
        "consumer": (by_name["participant-1"].key, by_name["participant-1"].certificate),
        "provider": (by_name["participant-2"].key, by_name["participant-2"].certificate),
        "outsider": (by_name["participant-3"].key, by_name["participant-3"].certificate),
        "expired": (by_name["expired"].key, by_name["expired"].certificate),
        "revoked": (by_name["revoked"].key, by_name["revoked"].certificate),
        "foreign": (shipped_key, shipped_cert),
        "unregistered": _unregistered(pki),
    }
    return {name: Identity(name, MNEMONICS[name], key, cert) for name, (key, cert) in pairs.items()}


def _unregistered(pki: TestPki) -> tuple[PrivateKey, Certificate]:
    """A signing certificate of the catalogue CA that the bus is not told about (the CA's own certificate would not
    do: its KeyUsage forbids signing messages, so the bus refuses it before asking who it is)."""
    key = generate_private_key(PARTICIPANT_PARAMETER_SET, seed=f"{SEED}/unregistered")
    certificate = issue_certificate(
        subject=[("CN", "Unregistered participant (smev-tools negative catalogue)"), ("C", "RU")],
        public_key=key.public_key, issuer_key=pki.ca.key, issuer=pki.ca.certificate, serial=0x0E6157E7ED,
        not_before=START, not_after=START + dt.timedelta(days=VALIDITY_DAYS), deterministic=True)
    return key, certificate


def identity(name: str, rpc: Rpc) -> Identity:
    """The identity `name` (`caller`: the usual caller of `rpc`)."""
    return identities()[CALLER_OF[rpc] if name == "caller" else name]


def bus_credentials() -> BusCredentials:
    """What the in-process bus double is given: the shipped bus key, the catalogue CA and CRL, every registered
    identity's certificate under its mnemonic."""
    key, cert, _ = shipped_bus()
    pki = _pki()
    participants = {i.mnemonic: i.certificate for i in identities().values() if i.mnemonic}
    return BusCredentials(key, cert, pki.ca.certificate, pki.crl, participants)


def write_bus_keys(directory: str | Path) -> list[Path]:
    """Write the `serve --keys DIR` layout for a bus double that the catalogue can run against; returns the files."""
    base = Path(directory)
    (base / "participants").mkdir(parents=True, exist_ok=True)
    pki = _pki()
    files = {
        "smev.key.pem": read_testdata("smev.key.pem"), "smev.cert.pem": read_testdata("smev.cert.pem"),
        "ca.cert.pem": pki.ca.certificate.pem(), "ca.crl.pem": pki.crl.pem(),
        **{f"participants/{i.mnemonic}.cert.pem": i.certificate.pem() for i in identities().values() if i.mnemonic},
    }
    written = []
    for name, data in files.items():
        path = base / name
        path.write_bytes(data)
        if name.endswith(".key.pem"):
            path.chmod(0o600)
        written.append(path)
    return written
