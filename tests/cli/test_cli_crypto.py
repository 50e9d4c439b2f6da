"""`--crypto pure` is chosen once at the command line and really used below it, on every command that makes or checks
signatures: the native backend is made unusable (constructing it fails the test), the pure one counts its calls."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.crypto import backends
from conformance.crypto.backends.pure import PureBackend

TESTDATA = Path(__file__).resolve().parents[2] / "conformance" / "crypto" / "testdata"
PARTICIPANTS = Path(__file__).resolve().parents[2] / "conformance" / "reference" / "participants"


class _BusMade(Exception):  # noqa: N818 - a signal, not an error
    """Raised by the patched bus double once it knows its backend: the command went far enough."""


def _bar_native(monkeypatch) -> None:
    def no_native(self, *args, **kwargs):
        raise AssertionError("the native backend was made although --crypto pure was given")

    monkeypatch.setattr(backends, "_cache", {})
    monkeypatch.setattr(backends.NativeBackend, "__init__", no_native)


@pytest.fixture
def pure_only(monkeypatch) -> Counter:
    """Native unusable (any attempt fails the test, a default resolution included); pure's calls counted."""
    calls: Counter = Counter()
    _bar_native(monkeypatch)
    for name in ("sign", "verify", "digest"):
        original = getattr(PureBackend, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(PureBackend, name, counted)
    return calls


@pytest.fixture
def bus_backend(monkeypatch) -> list:
    """The bus double records the backend it was given and stops the command there."""
    from conformance.bus import service

    seen: list = []
    original = service.Bus.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self.backend)
        raise _BusMade

    monkeypatch.setattr(service.Bus, "__init__", record)
    return seen


@pytest.fixture
def signed_sample(tmp_path, pure_only) -> Path:
    path = tmp_path / "sample.xml"
    assert main(["sample", "--crypto", "pure", "--output", str(path)]) == 0
    assert pure_only["digest"] > 0  # reproducible signatures: pure digests, the deterministic k is the wrapper's
    pure_only.clear()
    return path


def test_sample_signs_with_the_pure_backend(signed_sample) -> None:
    assert signed_sample.read_bytes().count(b"SignatureValue") >= 2


def test_check_verifies_with_the_pure_backend(signed_sample, pure_only, tmp_path) -> None:
    code = main(["check", str(signed_sample), "--crypto", "pure", "--format", "json",
                 "--output", str(tmp_path / "r.json")])
    assert code in (0, 1) and pure_only["verify"] > 0


def test_verify_verifies_with_the_pure_backend(signed_sample, pure_only, tmp_path) -> None:
    code = main(["verify", str(signed_sample), "--crypto", "pure", "--format", "json",
                 "--output", str(tmp_path / "r.json")])
    assert code in (0, 1) and pure_only["verify"] > 0
    assert '"crypto": "pure"' in (tmp_path / "r.json").read_text()


def test_sign_signs_with_the_pure_backend(signed_sample, pure_only, tmp_path) -> None:
    out = tmp_path / "signed.xml"
    code = main(["sign", str(signed_sample), "--key", str(TESTDATA / "participant.key.pem"),
                 "--cert", str(TESTDATA / "participant.cert.pem"), "--crypto", "pure", "--output", str(out)])
    assert code == 0 and pure_only["sign"] > 0 and out.is_file()


def test_serve_gives_the_double_the_pure_backend(pure_only, bus_backend) -> None:
    with pytest.raises(_BusMade):
        main(["serve", "--crypto", "pure", "--port", "0"])
    assert [type(b) for b in bus_backend] == [PureBackend]


def test_negative_gives_the_double_the_pure_backend(monkeypatch, bus_backend) -> None:
    # The catalogue's test PKI is fixture material built once per process (deterministic certificates, the same
    # bytes with either backend) by the crypto library's documented default: built here before native is barred.
    from conformance.negative.identities import bus_credentials

    bus_credentials()
    _bar_native(monkeypatch)
    with pytest.raises(_BusMade):
        main(["negative", "--crypto", "pure"])
    assert [type(b) for b in bus_backend] == [PureBackend]


def test_replay_gives_the_double_the_pure_backend(pure_only, bus_backend, tmp_path) -> None:
    (tmp_path / "0001-SendRequest.request.http").write_bytes(
        b"POST /smev HTTP/1.1\r\nContent-Type: text/xml\r\n\r\n<x/>")
    with pytest.raises(_BusMade):
        main(["replay", str(tmp_path), "--all", "--crypto", "pure"])
    assert [type(b) for b in bus_backend] == [PureBackend]


def test_run_gives_the_double_the_pure_backend(pure_only, bus_backend) -> None:
    with pytest.raises(_BusMade):
        main(["run", "--suite", "provider", "--participant", str(PARTICIPANTS / "reference.provider.yaml"),
              "--crypto", "pure"])
    assert [type(b) for b in bus_backend] == [PureBackend]


def test_the_reference_participant_takes_its_own_crypto_option(pure_only) -> None:
    from conformance.reference.__main__ import _settings, parser

    args = parser().parse_args(["provider", "--bus", "http://127.0.0.1:1/smev", "--crypto", "pure"])
    assert isinstance(_settings(args).backend, PureBackend)


def test_the_bus_double_verifies_and_signs_with_the_backend_it_is_given(pure_only) -> None:
    """Below the command line: a double made with the pure backend uses it for the caller's signature and its own."""
    from conformance.bus.client import BusClient
    from conformance.bus.credentials import load_credentials
    from conformance.bus.registry_view import load_types
    from conformance.bus.server import start
    from conformance.bus.service import Bus, BusConfig
    from conformance.cli.serve import default_participants
    from conformance.crypto import get_backend, test_credentials
    from conformance.protocol.samples import sample_message
    from conformance.xmldsig.signer import signing_hook

    pure = get_backend("pure")
    credentials = load_credentials()
    for mnemonic, certificate in default_participants(None).items():
        credentials = credentials.with_participant(mnemonic, certificate)
    bus = Bus(load_types(), config=BusConfig(backend=pure, run_rules=False), credentials=credentials)
    running = start(bus)
    try:
        key, certificate = test_credentials()[:2]
        client = BusClient(running.url, sign=signing_hook(key, certificate, backend=pure))
        reply = client.call(sample_message("SendRequestRequest", "1.3"))
    finally:
        running.close()
    assert reply.status == 200, reply
    assert pure_only["verify"] > 0 and pure_only["sign"] >= 2  # the caller's, the bus's answer


def test_pki_issues_revokes_and_shows_with_the_pure_backend(pure_only, tmp_path, capsys) -> None:
    pki = tmp_path / "pki"
    assert main(["pki", "init", str(pki), "--seed", "s", "--crypto", "pure"]) == 0
    assert pure_only["sign"] > 0 or pure_only["digest"] > 0
    assert main(["pki", "issue", str(pki), "extra", "--seed", "s", "--crypto", "pure"]) == 0
    pure_only.clear()
    assert main(["pki", "revoke", str(pki), str(pki / "extra.cert.pem"), "--crypto", "pure"]) == 0
    assert pure_only["verify"] > 0  # the certificate is checked against the CA before it is revoked
    pure_only.clear()
    shown = pki / "participant-1.cert.pem"  # not verified yet (verifications are cached per certificate)
    assert main(["pki", "show", str(shown), "--ca", str(pki / "ca.cert.pem"), "--crypto", "pure"]) == 0
    assert pure_only["verify"] > 0


def test_the_pytest_plugin_takes_smev_crypto(pure_only) -> None:
    from types import SimpleNamespace

    from conformance import pytest_plugin

    options = SimpleNamespace(smev_participant=str(PARTICIPANTS / "reference.provider.yaml"), smev_suite=None,
                              smev_registry=None, smev_port=None, smev_no_signatures=False, smev_seed=0,
                              smev_negative=None, smev_crypto="pure")
    config = SimpleNamespace(option=options, stash={}, addinivalue_line=lambda *args: None,
                             getoption=lambda name, default=None: getattr(options, name, default))
    pytest_plugin.pytest_configure(config)  # type: ignore[arg-type]
    assert isinstance(config.stash[pytest_plugin._PLAN].settings.backend, PureBackend)
