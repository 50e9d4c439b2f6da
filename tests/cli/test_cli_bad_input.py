"""The mistakes a user makes on every `smev-conformance` command, one input and one expected outcome per case
(X-Road style): exit 2 with one line on standard error naming the file or flag and the problem, nothing on standard
output a pipeline could take for a result, never a traceback. Message files themselves are judged (exit 1), not
refused, when they are merely not SMEV messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_cases import assert_refused_in_one_line, run_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.cli import main

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "conformance" / "crypto" / "testdata"
PROVIDER = ROOT / "conformance" / "reference" / "participants" / "reference.provider.yaml"
ENCRYPTED_KEY = Path(__file__).resolve().parent / "keys" / "participant.key.encrypted.pem"  # see keys/README.md
UNSET = "SMEV_TEST_NO_SUCH_PASSWORD_VARIABLE"


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the wrong things: empty, binary, misencoded, YAML for XML and XML for YAML, wrong types."""
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.xml").write_bytes(b"")
    (d / "garbage.bin").write_bytes(bytes(range(256)) * 8)
    (d / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (d / "utf16.xml").write_bytes('<?xml version="1.0"?><a/>'.encode("utf-16"))
    (d / "list.yaml").write_text("a: 1\nb: [x\n")
    (d / "doc.xml").write_text('<?xml version="1.0"?><a/>')
    (d / "scenario.yaml").write_text("name: x\n")
    (d / "registry-types.yaml").write_text("schema_dir: 5\ntypes: a string\n")
    (d / "participant-types.yaml").write_text("participant: 7\nrole: [provider]\ntypes: 3\nbus: yes\n")
    (d / "notcert.pem").write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    (d / "adir").mkdir()
    shutil.copy(TESTDATA / "ca.cert.pem", d / "ca.cert.pem")
    shutil.copy(TESTDATA / "ca.crl.pem", d / "ca.crl.pem")
    shutil.copy(ENCRYPTED_KEY, d / "encrypted.key.pem")
    (d / "password.txt").write_text("smev-test-password\n")
    (d / "enckeys").mkdir()  # a bus keys directory whose smev.key.pem is encrypted
    shutil.copy(ENCRYPTED_KEY, d / "enckeys" / "smev.key.pem")
    shutil.copy(TESTDATA / "participant.cert.pem", d / "enckeys" / "smev.cert.pem")
    (d / "capture").mkdir()
    (d / "capture" / "0001-SendRequest.request.http").write_bytes(
        b"POST /smev HTTP/1.1\r\nContent-Type: text/xml\r\n\r\n<x/>")
    return d


def _run(argv: list[str]) -> tuple[int, str, str]:
    """`smev-conformance ARGV` in process: (exit code, stdout, stderr)."""
    return run_in_process(main, argv)


# (case id, argv with {d} for the folder of bad files, the words stderr's one line must hold)
REFUSED: list[tuple[str, str, tuple[str, ...]]] = [
    # check
    ("check-missing", "check {d}/nope.xml", ("nope.xml", "no such file")),
    ("check-empty-dir", "check {d}/adir", ("adir", "no *.xml")),
    ("check-at-word", "check {d}/doc.xml --at yesterday", ("--at", "yesterday", "ISO 8601")),
    ("check-at-month-13", "check {d}/doc.xml --at 2026-13-45T00:00:00Z", ("--at", "ISO 8601")),
    ("check-at-year-5-digits", "check {d}/doc.xml --at 99999-01-01T00:00:00Z", ("--at",)),
    ("check-select-unknown", "check {d}/doc.xml --select NOPE", ("NOPE", "rule")),
    ("check-format-unknown", "check {d}/doc.xml --format pdf", ("--format", "pdf")),
    ("check-fail-on-unknown", "check {d}/doc.xml --fail-on never", ("--fail-on", "never")),
    ("check-misspelt-flag", "check {d}/doc.xml --selct MSG", ("--selct", "did you mean --select")),
    ("check-no-path", "check", ("PATH",)),
    ("check-registry-xml", "check {d}/doc.xml --registry {d}/doc.xml", ("doc.xml:1", "registry")),
    ("check-registry-binary", "check {d}/doc.xml --registry {d}/garbage.bin", ("garbage.bin", "UTF-8")),
    ("check-registry-latin1", "check {d}/doc.xml --registry {d}/latin1.yaml", ("latin1.yaml", "UTF-8")),
    ("check-registry-dir", "check {d}/doc.xml --registry {d}/adir", ("adir", "directory")),
    ("check-registry-missing", "check {d}/doc.xml --registry {d}/nope.yaml", ("nope.yaml", "no such file")),
    ("check-schemas-missing", "check {d}/doc.xml --schemas {d}/nope", ("--schemas", "nope")),
    ("check-schemas-file", "check {d}/doc.xml --schemas {d}/doc.xml", ("--schemas", "doc.xml")),
    ("check-schemas-no-xsd", "check {d}/doc.xml --schemas {d}/adir", ("--schemas", "no *.xsd")),
    ("check-output-dir", "check {d}/doc.xml --output {d}/adir", ("adir",)),
    ("unknown-command", "chek {d}/doc.xml", ("chek", "invalid choice")),
    # rules
    ("rules-unknown-id", "rules NOPE-RULE", ("NOPE-RULE",)),
    ("rules-select-unknown", "rules --select ZZZ", ("ZZZ",)),
    # sample
    ("sample-type-unknown", "sample --type nope", ("--type", "nope")),
    ("sample-operation-unknown", "sample --operation Nope", ("--operation", "Nope")),
    ("sample-version-unknown", "sample --version 9.9", ("--version", "9.9")),
    ("sample-variant-unknown", "sample --variant nope", ("nope",)),
    ("sample-seed-negative", "sample --seed=-1", ("--seed", "non-negative")),
    ("sample-seed-word", "sample --seed abc", ("--seed", "abc")),
    ("sample-at-word", "sample --at yesterday", ("--at", "yesterday")),
    ("sample-all-no-output", "sample --all", ("--all", "--output")),
    ("sample-key-without-cert", "sample --key {d}/notcert.pem", ("--key", "--cert")),
    ("sample-registry-bad-yaml", "sample --registry {d}/list.yaml", ("list.yaml:3", "YAML")),
    # types
    ("types-registry-empty", "types --registry {d}/empty.xml", ("empty.xml", "empty")),
    ("types-registry-xml", "types --registry {d}/doc.xml", ("doc.xml:1",)),
    # transform
    ("transform-missing", "transform {d}/nope.xml", ("nope.xml",)),
    ("transform-dir", "transform {d}/adir", ("adir", "directory")),
    ("transform-empty", "transform {d}/empty.xml", ("empty.xml", "empty")),
    ("transform-binary", "transform {d}/garbage.bin", ("garbage.bin", "not XML")),
    ("transform-yaml", "transform {d}/scenario.yaml", ("scenario.yaml",)),
    ("transform-id-unknown", "transform {d}/doc.xml --id NOPE", ("doc.xml", "NOPE")),
    ("transform-escaping-unknown", "transform {d}/doc.xml --escaping html", ("--escaping", "html")),
    # sign
    ("sign-key-not-a-key", "sign {d}/doc.xml --key {d}/notcert.pem --cert {d}/ca.cert.pem", ("notcert.pem", "key")),
    ("sign-key-binary", "sign {d}/doc.xml --key {d}/garbage.bin --cert {d}/ca.cert.pem", ("garbage.bin", "key")),
    ("sign-key-dir", "sign {d}/doc.xml --key {d}/adir --cert {d}/ca.cert.pem", ("adir",)),
    ("sign-key-missing", "sign {d}/doc.xml --key {d}/nope.pem --cert {d}/ca.cert.pem", ("nope.pem",)),
    ("sign-key-is-a-cert", "sign {d}/doc.xml --key {d}/ca.cert.pem --cert {d}/ca.cert.pem", ("ca.cert.pem", "key")),
    ("sign-no-cert", "sign {d}/doc.xml --key {d}/ca.cert.pem", ("--cert",)),
    # encrypted keys: no password, a password source that gives none, a backend that cannot decrypt
    ("sign-key-encrypted-no-password", "sign {d}/doc.xml --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem",
     ("encrypted.key.pem: the private key is encrypted", "--key-password-file FILE", "--key-password-env VAR")),
    ("sign-key-encrypted-pure", "sign {d}/doc.xml --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem "
     "--key-password-file {d}/password.txt --crypto pure", ("encrypted.key.pem", "native", "--crypto pure")),
    ("sign-key-password-file-missing", "sign {d}/doc.xml --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem "
     "--key-password-file {d}/nope.txt", ("nope.txt", "key password file", "--key-password-file")),
    ("sign-key-password-file-dir", "sign {d}/doc.xml --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem "
     "--key-password-file {d}/adir", ("adir", "key password file")),
    ("sign-key-password-file-empty", "sign {d}/doc.xml --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem "
     "--key-password-file {d}/empty.xml", ("empty.xml", "first line is empty")),
    ("sign-key-password-env-unset", "sign {d}/doc.xml --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem "
     f"--key-password-env {UNSET}", ("--key-password-env", UNSET, "not set")),
    ("sign-key-password-both", "sign {d}/doc.xml --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem "
     "--key-password-file {d}/password.txt --key-password-env HOME", ("--key-password-env", "not allowed with")),
    ("sample-key-encrypted-no-password", "sample --key {d}/encrypted.key.pem --cert {d}/ca.cert.pem",
     ("encrypted.key.pem", "encrypted", "--key-password-file")),
    ("sample-key-password-without-key", "sample --key-password-file {d}/password.txt",
     ("--key-password-file", "without --key")),
    ("sample-key-password-unsigned", "sample --unsigned --key-password-env HOME", ("--key-password-env", "--key")),
    ("pki-issue-key-encrypted-no-password", "pki issue {d}/adir x --key {d}/encrypted.key.pem",
     ("encrypted.key.pem", "encrypted", "--key-password-env")),
    ("pki-issue-key-password-without-key", "pki issue {d}/adir x --key-password-file {d}/password.txt",
     ("--key-password-file", "without --key")),
    ("pki-show-key-encrypted-no-password", "pki show {d}/encrypted.key.pem",
     ("encrypted.key.pem", "encrypted", "--key-password-file")),
    ("pki-show-key-encrypted-pure", "pki show {d}/encrypted.key.pem --key-password-file {d}/password.txt "
     "--crypto pure", ("encrypted.key.pem", "native", "--crypto pure")),
    ("serve-keys-encrypted-no-password", "serve --keys {d}/enckeys",
     ("smev.key.pem: the private key is encrypted", "--key-password-file")),
    ("serve-keys-encrypted-pure", "serve --keys {d}/enckeys --key-password-file {d}/password.txt --crypto pure",
     ("smev.key.pem", "native")),
    ("serve-key-password-without-keys", "serve --key-password-file {d}/password.txt",
     ("--key-password-file", "without --keys")),
    ("run-keys-encrypted-no-password", f"run --suite provider --participant {PROVIDER} --keys {{d}}/enckeys "
     "--dry-run", ("smev.key.pem", "encrypted", "--key-password-env")),
    ("run-key-password-env-unset", f"run --suite provider --participant {PROVIDER} --keys {{d}}/enckeys "
     f"--key-password-env {UNSET} --dry-run", (UNSET, "not set")),
    ("run-key-password-without-keys", f"run --suite provider --participant {PROVIDER} --key-password-env HOME "
     "--dry-run", ("--key-password-env", "without --keys")),
    ("replay-keys-encrypted-no-password", "replay {d}/capture --all --keys {d}/enckeys",
     ("smev.key.pem", "encrypted", "--key-password-file")),
    ("replay-key-password-without-keys", "replay {d}/capture --all --key-password-file {d}/password.txt",
     ("--key-password-file", "without --keys")),
    # verify
    ("verify-missing", "verify {d}/nope.xml", ("nope.xml",)),
    ("verify-trust-not-a-cert", "verify {d}/doc.xml --trust {d}/notcert.pem", ("notcert.pem", "certificate")),
    ("verify-trust-binary", "verify {d}/doc.xml --trust {d}/garbage.bin", ("garbage.bin", "certificate")),
    ("verify-trust-is-a-crl", "verify {d}/doc.xml --trust {d}/ca.crl.pem", ("ca.crl.pem", "CERTIFICATE")),
    ("verify-trust-missing", "verify {d}/doc.xml --trust {d}/nope.pem", ("nope.pem",)),
    ("verify-crl-not-a-crl", "verify {d}/doc.xml --crl {d}/notcert.pem", ("notcert.pem", "CRL")),
    ("verify-crl-is-a-cert", "verify {d}/doc.xml --crl {d}/ca.cert.pem", ("ca.cert.pem", "CRL")),
    ("verify-crl-binary", "verify {d}/doc.xml --crl {d}/garbage.bin", ("garbage.bin", "CRL")),
    ("verify-at-word", "verify {d}/doc.xml --at yesterday", ("--at", "yesterday")),
    # pki
    ("pki-init-onto-file", "pki init {d}/doc.xml", ("doc.xml", "not a directory")),
    ("pki-issue-not-a-pki", "pki issue {d}/adir x", ("ca.key.pem", "pki init")),
    ("pki-issue-bad-name", "pki issue {d}/adir bad/name", ("bad/name",)),
    ("pki-revoke-not-a-cert", "pki revoke {d}/adir {d}/notcert.pem", ("notcert.pem",)),
    ("pki-show-not-pki", "pki show {d}/notcert.pem", ("notcert.pem", "certificate")),
    ("pki-show-empty", "pki show {d}/empty.xml", ("empty.xml", "empty")),
    ("pki-show-dir", "pki show {d}/adir", ("adir",)),
    ("pki-no-action", "pki", ("ACTION",)),
    # serve: every one refused before a socket is opened
    ("serve-port-huge", "serve --port 99999", ("--port", "99999")),
    ("serve-port-negative", "serve --port=-1", ("--port", "-1")),
    ("serve-port-word", "serve --port abc", ("--port", "abc")),
    ("serve-host-public", "serve --host 8.8.8.8", ("--host", "loopback")),
    ("serve-ack-timeout-word", "serve --ack-timeout abc", ("--ack-timeout", "abc")),
    ("serve-ack-timeout-negative", "serve --ack-timeout=-5s", ("--ack-timeout", "negative")),
    ("serve-ack-timeout-infinite", "serve --ack-timeout 1e400s", ("--ack-timeout", "too large")),
    ("serve-poll-window-infinite", "serve --poll-window 1e400s", ("--poll-window", "too large")),
    ("serve-poll-window-negative", "serve --poll-window=-1s", ("--poll-window",)),
    ("serve-participant-no-equals", "serve --participant nope", ("--participant", "nope")),
    ("serve-participant-not-a-cert", "serve --participant X={d}/notcert.pem", ("notcert.pem", "certificate")),
    ("serve-keys-empty-dir", "serve --keys {d}/adir", ("smev.key.pem", "--keys")),
    ("serve-registry-bad-yaml", "serve --registry {d}/list.yaml", ("list.yaml:3",)),
    ("serve-state-dir", "serve --state {d}/adir", ("adir", "state")),
    ("serve-state-not-sqlite", "serve --state {d}/garbage.bin", ("garbage.bin", "database")),
    ("serve-fast-state-alone", "serve --fast-state", ("--fast-state", "--state")),
    # run
    ("run-no-participant", "run --suite provider --dry-run", ("--participant",)),
    ("run-participant-missing", "run --suite provider --participant {d}/nope.yaml --dry-run", ("nope.yaml",)),
    ("run-participant-binary", "run --suite provider --participant {d}/garbage.bin --dry-run", ("garbage.bin",)),
    ("run-participant-xml", "run --suite provider --participant {d}/doc.xml --dry-run", ("doc.xml:1", "participant")),
    ("run-participant-dir", "run --suite provider --participant {d}/adir --dry-run", ("adir", "directory")),
    ("run-suite-bad-yaml", f"run --suite {{d}}/list.yaml --participant {PROVIDER} --dry-run", ("list.yaml:3",)),
    ("run-suite-binary", f"run --suite {{d}}/garbage.bin --participant {PROVIDER} --dry-run", ("garbage.bin",)),
    ("run-port-huge", f"run --suite provider --participant {PROVIDER} --port 99999 --dry-run", ("--port", "99999")),
    ("run-negative-word", f"run --suite provider --participant {PROVIDER} --negative abc --dry-run", ("--negative",)),
    ("run-negative-negative", f"run --suite provider --participant {PROVIDER} --negative=-1 --dry-run",
     ("--negative",)),
    ("run-seed-negative", f"run --suite provider --participant {PROVIDER} --seed=-1 --dry-run", ("--seed",)),
    ("run-registry-bad-yaml", f"run --suite provider --participant {PROVIDER} --registry {{d}}/list.yaml --dry-run",
     ("list.yaml:3",)),
    # negative
    ("negative-catalogue-missing", "negative --catalogue {d}/nope.yaml --list", ("nope.yaml",)),
    ("negative-catalogue-binary", "negative --catalogue {d}/garbage.bin --list", ("garbage.bin", "UTF-8")),
    ("negative-catalogue-bad-yaml", "negative --catalogue {d}/list.yaml --list", ("list.yaml:3",)),
    ("negative-select-unknown", "negative --select NOPE --list", ("--select", "NOPE")),
    ("negative-bus-not-url", "negative --bus notaurl", ("--bus", "notaurl")),
    ("negative-bus-unreachable", "negative --bus http://127.0.0.1:1/smev --select NEG-SIG", ("127.0.0.1:1",)),
    ("negative-write-keys-onto-file", "negative --write-keys {d}/doc.xml", ("doc.xml",)),
    # replay
    ("replay-missing", "replay {d}/nope", ("nope",)),
    ("replay-binary", "replay {d}/garbage.bin", ("garbage.bin", "capture")),
    ("replay-empty-dir", "replay {d}/adir", ("adir", "request.http")),
    ("replay-timeout-nan", "replay {d}/adir --timeout nan", ("--timeout", "nan")),
    ("replay-timeout-negative", "replay {d}/adir --timeout=-1", ("--timeout", "-1")),
    ("replay-timeout-infinite", "replay {d}/adir --timeout 1e400", ("--timeout",)),
    ("replay-exchange-negative", "replay {d}/adir --exchange=-1", ("--exchange",)),
    ("replay-to-and-participant", f"replay {{d}}/adir --to http://127.0.0.1:1/ --participant {PROVIDER}",
     ("--participant", "--to")),
]

# Files whose YAML floor reports every problem, one line each (file:line: field: what), rather than the first one.
MANY_PROBLEMS: list[tuple[str, str, str]] = [
    ("run-participant-wrong-types", "run --suite provider --participant {d}/participant-types.yaml --dry-run",
     "participant-types.yaml"),
    ("run-participant-scenario", "run --suite provider --participant {d}/scenario.yaml --dry-run", "scenario.yaml"),
    ("check-registry-wrong-types", "check {d}/doc.xml --registry {d}/registry-types.yaml", "registry-types.yaml"),
    ("types-registry-wrong-types", "types --registry {d}/registry-types.yaml", "registry-types.yaml"),
    ("negative-catalogue-scenario", "negative --catalogue {d}/scenario.yaml --list", "scenario.yaml"),
]


def _argv(template: str, d: Path) -> list[str]:
    return template.replace("{d}", str(d)).split()


@pytest.mark.parametrize(("case", "template", "words"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_mistake_is_one_line_and_exit_2(bad: Path, case: str, template: str, words: tuple[str, ...]) -> None:
    line = assert_refused_in_one_line(*_run(_argv(template, bad)), words)
    assert line.startswith("smev-conformance"), line


@pytest.mark.parametrize(("case", "template", "name"), MANY_PROBLEMS, ids=[c[0] for c in MANY_PROBLEMS])
def test_a_file_of_wrong_fields_names_the_file_on_every_line(bad: Path, case: str, template: str, name: str) -> None:
    code, out, err = _run(_argv(template, bad))
    assert "Traceback" not in err, err
    assert (code, out) == (2, ""), (code, out, err)
    lines = err.splitlines()
    assert lines and all(f"{name}:" in line for line in lines), err


# Message files that are not SMEV messages are judged, not refused: exit 1, a report naming what is wrong.
JUDGED: list[tuple[str, str, str]] = [
    ("check-empty", "check {d}/empty.xml --select MSG-XML", "MSG-XML-EMPTY"),
    ("check-binary", "check {d}/garbage.bin --select MSG-XML", "MSG-XML-WELLFORMED"),
    ("check-yaml", "check {d}/scenario.yaml --select MSG-XML", "MSG-XML-WELLFORMED"),
    ("check-content-type-not-media-type", "check {d}/doc.xml --content-type garbage --select MSG-MTOM",
     "'garbage' is not a media type"),
    ("verify-binary", "verify {d}/garbage.bin", "MSG-XML-WELLFORMED"),
    ("verify-empty", "verify {d}/empty.xml", "MSG-XML-EMPTY"),
]


@pytest.mark.parametrize(("case", "template", "word"), JUDGED, ids=[c[0] for c in JUDGED])
def test_a_file_that_is_no_message_fails_its_check(bad: Path, case: str, template: str, word: str) -> None:
    code, out, err = _run([*_argv(template, bad), "--format", "json", "-v"] if "verify" not in template
                          else [*_argv(template, bad), "--format", "json"])
    assert "Traceback" not in err, err
    assert code == 1, (code, out, err)
    assert word in out, out


_EXTENSIONS = st.sampled_from([".xml", ".mime", ".http"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=_EXTENSIONS)
def test_random_bytes_as_a_message_never_traceback(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"m{suffix}"
    path.write_bytes(data)
    for command in (["check", str(path), "--select", "MSG-XML,MSG-SOAP,MSG-MTOM"], ["verify", str(path)],
                    ["transform", str(path)]):
        code, out, err = _run(command)
        assert "Traceback" not in err, (command, err)
        assert code in (1, 2), (command, code, out, err)
        if code == 2:
            assert len(err.splitlines()) == 1 and str(path) in err, (command, err)
