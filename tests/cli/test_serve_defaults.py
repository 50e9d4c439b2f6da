"""`serve` out of the box: the project's own samples are accepted, and the banner says which key makes that so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _serve(*args: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    banner = [proc.stdout.readline() for _ in range(3)]
    assert banner[0].startswith("SMEV 3 bus double listening on http://127.0.0.1:"), (banner, proc.stderr.read())
    return proc, banner


def _post(url: str, body: bytes, action: str) -> str:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"urn:{action}"'})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            return answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.read().decode("utf-8")


def _sample(folder: Path) -> bytes:
    from conformance.cli import main

    out = folder / "sample.xml"
    assert main(["sample", "--operation", "SendRequest", "--version", "1.3", "--output", str(out)]) == 0
    return out.read_bytes()


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_a_sample_is_accepted_by_the_double_out_of_the_box_and_the_banner_says_why(tmp_path):
    proc, banner = _serve()
    try:
        assert "participants known by certificate: EPGU (the shipped sample key" in banner[2]
        url = banner[0].split()[-1]
        answer = _post(url, _sample(tmp_path), "SendRequest")
        assert "SendRequestResponse" in answer and "<tns:Mnemonic>EPGU</tns:Mnemonic>" in answer, answer[:400]
        assert "SenderIsNotRegistered" not in answer
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_without_the_default_participants_the_same_sample_is_refused(tmp_path):
    proc, banner = _serve("--no-default-participants")
    try:
        assert "participants known by certificate: none" in banner[2]
        answer = _post(banner[0].split()[-1], _sample(tmp_path), "SendRequest")
        assert "SendRequestResponse" not in answer and "Fault" in answer
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
