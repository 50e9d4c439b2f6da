"""A tagged run's report: `--tagged-share` reaches the run, and the background's offered load is in report.json and
report.html (with the real model: the background is the model's)."""

import json

import pytest
from report_fakes import tiny_yaml

from sim.cli import main


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine (one shared model run, `tagged_run`)
def test_tagged_run_reports_its_background(tagged_run):
    out, report = tagged_run.out, tagged_run.report
    assert report["configuration"]["run"]["tagged_share"] == 0.25
    background = report["points"][0]["background"]
    # 75 % of 2 requests/s, 250 ms each, on the agency's one worker
    assert background["offered_utilisation"]["agency"] == pytest.approx(0.375, abs=1e-3)
    assert background["jobs_per_replication"] > 0.75 * 2 * 360  # the agency's jobs, and ingress's on top
    assert background["dropped"] == 0
    assert "Background: offered utilisation" in (out / "report.html").read_text()


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_untagged_run_has_no_background(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny_yaml())
    out = tmp_path / "out"
    assert main(["run", str(path), "-o", str(out), "-q", "--duration", "4min", "--replications", "2"]) == 0
    assert json.loads((out / "report.json").read_text())["points"][0]["background"] == {}
