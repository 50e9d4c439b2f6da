"""Station meters beyond the FIFO station: several stations reported together (a bus site's nodes), a delay station
(a bus node's delivery store), a processor-sharing server (a link), and background busy time added to a meter."""

from __future__ import annotations

import pytest

from sim.metrics.stations import SharingMeter, StationMeter


def _node(name: str, trace: list[tuple[str, float, float]]) -> StationMeter:
    m = StationMeter(name, 2, warmup=0.0, kind="entrance", horizon=10.0)
    for what, t, arrived in trace:
        getattr(m, what)(*((t,) if what in ("arrive", "enter") else (t, arrived)))
    return m


def test_a_site_is_its_nodes_together():
    a = _node("a", [("enter", 1.0, 1.0), ("finish", 3.0, 1.0)])
    b = _node("b", [("enter", 2.0, 2.0), ("enter", 2.0, 2.0), ("arrive", 2.5, 0), ("finish", 4.0, 2.0),
                    ("start", 4.0, 2.5), ("finish", 6.0, 2.0), ("finish", 7.0, 2.5)])
    site = StationMeter.combined("site", "entrance", [a, b], 10.0).summary(10.0)
    one, two = a.summary(10.0), b.summary(10.0)
    assert site["servers"] == 4
    assert site["throughput_per_s"] == pytest.approx(one["throughput_per_s"] + two["throughput_per_s"])
    assert site["in_station_mean"] == pytest.approx(one["in_station_mean"] + two["in_station_mean"])
    # utilisation of the site: all busy server-time over all its servers
    assert site["utilisation"] == pytest.approx((2.0 + 2.0 + 4.0 + 3.0) / (4 * 10.0))  # a: 1..3; b: 2..4, 2..6, 4..7
    assert site["wait_mean"] == pytest.approx((0 + 0 + 0 + 1.5) / 4)  # the waits of both nodes' jobs
    assert site["queue_max"] == 1 and site["littles_law_error"] == pytest.approx(0.0, abs=1e-12)


def test_a_delay_station_has_no_utilisation_but_every_other_figure():
    store = StationMeter("store", None, warmup=0.0, kind="delivery", horizon=10.0)
    store.arrive(1.0)
    store.start(4.0, 1.0)     # waited 3 s for its poll
    store.finish(5.0, 1.0)    # delivered (acked)
    out = store.summary(10.0)
    assert out["servers"] is None and out["utilisation"] is None
    assert out["wait_mean"] == pytest.approx(3.0) and out["queue_mean"] == pytest.approx(0.3)
    assert out["in_station_mean"] == pytest.approx(0.4) and out["throughput_per_s"] == pytest.approx(0.1)


def test_a_sharing_server_is_busy_while_it_carries_a_job_not_per_job():
    link = SharingMeter("link", 1, warmup=0.0, horizon=10.0)
    link.enter(1.0)
    link.enter(2.0)
    link.finish(4.0, 1.0)
    link.finish(5.0, 2.0)
    link.enter(8.0)           # still on the link at the end
    out = link.summary(10.0)
    assert out["utilisation"] == pytest.approx((4.0 + 2.0) / 10.0)  # busy 1..5 and 8..10, not the number of jobs
    assert out["in_station_mean"] == pytest.approx((3.0 + 3.0 + 2.0) / 10.0)
    assert out["queue_mean"] == 0.0 and out["wait_mean"] == 0.0
    link.base_load = 0.5      # half the capacity carried as background: the jobs had the other half
    assert link.summary(10.0)["utilisation"] == pytest.approx(0.5 + 0.5 * 0.6)


def test_background_busy_time_makes_a_sampled_stations_utilisation_exact():
    m = StationMeter("s", 2, warmup=0.0, horizon=10.0)
    m.scale = 10.0            # a 10 % sample: without more, its busy time is scaled up
    m.job(1.0, 1.0, 2.0)
    assert m.summary(10.0)["utilisation"] == pytest.approx(10 * 1.0 / 20.0)
    m.add_busy(5.0)           # the background's busy time, known exactly: no scaling then
    assert m.summary(10.0)["utilisation"] == pytest.approx((1.0 + 5.0) / 20.0)
    assert m.busy_seconds(10.0) == pytest.approx(6.0)
