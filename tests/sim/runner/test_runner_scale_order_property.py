"""Property: whatever order an executor finishes replications in, the runner's sets, precision rounds and numbers
are those of one process running them in order."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "metrics"))
from runner_fakes import FakeScenario, fake_simulate, fake_sweep_points, slo, with_sweep  # noqa: E402

from sim.runner import execute  # noqa: E402
from sim.runner.executors import sequential_map  # noqa: E402


def shuffled_map(draw_order):
    """An executor that finishes the tasks of each batch in an order hypothesis chooses."""
    def map_fn(fn, tasks):
        order = draw_order(len(tasks))
        results = {i: fn(tasks[i]) for i in order}
        for i in order:
            yield i, results[i]
    return map_fn


def _numbers(result):
    return [(p.value, [s.metrics for s in p.replications.summaries], [s.seed for s in p.replications.summaries],
             p.precision.rounds if p.precision else None) for p in result.points]


SCENARIO = with_sweep(replace(FakeScenario(), slos=(slo("realtime.latency.mean", "<=", 10.0, "mean"),)),
                      "servers", (1, 2))


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
@settings(max_examples=15, deadline=None)
@given(st.data())
def test_completion_order_does_not_change_the_run(data):
    def draw_order(n):
        return data.draw(st.permutations(range(n)))

    finished: list[int] = []

    class Recorder:
        def point(self, index, label, planned):
            pass

        def replan(self, planned, index=0):
            pass

        def replication_done(self, index=0):
            finished.append(index)

    reference = execute(SCENARIO, simulate=fake_simulate, points=fake_sweep_points, precision=0.1, max_replications=8, map_fn=sequential_map)
    shuffled = execute(SCENARIO, simulate=fake_simulate, points=fake_sweep_points, precision=0.1, max_replications=8,
                       map_fn=shuffled_map(draw_order), progress=Recorder())
    assert _numbers(shuffled) == _numbers(reference)
    assert len(finished) == sum(p.replications.n for p in shuffled.points)  # one progress tick per replication
    assert sorted(set(finished)) == [0, 1]
