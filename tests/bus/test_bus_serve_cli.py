"""`smev-conformance serve`: prints its URL, answers SOAP, keeps state in --state, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from bus_helpers import inn_request

from conformance.bus.client import BusClient
from conformance.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline()
    assert line.startswith("SMEV 3 bus double listening on http://127.0.0.1:"), (line, proc.stderr.read())
    return proc, line.split()[-1]


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=10)
    return proc.returncode, err


@pytest.mark.slow  # measured: 7 s on a loaded 2-core machine
def test_serve_answers_keeps_state_and_stops_cleanly(tmp_path):
    state = tmp_path / "bus.sqlite"
    proc, url = _start("--no-signatures", "--state", str(state))
    try:
        client = BusClient(url, sender="EPGU")
        # The shipped registry: EPGU may consume fns-inn-by-passport; an unknown element is refused with a fault.
        reply = client.send_request(inn_request())
        assert reply.fault is not None and reply.fault.name.value == "BusinessDataTypeIsNotSupported"
    finally:
        code, err = _stop(proc)
    assert code == 0 and "Traceback" not in err and "stopping" in err
    assert state.is_file()
    proc, url = _start("--no-signatures", "--state", str(state))
    code, err = _stop(proc)
    assert code == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--host", "0.0.0.0"], "not a loopback address"),
    (["--port", "70000"], "not a TCP port"),
    (["--ack-timeout", "soon"], "--ack-timeout"),
    (["--participant", "nocert"], "MNEMONIC=CERTIFICATE"),
    (["--keys", "/nonexistent/dir"], "--keys names no directory"),
    (["--poll-window", "soon"], "--poll-window"),
    (["--poll-window", "0s"], "more than 0 s"),
])
def test_serve_usage_errors_exit_2(capsys, args, message):
    assert main(["serve", "--no-signatures", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("value", "expected"), [(None, 300.0), ("90s", 90.0), ("2m", 120.0), ("off", None)])
def test_serve_poll_window_reaches_the_double(monkeypatch, capsys, value, expected):
    seen = {}

    def make_server(bus, host, port, verbose=False):
        seen["config"] = bus.config
        raise OSError("not listening in this test")

    monkeypatch.setattr("conformance.bus.server.make_server", make_server)
    assert main(["serve", *(["--poll-window", value] if value else [])]) == 2
    assert seen["config"].poll_window == expected and seen["config"].signatures


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_cleanly_even_when_it_inherited_sigint_ignored(sig):
    """A background job of a shell, or a pytest-xdist worker's child, starts with SIGINT ignored; Python then installs
    no Ctrl-C handler of its own. `serve` installs its own for SIGINT and SIGTERM, so both stop it cleanly."""
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert "listening on http://" in proc.stdout.readline()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "stopping" in err and "Traceback" not in err
