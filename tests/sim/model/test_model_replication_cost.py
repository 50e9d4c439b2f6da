"""Replication costs bandwidth and time on the inter-data-centre links (issue 13.5), and buys survival."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model import simulate
from sim.scenario import load, loads, with_overrides

ROOT = Path(__file__).resolve().parents[3]

NARROW = """
name: narrow-replication
topology:
  data_centres: {dc-a: {bus_nodes: 1}, dc-b: {bus_nodes: 1}}
  links:
    - {between: [dc-a, dc-b], latency: const(1ms), bandwidth: 8Mbit/s}
  bus: {node_concurrency: 100, ingress_time: const(0s), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc-a, role: consumer, polling_interval: 1us, concurrency: 100}
    provider: {kind: federal-agency, data_centre: dc-a, role: provider, polling_interval: 1us,
               concurrency: 100, processing_time: const(1s)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1MB), answer_size: const(1MB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: RATE/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: RF, fragmentation_threshold: 1GB}
run: {duration: 2h, warmup: 5min, replications: 1, seed: 3}
"""


def _mean_latency(rf: int, rate: float) -> float:
    scenario = loads(NARROW.replace("RF", str(rf)).replace("RATE", str(rate)), source="<narrow>")
    return simulate(scenario, 1).metrics["async.latency.mean"]


def test_replication_costs_a_copy_over_the_link_before_acceptance():
    """1 MB over 8 Mbit/s takes 1 s: a request and its answer are each copied to dc-b (1 s at the link's share, which
    processor sharing makes 1 / (1 - rho) on average, rho = 0.02 here; then a 2 ms round trip) before the bus accepts
    them. The answer's copy delays the answer; the request's copy comes before the bus's acceptance, so it is in a
    latency counted from the consumer's send, not in one counted from acceptance: one copy's time or two more than
    without replication, depending on where the latency metric starts."""
    alone = _mean_latency(1, 0.01)
    replicated = _mean_latency(2, 0.01)
    extra = replicated - alone
    copy = 1.0 / (1.0 - 0.02) + 0.002
    assert extra == pytest.approx(copy, abs=0.02) or extra == pytest.approx(2 * copy, abs=0.04), (alone, replicated)


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_replication_copies_share_the_link_bandwidth():
    """At 0.5 copies per second of 1 s each (requests' and answers': rho = 2 x 0.25 x 1 = 0.5 on the link), the
    copies slow each other: M/D/1-PS gives a mean copy time of 1 / (1 - 0.5) = 2 s instead of 1 s alone (the answer's
    copy; with the request's, twice that when latency counts from the consumer's send)."""
    alone = _mean_latency(1, 0.25)
    extra = _mean_latency(2, 0.25) - alone
    assert extra == pytest.approx(2.0, abs=0.25) or extra == pytest.approx(4.0, abs=0.5), extra


@pytest.mark.slow
def test_dc_loss_loses_messages_at_factor_one_and_none_at_two():
    scenario = load(ROOT / "scenarios" / "dc-loss-replicated.yaml")
    one = simulate(with_overrides(scenario, {"policies.replication_factor": 1}), 1)
    two = simulate(scenario, 1)
    assert scenario.policies.replication_factor == 2
    assert one.metrics["messages.lost"] > 10
    assert two.metrics["messages.lost"] == 0
    assert two.extra["model"]["replication.copies"] > 0 and "replication.copies" not in one.extra["model"]
