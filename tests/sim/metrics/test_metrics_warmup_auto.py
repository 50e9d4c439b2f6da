"""Automatic warm-up (`run.warmup: auto`): MSER-5 per replication on the SLO metrics' series, applied to the
statistics, checked on queues whose answer is known."""

import math

import numpy as np
import pytest

from sim.metrics.collector import Collector
from sim.metrics.reference import single_server_replication
from sim.metrics.stats import confidence_interval
from sim.metrics.warmup import series_for, warmup_series
from sim.report.aggregate import point_section
from sim.report.jsonreport import warnings


def _interval(summaries, metric):
    return confidence_interval([s.metrics[metric] for s in summaries], unit="s")


def test_a_queue_started_full_gets_its_drain_cut_off_and_the_mm1_mean_back():
    # M/M/1 at rho = 0.5 (W = 1 / (mu - lambda) = 2 s) started with 300 requests waiting: they drain in about
    # 300 / (mu - lambda) = 600 s. The mean over the whole run is far above 2 s; after MSER-5's cut the interval
    # covers it.
    lam, mu, duration = 0.5, 1.0, 5000.0
    fixed = [single_server_replication(lam, mu, duration, 0.0, seed, realtime=False, backlog=300)
             for seed in range(8)]
    auto = [single_server_replication(lam, mu, duration, 0.0, seed, realtime=False, backlog=300, auto_warmup=True)
            for seed in range(8)]
    theory = 1.0 / (mu - lam)
    before, after = _interval(fixed, "async.latency.mean"), _interval(auto, "async.latency.mean")
    assert before.low > theory + 5  # the drain dominates the mean
    assert after.low <= theory <= after.high, (after.low, after.high)
    for s in auto:  # detected, near the end of the drain, and reported with its length
        assert s.warmup_auto and 300.0 <= s.warmup <= duration / 2
        assert s.warmup == pytest.approx(math.ceil(s.warmup / (duration / 240) - 1e-9) * duration / 240)
        row = s.warmup_detection["async.latency"]
        assert row["settles"] and row["auto"] and row["detected_s"] <= s.warmup
    section = point_section(auto)
    assert section["warmup"]["mode"] == "auto" and section["warmup"]["applied_s"] == [s.warmup for s in auto]
    # every statistic starts at the cut: throughput counts answers after it, utilisation and Little's law too
    s = auto[0]
    assert s.metrics["throughput.answered_per_s"] == pytest.approx(lam, rel=0.1)
    assert s.metrics["utilisation.server"] == pytest.approx(lam / mu, rel=0.1)
    assert s.littles_law["relative_error"] < 0.05
    assert fixed[0].metrics["utilisation.server"] > auto[0].metrics["utilisation.server"]


def test_a_fixed_warm_up_is_kept_as_configured():
    s = single_server_replication(0.5, 1.0, 2000.0, 300.0, 1, realtime=False, backlog=300)
    assert not s.warmup_auto and s.warmup == 300.0
    assert s.warmup_detection["async.latency"]["detected_s"] > 300.0  # MSER-5 still checks it
    assert not s.warmup_detection["async.latency"]["sufficient"]


def test_an_overloaded_queue_never_settles_and_the_warning_names_the_series():
    summaries = [single_server_replication(1.2, 1.0, 3000.0, 0.0, seed, realtime=False, auto_warmup=True)
                 for seed in range(3)]
    for s in summaries:
        assert not s.warmup_detection["async.latency"]["settles"]
        assert s.warmup >= 1000.0  # MSER-5 wants to cut beyond the middle of the series
    text = warnings(None, [point_section(summaries)])
    assert any(w.startswith("non-stationary: async.latency never settles") and "3 of 3" in w for w in text), text


def test_cells_give_the_same_figures_as_a_fixed_warm_up_at_the_same_point():
    # auto cuts at a cell edge; a fixed warm-up at that very edge must measure the same things
    auto = single_server_replication(0.5, 1.0, 2400.0, 0.0, 5, realtime=False, backlog=200, auto_warmup=True)
    fixed = single_server_replication(0.5, 1.0, 2400.0, auto.warmup, 5, realtime=False, backlog=200)
    for key in ("async.latency.mean", "async.latency.p99", "async.within_48h.share", "answered.share",
                "throughput.answered_per_s", "throughput.delivered_per_s", "delivery.latency.mean",
                "queue.max_depth", "utilisation.server"):
        assert auto.metrics[key] == pytest.approx(fixed.metrics[key], rel=1e-9, abs=1e-12), key
    assert auto.components["server"]["mean_depth"] == pytest.approx(fixed.components["server"]["mean_depth"])
    assert auto.littles_law["L"] == pytest.approx(fixed.littles_law["L"])
    assert auto.littles_law["W"] == pytest.approx(fixed.littles_law["W"])
    assert auto.share_counts == fixed.share_counts


def test_too_few_observations_leave_no_warm_up():
    c = Collector(100.0, auto_warmup=True, warmup_series=("realtime.latency",))
    for i in range(10):
        c.message_sent(i, "request", "T", "realtime", "a", "p", float(i))
        c.message_delivered(i, i + 0.5)
        c.request_answered(i, i + 0.5)
    s = c.summary()
    assert s.warmup == 0.0 and s.metrics["realtime.latency.mean"] == pytest.approx(0.5)


def test_deadline_series_counts_unanswered_requests_as_misses():
    c = Collector(1000.0, auto_warmup=True, warmup_series=("realtime.deadline",))
    rng = np.random.default_rng(2)
    for i in range(600):
        t = float(i)
        c.message_sent(i, "request", "T", "realtime", "a", "p", t)
        if i < 200 and i % 2:  # early on, half the requests expire
            c.message_expired(i, t + 10)
        else:
            c.message_delivered(i, t + 0.1)
            c.request_answered(i, t + 0.1 + rng.exponential(0.2))
    s = c.summary()
    assert 150.0 <= s.warmup <= 260.0
    assert s.metrics["realtime.within_2s.share"] > 0.99  # the early misses are in the warm-up


@pytest.mark.parametrize(("metric", "series"), [
    ("realtime.latency.p99", ("realtime.latency",)),
    ("async.accepted_latency.mean", ("async.latency",)),
    ("realtime.within_2s.share", ("realtime.deadline",)),
    ("async.within_48h.share", ("async.deadline",)),
    ("within_deadline.share", ("realtime.deadline", "async.deadline")),
    ("participant.fns.within_deadline.share", ("realtime.deadline", "async.deadline")),
    ("type.tax-debts.latency.p99", ("realtime.latency", "async.latency")),
    ("messages.lost", ()),
    ("portal.availability", ()),
])
def test_the_series_of_each_slo_metric(metric, series):
    assert series_for(metric) == series


def test_watched_series_are_stable_and_unique():
    assert warmup_series(["realtime.latency.p99", "realtime.within_2s.share", "realtime.latency.mean",
                          "messages.lost"]) == ("realtime.deadline", "realtime.latency")


def test_the_scenario_field_takes_auto_by_default_a_duration_or_refuses_a_word():
    from pathlib import Path

    from sim.errors import ScenarioError
    from sim.scenario import loads

    text = (Path(__file__).resolve().parents[3] / "scenarios" / "mm1.yaml").read_text(encoding="utf-8")
    written = "run: {duration: 1h, warmup: 5min, replications: 10, seed: 7}"
    assert written in text
    fixed = loads(text).run
    assert not fixed.warmup_auto and fixed.warmup == 300
    auto = loads(text.replace("warmup: 5min", "warmup: auto")).run
    default = loads(text.replace("warmup: 5min, ", "")).run
    assert auto == default and auto.warmup_auto and auto.warmup == 0.0
    with pytest.raises(ScenarioError) as info:
        loads(text.replace("warmup: 5min", "warmup: automatic"))
    assert "run.warmup" in str(info.value) and "automatic" in str(info.value)
