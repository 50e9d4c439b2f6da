"""The model's counters ("cannot provide" answers, status messages, replication, the background) reach report.json's
`volume.counters`, the HTML report and the terminal, labelled, at full volume when the run is sampled."""

import json
from types import SimpleNamespace

import pytest
from report_fakes import tiny_yaml

from sim.cli import main
from sim.report.aggregate import MESSAGE_KEYS, model_counters
from sim.report.jsonreport import volume


def _section(counters, reps=2):
    return {"replications": reps, "messages": {k: 0 for k in MESSAGE_KEYS}, "model_counters": counters}


def _scenario(share):
    return SimpleNamespace(run=SimpleNamespace(tagged_share=share, duration=100.0),
                           topology=SimpleNamespace(participants={"a": 1, "b": 2}))


def test_tagged_counters_scale_to_full_volume_background_ones_do_not():
    sections = [_section({"answers.cannot_provide": 4, "answers.cannot_provide.Passport": 4,
                          "status.received": 10, "background.jobs": 1000}),
                _section({"answers.cannot_provide": 2, "background.jobs": 600})]
    counters = volume(_scenario(0.02), sections)["counters"]
    # 6 over 4 replications, a 2 % sample: 1.5 simulated, 75 at full volume
    assert counters["answers.cannot_provide"]["simulated_per_replication"] == pytest.approx(1.5)
    assert counters["answers.cannot_provide"]["full_volume_per_replication"] == pytest.approx(75.0)
    assert counters["answers.cannot_provide.Passport"]["full_volume_per_replication"] == pytest.approx(50.0)
    assert "Passport" in counters["answers.cannot_provide.Passport"]["label"]
    assert counters["status.received"]["full_volume_per_replication"] == pytest.approx(125.0)
    # the background counts the untagged traffic itself
    assert counters["background.jobs"]["full_volume_per_replication"] == pytest.approx(400.0)
    assert all(c["label"] for c in counters.values())
    full = volume(_scenario(1.0), sections)["counters"]
    assert full["answers.cannot_provide"]["full_volume_per_replication"] == pytest.approx(1.5)


def test_model_counters_pick_the_shown_ones_and_sum():
    summaries = [SimpleNamespace(extra={"model": {"answers.cannot_provide": 1, "events": 99, "status.received": 3,
                                                  "replication.copies": 5}}),
                 SimpleNamespace(extra={"model": {"answers.cannot_provide": 2}})]
    got = model_counters(summaries)
    assert got["answers.cannot_provide"] == 3 and got["status.received"] == 3 and got["replication.copies"] == 5
    assert got["status.undeliverable"] == 0 and "events" not in got


def test_tagged_run_shows_counters_everywhere(tagged_run):
    out, report = tagged_run.out, tagged_run.report
    jobs = report["volume"]["counters"]["background.jobs"]
    assert jobs["full_volume_per_replication"] == pytest.approx(report["points"][0]["background"]
                                                                ["jobs_per_replication"])
    assert "answers.cannot_provide" in report["volume"]["counters"]
    html = (out / "report.html").read_text()
    assert "Model counters" in html and "background jobs drawn" in html
    printed = tagged_run.printed
    assert "per replication at full volume:" in printed and "background jobs drawn" in printed


def _sweep_report(note):
    eff = {"mean": 0.25, "ci_low": 0.24, "ci_high": 0.26}
    return {"scenario": "s", "replications": 2, "seed": 1, "slos": [], "verdict": "pass",
            "messages": {k: 0 for k in MESSAGE_KEYS},
            "volume": {"sampled": False, "replications": 2, "counters": {}},
            "littles_law": {"max_relative_error": None},
            "sweep": {"parameter": "p", "scaleout_efficiency": eff, "efficiency_note": note}}


def test_terminal_shows_efficiency_only_at_capacity(tmp_path):
    from io import StringIO

    from rich.console import Console

    from sim.commands.run import _print_verdicts

    for note, expect, absent in ((None, "scale-out efficiency over p: 0.25", "not shown"),
                                 ("the first point (1) is below capacity", "not shown: the first point", "0.25")):
        buf = StringIO()
        _print_verdicts(Console(file=buf, width=200), _sweep_report(note), tmp_path, None)
        text = buf.getvalue()
        assert expect in text and absent not in text


@pytest.mark.slow  # measured: 6 s on a loaded 2-core machine
def test_one_headline_participant_count(tmp_path, capsys):
    """The topology's participant count is the headline, once in report.json (`volume.participants`), in the HTML
    Volume note and on the terminal; the configuration carries no second copy."""
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny_yaml())
    out = tmp_path / "out"
    assert main(["run", str(path), "-o", str(out), "-q", "--duration", "4min", "--replications", "2"]) == 0
    report = json.loads((out / "report.json").read_text())
    groups = report["configuration"]["topology"]["participants"]["groups"]
    topology = sum(g["count"] for g in groups.values())  # agency and bank
    assert topology == 2
    assert report["volume"]["participants"] == topology
    assert "participants_total" not in report["configuration"]
    assert f"participants in the topology: {topology}" in capsys.readouterr().out
    assert f"{topology} participants in the topology" in (out / "report.html").read_text()
