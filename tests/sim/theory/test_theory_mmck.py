"""M/M/c/K blocking with several workers: a bounded per-type queue on the bus (`queue_capacity` waiting) in front of
a provider's `c` workers, senders that do not retry. An arrival that finds K = c + capacity requests in the system is
refused (DestinationOverflow). Birth-death: p_n proportional to a^n / n! for n <= c and a^c / c! (a / c)^(n - c)
above; the refused share is p_K (PASTA). The existing M/M/1/K test covers one worker; with two the refused share also
depends on the workers being pooled (one queue for both), not one queue per worker. At 25 % tagged the background
must fill the same queue."""

from __future__ import annotations

import math

import pytest
from theory_cases import assert_covers, assert_excludes, interval, replications

MMCK = """
name: mm2k
description: two exp(1s) workers, at most 3 waiting, Poisson arrivals at 1.8/s (a = 1.8), no retry
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s), queue_capacity: 3}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 2, processing_time: exp(1s)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 1.8/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1, retry: {max_attempts: 1}}
run: {duration: DURATIONs, warmup: 200s, replications: REPS, seed: 53, tagged_share: SHARE}
"""


def mmck_blocking(c: int, k: int, a: float) -> float:
    """P(an arrival finds K in the system) for M/M/c/K with offered load a = lambda / mu."""
    weights = [a**n / math.factorial(n) if n <= c else a**c / math.factorial(c) * (a / c) ** (n - c)
               for n in range(k + 1)]
    return weights[-1] / sum(weights)


def test_mmck_formula():
    rho = 0.9
    assert mmck_blocking(1, 5, rho) == pytest.approx((1 - rho) * rho**5 / (1 - rho**6))  # M/M/1/K
    assert mmck_blocking(3, 3, 2.0) == pytest.approx((8 / 6) / (1 + 2 + 2 + 8 / 6))  # K = c: Erlang B


@pytest.mark.slow
@pytest.mark.parametrize("share,duration,reps", [("100%", 5000, 10), ("25%", 20000, 6)])
def test_two_pooled_workers_behind_a_bounded_queue_refuse_the_mmck_share(share, duration, reps):
    text = MMCK.replace("SHARE", share).replace("DURATION", str(duration)).replace("REPS", str(reps))
    rset = replications(text, "mm2k")
    refused = [s.metrics["messages.rejected"] / (s.metrics["messages.rejected"]
                                                 + s.extra["model"]["status.requestIsQueued"])
               for s in rset.summaries]
    ci = interval(refused)
    exact = mmck_blocking(2, 5, 1.8)  # 0.1207
    assert_covers(ci, exact, f"refused share at {share} tagged")
    assert_excludes(ci, {"one worker (M/M/1/4 at rho 0.9)": mmck_blocking(1, 4, 0.9),
                         "no waiting room (Erlang B)": mmck_blocking(2, 2, 1.8),
                         "room for four": mmck_blocking(2, 6, 1.8)},
                    f"refused share at {share} tagged")
