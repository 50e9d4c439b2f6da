"""The pytest plugin (`pytest --smev-participant ...`), run with pytester in a subprocess against the reference
participant and a broken twin: one item per case and type, findings in the failure, JUnit, capture for replay."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from lxml import etree

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # each test runs pytest in a subprocess, most against a live participant

PARTICIPANTS = Path(__file__).resolve().parents[2] / "conformance" / "reference" / "participants"


@pytest.fixture
def smev_env(pytester, monkeypatch, tmp_path_factory):
    """The participant files start `{python} -m conformance.reference` (the harness's own interpreter, no PATH
    needed); a temporary directory of their own, so their default state files are fresh."""
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("participant-state")))
    return pytester


def _run(pytester, participant: str, *args: str):
    """The shipped participant files name their registry: no --smev-registry, as the README shows."""
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--smev-participant", str(PARTICIPANTS / participant),
                                         *args, timeout=120)


def test_without_a_participant_the_plugin_adds_nothing(pytester):
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_plain.py::test_plain"])
    assert "smev/" not in result.stdout.str()
    help_text = pytester.runpytest_subprocess("--help").stdout.str()
    assert "--smev-participant" in help_text and "--smev-suite" in help_text


@pytest.fixture(scope="module")
def cli_plan():
    """What `smev-conformance run` plays against the reference provider. Computed before any pytester test starts:
    pytester drops the modules a test imports when it ends, and later tests would see second copies of them."""
    from conformance.suites.engine import RunSettings, planned
    from conformance.suites.lint import load
    from conformance.suites.negative import negative_count
    from conformance.suites.participant import load_participant

    suite, participant = load("provider"), load_participant(PARTICIPANTS / "reference.provider.yaml")
    return planned(suite, participant, RunSettings(negative=negative_count(None, "provider")))


def test_every_case_type_and_negative_delivery_is_a_collected_item(cli_plan, smev_env):
    result = _run(smev_env, "reference.provider.yaml", "--collect-only", "-q")
    lines = [line for line in result.stdout.lines if line.startswith("smev/")]
    expected = cli_plan
    assert len(lines) == len(expected) == 26 and len(set(lines)) == 26, "the same plan as the CLI's run"
    assert "smev/provider::answers-valid-request[fns-inn-by-passport]" in lines
    assert sum(line.startswith("smev/provider::negative[NEG-") for line in lines) == 15
    assert "26 tests collected" in result.stdout.str()
    selected = _run(smev_env, "reference.provider.yaml", "--collect-only", "-k", "answers-valid-request")
    assert "collected 26 items / 23 deselected / 3 selected" in selected.stdout.str()


def test_the_reference_provider_passes_and_junit_has_one_timed_testcase_per_item(smev_env, tmp_path):
    smev_env.makepyfile(test_plain="def test_plain():\n    assert True\n")
    junit = tmp_path / "smev.xml"
    result = _run(smev_env, "reference.provider.yaml", "-k",
                  "answers-valid-request or answers-test-message or plain or NEG-SIG-RS-ORDER", f"--junitxml={junit}")
    assert result.ret == 0, result.stdout.str()
    participant_types = 3
    result.assert_outcomes(passed=participant_types + 1 + 1 + 1, deselected=result.parseoutcomes()["deselected"])
    assert "collected 27 items" in result.stdout.str()
    cases = etree.parse(str(junit)).getroot().iter("testcase")
    smev = [c for c in cases if c.get("classname") == "smev.provider"]
    assert sorted(c.get("name") for c in smev) == sorted(
        [f"answers-valid-request[{t}]" for t in ("fns-inn-by-passport", "sfr-snils-check", "mvd-passport-validity")]
        + ["answers-test-message", "negative[NEG-SIG-RS-ORDER]"])
    assert all(c.find("failure") is None for c in smev)
    times = [float(c.get("time")) for c in smev]
    assert all(t > 0.01 for t in times), f"each item carries its own duration: {times}"
    assert max(times) < 0.8 * sum(times), f"the first item does not carry the whole run: {times}"


def test_a_broken_twin_fails_with_the_finding_that_names_its_mistake_and_the_capture_replays(smev_env, tmp_path,
                                                                                             capsys):
    capture = tmp_path / "capture"
    result = _run(smev_env, "no-to.provider.yaml", "-k", "answers-valid-request and fns", f"--smev-capture={capture}")
    assert result.ret == 1
    result.assert_outcomes(failed=1, deselected=result.parseoutcomes()["deselected"])
    out = result.stdout.str()
    assert "FLOW-LIVE-REPLY-TO-COPIED: To is missing" in out
    assert "provider.yaml:" in out  # the suite line the finding comes from
    assert sorted(capture.glob("*-SendResponse-500.request.http"))
    # in a subprocess: pytester drops the modules a test imports when it ends, and later tests would then see
    # second copies of the harness's classes
    replayed = smev_env.run(sys.executable, "-m", "conformance", "replay", str(capture), "--participant",
                            str(PARTICIPANTS / "no-to.provider.yaml"), timeout=120)
    assert replayed.ret == 1 and "reproduced" in replayed.stdout.str()


def test_an_unusable_participant_file_stops_pytest_with_file_and_line(smev_env, tmp_path):
    bad = tmp_path / "participant.yaml"
    bad.write_text("participant: X\nrole: provider\ntypes: []\n")
    result = smev_env.runpytest_subprocess("-p", "no:cacheprovider", "--smev-participant", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"{bad}:1" in result.stderr.str() and "bus" in result.stderr.str()


def test_a_suite_that_cannot_start_is_one_setup_error_with_exit_4_not_failed_cases(smev_env, tmp_path):
    copy = tmp_path / "dies.provider.yaml"
    copy.write_text((PARTICIPANTS / "reference.provider.yaml").read_text().replace(
        "conformance.reference, provider", "conformance.no_such_module, provider"))
    result = smev_env.runpytest_subprocess("-p", "no:cacheprovider", "--smev-participant", str(copy),
                                           "-k", "answers-valid-request or answers-test-message")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, "a setup problem, distinct from exit 1 (a case failed)"
    out = result.stdout.str()
    assert out.count("the suite could not start") == 1 and "No module named conformance.no_such_module" in out
    assert "failed" not in result.parseoutcomes(), out


def test_a_missing_registry_is_a_usage_error_before_collection(smev_env, tmp_path):
    result = _run(smev_env, "reference.provider.yaml", "--smev-registry", str(tmp_path / "none.yaml"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "none.yaml" in result.stderr.str() and "FAILED" not in result.stdout.str()


def test_a_taken_port_is_found_before_anything_runs(smev_env, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _run(smev_env, "reference.provider.yaml", "--smev-port", str(port))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr.str()


def test_the_consumer_suite_by_name_and_a_broken_consumer(smev_env):
    """--smev-suite names the shipped suite; the upper-case-id consumer fails the case with MSG-ID-UUID1."""
    good = _run(smev_env, "reference.consumer.yaml", "--smev-suite", "consumer", "-k", "sends-valid-request")
    assert good.ret == 0, good.stdout.str()
    assert good.parseoutcomes()["passed"] >= 1
    bad = _run(smev_env, "upper-case-id.consumer.yaml", "--smev-suite", "consumer", "-k", "sends-valid-request")
    assert bad.ret == 1
    assert "MSG-ID-UUID1" in bad.stdout.str()
    bad.stdout.fnmatch_lines(["*smev/consumer::sends-valid-request*"])
