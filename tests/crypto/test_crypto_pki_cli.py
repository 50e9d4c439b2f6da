"""`smev-conformance pki init` and `pki show`: the files, the chain, the CRL, reproducibility, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from conformance.cli import main
from conformance.crypto import load_certificate, load_crl, load_private_key, verify_certificate, verify_crl

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki") / "out"
    assert main(["pki", "init", str(directory), "--seed", "s1", "--start", "2026-01-01", "--participants", "3",
                 "--validity", "90"]) == 0
    return directory


def test_files_and_readme(pki_dir):
    names = {p.name for p in pki_dir.iterdir()}
    for base in ("ca", "participant-1", "participant-2", "participant-3", "expired", "revoked"):
        assert {f"{base}.key.pem", f"{base}.cert.pem", f"{base}.cert.der"} <= names
    assert {"ca.crl.pem", "ca.crl.der", "README.txt"} <= names
    readme = (pki_dir / "README.txt").read_text(encoding="utf-8")
    for name in names - {"README.txt"}:
        assert name in readme
    assert oct((pki_dir / "ca.key.pem").stat().st_mode & 0o777) == "0o600"


def test_certificates_chain_to_the_ca_and_keys_load_back(pki_dir):
    ca = load_certificate((pki_dir / "ca.cert.pem").read_bytes())
    assert ca.is_ca and verify_certificate(ca, ca)
    assert load_private_key((pki_dir / "ca.key.pem").read_bytes()).public_key == ca.public_key
    for base in ("participant-1", "participant-2", "participant-3", "expired", "revoked"):
        cert = load_certificate((pki_dir / f"{base}.cert.pem").read_bytes())
        assert load_certificate((pki_dir / f"{base}.cert.der").read_bytes()) == cert
        assert verify_certificate(cert, ca), base
        assert not cert.is_ca
        assert cert.public_key.parameter_set == "1.2.643.2.2.36.0"  # CryptoPro-XchA
        assert load_private_key((pki_dir / f"{base}.key.pem").read_bytes()).public_key == cert.public_key
        assert ca.valid_at(cert.not_before) and ca.valid_at(cert.not_after)


def test_validity_periods(pki_dir):
    valid = load_certificate((pki_dir / "participant-1.cert.pem").read_bytes())
    expired = load_certificate((pki_dir / "expired.cert.pem").read_bytes())
    assert valid.not_before == START and valid.not_after == START + dt.timedelta(days=90)
    assert valid.valid_at(START) and not expired.valid_at(START)
    assert expired.valid_at(START - dt.timedelta(days=2))


def test_crl_lists_only_the_revoked_one(pki_dir):
    ca = load_certificate((pki_dir / "ca.cert.pem").read_bytes())
    crl = load_crl((pki_dir / "ca.crl.pem").read_bytes())
    assert load_crl((pki_dir / "ca.crl.der").read_bytes()) == crl
    assert verify_crl(crl, ca)
    revoked = load_certificate((pki_dir / "revoked.cert.pem").read_bytes())
    assert [entry.serial for entry in crl.revoked] == [revoked.serial]
    assert crl.this_update == START and crl.next_update > START


def test_seed_reproduces_every_byte(pki_dir, tmp_path):
    again = tmp_path / "again"
    assert main(["pki", "init", str(again), "--seed", "s1", "--start", "2026-01-01", "--participants", "3",
                 "--validity", "90"]) == 0
    for path in pki_dir.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    other = tmp_path / "other"
    assert main(["pki", "init", str(other), "--seed", "s2", "--start", "2026-01-01", "--participants", "3",
                 "--validity", "90"]) == 0
    assert (other / "ca.key.pem").read_bytes() != (pki_dir / "ca.key.pem").read_bytes()


@pytest.mark.native
def test_openssl_parses_and_verifies(pki_dir, openssl_gost):
    for base in ("ca", "participant-1", "revoked"):
        text = openssl_gost("x509", "-engine", "gost", "-in", pki_dir / f"{base}.cert.pem", "-noout", "-text")
        assert b"GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)" in text
    attime = str(int((START + dt.timedelta(days=1)).timestamp()))
    out = openssl_gost("verify", "-engine", "gost", "-attime", attime, "-crl_check", "-CRLfile",
                       pki_dir / "ca.crl.pem", "-CAfile", pki_dir / "ca.cert.pem", pki_dir / "participant-2.cert.pem")
    assert b": OK" in out


def test_existing_pki_is_not_overwritten_without_force(pki_dir, capsys):
    assert main(["pki", "init", str(pki_dir), "--seed", "s1"]) == 2
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["--start", "yesterday"], ["--participants", "0"], ["--validity", "0"]])
def test_bad_arguments_exit_2(tmp_path, capsys, arguments):
    assert main(["pki", "init", str(tmp_path / "x"), *arguments]) == 2
    assert "error:" in capsys.readouterr().err


def test_show_certificate_crl_and_key(pki_dir, capsys):
    assert main(["pki", "show", str(pki_dir / "revoked.cert.der"), "--ca", str(pki_dir / "ca.cert.pem")]) == 0
    out = capsys.readouterr().out
    assert "Тестовая ИС участника R" in out and "CryptoPro-XchA" in out and ": yes" in out
    assert main(["pki", "show", str(pki_dir / "ca.crl.pem"), "--ca", str(pki_dir / "expired.cert.pem")]) == 1
    assert ": NO" in capsys.readouterr().out
    assert main(["pki", "show", str(pki_dir / "participant-1.key.pem")]) == 0
    assert "CryptoPro-XchA" in capsys.readouterr().out
    assert main(["pki", "show", str(pki_dir / "README.txt")]) == 2
    assert "README.txt" in capsys.readouterr().err
    assert main(["pki", "show", str(pki_dir / "missing.pem")]) == 2
