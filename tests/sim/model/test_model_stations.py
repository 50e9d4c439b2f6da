"""Per-station results of the model held against theory: every bus node's entrance and delivery store is a station.

One data centre, one bus node with c = 2 ingress servers (exponential ingress, so an M/M/2 station fed by the
requests and the answers: 2 lambda), one provider with one worker (M/M/1), long polling, free hops. Then:

- the node's entrance: utilisation 2 lambda / (c mu1), mean wait C / (c mu1 - 2 lambda) (Erlang C), time-average
  queue 2 lambda Wq, p99 wait ln(C / 0.01) / (c mu1 - 2 lambda);
- the node's delivery store: the requests wait there until the provider's worker takes them (the M/M/1 queue of
  the provider: Lq = rho^2 / (1 - rho)), the answers not at all (the consumer polls at once), so its time-average
  queue is the provider's Lq;
- the Little's-law check on the model's own stations is small, and a hook that forgets departures makes it large.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import model_textbook as tb  # noqa: E402

from sim.metrics.stations import StationMeter  # noqa: E402
from sim.model import simulate  # noqa: E402
from sim.runner import execute  # noqa: E402
from sim.scenario import loads, with_overrides  # noqa: E402

LAM, MEAN_INGRESS, MU2, C = 5.0, 0.14, 10.0, 2

_SCENARIO = """
name: node-mmc
description: one bus node with two ingress servers (M/M/2, requests and answers), one provider worker (M/M/1)
topology:
  data_centres: {{dc: {{bus_nodes: 1}}}}
  bus: {{node_concurrency: {c}, ingress_time: exp({ingress}s), delivery_time: const(0s)}}
  participants:
    consumer: {{kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}}
    provider: {{kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: exp({service}s)}}
message_types:
  lookup: {{provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}}
workload:
  flows:
    calls: {{consumer: consumer, type: lookup, rate: {rate}/s}}
policies: {{ack_timeout: 1d, ttl: 30d, replication_factor: 1, retry: {{timeout: 1h}}}}
run: {{duration: {duration}s, warmup: 100s, replications: {replications}, seed: 5}}
"""


def _scenario(duration: float = 1500.0, replications: int = 6):
    return loads(_SCENARIO.format(c=C, ingress=MEAN_INGRESS, service=1.0 / MU2, rate=LAM, duration=duration,
                                  replications=replications), source="<node-mmc>")


def _covers(interval: dict, value: float) -> bool:
    return interval["ci_low"] <= value <= interval["ci_high"]


@pytest.mark.slow
def test_a_bus_node_entrance_is_mmc_and_its_delivery_store_holds_the_provider_queue():
    from sim.report.aggregate import point_section

    result = execute(_scenario())
    stations = point_section(result.points[0].replications.summaries)["stations"]
    lam1, mu1 = 2 * LAM, 1.0 / MEAN_INGRESS
    erlang = tb.erlang_c(C, lam1, mu1)
    wq = erlang / (C * mu1 - lam1)

    node = stations["smev.dc.node0.entrance"]
    assert node["kind"] == "entrance" and node["servers"] == C
    assert _covers(node["utilisation"], lam1 / (C * mu1)), node["utilisation"]
    assert _covers(node["wait_mean"], wq), (node["wait_mean"], wq)
    assert _covers(node["queue_mean"], lam1 * wq), (node["queue_mean"], lam1 * wq)
    assert _covers(node["throughput_per_s"], lam1)
    assert node["wait_p99"]["mean"] == pytest.approx(math.log(erlang / 0.01) / (C * mu1 - lam1), rel=0.12)
    assert node["queue_max"] >= 5 and node["littles_law_error"]["max"] < 0.02
    site = stations["smev.dc.entrance"]  # the site's nodes together: one node here, the same figures
    assert site["wait_mean"]["mean"] == pytest.approx(node["wait_mean"]["mean"])

    store = stations["smev.dc.node0.delivery"]
    rho2 = LAM / MU2
    assert store["kind"] == "delivery" and store["servers"] is None and store["utilisation"]["mean"] is None
    assert _covers(store["queue_mean"], rho2 ** 2 / (1 - rho2)), store["queue_mean"]  # M/M/1 Lq of the provider
    assert _covers(store["throughput_per_s"], 2 * LAM)  # requests and answers leave it
    assert store["littles_law_error"]["max"] < 0.02
    provider = stations["participant.provider"]
    assert _covers(provider["utilisation"], rho2)


def test_the_littles_law_check_on_the_model_catches_a_hook_that_forgets_departures(monkeypatch):
    """L comes from the area integral, lambda W from per-job stamps: a meter that loses one departure in fifty keeps
    those jobs in its integral for ever, and the check says so; the honest meter agrees with itself."""
    scenario = _scenario(duration=400.0)
    honest = simulate(scenario, 1).stations["smev.dc.node0.entrance"]
    assert honest["littles_law_error"] < 0.02

    finish = StationMeter.finish
    calls = {"n": 0}

    def forgetful(self: StationMeter, t: float, arrived: float) -> None:
        calls["n"] += 1
        finish(self, t, arrived)
        if calls["n"] % 50 == 0:
            self.n += 1  # the job is counted as still there

    monkeypatch.setattr(StationMeter, "finish", forgetful)
    broken = simulate(scenario, 1).stations["smev.dc.node0.entrance"]
    assert broken["littles_law_error"] > 0.2


@pytest.mark.slow
def test_a_link_is_a_processor_sharing_station_with_mm1_ps_figures():
    """Poisson transfers of exponential size over one link at rho = 0.7: the link's station reports utilisation rho
    (the share of time it carries a transfer, not the mean number of transfers), L = rho / (1 - rho) transfers on it
    and W = 1 / (mu - lambda) per transfer (M/M/1-PS), and its Little's-law check holds."""
    import numpy as np

    from sim.engine import Kernel, ServiceCentre
    from sim.metrics.stations import SharingMeter
    from sim.metrics.stats import confidence_interval
    from sim.model.network import Network
    from sim.scenario.distributions import Constant

    lam, horizon, warmup = 0.7, 20_000.0, 1000.0
    rows = []
    for seed in range(5):
        kernel = Kernel(np.random.default_rng(seed), horizon)
        net = Network(["a", "b"], np.random.default_rng(seed + 1), frozenset("ab"), kernel=kernel)
        net.add_link("a", "b", Constant(0.0), 8_000_000, 0.0)  # 1 MB in 1 s alone: mu = 1/s
        link = net.link("a", "b")
        link.centre = ServiceCentre(kernel, "link", 1, SharingMeter("link", 1, warmup, "link", horizon))
        rng = np.random.default_rng(seed + 7)
        t = 0.0
        while True:
            t += float(rng.exponential(1.0 / lam))
            if t >= horizon:
                break
            kernel.later(t, net.send, "a", "b", max(int(rng.exponential(1_000_000)), 1), lambda: None)
        kernel.run_to_horizon()
        rows.append(link.centre.meter.summary(horizon))
    for key, theory in (("utilisation", lam), ("in_station_mean", lam / (1 - lam)), ("residence_mean", 1 / (1 - lam)),
                        ("throughput_per_s", lam)):
        iv = confidence_interval([r[key] for r in rows])
        assert iv.low <= theory <= iv.high, (key, iv, theory)
    assert all(r["queue_mean"] == 0.0 and r["littles_law_error"] < 0.03 for r in rows)


@pytest.mark.slow
def test_a_sampled_run_reports_the_same_stations_at_full_volume():
    """At 30 % tagged the rest is background: the node's entrance (shared with background jobs), its delivery store
    and the provider (seen through the tagged sample, scaled by 1 / share) give the full-volume theory still."""
    import numpy as np

    scenario = with_overrides(_scenario(duration=1500.0), {"run.tagged_share": 0.3})
    rows = [simulate(scenario, seed).stations for seed in range(3)]

    def mean(name: str, key: str) -> float:
        return float(np.mean([r[name][key] for r in rows]))

    lam1, mu1, rho2 = 2 * LAM, 1.0 / MEAN_INGRESS, LAM / MU2
    assert mean("smev.dc.node0.entrance", "utilisation") == pytest.approx(lam1 / (C * mu1), rel=0.05)
    assert mean("smev.dc.node0.entrance", "throughput_per_s") == pytest.approx(lam1, rel=0.05)
    assert mean("smev.dc.node0.delivery", "queue_mean") == pytest.approx(rho2 ** 2 / (1 - rho2), rel=0.1)
    assert mean("smev.dc.node0.delivery", "throughput_per_s") == pytest.approx(lam1, rel=0.05)
    assert mean("participant.provider", "utilisation") == pytest.approx(rho2, rel=0.05)
