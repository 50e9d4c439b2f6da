"""The network: transfer time = latency + size / bandwidth (+ retransmissions), shortest paths through data
centres only, partitions and links that go down."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.network import LOCAL_LATENCY_S, MIN_RTO_S, Network
from sim.scenario.distributions import Constant


def network(loss: float = 0.0) -> Network:
    net = Network(["a", "b", "c", "region"], np.random.default_rng(1), frozenset({"a", "b", "c"}))
    net.add_link("a", "b", Constant(0.010), 1e9, loss)
    net.add_link("b", "c", Constant(0.020), 1e8, 0.0)
    net.add_link("a", "c", Constant(0.100), 1e9, 0.0)
    net.add_link("region", "a", Constant(0.005), 1e9, 0.0)
    net.add_link("region", "c", Constant(0.005), 1e9, 0.0)
    return net


def test_model_transfer_is_latency_plus_size_over_the_narrowest_bandwidth() -> None:
    net = network()
    assert net.transfer("a", "a", 10**9) == LOCAL_LATENCY_S
    # a -> b -> c (30 ms) beats the direct 100 ms link; 1 MB over the 100 Mbit/s hop adds 80 ms
    assert net.transfer("a", "c", 1_000_000) == pytest.approx(0.030 + 0.080)


def test_model_regions_carry_no_transit() -> None:
    net = network()
    net.link("a", "b").up = False
    net.link("b", "c").up = False
    net.changed()
    # a -> region -> c would take 10 ms, but a region is a leaf: the direct 100 ms link is used
    assert net.transfer("a", "c", 0) == pytest.approx(0.100)
    assert net.transfer("region", "c", 0) == pytest.approx(0.005)


def test_model_partition_and_heal() -> None:
    net = network()
    pairs = net.partition({"c"})
    assert net.transfer("a", "c", 100) is None and net.transfer("region", "c", 100) is None
    assert net.transfer("a", "b", 100) is not None
    net.heal(pairs)
    assert net.transfer("a", "c", 100) is not None


def test_model_loss_costs_retransmissions() -> None:
    lossy = network(loss=0.5)
    times = np.array([lossy.transfer("a", "b", 0) for _ in range(4000)])
    # geometric number of retransmissions with mean loss / (1 - loss) = 1, each a minimum RTO
    assert times.min() == pytest.approx(0.010)
    assert times.mean() == pytest.approx(0.010 + MIN_RTO_S * 1.0, rel=0.08)
