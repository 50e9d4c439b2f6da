"""The event kernel the model runs on: a SimPy environment, driven by callbacks instead of processes.

A waiting message costs no process and no generator: it is an entry in a deque, and a server finishing a job is
one scheduled event whose callback starts the next job. `Kernel.later(delay, fn, *args)` is the one primitive: it
schedules a `Call`, a SimPy `Timeout` whose one callback is `fn(*args)`. Everything goes through SimPy's public API
(`Timeout`, which calls `Environment.schedule`; `Environment.step`, `peek`, `now`, `run`), as SimPy's own
`simpy.rt.RealtimeEnvironment` subclasses the environment; so the queue holds SimPy events only, and processes,
`env.run()` and `env.step()` work on a kernel as on any environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import simpy
from simpy.events import Event, Timeout


class EventLimitReached(RuntimeError):
    """A replication processed `run.max_events` events before its horizon: it stops, saying how far it got."""

    def __init__(self, limit: int, now: float, horizon: float) -> None:
        self.limit, self.now, self.horizon = limit, now, horizon
        super().__init__(f"stopped after {limit:,} events at simulated time {now:.6g} s of {horizon:.6g} s "
                         f"({now / horizon:.1%} of the run): raise --max-events (run.max_events) or shorten the run"
                         .replace(",", " "))


def _call(event: Event) -> None:
    event.env.events += 1  # type: ignore[attr-defined]
    event.fn(*event.args)  # type: ignore[attr-defined]


class Call(Timeout):
    """`fn(*args)`, `delay` seconds from now: a timeout whose callback is the call (counted in `Kernel.events`)."""

    def __init__(self, env: Kernel, delay: float, fn: Callable[..., Any], args: tuple) -> None:
        self.fn = fn
        self.args = args
        Timeout.__init__(self, env, delay)
        self.callbacks.append(_call)  # type: ignore[union-attr]


class Kernel(simpy.Environment):
    """The SimPy environment plus the model's random generator and time horizon.

    Events are ordered as SimPy orders them (time, priority, then scheduling order); `run_to_horizon` runs every
    event due up to and including the horizon and leaves the clock at the horizon. `events` counts the calls run.
    """

    def __init__(self, rng: np.random.Generator, horizon: float) -> None:
        super().__init__()
        self.rng = rng
        self.horizon = horizon
        self.events = 0

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` `delay` seconds from now (delay 0: after the events already due now)."""
        Call(self, delay if delay > 0.0 else 0.0, fn, args)

    def run_to_horizon(self, max_events: int | None = None) -> None:
        """Run every event due up to and including the horizon; the clock ends at the horizon. With `max_events`,
        stop with `EventLimitReached` once that many calls ran and more are due (checked per event, by stepping)."""
        horizon = self.horizon
        if max_events is None:
            if self.now < horizon:
                self.run(until=horizon)  # SimPy's run: every event due before the horizon
            while self.peek() <= horizon:  # and those due at it (SimPy's `until` stops before them)
                self.step()
            return
        while self.peek() <= horizon:
            if self.events >= max_events:
                raise EventLimitReached(max_events, self.now, horizon)
            self.step()
        if self.now < horizon:
            self.run(until=horizon)  # nothing is due before it: this only moves the clock


__all__ = ["Call", "EventLimitReached", "Kernel"]
