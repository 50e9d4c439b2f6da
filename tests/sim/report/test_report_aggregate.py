"""Folding replication summaries into report sections: sums, pooled shares, averaged series, pooled CDFs."""

import pytest

from sim.metrics.collector import Collector
from sim.report import aggregate


def _summary(answers: list[float], provider_late: int, depth: int):
    c = Collector(100.0, 0.0, grid_bins=4)
    for i, latency in enumerate(answers):
        c.message_sent(i, "request", "T", "realtime", "a", "p", 1.0)
        c.message_delivered(i, 1.0 + latency / 2)
        c.request_answered(i, 1.0 + latency)
    for j in range(provider_late):
        c.message_sent(f"late{j}", "request", "T", "realtime", "a", "p", 10.0)  # never answered: known failure
    c.queue_depth("q", depth, 30.0)
    c.fault("dc-1", "data-centre-loss", 20.0, 40.0)
    return c.summary()


def test_point_section_sums_pools_and_averages():
    summaries = [_summary([0.5, 1.0, 3.0], 1, 4), _summary([0.2], 0, 8)]
    section = aggregate.point_section(summaries)
    m = section["messages"]
    assert m["sent"] == 5 and m["delivered"] == 4 and m["in_flight"] == 1
    p = section["participants"]["p"]
    # pooled: 3 within 2 s of 5 known; per replication 2/4 and 1/1
    assert p["within_deadline_share"] == pytest.approx(3 / 5)
    assert p["within_deadline_interval"]["mean"] == pytest.approx((0.5 + 1.0) / 2)
    cdf = section["latency_cdf"]["realtime"]
    assert cdf["total"] == 4 and cdf["cdf"][-1] == 1.0
    # the queue series is averaged bin by bin: bin 1 (25..50 s) holds 4 and 8
    assert section["series"]["queues"]["q"] == [0.0, 6.0, 6.0, 6.0]
    assert section["components"]["q"]["max_depth"] == 8
    assert section["faults"] == [{"name": "dc-1", "kind": "data-centre-loss", "start": 20.0, "end": 40.0}]
    assert section["metrics"]["realtime.latency.max"]["mean"] == pytest.approx((3.0 + 0.2) / 2)
