"""Two faults whose effect is computed by hand, with arrivals one a minute exactly (t = 60 s, 120 s, ...), so the
counts are exact, not statistical.

1. A provider down for 54 h with a TTL of 50 h: what was queued more than 50 h before it is back expires unserved,
   what waited more than 48 h is answered late, the rest on time.
2. A region cut off from the bus for 1 h, senders retrying with a deterministic backoff: a request whose last attempt
   still falls inside the outage is given up by its sender; one whose later attempt falls after it gets through.
"""

from __future__ import annotations

import pytest
from theory_cases import replications

GAP = 60.0  # one request a minute, the first at 60 s


def sent_in(lo: float, hi: float) -> list[float]:
    """Send times k x GAP (k >= 1) in [lo, hi)."""
    k0 = max(int(-(-lo // GAP)), 1)
    return [k * GAP for k in range(k0, int(hi // GAP) + 2) if lo <= k * GAP < hi]


PROVIDER_DOWN = """
name: provider-down-54h
description: a provider down 54 h (from 1 h 0 min 30 s), TTL 50 h, one request a minute, 1000 workers of 1 s
topology:
  data_centres: {dc: {bus_nodes: 1}}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1000, processing_time: const(1s)}
message_types:
  lookup: {provider: provider, consumers: [consumer]}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, interarrival: const(1min)}
policies: {ttl: 50h, replication_factor: 1}
faults:
  down: {kind: participant-down, participant: provider, at: 3630s, duration: 54h}
run: {duration: 3d, warmup: 30min, replications: 2, seed: 43}
"""


@pytest.mark.slow
def test_provider_down_beyond_the_ttl_and_the_deadline():
    down, up, ttl, deadline, warmup, horizon = 3630.0, 3630.0 + 54 * 3600, 50 * 3600.0, 48 * 3600.0, 1800.0, 3 * 86400.0
    # queued while down: expired if its end of life s + TTL comes before the provider is back
    expired = sent_in(down, up - ttl)  # s in [1 h 0 min 30 s, 5 h 0 min 30 s): 240
    # answered once it is back (within 4 s: 3000 waiting, 1000 workers of 1 s), late if that is past s + 48 h
    late = sent_in(up - ttl, up - deadline)  # 120
    measured = sent_in(warmup, horizon)  # sent after the warm-up, every outcome known by the end
    assert (len(expired), len(late)) == (240, 120)
    rset = replications(PROVIDER_DOWN, "provider-down-54h")
    for s in rset.summaries:
        m = s.metrics
        assert m["messages.expired"] == len(expired)
        assert m["async.unanswered"] == len(expired)
        assert m["messages.lost"] == 0 and m["messages.rejected"] == 0
        assert m["async.within_48h.share"] == pytest.approx(1 - (len(expired) + len(late)) / len(measured))
        assert m["answered.share"] == pytest.approx(1 - len(expired) / len(measured))


LINK_DOWN = """
name: region-cut-off-1h
description: a region's only uplink down 1 h (from 1 h 0 min 30 s); senders retry 5 times, timeout 30 s, no jitter
topology:
  data_centres: {dc: {bus_nodes: 1}}
  regions:
    far: {code: 1, uplinks: [dc], link: {latency: const(1ms)}, regional_bus: false}
  participants:
    consumer: {kind: regional-body, region: far, role: consumer, polling_interval: 1us, concurrency: 1000, via: bus}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1000, processing_time: const(1s)}
message_types:
  lookup: {provider: provider, consumers: [consumer]}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, interarrival: const(1min)}
policies:
  replication_factor: 1
  retry: {max_attempts: 5, initial: 1s, multiplier: 2, max_backoff: 5min, jitter: 0%, timeout: 30s}
faults:
  cut: {kind: link-down, between: [far, dc], at: 3630s, duration: 1h}
run: {duration: 4h, warmup: 30min, replications: 2, seed: 47}
"""


def attempt_times(s: float, attempts: int = 5, timeout: float = 30.0) -> list[float]:
    """When a sender whose attempts all fail by timing out sends: each attempt fails `timeout` later and the next
    follows after the backoff 1 s, 2 s, 4 s, ..."""
    times = [s]
    for k in range(1, attempts):
        times.append(times[-1] + timeout + 2.0 ** (k - 1))
    return times


def test_a_region_cut_off_loses_exactly_the_requests_whose_last_retry_falls_inside():
    down, up = 3630.0, 3630.0 + 3600.0
    assert attempt_times(0.0) == [0.0, 31.0, 63.0, 97.0, 135.0]
    given_up, retries = 0, 0
    for s in sent_in(down, up):
        tries = attempt_times(s)
        failed = [t for t in tries if t < up]  # an attempt sent while the link is down fails
        retries += len(failed) - (len(failed) == len(tries))  # the last failure of all is not followed by a retry
        given_up += len(failed) == len(tries)
    assert (given_up, retries) == (58, 236)
    rset = replications(LINK_DOWN, "region-cut-off-1h")
    for s in rset.summaries:
        m = s.metrics
        assert m["messages.rejected"] == given_up
        assert m["async.unanswered"] == given_up
        assert m["messages.lost"] == 0 and m["messages.expired"] == 0
        assert s.extra["model"]["send.retries"] == retries
        # 963 §10 counts from the sending: a given-up request is a miss, one that got through late is not
        assert m["async.within_48h.share"] == pytest.approx(1 - given_up / len(sent_in(1800.0, 4 * 3600.0)))
