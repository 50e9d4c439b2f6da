"""`replay --redeliver`: a capture of a broken provider's run is delivered to the provider again; the broken one
reproduces its failure, the fixed one (the reference) no longer fails."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.bus.capture import write_capture
from conformance.bus.replay import load_captures
from conformance.cli import main
from conformance.suites.redelivery import _about, deliveries, related_failures

PARTICIPANTS = Path(__file__).resolve().parents[2] / "conformance" / "reference" / "participants"
REGISTRY = str(PARTICIPANTS / "registry.yaml")


@pytest.fixture
def participant_env(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("participant-state")))


@pytest.fixture
def no_to_capture(participant_env, tmp_path) -> Path:
    """The provider suite's first case run against the twin that leaves To out, captured raw."""
    from conformance.suites.engine import RunSettings, run_suite
    from conformance.suites.lint import load
    from conformance.suites.participant import load_participant

    suite = load("provider")
    suite = replace(suite, cases=(suite.case("answers-valid-request"),))
    live = run_suite(suite, load_participant(PARTICIPANTS / "no-to.provider.yaml"),
                     settings=RunSettings(registry_path=REGISTRY))
    write_capture(live.exchanges, tmp_path / "capture")
    return tmp_path / "capture"


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
def test_the_deliveries_and_their_failed_reactions_are_found(no_to_capture):
    calls = load_captures(no_to_capture)
    found = deliveries(calls)
    assert len(found) == 3 and all(d.sender and d.content is not None for d in found)
    responses = [c for c in calls if "SendResponse" in c.name]
    assert responses and all(_about(c) == ("SendResponse", None) for c in responses)  # To missing: no address
    assert related_failures(calls) == found  # each answered with a refused SendResponse


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
def test_the_broken_provider_reproduces_and_the_fixed_one_no_longer_fails(no_to_capture, capsys):
    args = ["replay", str(no_to_capture), "--registry", REGISTRY, "--redeliver", "--timeout", "8", "--format", "json"]
    assert main([*args, "--participant", str(PARTICIPANTS / "no-to.provider.yaml")]) == 1
    broken = json.loads(capsys.readouterr().out)
    assert [r["verdict"] for r in broken] == ["reproduced"] * 3
    assert all("SendResponse: HTTP 500 InvalidContent" in r["now"] for r in broken)
    assert main([*args, "--participant", str(PARTICIPANTS / "reference.provider.yaml")]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert [r["verdict"] for r in fixed] == ["no-longer-fails"] * 3
    assert all("SendResponse: HTTP 200 SendResponseResponse" in r["now"] for r in fixed)
    assert all(r["message_id"] != r["captured_message_id"] for r in fixed)


def test_redeliver_needs_the_participant(tmp_path, capsys):
    (tmp_path / "0001-GetRequest-200.request.http").write_bytes(b"POST /smev HTTP/1.1\r\n\r\n")
    assert main(["replay", str(tmp_path), "--redeliver"]) == 2
    assert "--participant" in capsys.readouterr().err
