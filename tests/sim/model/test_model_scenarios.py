"""Every shipped scenario runs through the model (shortened with `with_overrides`, long enough for every
fault to start), and the run keeps the books: every message accounted for, none delivered twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model import simulate
from sim.scenario import load, with_overrides

SCENARIOS = sorted((Path(__file__).resolve().parents[3] / "scenarios").glob("*.yaml"))
SHORTEST_S = 15 * 60.0
AFTER_FAULT_S = 5 * 60.0


def test_model_scenarios_are_shipped() -> None:
    assert len(SCENARIOS) >= 8, [p.name for p in SCENARIOS]


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_model_runs_shipped_scenario(path: Path) -> None:
    scenario = load(path)
    last_fault = max((f.start for f in scenario.faults), default=0.0)
    duration = min(scenario.run.duration, max(SHORTEST_S, last_fault + AFTER_FAULT_S))
    short = with_overrides(scenario, {"run.duration": f"{duration}s", "run.warmup": f"{duration / 10}s"})
    summary = simulate(short, 1)
    m = summary.messages
    assert m["sent"] > 0, m
    assert m["accounting_errors"] == 0 and m["answer_errors"] == 0, m
    assert m["sent"] == m["delivered"] + m["in_flight"] + m["expired"] + m["rejected"] + m["lost"], m
    assert m["duplicates"] == 0, m
    assert summary.faults == [
        {"name": f.name, "kind": f.kind, "start": f.start, "end": f.end} for f in short.faults if f.start <= duration]
