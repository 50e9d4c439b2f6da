"""The kernel is a SimPy environment used through SimPy's public API only: SimPy's own processes and `step()` work on
it, its calls are ordered as SimPy orders events, and nothing in `sim/` reaches into SimPy's private state."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import Call, EventLimitReached, Kernel

ROOT = Path(__file__).resolve().parents[3]


def test_simpy_processes_and_kernel_calls_share_one_clock_and_one_order():
    """A SimPy process, a SimPy timeout and the kernel's calls interleave on one queue, in SimPy's order."""
    kernel = Kernel(np.random.default_rng(0), 10.0)
    seen: list[tuple[float, str]] = []

    def process(env: simpy.Environment):
        yield env.timeout(1.0)
        seen.append((env.now, "process"))
        kernel.later(0.5, lambda: seen.append((kernel.now, "call from a process")))
        yield env.timeout(2.0)
        seen.append((env.now, "process again"))

    kernel.later(1.0, lambda: seen.append((kernel.now, "call")))  # scheduled after the process's start, at t = 1
    kernel.process(process(kernel))
    kernel.later(3.0, lambda: seen.append((kernel.now, "call at 3")))
    kernel.run_to_horizon()
    assert seen == [(1.0, "call"), (1.0, "process"), (1.5, "call from a process"), (3.0, "call at 3"),
                    (3.0, "process again")]
    assert kernel.now == 10.0


def test_a_call_is_a_simpy_event_that_simpy_itself_steps():
    kernel = Kernel(np.random.default_rng(0), 5.0)
    hits: list[float] = []
    kernel.later(2.0, hits.append, 2.0)
    assert isinstance(kernel.peek(), float) and kernel.peek() == 2.0
    kernel.step()  # SimPy's own step, not the kernel's loop
    assert hits == [2.0] and kernel.now == 2.0
    event = Call(kernel, 1.0, hits.append, (3.0,))
    assert isinstance(event, simpy.Timeout)
    kernel.run(until=4.0)  # SimPy's own run
    assert hits == [2.0, 3.0] and kernel.now == 4.0


@given(st.lists(st.floats(0.0, 20.0, allow_nan=False), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_calls_run_in_time_then_scheduling_order_up_to_and_at_the_horizon(delays):
    """Ordered by (time, scheduling order) like SimPy; a call due exactly at the horizon runs, later ones do not."""
    horizon = 10.0
    kernel = Kernel(np.random.default_rng(0), horizon)
    ran: list[int] = []
    for i, d in enumerate(delays):
        kernel.later(d, ran.append, i)
    kernel.later(horizon, ran.append, -1)
    kernel.run_to_horizon()
    expected = [i for _, i in sorted((d, i) for i, d in enumerate(delays) if d <= horizon)]
    expected = sorted(expected + [-1], key=lambda i: (horizon, len(delays)) if i == -1 else (delays[i], i))
    assert ran == expected
    assert kernel.events == len(expected) and kernel.now == horizon


def test_the_event_guard_stops_with_how_far_it_got():
    kernel = Kernel(np.random.default_rng(0), 100.0)

    def tick() -> None:
        kernel.later(0.001, tick)

    kernel.later(0.0, tick)
    with pytest.raises(EventLimitReached) as stopped:
        kernel.run_to_horizon(max_events=1000)
    assert stopped.value.limit == 1000 and 0.9 < stopped.value.now < 1.1


def test_no_module_of_the_simulator_reaches_into_simpy_private_state():
    private = re.compile(r"\._(queue|now|eid|active_proc|value|ok|defused)\b")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "sim").rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if private.search(line)]
    assert offenders == []
