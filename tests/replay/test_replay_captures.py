"""`replay`: captures made here by a bus double (the same writer `run --capture` uses, and the bus's own journal)
are resent to a bus and judged: reproduced, fails differently, now fails, no longer fails, still succeeds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))

from bus_helpers import inn_request, serve  # noqa: E402

from conformance.bus.capture import write_capture  # noqa: E402
from conformance.bus.replay import Verdict, load_captures, parse_http, replay  # noqa: E402
from conformance.bus.store import BusStore  # noqa: E402
from conformance.cli import main  # noqa: E402
from conformance.errors import InputError  # noqa: E402
from conformance.protocol import ids  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[2] / "conformance" / "reference"


@pytest.fixture
def bus():
    served = serve()
    yield served
    served.running.close()


def _capture(served, directory: Path) -> list[Path]:
    return write_capture(served.bus.store.exchanges(), directory)


def test_a_refused_call_reproduces_against_another_bus(bus, tmp_path):
    assert bus.client("MVD").send_request(inn_request(), message_id=ids.new_message_id().upper()).status == 500
    _capture(bus, tmp_path)
    calls = load_captures(tmp_path)
    assert [c.name for c in calls] == ["0001-SendRequest-500"]
    other = serve()
    try:
        result = replay(calls[0], other.running.url)
    finally:
        other.running.close()
    assert result.verdict is Verdict.REPRODUCED
    assert result.captured.fault == result.answer.fault == "InvalidMessageIdFormat"
    assert result.differences == ()


def test_a_resent_request_now_fails_as_a_duplicate_and_the_differences_say_how(bus, tmp_path):
    assert bus.client("MVD").send_request(inn_request()).status == 200
    _capture(bus, tmp_path)
    result = replay(load_captures(tmp_path)[0], bus.running.url)  # the same bus: it saw that MessageID
    assert result.verdict is Verdict.NOW_FAILS
    assert any("captured 200, now 500" in d for d in result.differences)
    assert any("MessageIsAlreadySent" in d for d in result.differences)
    assert any("SendRequestResponse" in d and "no longer answered" in d for d in result.differences)


def test_a_forced_fault_is_marked_left_out_of_the_failures_and_not_armed_again(bus, tmp_path, capsys):
    bus.bus.force_fault("SendRequest", "SMEVFailure")
    reply = bus.client("MVD").send_request(inn_request())
    assert reply.status == 500 and reply.headers.get("X-SMEV-Double-Forced") == "SMEVFailure"  # on the wire too
    assert bus.client("MVD").send_request(inn_request(), message_id="bad").status == 500  # caused by the call
    _capture(bus, tmp_path)
    calls = load_captures(tmp_path)
    assert [c.forced for c in calls] == ["SMEVFailure", None] and all(c.failed for c in calls)
    other = serve()
    try:
        assert main(["replay", str(calls[0].source), "--to", other.running.url]) == 0  # not armed again
        out = capsys.readouterr().out
        assert "armed by the test" in out and "no-longer-fails" in out
        assert main(["replay", str(tmp_path), "--to", other.running.url, "--format", "json"]) == 1
        assert [r["call"] for r in json.loads(capsys.readouterr().out)] == ["0002-SendRequest-500"]
    finally:
        other.running.close()


def test_cli_resends_only_failed_calls_of_a_directory_and_exits_1_when_they_fail(bus, tmp_path, capsys):
    client = bus.client("MVD")
    client.send_request(inn_request())
    client.send_request(inn_request(), message_id="not-a-uuid")
    _capture(bus, tmp_path)
    other = serve()
    try:
        code = main(["replay", str(tmp_path), "--to", other.running.url, "--format", "json"])
        out = json.loads(capsys.readouterr().out)
        assert code == 1
        assert [r["call"] for r in out] == ["0002-SendRequest-500"]
        assert out[0]["verdict"] == "reproduced" and out[0]["now"]["fault"] == "InvalidMessageIdFormat"
        code = main(["replay", str(tmp_path / "0001-SendRequest-200.request.http"), "--to", other.running.url])
        text = capsys.readouterr().out
        assert code == 0 and "still-succeeds" in text and "captured: HTTP 200 SendRequestResponse" in text
    finally:
        other.running.close()


def test_the_bus_journal_is_a_capture_too(tmp_path, capsys):
    state = tmp_path / "bus.sqlite"
    served, other = serve(store=BusStore(state)), serve()
    try:
        served.client("MVD").send_request(inn_request(), message_id=ids.new_message_id().upper())
        served.client("MVD").send_request(inn_request())
        calls = load_captures(state)
        assert [c.name for c in calls] == ["journal #1", "journal #2"]
        url = other.running.url
        assert main(["replay", str(state), "--exchange", "1", "--to", url]) == 1
        assert "reproduced" in capsys.readouterr().out
        assert main(["replay", str(state), "--to", url, "--format", "json"]) == 1
        assert [r["call"] for r in json.loads(capsys.readouterr().out)] == ["journal #1"]  # the failed one only
        assert main(["replay", str(state), "--all", "--to", served.running.url, "--format", "json"]) == 1
        verdicts = [r["verdict"] for r in json.loads(capsys.readouterr().out)]
        assert verdicts == ["reproduced", "now-fails"]  # the same bus knows the second MessageID already
        assert main(["replay", str(state), "--exchange", "9", "--to", url]) == 2
        assert "no exchange 9" in capsys.readouterr().err
    finally:
        served.running.close()
        other.running.close()


REGISTRY = REFERENCE / "participants" / "registry.yaml"


def _signed_capture(directory: Path) -> str:
    """A SendResponse signed by the reference provider for a request no bus issued, captured into `directory`;
    returns the fault the bus (which knew the provider's certificate) answered."""
    from bus_helpers import inn_response

    from conformance.bus.client import BusClient
    from conformance.bus.credentials import load_certificate_file, load_credentials
    from conformance.bus.registry_view import load_types
    from conformance.bus.server import start
    from conformance.bus.service import Bus, BusConfig
    from conformance.crypto import load_certificate
    from conformance.crypto.keyformats import load_private_key
    from conformance.protocol import model as m
    from conformance.xmldsig.signer import signing_hook

    cert_path = REFERENCE / "keys" / "provider.cert.pem"
    credentials = load_credentials(None).with_participant("REF_PROVIDER", load_certificate_file(cert_path))
    bus = Bus(load_types(str(REGISTRY)), config=BusConfig(), credentials=credentials)
    key = load_private_key((REFERENCE / "keys" / "provider.key.pem").read_bytes())
    with start(bus) as running:
        client = BusClient(running.url, sign=signing_hook(key, load_certificate(cert_path.read_bytes())))
        reply = client.send_response("eyJub3QiOiJpc3N1ZWQifQ", m.BusinessAnswer(content=inn_response()))
    write_capture(bus.store.exchanges(), directory)
    assert reply.fault is not None
    return reply.fault.name.value


def test_a_signed_call_replays_against_the_double_built_for_its_participant(tmp_path, capsys):
    """--participant: the participant's certificate is registered as `run` registers it; the captured SendResponse
    carries a payload the registry does not know: the fault comes after the signature was accepted, and the fresh
    double answers the same."""
    captured_fault = _signed_capture(tmp_path)
    assert captured_fault not in ("SignatureVerificationFault", "SenderIsNotRegistered")
    participant = REFERENCE / "participants" / "reference.provider.yaml"
    code = main(["replay", str(tmp_path), "--participant", str(participant), "--registry", str(REGISTRY),
                 "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out[0]["verdict"] == "reproduced" and out[0]["now"]["fault"] == captured_fault


def test_without_the_participant_certificate_the_same_call_fails_differently(tmp_path, capsys):
    """The default double does not know the participant: its signature's certificate is not registered."""
    _signed_capture(tmp_path)
    assert main(["replay", str(tmp_path), "--registry", str(REGISTRY), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out[0]["verdict"] == "fails-differently" and out[0]["now"]["fault"] == "SenderIsNotRegistered"


def test_unusable_captures_name_the_file_and_line(tmp_path, capsys):
    bad = tmp_path / "0001-SendRequest-500.request.http"
    bad.write_bytes(b"POST /smev HTTP/1.1\r\nContent-Type text/xml\r\n\r\n<x/>")
    assert main(["replay", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and ":2" in err and "Name: value" in err
    bad.write_bytes(b"<soap:Envelope/>")
    with pytest.raises(InputError, match="no blank line"):
        load_captures(bad)
    assert main(["replay", str(tmp_path / "missing")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["replay", str(empty)]) == 2
    assert "run --capture DIR" in capsys.readouterr().err


def test_an_unreachable_target_is_a_usage_error(bus, tmp_path, capsys):
    import socket

    bus.client("MVD").send_request(inn_request(), message_id="x")
    _capture(bus, tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["replay", str(tmp_path), "--to", f"http://127.0.0.1:{port}/smev"]) == 2
    assert "cannot reach" in capsys.readouterr().err


_NAME = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1,
                max_size=20)
_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(str.strip)


@settings(max_examples=40, deadline=None)
@given(headers=st.lists(st.tuples(_NAME, _VALUE), max_size=6), body=st.binary(max_size=300),
       answer=st.binary(max_size=300), status=st.sampled_from([200, 400, 500]))
def test_a_written_capture_reads_back_byte_for_byte(headers, body, answer, status):
    """Whatever the headers and bodies, what `write_capture` writes loads back to the same headers and bytes."""
    import tempfile

    from conformance.bus.store import Exchange

    lines = "\n".join(f"{k}: {v}" for k, v in headers)
    exchange = Exchange(7, 0.0, "MVD", "SendRequest", "1.3", None, status, None, lines, body,
                        "Content-Type: text/xml", answer)
    with tempfile.TemporaryDirectory() as directory:
        write_capture([exchange], directory)
        (call,) = load_captures(directory, exchange=7)
    assert call.name == f"0007-SendRequest-{status}"
    assert call.request.body == body and call.request.headers == tuple(headers)
    assert call.answer.body == answer and call.answer.status == status
    assert parse_http(b"HTTP/1.1 200\r\n\r\n", "mem").status == 200


def test_a_captured_old_poll_replays_against_the_double_started_here_but_not_against_a_served_one(tmp_path, capsys):
    """A signed GetStatus captured an hour ago: the double `replay` starts has no poll window (the capture is
    resent byte for byte, to reproduce what it did), a double with the default window refuses it as a replay."""
    from datetime import UTC, datetime, timedelta

    from conformance.bus.client import BusClient
    from conformance.bus.credentials import load_certificate_file, load_credentials
    from conformance.bus.registry_view import load_types
    from conformance.bus.replay import replay_config
    from conformance.bus.server import start
    from conformance.bus.service import Bus, BusConfig
    from conformance.crypto import load_certificate
    from conformance.crypto.keyformats import load_private_key
    from conformance.protocol import model as m
    from conformance.protocol.builder import build
    from conformance.xmldsig.signer import signing_hook

    cert_path = REFERENCE / "keys" / "provider.cert.pem"
    credentials = load_credentials(None).with_participant("REF_PROVIDER", load_certificate_file(cert_path))
    sign = signing_hook(load_private_key((REFERENCE / "keys" / "provider.key.pem").read_bytes()),
                        load_certificate(cert_path.read_bytes()))
    old = datetime.now(UTC) - timedelta(hours=1)
    body = build(m.GetStatusRequest(timestamp=m.SignedTimestamp(old)), "1.3", sign=sign)
    types = load_types(str(REGISTRY))
    assert replay_config().poll_window is None and BusConfig().poll_window == 300.0
    capturing = Bus(types, config=replay_config(), credentials=credentials)
    with start(capturing) as running:
        assert BusClient(running.url).post(body, soap_action="urn:GetStatus").fault is None
    write_capture(capturing.store.exchanges(), tmp_path)
    participant = REFERENCE / "participants" / "reference.provider.yaml"
    assert main(["replay", str(tmp_path), "--all", "--participant", str(participant), "--registry", str(REGISTRY),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["verdict"] == "still-succeeds"
    served = Bus(types, config=BusConfig(), credentials=credentials)
    with start(served) as running:
        assert main(["replay", str(tmp_path), "--all", "--to", running.url, "--format", "json"]) == 1
    result = json.loads(capsys.readouterr().out)[0]
    assert result["verdict"] == "now-fails" and result["now"]["fault"] == "InvalidContent", result
