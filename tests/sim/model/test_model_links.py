"""Links shared by the transfers on them (issue 13.7): max-min fair rates, and processor-sharing theory on one link
(M/M/1-PS mean sojourn 1 / (mu - lambda), insensitive to the size distribution)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import Kernel
from sim.metrics.stats import confidence_interval
from sim.model.network import Network
from sim.scenario.distributions import Constant, Exponential, LogNormal

MB = 1_000_000


def _network(horizon: float, seed: int = 0, links=(("a", "b", 8 * MB),)) -> tuple[Kernel, Network]:
    kernel = Kernel(np.random.default_rng(seed), horizon)
    names = sorted({x for a, b, _ in links for x in (a, b)})
    net = Network(names, np.random.default_rng(seed + 1), frozenset(names), kernel=kernel)
    for a, b, bandwidth in links:
        net.add_link(a, b, Constant(0.0), bandwidth, 0.0)
    return kernel, net


def test_a_large_transfer_slows_the_others_on_its_link():
    """1 MB alone on an 8 Mbit/s link takes 1 s; beside a 100 MB transfer it gets half the link: 2 s. The large one
    sends 1 MB in those 2 s at half rate, then the rest alone: done at 101 s."""
    kernel, net = _network(1000.0)
    done = {}
    net.send("a", "b", 100 * MB, lambda: done.setdefault("large", kernel.now))
    net.send("a", "b", MB, lambda: done.setdefault("small", kernel.now))
    kernel.run_to_horizon()
    assert done["small"] == pytest.approx(2.0)
    assert done["large"] == pytest.approx(101.0)
    kernel, net = _network(1000.0)
    net.send("a", "b", MB, lambda: done.__setitem__("alone", kernel.now))
    kernel.run_to_horizon()
    assert done["alone"] == pytest.approx(1.0)


def test_rates_are_max_min_fair_over_paths():
    """x-y 8 Mbit/s, y-z 4 Mbit/s. Flows x->y, x->z (both links), y->z: y-z is the bottleneck (2 Mbit/s each for
    x->z and y->z); x->y takes what x->z leaves on x-y: 6 Mbit/s."""
    kernel, net = _network(1000.0, links=(("x", "y", 8 * MB), ("y", "z", 4 * MB)))
    done = {}
    for a, b in (("x", "y"), ("x", "z"), ("y", "z")):
        net.send(a, b, 6 * MB, lambda a=a, b=b: done.setdefault(a + b, kernel.now))
    kernel.run_to_horizon()
    # 6 MB = 48 Mbit: x->y at 6 Mbit/s ends at 8 s; the others at 2 Mbit/s have sent 16 Mbit by then, and keep 2 each
    # (y-z still the bottleneck) to 24 s
    assert done["xy"] == pytest.approx(8.0)
    assert done["xz"] == pytest.approx(24.0)
    assert done["yz"] == pytest.approx(24.0)
    assert net.sharing.flows == [] and all(link.flows == 0 for link in net.links.values())


def test_small_transfers_take_the_current_share_without_an_event():
    kernel, net = _network(10.0)
    net.send("a", "b", 50 * MB, lambda: None)
    assert net.is_small("a", "b", 0) and not net.is_small("a", "b", 1000)
    kernel.later(1.0, lambda: None)
    kernel.run_to_horizon()
    # one flow in the sharing: a new one would get half the link
    assert net.transfer("a", "b", 1) == pytest.approx(8 / (4 * MB))


def _ps_sojourns(sizes, lam: float, horizon: float, seed: int) -> float:
    """Poisson arrivals at `lam` of transfers with `sizes` (bytes, a distribution) over one 8 Mbit/s link (mean size
    1 MB: mu = 1/s): the mean time from start to arrival of those that started after a warm-up."""
    kernel, net = _network(horizon, seed)
    rng = np.random.default_rng(seed + 7)
    starts = np.cumsum(rng.exponential(1.0 / lam, int(lam * horizon * 1.2)))
    starts = starts[starts < horizon * 0.9]
    sojourns = []

    def arrived(t0: float) -> None:
        if t0 > 0.05 * horizon:
            sojourns.append(kernel.now - t0)

    for t0, size in zip(starts.tolist(), np.maximum(sizes.sample_n(rng, len(starts)), 1).astype(int).tolist(),
                        strict=True):
        kernel.later(t0, net.send, "a", "b", size, arrived, t0)
    kernel.run_to_horizon()
    return float(np.mean(sojourns))


@pytest.mark.slow  # measured: 13 s on a loaded 2-core machine
@pytest.mark.parametrize("name,sizes", [
    ("exponential", Exponential(MB)),
    ("deterministic", Constant(MB)),
    ("lognormal sigma=1", LogNormal(MB * np.exp(-0.5), 1.0)),
])
def test_processor_sharing_mean_sojourn_is_insensitive_to_sizes(name, sizes):
    """M/G/1-PS: E[T] = E[S] / (1 - rho) for any size law: 1 / (1 - 0.7) = 3.33 s at rho = 0.7 (FCFS would give
    1.5 + 0.7 x 1 / 0.3 x (1 + CV²) / 2 -- 2.17 s for deterministic sizes, 3.33 for exponential, 7.0 for lognormal
    sigma 1: only PS gives 3.33 for all three)."""
    assert sizes.mean == pytest.approx(MB, rel=1e-9)
    means = [_ps_sojourns(sizes, 0.7, 20_000.0, seed) for seed in range(5)]
    interval = confidence_interval(means)
    theory = 1.0 / (1.0 - 0.7)
    assert interval.low <= theory <= interval.high, (name, interval)
    assert interval.relative_half_width < 0.12, (name, interval)


LINK_SCENARIO = """
name: link-background
topology:
  data_centres: {dc-a: {bus_nodes: 1}, dc-b: {bus_nodes: 0}}
  links:
    - {between: [dc-a, dc-b], latency: const(1ms), bandwidth: 8Mbit/s}
  bus: {node_concurrency: 100, ingress_time: const(0s), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc-b, role: consumer, polling_interval: 1us, concurrency: 100}
    provider: {kind: federal-agency, data_centre: dc-a, role: provider, polling_interval: 1us,
               concurrency: 100, processing_time: const(1s)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: exp(1MB), answer_size: exp(1MB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 0.3/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1, fragmentation_threshold: 1GB}
run: {duration: 6h, warmup: 10min, replications: 4, seed: 3, tagged_share: SHARE}
"""


@pytest.mark.slow
@pytest.mark.parametrize("share", ["100%", "25%"])
def test_link_load_is_the_same_with_background(share):
    """Requests and answers of 1 MB on average (exponential) cross one 8 Mbit/s link: rho = 2 x 0.3 x 1 s = 0.6.
    The answer's fetch is an M/M/1-PS sojourn, 1 / (1 - 0.6) = 2.5 s, after 1 s of processing: 3.5 s whether every
    message is simulated or 25 % of them (the background's mean rate taken off the link: at 25 % without it the
    tagged answers would see rho = 0.15 and take 2.2 s)."""
    from sim.model import simulate
    from sim.scenario import loads

    scenario = loads(LINK_SCENARIO.replace("SHARE", share), source="<link>")
    interval = confidence_interval([simulate(scenario, i).metrics["async.latency.mean"] for i in range(4)])
    fetch = 1.0 / (1.0 - 0.6)
    # processing, the answer's fetch, four 1 ms hops; with latency counted from the consumer's send, the request's
    # own transfer (another M/M/1-PS sojourn) too
    theories = (1.0 + fetch + 0.004, 1.0 + 2 * fetch + 0.004)
    assert any(interval.low - 0.05 <= t <= interval.high + 0.05 for t in theories), interval
