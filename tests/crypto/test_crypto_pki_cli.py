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


@pytest.fixture()
def fresh_pki(tmp_path):
    directory = tmp_path / "pki"
    assert main(["pki", "init", str(directory), "--seed", "fresh", "--start", "2026-01-01", "--participants", "1"]) == 0
    return directory


def test_issue_a_new_key_and_a_given_key(fresh_pki, tmp_path):
    ca = load_certificate((fresh_pki / "ca.cert.pem").read_bytes())
    assert main(["pki", "issue", str(fresh_pki), "alice", "--cn", "Алиса", "--start", "2026-02-01",
                 "--validity", "10", "--seed", "a"]) == 0
    alice = load_certificate((fresh_pki / "alice.cert.pem").read_bytes())
    assert alice.subject.startswith("CN=Алиса") and verify_certificate(alice, ca)
    assert alice.not_after - alice.not_before == dt.timedelta(days=10)
    assert load_private_key((fresh_pki / "alice.key.pem").read_bytes()).public_key == alice.public_key
    from conformance.crypto import generate_private_key

    own = generate_private_key(seed="integrator")
    (tmp_path / "own.key.pem").write_bytes(own.pkcs8_pem())
    assert main(["pki", "issue", str(fresh_pki), "own", "--key", str(tmp_path / "own.key.pem"),
                 "--start", "2026-02-01"]) == 0
    assert not (fresh_pki / "own.key.pem").exists(), "a given key is never copied"
    assert load_certificate((fresh_pki / "own.cert.der").read_bytes()).public_key == own.public_key
    assert "alice" in (fresh_pki / "README.txt").read_text(encoding="utf-8")


def test_issue_refuses_what_the_ca_cannot_cover(fresh_pki, tmp_path, capsys):
    assert main(["pki", "issue", str(fresh_pki), "late", "--start", "2031-01-01"]) == 2
    assert "outside the CA's validity" in capsys.readouterr().err
    assert main(["pki", "issue", str(tmp_path / "nowhere"), "x"]) == 2
    assert "pki init" in capsys.readouterr().err
    assert main(["pki", "issue", str(fresh_pki), "ca"]) == 2


def test_revoke_adds_to_the_crl_with_a_new_number(fresh_pki, tmp_path, capsys):
    ca = load_certificate((fresh_pki / "ca.cert.pem").read_bytes())
    before = load_crl((fresh_pki / "ca.crl.pem").read_bytes())
    target = fresh_pki / "participant-1.cert.pem"
    assert main(["pki", "revoke", str(fresh_pki), str(target), "--at", "2026-03-01T10:00:00Z"]) == 0
    after = load_crl((fresh_pki / "ca.crl.der").read_bytes())
    assert verify_crl(after, ca) and after.number == before.number + 1
    serial = load_certificate(target.read_bytes()).serial
    assert after.revocation_of(serial).revoked_at == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    assert {entry.serial for entry in before.revoked} < {entry.serial for entry in after.revoked}
    # a certificate of another CA with the same name is refused: the signature decides, not the name
    other = tmp_path / "other"
    assert main(["pki", "init", str(other), "--seed", "another", "--start", "2026-01-01"]) == 0
    capsys.readouterr()
    assert main(["pki", "revoke", str(fresh_pki), str(other / "participant-1.cert.pem")]) == 2
    assert "not signed by this CA" in capsys.readouterr().err
