"""Erlang B (M/M/c/c) loss at a bus entrance whose senders do not wait.

A bus node of `c` ingress workers with exponential service and senders that stop waiting at once (retry timeout
1 µs, one attempt): a message that finds every worker busy is lost to its sender (`messages.rejected`, "timeout:
retries-exhausted"). The entrance is then an M/M/c/c loss system and the rejected share is Erlang B,
B(c, a) = (a^c / c!) / sum_k a^k / k!. Broadcasts carry the load so that no answer comes back through the entrance
(answers would make its arrivals depend on its own losses). The background (`tagged_share` 10 %) must lose its jobs
the same way, or the tagged sample would see a lighter entrance and lose less."""

from __future__ import annotations

import math

import pytest
from theory_cases import assert_covers, assert_excludes, interval, replications

LOSS = """
name: erlang-b
description: one bus node of 3 ingress workers, exp(1s) each, broadcasts at 2/s, senders that never wait
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 3, ingress_time: exp(1s), delivery_time: const(0s)}
  participants:
    publisher: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us, concurrency: 1000}
    reader: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
message_types:
  notice: {provider: publisher, broadcast: true, subscribers: [reader], payload_size: const(1KiB)}
workload:
  flows:
    notices: {consumer: publisher, type: notice, rate: 2/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1, retry: {max_attempts: 1, timeout: 1us}}
run: {duration: DURATIONs, warmup: 200s, replications: 6, seed: 17, tagged_share: SHARE}
"""

SERVERS, OFFERED = 3, 2.0


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c (the stable recursion B(k) = a B(k-1) / (k + a B(k-1)))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c: what the share would be if the senders waited for a worker."""
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def test_erlang_formulas():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(SERVERS, OFFERED) == pytest.approx((8 / 6) / (1 + 2 + 2 + 8 / 6))
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_b(SERVERS, OFFERED) == pytest.approx(
        OFFERED**SERVERS / math.factorial(SERVERS) / sum(OFFERED**k / math.factorial(k) for k in range(SERVERS + 1)))


@pytest.mark.slow
@pytest.mark.parametrize("share,duration", [("100%", 4000), ("10%", 20000)])
def test_entrance_without_waiting_loses_the_erlang_b_share(share, duration):
    rset = replications(LOSS.replace("SHARE", share).replace("DURATION", str(duration)), "erlang-b")
    lost = [s.metrics["messages.rejected"] / s.metrics["messages.sent"] for s in rset.summaries]
    ci = interval(lost)
    exact = erlang_b(SERVERS, OFFERED)  # 0.2105
    assert_covers(ci, exact, f"rejected share at {share} tagged")
    assert_excludes(ci, {"one worker fewer": erlang_b(SERVERS - 1, OFFERED),
                         "one worker more": erlang_b(SERVERS + 1, OFFERED),
                         "senders that wait (Erlang C)": erlang_c(SERVERS, OFFERED),
                         "a lighter entrance (background not lost)": erlang_b(SERVERS, OFFERED * 0.8)},
                    f"rejected share at {share} tagged")
    # the carried load a (1 - B) keeps the node's workers busy a (1 - B) / c of the time, background included
    assert_covers(interval(rset.values("utilisation.smev.dc")), OFFERED * (1 - exact) / SERVERS,
                  f"entrance utilisation at {share} tagged")
    # the entrance holds the carried load: L = a (1 - B) jobs on average, never a queue (a sender that would wait
    # has already gone); a job whose sender gave up must leave the station then, not when its turn comes
    if share == "100%":
        entrance = [s.stations["smev.dc.entrance"] for s in rset.summaries]
        assert_covers(interval(e["in_station_mean"] for e in entrance), OFFERED * (1 - exact),
                      f"time-average jobs at the entrance at {share} tagged")
        assert [e["queue_max"] for e in entrance] == [0] * len(entrance)
    # nothing else happens to a broadcast that got in: every accepted one reaches its subscriber
    for s in rset.summaries:
        assert s.metrics["messages.delivered"] + s.metrics["messages.rejected"] == s.metrics["messages.sent"]
