"""Reports of a sampled run show the full volume, labelled; the compliance axis is zoomed to the target."""

from types import SimpleNamespace

import pytest

from sim.report.jsonreport import volume, warnings
from sim.report.plots import compliance_axis_left


def test_compliance_axis_separates_a_failing_provider_from_a_passing_one():
    left = compliance_axis_left([0.9995, 0.995], 0.999)  # one provider at 99.95 %, one at 99.5 %
    assert 0.99 < left < 0.995  # on a 0-1 axis both would look like full bars
    assert compliance_axis_left([0.2], 0.999) == pytest.approx(0.0)


def test_volume_divides_the_sample_by_the_share_and_says_how_large_it_was():
    scenario = SimpleNamespace(run=SimpleNamespace(tagged_share=0.001, duration=3600.0),
                               topology=SimpleNamespace(participants=list(range(1133))))
    sections = [{"replications": 2, "messages": {"sent": 2000, "delivered": 1990, "in_flight": 4, "expired": 4,
                                                  "rejected": 2, "lost": 0, "duplicates": 0}}]
    v = volume(scenario, sections)
    assert v["sampled"] and v["simulated_per_replication"]["sent"] == 1000
    assert v["full_volume_per_replication"]["sent"] == pytest.approx(1_000_000)
    assert v["full_volume_sent_per_s"] == pytest.approx(1_000_000 / 3600)
    assert v["participants"] == 1133


def test_warnings_name_a_short_warm_up_and_a_trend():
    scenario = SimpleNamespace(workload=SimpleNamespace(profiles={}))
    section = {"warmup_detection": {"realtime": {
        "configured_s": 60.0, "detected_max_s": 300.0, "replications": 4, "insufficient": 2, "never_settles": 0,
        "trending": 1}}}
    text = warnings(scenario, [section])
    assert any("raise run.warmup" in w and "300" in w for w in text)
    assert any("non-stationary" in w for w in text)
