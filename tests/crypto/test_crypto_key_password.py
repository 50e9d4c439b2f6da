"""Encrypted private keys on the command line: `--key-password-file FILE` and `--key-password-env VAR`.

Keys are made and encrypted here by openssl's GOST engine (PBES2 with AES-256-CBC and with GOST 28147-89), then
certified (`pki issue --key`), signed with (`sign`, `sample`, the bus double's `--keys`) and the signatures checked
by `smev-conformance verify` against the CA. Every refusal is one line, exit 2, naming the key file and never the
password. The engine-free refusals (no password, `--crypto pure`, unreadable password sources) are in
`tests/cli/test_cli_bad_input.py`; these skip without the engine.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest
from cli_cases import assert_refused_in_one_line, run_in_process
from hypothesis import given
from hypothesis import strategies as st

from conformance.bus.credentials import load_credentials
from conformance.cli import main
from conformance.crypto import load_certificate, load_private_key
from conformance.crypto.keyfile import MAX_PASSWORD_FILE, add_key_password_options, key_password
from conformance.errors import InputError, UsageError

PASSWORD = "пароль с пробелом"  # non-ASCII and a space: the UTF-8 bytes, as a shell hands them to openssl
VARIABLE = "SMEV_TEST_KEY_PASSWORD"
TESTDATA = Path(__file__).resolve().parents[2] / "conformance" / "crypto" / "testdata"


def _run(*argv: str | Path) -> tuple[int, str, str]:
    return run_in_process(main, [str(a) for a in argv])


@pytest.fixture(scope="module", params=["aes-256-cbc", "gost89"])
def made(request, tmp_path_factory, openssl_gost, native) -> Path:
    """A test PKI, a key of ours encrypted by openssl with the cipher of the parameter, certified by that PKI's CA
    through `pki issue --key` (which has to open it), and the password in a file."""
    d = tmp_path_factory.mktemp(f"encrypted-{request.param}")
    assert _run("pki", "init", d / "pki", "--seed", "keypassword")[0] == 0
    openssl_gost("genpkey", "-engine", "gost", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:XA",
                 "-out", d / "mine.plain.pem")
    openssl_gost("pkcs8", "-engine", "gost", "-topk8", "-v2", request.param, "-in", d / "mine.plain.pem",
                 "-passout", f"pass:{PASSWORD}", "-out", d / "mine.key.pem")
    assert b"ENCRYPTED PRIVATE KEY" in (d / "mine.key.pem").read_bytes()
    (d / "password.txt").write_bytes(PASSWORD.encode() + b"\n")
    code, out, err = _run("pki", "issue", d / "pki", "mine", "--key", d / "mine.key.pem",
                          "--key-password-file", d / "password.txt")
    assert code == 0, err
    plain = load_private_key((d / "mine.plain.pem").read_bytes())
    assert load_certificate((d / "pki" / "mine.cert.pem").read_bytes()).public_key == plain.public_key
    assert _run("sample", "--unsigned", "--output", d / "request.xml")[0] == 0
    return d


def _verified(path: Path, *cas: Path) -> None:
    code, out, err = _run("verify", path, *[arg for ca in cas for arg in ("--trust", ca)])
    assert code == 0, out + err


@pytest.mark.native
def test_sign_with_a_password_file_and_verify(made: Path) -> None:
    out = made / "signed-file.xml"
    code, _, err = _run("sign", made / "request.xml", "--key", made / "mine.key.pem", "--cert",
                        made / "pki" / "mine.cert.pem", "--key-password-file", made / "password.txt", "-o", out)
    assert code == 0, err
    _verified(out, made / "pki" / "ca.cert.pem")


@pytest.mark.native
def test_sign_with_a_password_variable_and_verify(made: Path, monkeypatch) -> None:
    monkeypatch.setenv(VARIABLE, PASSWORD)
    out = made / "signed-env.xml"
    code, _, err = _run("sign", made / "request.xml", "--key", made / "mine.key.pem", "--cert",
                        made / "pki" / "mine.cert.pem", "--key-password-env", VARIABLE, "-o", out)
    assert code == 0, err
    _verified(out, made / "pki" / "ca.cert.pem")


@pytest.mark.native
def test_sample_signs_with_an_encrypted_key(made: Path, monkeypatch) -> None:
    monkeypatch.setenv(VARIABLE, PASSWORD)
    out = made / "sample-signed.xml"
    code, _, err = _run("sample", "--key", made / "mine.key.pem", "--cert", made / "pki" / "mine.cert.pem",
                        "--key-password-env", VARIABLE, "--output", out)
    assert code == 0, err
    assert b"CallerInformationSystemSignature" in out.read_bytes()
    # the caller's signature chains to our CA, the bus's (the shipped test PKI) to the shipped CA
    _verified(out, made / "pki" / "ca.cert.pem", TESTDATA / "ca.cert.pem")
    code, _, _ = _run("verify", out, "--trust", TESTDATA / "ca.cert.pem")
    assert code == 1  # so the caller's signature was judged against our CA, and holds there


@pytest.mark.native
def test_pki_show_opens_an_encrypted_key(made: Path, capsys) -> None:
    code, out, err = _run("pki", "show", made / "mine.key.pem", "--key-password-file", made / "password.txt")
    assert code == 0, err
    plain = load_private_key((made / "mine.plain.pem").read_bytes())
    assert plain.public_key.to_bytes().hex() in out


@pytest.mark.native
def test_the_bus_double_signs_with_an_encrypted_keys_dir_key(made: Path, openssl_gost, monkeypatch,
                                                              tmp_path: Path) -> None:
    """`serve --keys DIR` with an encrypted smev.key.pem: the double's answers verify against DIR's CA."""
    from conformance.bus import server as http_server
    from conformance.bus.client import BusClient
    from conformance.protocol.samples import sample_message
    from conformance.xmldsig.signer import signing_hook

    keys = tmp_path / "keys"
    shutil.copytree(made / "pki", keys)
    assert _run("pki", "issue", keys, "smev", "--seed", "bus")[0] == 0
    (keys / "smev.key.pem").rename(tmp_path / "smev.plain.pem")
    openssl_gost("pkcs8", "-engine", "gost", "-topk8", "-v2", "aes-256-cbc", "-in", tmp_path / "smev.plain.pem",
                 "-passout", f"pass:{PASSWORD}", "-out", keys / "smev.key.pem")
    (keys / "participants").mkdir()
    shutil.copy(keys / "mine.cert.pem", keys / "participants" / "EPGU.cert.pem")  # consumes every shipped type
    monkeypatch.setenv(VARIABLE, PASSWORD)

    made_buses: list = []

    class _Stop(Exception):  # noqa: N818 - a signal, not an error
        pass

    def capture(bus, *args, **kwargs):
        made_buses.append(bus)
        raise _Stop

    original = http_server.make_server
    monkeypatch.setattr(http_server, "make_server", capture)
    with pytest.raises(_Stop):
        main(["serve", "--keys", str(keys), "--key-password-env", VARIABLE, "--no-rules"])
    monkeypatch.setattr(http_server, "make_server", original)
    running = http_server.start(made_buses[0])
    try:
        key = load_private_key((made / "mine.key.pem").read_bytes(), password=PASSWORD)
        client = BusClient(running.url, sign=signing_hook(key, load_certificate((keys / "mine.cert.pem").read_bytes())))
        reply = client.call(sample_message("SendRequestRequest", "1.3"))
    finally:
        running.close()
    assert reply.status == 200, reply.body.decode()
    answer = tmp_path / "answer.xml"
    answer.write_bytes(reply.body)
    assert b"SMEVSignature" in reply.body
    _verified(answer, keys / "ca.cert.pem")


@pytest.mark.native
def test_load_credentials_opens_the_encrypted_bus_key(made: Path, openssl_gost, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy(made / "mine.key.pem", keys / "smev.key.pem")
    shutil.copy(made / "pki" / "mine.cert.pem", keys / "smev.cert.pem")
    opened = load_credentials(keys, password=PASSWORD.encode())
    assert opened.key == load_private_key((made / "mine.plain.pem").read_bytes())
    with pytest.raises(InputError, match="smev.key.pem: the private key is encrypted: give its password"):
        load_credentials(keys)


@pytest.mark.native
def test_run_dry_run_opens_the_encrypted_bus_key(made: Path, tmp_path: Path) -> None:
    """`run --keys DIR` opens smev.key.pem before anything runs (the dry run checks it too)."""
    provider = Path(__file__).resolve().parents[2] / "conformance" / "reference" / "participants" / \
        "reference.provider.yaml"
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy(made / "mine.key.pem", keys / "smev.key.pem")
    shutil.copy(made / "pki" / "mine.cert.pem", keys / "smev.cert.pem")
    argv = ["run", "--suite", "provider", "--participant", provider, "--keys", keys, "--port", "0", "--dry-run"]
    code, out, err = _run(*argv, "--key-password-file", made / "password.txt")
    assert code == 0, err
    assert "dry run" in out
    (tmp_path / "wrong.txt").write_text("wrong\n")
    code, out, err = _run(*argv, "--key-password-file", tmp_path / "wrong.txt")
    assert_refused_in_one_line(code, out, err, (f"{keys / 'smev.key.pem'}:", "wrong password"))


# --- refusals that need a key the engine encrypted -------------------------------------------------------------


@pytest.mark.native
@pytest.mark.parametrize("source", ["file", "env"])
def test_a_wrong_password_names_the_key_and_never_the_password(made: Path, monkeypatch, source: str) -> None:
    wrong = "неверный-пароль-42"
    (made / "wrong.txt").write_text(wrong + "\n", encoding="utf-8")
    monkeypatch.setenv(VARIABLE, wrong)
    given = ["--key-password-file", made / "wrong.txt"] if source == "file" else ["--key-password-env", VARIABLE]
    for argv in (["sign", made / "request.xml", "--key", made / "mine.key.pem", "--cert",
                  made / "pki" / "mine.cert.pem", *given],
                 ["pki", "show", made / "mine.key.pem", *given],
                 ["sample", "--key", made / "mine.key.pem", "--cert", made / "pki" / "mine.cert.pem", *given]):
        code, out, err = _run(*argv)
        line = assert_refused_in_one_line(code, out, err, (str(made / "mine.key.pem"), "wrong password"))
        assert wrong not in line and PASSWORD not in line


@pytest.mark.native
def test_an_encrypted_key_without_a_password_says_how_to_give_it(made: Path) -> None:
    code, out, err = _run("sign", made / "request.xml", "--key", made / "mine.key.pem", "--cert",
                          made / "pki" / "mine.cert.pem")
    assert_refused_in_one_line(code, out, err, (f"{made / 'mine.key.pem'}: the private key is encrypted",
                                                "--key-password-file FILE", "--key-password-env VAR"))


@pytest.mark.native
def test_an_encrypted_key_with_crypto_pure_says_decrypting_needs_native(made: Path) -> None:
    code, out, err = _run("sign", made / "request.xml", "--key", made / "mine.key.pem", "--cert",
                          made / "pki" / "mine.cert.pem", "--key-password-file", made / "password.txt",
                          "--crypto", "pure")
    line = assert_refused_in_one_line(code, out, err, ("mine.key.pem", "native", "--crypto pure",
                                                       "libengine-gost-openssl"))
    assert PASSWORD not in line


# --- the password sources, without the engine ----------------------------------------------------------------


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_key_password_options(parser)
    return parser.parse_args(argv)


def test_a_password_for_an_unencrypted_key_is_accepted(tmp_path: Path) -> None:
    """Documented choice: like openssl's -passin, a password an unencrypted key does not need is not an error."""
    (tmp_path / "password.txt").write_text("unused\n")
    assert _run("sample", "--unsigned", "--output", tmp_path / "request.xml")[0] == 0
    code, _, err = _run("sign", tmp_path / "request.xml", "--key", TESTDATA / "participant.key.pem", "--cert",
                        TESTDATA / "participant.cert.pem", "--key-password-file", tmp_path / "password.txt",
                        "-o", tmp_path / "signed.xml")
    assert (code, err) == (0, "")
    assert b"SignatureValue" in (tmp_path / "signed.xml").read_bytes()


@given(line=st.binary(min_size=1, max_size=200).filter(lambda b: b"\n" not in b and not b.endswith(b"\r")),
       ending=st.sampled_from([b"", b"\n", b"\r\n", b"\nsecond line\n"]))
def test_the_password_is_the_file_s_first_line_without_its_newline(tmp_path_factory, line: bytes,
                                                                    ending: bytes) -> None:
    path = tmp_path_factory.mktemp("pw") / "password"
    path.write_bytes(line + ending)
    assert key_password(_args(["--key-password-file", str(path)]), key_given=True) == line


@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     min_size=1, max_size=50))
def test_the_password_variable_gives_its_utf8_bytes(value: str) -> None:
    import os

    os.environ[VARIABLE] = value
    try:
        assert key_password(_args(["--key-password-env", VARIABLE]), key_given=True) == value.encode("utf-8")
    finally:
        del os.environ[VARIABLE]


def test_an_empty_variable_and_an_oversized_file_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(VARIABLE, "")
    with pytest.raises(UsageError, match=f"--key-password-env {VARIABLE}: .* is empty"):
        key_password(_args(["--key-password-env", VARIABLE]), key_given=True)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_PASSWORD_FILE + 1))
    with pytest.raises(InputError, match=f"{big}: a key password file holds one line"):
        key_password(_args(["--key-password-file", str(big)]), key_given=True)
    nothing = _args([])
    assert key_password(nothing, key_given=False) is None
