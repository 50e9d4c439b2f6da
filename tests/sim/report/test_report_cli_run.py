"""`smev-sim run`: exit codes, outputs, overrides, precision and audit, with a stand-in simulate."""

import json

import pytest
from report_fakes import FAILING_SLOS, tiny_file

from sim.cli import main

pytestmark = pytest.mark.usefixtures("stand_in_model")


def test_passing_run_writes_both_reports_and_exits_0(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny_file(tmp_path)), "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] == "pass" and report["replications"] == 3
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 3
    printed = capsys.readouterr().out
    assert "PASS" in printed and "rt-mean" in printed and "report.json" in printed


@pytest.mark.slow  # measured: 8 s on a loaded 2-core machine
def test_failing_slo_exits_1(tmp_path, capsys):
    assert main(["run", str(tiny_file(tmp_path, slos=FAILING_SLOS)), "-o", str(tmp_path / "o"), "-q"]) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.slow  # measured: 6 s on a loaded 2-core machine
def test_default_output_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(tiny_file(tmp_path)), "-q"]) == 0
    assert (tmp_path / "reports/sim/tiny/report.json").is_file()


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_overrides_reach_the_run(tmp_path):
    out = tmp_path / "o"
    assert main(["run", str(tiny_file(tmp_path)), "-o", str(out), "-q", "--duration", "10min",
                 "--traffic-scale", "0.5", "--seed", "9", "--replications", "4"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["configuration"]["run"]["duration"] == 600.0
    assert report["configuration"]["run"]["traffic_scale"] == 0.5
    assert report["seed"] == 9 and report["replications"] == 4
    assert report["messages"]["sent"] < 4 * 600 * 1.0 * 1.15  # 1/s after scaling


def test_precision_loop_stops_at_once_when_every_slo_is_clear_of_its_threshold(tmp_path):
    """As JMT: an interval that lies wholly on one side of the threshold needs no more replications."""
    out = tmp_path / "o"
    assert main(["run", str(tiny_file(tmp_path)), "-o", str(out), "-q", "--precision", "3%",
                 "--max-replications", "30"]) == 0
    report = json.loads((out / "report.json").read_text())
    prec = report["precision"][0]
    assert prec["target"] == 0.03 and prec["cap"] == 30
    assert report["replications"] == 3 and prec["reached"]
    assert any(v > 0.03 for v in prec["relative_half_widths"].values())  # wide, but decided


@pytest.mark.slow  # measured: 11 s on a loaded 2-core machine
def test_precision_loop_adds_replications_while_an_slo_straddles_its_threshold(tmp_path):
    out = tmp_path / "o"
    near = "  rt-mean: realtime.latency.mean <= 480ms"  # the tiny queue's mean is about 470 ms
    code = main(["run", str(tiny_file(tmp_path, slos=near)), "-o", str(out), "-q", "--precision", "3%",
                 "--max-replications", "30"])
    report = json.loads((out / "report.json").read_text())
    prec = report["precision"][0]
    assert report["replications"] > 3
    [slo] = report["slos"]
    decided = slo["verdict"] != "inconclusive"
    assert prec["reached"] == (decided or prec["relative_half_widths"]["realtime.latency.mean"] <= 0.03)
    assert code == {"pass": 0, "fail": 1, "inconclusive": 3}[slo["verdict"]] == report["exit_code"]


@pytest.mark.slow  # measured: 6 s on a loaded 2-core machine
def test_audit_writes_one_file_per_replication(tmp_path):
    out = tmp_path / "o"
    assert main(["run", str(tiny_file(tmp_path)), "-o", str(out), "-q", "--audit"]) == 0
    assert len(list((out / "audit").iterdir())) == 3


def test_unusable_scenario_exits_2_with_the_file_named(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntopology: {}\n")
    assert main(["run", str(bad), "-q"]) == 2
    assert "bad.yaml" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.yaml"), "-q"]) == 2


@pytest.mark.parametrize("argv", [["--precision", "abc"], ["--precision", "150%"], ["--replications", "0"],
                                  ["--duration", "5"], ["--traffic-scale", "-1"], ["--seed", "x"]])
def test_bad_options_exit_2(tmp_path, argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tiny_file(tmp_path)), "-q", *argv])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
def test_workers_give_the_same_numbers_as_one_process(tmp_path):
    scenario = tiny_file(tmp_path)
    reports = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert main(["run", str(scenario), "-o", str(out), "-q", "--workers", workers, "-n", "4"]) == 0
        report = json.loads((out / "report.json").read_text())
        reports.append({k: v for k, v in report.items() if k != "timing"})
    assert reports[0] == reports[1]
