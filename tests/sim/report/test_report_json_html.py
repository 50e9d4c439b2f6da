"""report.json (schema, accounting, determinism) and report.html (plots, escaping) on a loaded scenario."""

import json
import re

import pytest
from report_fakes import FAILING_SLOS, SWEEP, queue_simulate, tiny_yaml

from sim.report.html import render_html
from sim.report.jsonreport import build_report, dumps
from sim.runner import execute
from sim.scenario import loads


def _report(text: str, **kwargs) -> dict:
    return build_report(execute(loads(text), simulate=queue_simulate, **kwargs))


@pytest.fixture(scope="module")
def report() -> dict:
    return _report(tiny_yaml())


def test_report_json_contract(report):
    for key in ("scenario", "seed", "replications", "versions", "configuration", "slos", "messages", "littles_law",
                "timing", "verdict", "points"):
        assert key in report
    assert report["scenario"] == "tiny" and report["seed"] == 42 and report["replications"] == 3
    assert set(report["versions"]) >= {"python", "simpy", "numpy", "smev-sim"}
    assert report["configuration"]["run"]["duration"] == 1200.0  # effective, SI
    assert report["configuration"]["message_types"]["passport"]["realtime"] is True
    for slo in report["slos"]:
        assert set(slo) >= {"name", "metric", "op", "threshold", "mean", "ci_low", "ci_high", "passed"}
    m = report["messages"]
    assert set(m) >= {"sent", "delivered", "in_flight", "expired", "rejected", "lost", "duplicates"}
    assert m["sent"] == m["delivered"] + m["in_flight"] + m["expired"] + m["rejected"] + m["lost"]
    assert m == report["points"][0]["messages"]  # one point: the totals are its totals
    # about 2/s for 20 min in each of 3 replications
    assert 3 * 2 * 1200 * 0.9 < m["sent"] < 3 * 2 * 1200 * 1.1
    assert "sweep" not in report
    json.loads(dumps(report))  # strict JSON: no NaN or Infinity


def test_slo_intervals_agree_with_the_point_metrics(report):
    slo = next(s for s in report["slos"] if s["name"] == "rt-mean")
    metric = report["points"][0]["metrics"]["realtime.latency.mean"]
    assert (slo["mean"], slo["ci_low"], slo["ci_high"]) == (metric["mean"], metric["ci_low"], metric["ci_high"])
    # M/M/1 with lambda 2/s, mu 4/s: W = 0.5 s
    assert slo["ci_low"] <= 0.5 <= slo["ci_high"] and slo["passed"]
    assert report["verdict"] == "pass"
    assert report["littles_law"]["max_relative_error"] < 0.05


def test_same_seed_same_numbers_other_seed_other_numbers(report):
    again = _report(tiny_yaml())
    strip = lambda r: {k: v for k, v in r.items() if k != "timing"}  # noqa: E731
    assert dumps(strip(again)) == dumps(strip(report))
    other = _report(tiny_yaml(), seed=43)
    assert other["messages"] != report["messages"]


def test_failing_slo_sets_the_verdict():
    rep = _report(tiny_yaml(slos=FAILING_SLOS))
    assert rep["verdict"] == "fail"
    failing = [s for s in rep["slos"] if not s["passed"]]
    assert [s["name"] for s in failing] == ["rt-p99"]
    assert failing[0]["ci_low"] > 0.1


def test_html_contains_the_plots_and_verdicts(report):
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', page)
    assert images == ["latency CDF", "throughput and queues", "deadline compliance per provider"]
    assert "PASS: all 2 SLOs hold" in page and "rt-mean" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


def test_html_escapes_hostile_text():
    rep = _report(tiny_yaml(name="'<script>alert(1)</script>'"))
    page = render_html(rep)
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
def test_sweep_report_has_the_curve_and_per_point_slos():
    rep = _report(tiny_yaml(sweep=SWEEP, slos="  rt-mean: realtime.latency.mean <= 5s\n"
                                              "  scales: scaleout.efficiency >= 0.5"))
    sweep = rep["sweep"]
    assert sweep["parameter"] == "topology.participants.agency.concurrency" and sweep["values"] == [1, 2, 4]
    assert len(rep["points"]) == 3 and [p["value"] for p in rep["points"]] == [1, 2, 4]
    per_point = [s for s in rep["slos"] if s["name"] == "rt-mean"]
    assert [s["point"] for s in per_point] == [{sweep["parameter"]: v} for v in (1, 2, 4)]
    # offered load is fixed, so adding servers does not add throughput: efficiency at 4x is about 1/4
    assert sweep["scaleout_efficiency"]["mean"] == pytest.approx(0.25, rel=0.05)
    # so the first point is below capacity: the efficiency is not shown, and the report says why
    assert sweep["efficiency_note"] and "below capacity" in sweep["efficiency_note"]
    assert sweep["at_capacity"] == [False, False, False]
    assert not next(s for s in rep["slos"] if s["name"] == "scales")["passed"]
    page = render_html(rep)
    assert "Scale-out efficiency: not shown" in page
    assert 'alt="sweep"' in page and page.count("data:image/png;base64,") == 1 + 1 + 3 * 2
