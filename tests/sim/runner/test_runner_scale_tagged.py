"""A tagged run (`run.tagged_share` < 1: that share of every flow simulated message by message, the rest carried as
background jobs at the stations, `sim.model.background`) against the full per-message run of the same load: the
tagged messages' latencies must agree within the confidence intervals.

The regimes are the ones where a background that is right only for utilisation would fail: few heavily loaded
workers, where waiting is most of the latency (M/M/3 at rho 0.85: the wait is 1.6 times the service time), and two
loaded stations in tandem with a lognormal service (bus ingress on two slots, then the provider).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sim.metrics.stats import confidence_interval
from sim.model import simulate
from sim.runner.replications import replication_seed
from sim.scenario import with_overrides

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "model"))
import model_textbook as tb  # noqa: E402

REPLICATIONS = 5


def _runs(scenario, share: float, seed: int = 11):
    scenario = with_overrides(scenario, {"run.tagged_share": share})
    return [simulate(scenario, replication_seed(seed, i)) for i in range(REPLICATIONS)]


def _interval(runs, metric: str):
    return confidence_interval([s.metrics[metric] for s in runs])


def _agree(a, b) -> bool:
    return abs(a.mean - b.mean) <= a.half_width + b.half_width


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
def test_tagged_latencies_match_theory_and_the_full_run_at_few_loaded_workers():
    scenario = tb.single_queue(3, "exp(1s)", 2.55, 6000, 600)
    theory = tb.mmc_sojourn(3, 2.55, 1.0) + tb.HOP_OVERHEAD_S  # 2.62 s, of which 1.62 s waiting
    full_runs, tagged_runs = _runs(scenario, 1.0), _runs(scenario, 0.1)
    full = _interval(full_runs, "async.latency.mean")
    tagged = _interval(tagged_runs, "async.latency.mean")
    assert full.low <= theory <= full.high
    assert tagged.low <= theory <= tagged.high
    assert _agree(full, tagged)
    assert tagged.half_width < 0.15 * theory  # narrow enough to tell: ignoring the wait would give 1.0 s
    # a tenth of the messages, the whole load on the provider
    sent_full = sum(s.messages["sent"] for s in full_runs)
    sent_tagged = sum(s.messages["sent"] for s in tagged_runs)
    assert 0.08 < sent_tagged / sent_full < 0.12
    for s in tagged_runs:
        assert s.extra["background_utilisation"]["provider"] == 0.765  # 90 % of 2.55/s x 1 s on 3 workers
        assert abs(s.components["participant.provider"]["utilisation"] - 0.85) < 0.04


TANDEM = """
name: tandem
description: bus ingress on two slots, then a provider with three workers and lognormal processing
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 2, ingress_time: exp(200ms), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us, concurrency: 3,
               processing_time: "lognormal(median=800ms, sigma=0.5)"}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 2.5/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
run: {duration: 5000s, warmup: 500s, replications: 5, seed: 3}
"""


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
def test_tagged_latencies_match_the_full_run_through_two_loaded_stations():
    from sim.scenario import loads

    scenario = loads(TANDEM, source="<tandem>")
    full_runs, tagged_runs = _runs(scenario, 1.0, seed=5), _runs(scenario, 0.15, seed=5)
    for metric in ("async.latency.mean", "async.latency.p95"):
        full, tagged = _interval(full_runs, metric), _interval(tagged_runs, metric)
        assert _agree(full, tagged), (metric, full, tagged)
    mean = _interval(full_runs, "async.latency.mean").mean
    assert mean > 1.5  # waiting matters here: 0.9 s of processing and 0.4 s of ingress on average
    for s in tagged_runs:
        assert abs(s.components["smev.dc"]["utilisation"] - 0.5) < 0.05  # 5 messages/s x 200 ms on 2 slots
