"""Every report's headline agrees with its command's verdict and exit code.

Each command that writes a report runs on an input that passes and on one that fails, as a user runs it (the command
line, in a folder of its own), and every format it writes is read back the way a person or a CI reads it: the text
report's headline line, the JSON `verdict`, the JUnit `verdict` property and failure count, the HTML headline box,
the simulator's `report.json`/`report.html`/`--junit`. The outcome each shows must be the one the exit code gives
(0 pass, 1 fail, 3 inconclusive for `smev-sim`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from http_doubles import AcceptEverything
from lxml import etree

from conformance.cli import main as conformance_main
from sim.cli import main as sim_main

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PARTICIPANTS = ROOT / "conformance" / "reference" / "participants"
OUTCOME = {0: "pass", 1: "fail", 3: "inconclusive"}
_HTML_HEADLINE = re.compile(r'class="box verdict-(\w+)"')


def cli(*args: str | Path, cwd: Path, expect: int) -> subprocess.CompletedProcess:
    """Run a command as the README does (the virtualenv's commands on PATH) and check its exit code."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "SMEV_PROGRESS": "off",
           "TMPDIR": str(cwd)}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == expect, f"{args}: exit {done.returncode}, expected {expect}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def in_process(main, *args: str | Path, capsys, expect: int) -> str:
    """The same, in this process (no interpreter start-up): its standard output."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == expect, f"{args}: exit {code}, expected {expect}\n{out}\n{err}"
    return out


def text_outcome(stdout: str) -> str:
    """The text report's headline: its one line that opens with the verdict."""
    lines = [line for line in stdout.splitlines() if re.match(r"(PASS|FAIL|INCONCLUSIVE)\b", line)]
    assert len(lines) == 1, f"expected one headline line, got {lines}\n{stdout[-2000:]}"
    return lines[0].split(":", 1)[0].strip().lower()


def json_outcome(text: str) -> str:
    data = json.loads(text)
    assert data["headline"].split(":", 1)[0].lower() == data["verdict"], data["headline"]
    return data["verdict"]


def junit_outcome(path: Path) -> str:
    """The verdict property every testsuite carries, which must agree with the failure counts CI shows."""
    root = etree.parse(str(path)).getroot()
    verdicts = {p.get("value") for p in root.iter("property") if p.get("name") == "verdict"}
    assert len(verdicts) == 1, verdicts
    verdict = verdicts.pop()
    failures = int(root.get("failures")) + int(root.get("errors"))
    assert (failures > 0) == (verdict == "fail"), (verdict, failures)
    assert int(root.get("tests")) > 0
    return verdict


def html_outcome(text: str) -> str:
    boxes = _HTML_HEADLINE.findall(text)
    assert boxes, "no headline box"
    return boxes[0]


# --- check and verify: every format, on a file that passes and one that fails ---------------------------------


@pytest.fixture(scope="module")
def messages(tmp_path_factory) -> Path:
    """A signed request that passes `check` and `verify`, and its SignedInfo re-indented (fails both)."""
    folder = tmp_path_factory.mktemp("messages")
    assert conformance_main(["sample", "--operation", "SendRequest", "--output", str(folder / "good.xml")]) == 0
    good = (folder / "good.xml").read_text(encoding="utf-8")
    bad = good.replace("<ds:SignedInfo>", "<ds:SignedInfo>\n  ", 1)
    assert bad != good
    (folder / "bad.xml").write_text(bad, encoding="utf-8")
    return folder


STATIC = [("check", ()), ("verify", ("--trust", str(ROOT / "conformance/crypto/testdata/ca.cert.pem")))]


@pytest.mark.parametrize(("command", "options"), STATIC, ids=[c for c, _ in STATIC])
@pytest.mark.parametrize(("name", "code"), [("good.xml", 0), ("bad.xml", 1)], ids=["passing", "failing"])
def test_static_reports_open_with_the_exit_codes_verdict(messages, command, options, name, code, capsys):
    expected = OUTCOME[code]
    run = [command, messages / name, *options]
    assert text_outcome(in_process(conformance_main, *run, capsys=capsys, expect=code)) == expected
    assert json_outcome(in_process(conformance_main, *run, "--format", "json", capsys=capsys, expect=code)) == expected
    report = messages / f"{command}-{code}.junit.xml"
    in_process(conformance_main, *run, "--format", "junit", "--output", report, capsys=capsys, expect=code)
    assert junit_outcome(report) == expected
    page = messages / f"{command}-{code}.html"
    in_process(conformance_main, *run, "--format", "html", "--output", page, capsys=capsys, expect=code)
    assert html_outcome(page.read_text(encoding="utf-8")) == expected


# --- negative: the double answers the catalogue right; a bus that accepts everything answers it wrong ----------


@pytest.fixture
def accepting_bus():
    server = ThreadingHTTPServer(("127.0.0.1", 0), AcceptEverything)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/smev"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow  # the double, or a bus that accepts everything, and four reports each: seconds
@pytest.mark.parametrize("code", [0, 1], ids=["passing", "failing"])
def test_negative_reports_open_with_the_exit_codes_verdict(code, tmp_path, request, capsys):
    bus = () if code == 0 else ("--bus", request.getfixturevalue("accepting_bus"))
    run = ["negative", "--select", "NEG-SR-ID-UPPER", *bus]
    expected = OUTCOME[code]
    assert text_outcome(in_process(conformance_main, *run, capsys=capsys, expect=code)) == expected
    for fmt in ("json", "junit", "html"):
        report = tmp_path / f"negative.{fmt}"
        in_process(conformance_main, *run, "--format", fmt, "--output", report, capsys=capsys, expect=code)
        reader = {"json": lambda p: json_outcome(p.read_text()), "junit": junit_outcome,
                  "html": lambda p: html_outcome(p.read_text())}[fmt]
        assert reader(report) == expected, fmt


# --- run (every format of --report-dir) and replay, against the reference provider and a broken twin ----------


@pytest.mark.slow  # two live runs and two replays against started participants
@pytest.mark.parametrize(("participant", "code"), [("reference.provider.yaml", 0), ("no-to.provider.yaml", 1)],
                         ids=["passing", "failing"])
def test_live_reports_open_with_the_exit_codes_verdict(participant, code, tmp_path):
    expected = OUTCOME[code]
    path = PARTICIPANTS / participant
    done = cli("smev-conformance", "run", "--suite", "provider", "--participant", path, "--negative", "0",
               "--report-dir", "reports", "--capture", "capture", cwd=tmp_path, expect=code)
    assert text_outcome(done.stdout) == expected
    reports = tmp_path / "reports"
    assert json_outcome((reports / "report.json").read_text(encoding="utf-8")) == expected
    assert junit_outcome(reports / "report.junit.xml") == expected
    assert html_outcome((reports / "report.html").read_text(encoding="utf-8")) == expected
    # replay redelivers the captured requests to the same participant: the broken twin fails again, the reference
    # passes again (with --all: it has no failed call to reproduce)
    replay = ["replay", "capture", "--participant", path, "--redeliver", "--all", "--timeout", "15"]
    assert text_outcome(cli("smev-conformance", *replay, cwd=tmp_path, expect=code).stdout) == expected
    verdicts = json.loads(cli("smev-conformance", *replay, "--format", "json", cwd=tmp_path, expect=code).stdout)
    assert verdicts and any(v["verdict"] in ("reproduced", "fails-differently", "now-fails") for v in verdicts) \
        == (code == 1)


# --- replay of a `serve --state` journal: a journal whose calls all succeeded, and one with a refused call ------


@pytest.mark.parametrize("code", [0, 1], ids=["passing", "failing"])
def test_journal_replay_reports_open_with_the_exit_codes_verdict(code, tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "tests" / "bus"))
    from bus_helpers import inn_request, serve

    from conformance.bus.store import BusStore
    from conformance.protocol import ids

    state = tmp_path / "bus.sqlite"
    served = serve(store=BusStore(state))
    try:
        message_id = ids.new_message_id()
        answer = served.client("MVD").send_request(inn_request(), message_id=message_id.upper() if code else message_id)
        assert answer.status == (500 if code else 200)
    finally:
        served.running.close()
        served.bus.store.close()
    expected = OUTCOME[code]
    assert text_outcome(in_process(conformance_main, "replay", state, capsys=capsys, expect=code)) == expected
    verdicts = json.loads(in_process(conformance_main, "replay", state, "--format", "json", capsys=capsys, expect=code))
    failing = ("reproduced", "fails-differently", "now-fails")  # a fresh double knows other callers: may differ
    assert len(verdicts) == code and all(v["verdict"] in failing for v in verdicts)


# --- smev-sim run: terminal, report.json, report.html, --junit -------------------------------------------------


SLOS = {0: "  nothing-lost: messages.lost == 0\n",
        1: "  nothing-lost: messages.lost == 0\n  impossible: messages.lost >= 1\n",
        3: "  theory-low: async.latency.mean >= 451ms\n  theory-high: async.latency.mean <= 551ms\n"}


@pytest.mark.slow  # two replications of a small queue, three times
@pytest.mark.parametrize("code", [0, 1, 3], ids=["passing", "failing", "inconclusive"])
def test_simulation_reports_open_with_the_exit_codes_verdict(code, tmp_path, capsys):
    source = (ROOT / "scenarios" / "mm1.yaml").read_text(encoding="utf-8")
    scenario = re.sub(r"(?ms)^slos:\n.*?(?=^run:)", "slos:\n" + SLOS[code], source)
    assert scenario != source
    (tmp_path / "s.yaml").write_text(scenario, encoding="utf-8")
    out = tmp_path / "out"
    stdout = in_process(sim_main, "run", tmp_path / "s.yaml", "--replications", "2", "--duration", "8min", "--seed", "7",
                        "--out", out, "--junit", out / "slo.junit.xml", capsys=capsys, expect=code)
    expected = OUTCOME[code]
    verdict_line = [line for line in stdout.splitlines() if "report:" in line]
    assert len(verdict_line) == 1 and verdict_line[0].split()[0].lower() == expected, stdout[-2000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == expected and report["exit_code"] == code
    assert html_outcome((tmp_path / "out" / "report.html").read_text(encoding="utf-8")) == expected
    root = etree.parse(str(tmp_path / "out" / "slo.junit.xml")).getroot()
    failures, skipped = int(root.get("failures", "0")), int(root.get("skipped", "0"))
    assert (failures > 0) == (code == 1) and (skipped > 0 and failures == 0) == (code == 3)
