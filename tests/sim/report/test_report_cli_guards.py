"""`smev-sim run` outputs for CI and people: JUnit, the stations table, the inconclusive exit code, progress lines;
`smev-sim validate` bounds and the long-run warning; the `--max-events` guard."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from report_fakes import tiny_file

from sim.cli import main
from sim.runner.progress import PlainProgress

MIXED = ("  rt-mean: realtime.latency.mean <= 5s\n"          # clearly passes
         "  rt-p99: realtime.latency.p99 <= 100ms\n"          # clearly fails
         "  near: realtime.latency.mean <= 470ms")            # the tiny queue's mean: straddles with 3 replications


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_junit_has_one_case_per_slo_with_its_verdict_and_interval(tmp_path, stand_in_model):
    junit = tmp_path / "slo.xml"
    code = main(["run", str(tiny_file(tmp_path, slos=MIXED)), "-o", str(tmp_path / "o"), "-q", "--junit", str(junit)])
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert code == report["exit_code"] == 1  # a failure wins over an inconclusive SLO
    root = ET.parse(junit).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"rt-mean", "rt-p99", "near"}
    assert all(c.get("classname") == "smev-sim.tiny" and float(c.get("time")) > 0 for c in cases.values())
    assert cases["rt-mean"].find("failure") is None and cases["rt-mean"].find("skipped") is None
    failure = cases["rt-p99"].find("failure")
    assert failure is not None and "95 % interval [" in failure.get("message")
    verdicts = {s["name"]: s["verdict"] for s in report["slos"]}
    if verdicts["near"] == "inconclusive":
        assert cases["near"].find("skipped") is not None and "straddles" in cases["near"].find("skipped").text
    assert int(root.get("failures")) == 1 and int(root.get("tests")) == 3


@pytest.mark.slow  # measured: 8 s on a loaded 2-core machine
def test_only_inconclusive_slos_exit_3(tmp_path, stand_in_model):
    # a threshold at the mean itself: the interval straddles it whatever the seed
    slos = "  near: realtime.latency.mean <= 466ms"
    for seed in ("42", "43", "44"):
        code = main(["run", str(tiny_file(tmp_path, slos=slos)), "-o", str(tmp_path / seed), "-q", "--seed", seed])
        report = json.loads((tmp_path / seed / "report.json").read_text())
        assert code == report["exit_code"] == {"pass": 0, "fail": 1, "inconclusive": 3}[report["verdict"]]
        if report["verdict"] == "inconclusive":
            assert "INCONCLUSIVE" in (tmp_path / seed / "report.html").read_text()
            return
    pytest.fail("no seed gave an interval straddling the mean")


@pytest.mark.slow  # measured: 6 s on a loaded 2-core machine
def test_stations_table_is_printed(tmp_path, stand_in_model, capsys):
    assert main(["run", str(tiny_file(tmp_path)), "-o", str(tmp_path / "o"), "-q", "--stations"]) == 0
    out = capsys.readouterr().out
    assert "stations" in out and "server" in out and "station" in out


def test_plain_progress_lines_never_raise_the_total_and_estimate_the_time_left():
    stream = io.StringIO()
    hooks = PlainProgress("x", 1, cap=50, stream=stream, period=0.0)
    hooks.point(0, "x", 5)
    for _ in range(5):
        hooks.replication_done(0)
    hooks.replan(20, 0)
    for _ in range(3):
        hooks.replication_done(0)
    hooks.finished()
    lines = stream.getvalue().splitlines()
    totals = {line.split(": ")[2].split(" ")[0].split("/")[1] for line in lines}
    assert totals == {"50"}  # the cap, from the first line to the last
    assert any("left" in line for line in lines) and lines[-1].endswith("done")


def test_max_events_stops_a_replication_with_a_clear_message(tmp_path, capsys):
    from tests_scenario import TANDEM

    from sim.scenario import loads

    path = tmp_path / "t.yaml"
    path.write_text(TANDEM)
    assert loads(TANDEM, source="t").run.max_events is None
    assert main(["run", str(path), "-o", str(tmp_path / "o"), "-q", "--max-events", "1000"]) == 2
    err = capsys.readouterr().err
    assert "stopped after 1 000 events" in err and "--max-events" in err


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("rate", "1e308/s", "workload.flows.calls.rate"),
    ("duration", "100000000000000d", "run.duration"),
    ("duration", "400d", "run.duration"),
    ("concurrency", "100000000000", "concurrency"),
    ("processing", "exp(100000y)", "processing_time"),
])
def test_validate_refuses_values_that_cannot_run_with_file_and_line(tmp_path, capsys, field, value, needle):
    from tests_scenario import TANDEM

    text = TANDEM
    if field == "rate":
        text = text.replace("rate: 5/s", f"rate: {value}")
    elif field == "duration":
        text = text.replace("duration: 1500s", f"duration: {value}")
    elif field == "concurrency":
        text = text.replace("concurrency: 1, processing_time", f"concurrency: {value}, processing_time")
    else:
        text = text.replace("processing_time: exp(100ms)", f'processing_time: "{value}"')
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if needle in line)
    assert line.startswith(f"{path}:") and line.split(":")[1].isdigit()


def test_validate_warns_about_a_long_run_with_an_estimate(tmp_path, capsys):
    from tests_scenario import TANDEM

    path = tmp_path / "s.yaml"
    path.write_text(TANDEM.replace("rate: 5/s", "rate: 5000/s").replace("duration: 1500s", "duration: 30d"))
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: a long run" in err and "events" in err and "--max-events" in err
