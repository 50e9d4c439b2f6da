"""Scenarios that reduce to textbook queues: the theoretical mean sojourn time W = Wq + E[S] must lie inside the
simulated 95 % confidence interval (Student t over independent replications), and the interval must be narrow
enough (relative half-width below 8 %) that a wrong queue discipline or service model would fall outside it.

Each case uses one fixed seed, so the outcome is reproducible; with a correct model, 95 % of seeds pass."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import model_textbook as tb  # noqa: E402

from sim.metrics.stats import confidence_interval  # noqa: E402
from sim.model import simulate  # noqa: E402
from sim.runner.replications import replication_seed  # noqa: E402

REPLICATIONS = 6
MAX_RELATIVE_HALF_WIDTH = 0.08
SEED = 5


def _replications(scenario, seed: int) -> list:
    return [simulate(scenario, replication_seed(seed, i)) for i in range(REPLICATIONS)]


CASES = {
    # name: (servers, service, arrival rate, duration, warm-up, theoretical W)
    "M/M/1 rho=0.5": (1, "exp(1s)", 0.5, 12000, 1000, tb.mm1_sojourn(0.5, 1.0)),
    "M/M/3 rho=0.6 (Erlang C)": (3, "exp(1s)", 1.8, 4000, 400, tb.mmc_sojourn(3, 1.8, 1.0)),
    "M/D/1 rho=0.6": (1, "const(1s)", 0.6, 10000, 1000, tb.md1_sojourn(0.6, 1.0)),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_model_textbook_mean_sojourn_inside_interval(case: str) -> None:
    servers, service, rate, duration, warmup, theory = CASES[case]
    scenario = tb.single_queue(servers, service, rate, duration, warmup, REPLICATIONS)
    summaries = _replications(scenario, seed=SEED)
    interval = confidence_interval([s.metrics["async.latency.mean"] for s in summaries])
    expected = theory + tb.HOP_OVERHEAD_S
    assert interval.low <= expected <= interval.high, (case, expected, interval)
    assert interval.relative_half_width < MAX_RELATIVE_HALF_WIDTH, (case, interval)
    # the provider's workers are busy rho = lambda E[S] / c of the time
    rho = rate * 1.0 / servers
    utilisation = confidence_interval([s.metrics["utilisation.participant.provider"] for s in summaries])
    assert utilisation.mean == pytest.approx(rho, abs=0.02), (case, utilisation)


def test_model_textbook_formulas() -> None:
    """The reference formulas themselves, on values from the literature."""
    assert tb.mm1_sojourn(0.5, 1.0) == pytest.approx(2.0)
    assert tb.erlang_c(1, 0.5, 1.0) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert tb.erlang_c(2, 1.0, 1.0) == pytest.approx(1 / 3)  # a = 1, c = 2
    assert tb.mmc_sojourn(1, 0.5, 1.0) == pytest.approx(tb.mm1_sojourn(0.5, 1.0))
    assert tb.md1_sojourn(0.5, 1.0) == pytest.approx(1.5)
