"""The Collector: message accounting, warm-up, deadlines with censoring, queue/utilisation series, Little's law."""

import json
import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.metrics.collector import HISTOGRAM_EDGES, Collector
from sim.metrics.reference import single_server_replication


def test_accounting_identity_and_reasons():
    c = Collector(100.0, 0.0)
    for i in range(10):
        c.message_sent(i, "request", "T", "async", "a", "p", float(i))
    c.message_delivered(0, 1.0)
    c.message_delivered(1, 2.0)
    c.message_rejected(2, "quota", 3.0)
    c.message_rejected(3, "SignatureVerificationFault", 3.0)
    c.message_expired(4, 50.0)
    c.message_lost(5, "dc-loss", 60.0)
    c.duplicate_suppressed(0, 5.0)
    s = c.summary()
    m = s.messages
    assert (m["sent"], m["delivered"], m["rejected"], m["expired"], m["lost"], m["in_flight"]) == (10, 2, 2, 1, 1, 4)
    assert m["sent"] == m["delivered"] + m["in_flight"] + m["expired"] + m["rejected"] + m["lost"]
    assert s.rejected_by_reason == {"SignatureVerificationFault": 1, "quota": 1}
    assert s.lost_by_reason == {"dc-loss": 1}
    assert m["duplicates_suppressed"] == 1 and m["duplicates"] == 0
    assert s.metrics["messages.lost.share"] == pytest.approx(0.1)


def test_second_terminal_event_is_an_accounting_error_not_a_second_delivery():
    c = Collector(10.0)
    c.message_sent("m", "request", "T", "realtime", "a", "p", 0.0)
    c.message_delivered("m", 1.0)
    c.message_delivered("m", 2.0)
    c.message_lost("never-sent", "x", 3.0)
    c.duplicate_delivered("m", 2.0)
    s = c.summary()
    assert s.messages["delivered"] == 1
    assert s.messages["accounting_errors"] == 2
    assert s.metrics["messages.duplicates_delivered"] == 1.0


def test_warmup_excludes_latency_but_not_accounting():
    c = Collector(100.0, 50.0)
    c.message_sent(1, "request", "T", "realtime", "a", "p", 10.0)  # in warm-up
    c.message_sent(2, "request", "T", "realtime", "a", "p", 60.0)
    c.message_delivered(1, 55.0)
    c.message_delivered(2, 60.5)
    c.request_answered(1, 55.0)
    c.request_answered(2, 61.5)
    s = c.summary()
    assert s.messages["sent"] == 2 and s.messages["delivered"] == 2
    assert s.latency["realtime"]["count"] == 1
    assert s.metrics["realtime.latency.mean"] == pytest.approx(1.5)
    assert s.metrics["delivery.latency.max"] == pytest.approx(0.5)
    # both answers came after the warm-up: throughput counts answers in the window
    assert s.metrics["throughput.answered_per_s"] == pytest.approx(2 / 50)
    assert s.metrics["answered.share"] == 1.0


def test_deadline_shares_censor_requests_whose_deadline_has_not_passed():
    c = Collector(10.0, 0.0, async_deadline=5.0)
    c.message_sent("late", "request", "T", "async", "a", "p1", 0.0)  # unanswered, deadline 5 passed: failure
    c.message_sent("ok", "request", "T", "async", "a", "p1", 1.0)
    c.request_answered("ok", 2.0)
    c.message_sent("open", "request", "T", "async", "a", "p2", 8.0)  # unanswered, deadline 13 > 10: censored
    c.message_sent("rt-slow", "request", "U", "realtime", "a", "p2", 1.0)
    c.request_answered("rt-slow", 3.5)  # 2.5 s > 2 s
    s = c.summary()
    assert s.metrics["async.within_48h.share"] == pytest.approx(0.5)
    assert s.metrics["realtime.within_2s.share"] == 0.0
    assert s.metrics["participant.p1.within_deadline.share"] == pytest.approx(0.5)
    assert s.metrics["participant.p2.within_deadline.share"] == 0.0  # 'open' is censored, not counted
    assert s.participants["p2"]["deadline_known"] == 1
    assert s.metrics["type.U.latency.p99"] == pytest.approx(2.5)


def test_rejected_requests_count_beyond_every_deadline_but_not_against_their_provider():
    c = Collector(10.0, 0.0, async_deadline=5.0)
    c.message_sent("ok", "request", "T", "async", "flooder", "p", 0.0)
    c.request_answered("ok", 1.0)
    for i in range(5):  # refused by the bus: the provider never saw them, the consumer never got an answer
        c.message_sent(i, "request", "T", "async", "flooder", "p", 0.0)
        c.message_rejected(i, "QuoteLimitExceeded", 0.1)
    s = c.summary()
    assert s.metrics["participant.p.within_deadline.share"] == 1.0
    assert s.metrics["async.within_48h.share"] == pytest.approx(1 / 6)
    assert s.metrics["async.latency.p50"] == math.inf and s.metrics["async.latency.mean"] == 1.0
    assert s.metrics["async.unanswered"] == 5
    assert s.metrics["answered.share"] == pytest.approx(1 / 6)  # the consumer still got few answers
    assert s.participants["p"]["rejected"] == 5


def test_queue_depth_series_keeps_bin_maxima_and_carries_values_forward():
    c = Collector(10.0, 0.0, grid_bins=10)
    c.queue_depth("q", 3, 0.5)
    c.queue_depth("q", 7, 0.6)
    c.queue_depth("q", 1, 0.7)
    c.queue_depth("q", 4, 5.5)
    s = c.summary()
    assert s.timeseries["queues"]["q"] == [7, 1, 1, 1, 1, 4, 4, 4, 4, 4]
    # time average: 0 on [0,.5), 3 on [.5,.6), 7 on [.6,.7), 1 on [.7,5.5), 4 on [5.5,10)
    expected = (3 * 0.1 + 7 * 0.1 + 1 * 4.8 + 4 * 4.5) / 10
    assert s.components["q"]["mean_depth"] == pytest.approx(expected)
    assert s.metrics["queue.max_depth"] == 7


def test_queue_depth_held_across_the_warmup_counts_towards_the_maximum():
    c = Collector(10.0, 5.0)
    c.queue_depth("q", 9, 1.0)  # in warm-up, still 9 when the window opens
    c.queue_depth("q", 2, 6.0)
    assert c.summary().components["q"]["max_depth"] == 9


def test_utilisation_is_busy_time_over_capacity_and_window():
    c = Collector(20.0, 10.0)
    c.component("bus", 2)
    c.busy("bus", 5.0, 15.0)  # 5 s inside the window
    c.busy("bus", 12.0, 17.0)  # 5 s
    c.queue_depth("q", 1, 11.0)  # a queue only: no utilisation metric for it
    s = c.summary()
    assert s.metrics["utilisation.bus"] == pytest.approx(10 / (2 * 10))
    assert s.metrics["utilisation.max"] == pytest.approx(0.5)
    assert "utilisation.q" not in s.metrics


def test_a_busy_total_counts_like_its_busy_periods():
    c = Collector(20.0, 10.0)
    c.component("bus", 2)
    c.component("idle", 4)
    c.busy_total("bus", 13.0)  # server-seconds inside the window, already clipped by the model
    c.busy_total("idle", 0.0)
    s = c.summary()
    assert s.metrics["utilisation.bus"] == pytest.approx(13 / (2 * 10))
    assert "utilisation.idle" not in s.metrics  # never busy: not a served component


def test_portal_and_login_shares_and_blocking():
    c = Collector(10.0)
    for outcome in ("accepted", "accepted", "waited", "refused"):
        c.portal_application(outcome, 1.0)
    for outcome in ("success", "success", "esia-down"):
        c.login(outcome, 1.0)
    c.participant_blocked("flooder", 3.0)
    c.participant_blocked("flooder", 4.0)
    c.billed("flooder", 10, 2.5)
    s = c.summary()
    assert s.metrics["portal.availability"] == pytest.approx(0.75)
    assert s.metrics["portal.login.success.share"] == pytest.approx(2 / 3)
    assert s.metrics["participants.blocked"] == 1
    assert s.blocked == [{"name": "flooder", "t": 3.0}]
    assert s.participants["flooder"]["billed_amount"] == 2.5


def test_summary_is_json_and_pickle_round_trippable():
    s = single_server_replication(0.5, 1.0, 500.0, 50.0, 3)
    data = json.loads(json.dumps(s.to_dict()))
    assert type(s).from_dict(data) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert len(s.latency_histograms["realtime"]) == len(HISTOGRAM_EDGES) - 1
    assert sum(s.latency_histograms["realtime"]) == s.latency["realtime"]["count"]


def test_littles_law_holds_on_a_long_mm1_trace():
    s = single_server_replication(0.7, 1.0, 50_000.0, 5_000.0, 11)
    ll = s.littles_law
    assert ll["relative_error"] < 0.01
    assert ll["L"] == pytest.approx(ll["lambda"] * ll["W"], rel=0.01)
    # the collector's number-in-system integral agrees with the server's own queue integral
    assert ll["L"] == pytest.approx(s.components["server"]["mean_depth"], rel=1e-9)
    assert s.metrics["utilisation.server"] == pytest.approx(0.7, abs=0.03)


def test_littles_law_error_flags_messages_that_never_leave():
    """Messages stuck in the system (never closed) break L = lambda W: the check is not vacuous."""
    c = Collector(1000.0)
    rng = np.random.default_rng(0)
    t = 0.0
    for i in range(500):
        t += rng.exponential(1.0)
        c.message_sent(i, "request", "T", "async", "a", "p", t)
        c.message_delivered(i, t + 0.5)  # the system holds it 0.5 s ...
    s = c.summary()
    assert s.littles_law["relative_error"] < 0.05
    c2 = Collector(1000.0)
    t = 0.0
    for i in range(500):
        t += rng.exponential(1.0)
        c2.message_sent(i, "request", "T", "async", "a", "p", t)
        if i % 2:
            c2.message_delivered(i, t + 0.5)
    # half the messages never leave: L grows, W (from departures) does not
    assert c2.summary().littles_law["relative_error"] > 0.9


def test_wrong_class_and_bad_construction_fail_fast():
    with pytest.raises(ValueError, match="realtime"):
        Collector(1.0).message_sent(1, "request", "T", "urgent", "a", "p", 0.0)
    with pytest.raises(ValueError, match="warm-up"):
        Collector(10.0, 10.0)
    c = Collector(1.0)
    c.summary()
    with pytest.raises(RuntimeError):
        c.summary()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 99), st.sampled_from(["delivered", "expired", "rejected", "lost", None]),
                          st.floats(0, 50), st.booleans()), max_size=60))
def test_every_sent_message_is_accounted_for_exactly_once(events):
    c = Collector(200.0, 10.0)
    for i, (t, outcome, dt, realtime) in enumerate(events):
        c.message_sent(i, "request", "T", realtime, "a", "p", t)
        if outcome == "delivered":
            c.message_delivered(i, t + dt)
            c.request_answered(i, t + dt)
        elif outcome == "expired":
            c.message_expired(i, t + dt)
        elif outcome in ("rejected", "lost"):
            getattr(c, f"message_{outcome}")(i, "r", t + dt)
    s = c.summary()
    m = s.messages
    assert m["sent"] == len(events)
    assert m["sent"] == m["delivered"] + m["in_flight"] + m["expired"] + m["rejected"] + m["lost"]
    assert m["in_flight"] == sum(1 for e in events if e[1] is None)
    answered_after_warmup = sum(1 for e in events if e[1] == "delivered" and e[0] >= 10.0)
    assert s.latency["realtime"]["count"] + s.latency["async"]["count"] == answered_after_warmup
    if s.metrics["littles_law.relative_error"] is not None:
        assert s.metrics["littles_law.relative_error"] >= 0
