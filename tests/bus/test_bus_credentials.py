"""The --keys DIR layout of the bus double: its key, the CA, the CRL and participants known by certificate."""

from __future__ import annotations

import pytest

from conformance.bus.credentials import load_credentials
from conformance.crypto.testdata import read_testdata
from conformance.errors import InputError


def _keys_dir(tmp_path, *, with_key: bool = True):
    for name in ("smev.cert.pem", "ca.cert.pem", "ca.crl.pem", *(("smev.key.pem",) if with_key else ())):
        (tmp_path / name).write_bytes(read_testdata(name))
    (tmp_path / "participants").mkdir()
    (tmp_path / "participants" / "MVD.cert.pem").write_bytes(read_testdata("participant.cert.pem"))
    (tmp_path / "participants" / "SFR.cert.pem").write_bytes(read_testdata("revoked.cert.pem"))
    return tmp_path


def test_a_keys_directory_loads_key_ca_crl_and_participants(tmp_path):
    creds = load_credentials(_keys_dir(tmp_path))
    shipped = load_credentials()
    assert creds.certificate.der == shipped.certificate.der and creds.ca.der == shipped.ca.der
    assert creds.crl is not None and sorted(creds.participants) == ["MVD", "SFR"]
    participant_der = creds.participants["MVD"].der
    assert creds.mnemonic_of(participant_der) == "MVD" and creds.mnemonic_of(b"other") is None


def test_missing_bus_key_is_an_input_error_naming_it(tmp_path):
    with pytest.raises(InputError, match="smev.key.pem"):
        load_credentials(_keys_dir(tmp_path, with_key=False))


def test_a_broken_certificate_is_an_input_error_naming_the_file(tmp_path):
    keys = _keys_dir(tmp_path)
    (keys / "participants" / "BAD.cert.pem").write_text("not a certificate")
    with pytest.raises(InputError, match="BAD.cert.pem: not a certificate"):
        load_credentials(keys)


def test_keys_dir_must_exist(tmp_path):
    with pytest.raises(InputError, match="--keys names no directory"):
        load_credentials(tmp_path / "nope")
