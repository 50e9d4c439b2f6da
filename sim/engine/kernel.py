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

_GUARD_CHUNK = 65536


class EventLimitReached(RuntimeError):
    """A replication processed `run.max_events` events before its horizon: it stops, saying how far it got."""

    def __init__(self, limit: int, now: float, horizon: float) -> None:
        self.limit, self.now, self.horizon = limit, now, horizon
        super().__init__(f"stopped after {limit:,} events at simulated time {now:.6g} s of {horizon:.6g} s "
                         f"({now / horizon:.1%} of the run): raise --max-events (run.max_events) or shorten the run"
                         .replace(",", " "))


def _call(event: Event) -> None:
    event.fn(*event.args)  # type: ignore[attr-defined]


class Call(Timeout):
    """`fn(*args)`, `delay` seconds from now: a timeout whose callback is the call."""

    def __init__(self, env: simpy.Environment, delay: float, fn: Callable[..., Any], args: tuple) -> None:
        self.fn = fn
        self.args = args
        Timeout.__init__(self, env, delay)
        self.callbacks.append(_call)  # type: ignore[union-attr]


class Kernel(simpy.Environment):
    """The SimPy environment plus the model's random generator and time horizon.

    Events are ordered as SimPy orders them (time, priority, then scheduling order); `run_to_horizon` steps the
    environment through every event due up to and including the horizon, then sets the clock to the horizon.
    `events` counts the events stepped.
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
        """Step every event due up to the horizon; with `max_events`, stop with `EventLimitReached` after that many
        (checked once per `_GUARD_CHUNK` events, so the guard costs nothing per event)."""
        horizon = self.horizon
        peek, step = self.peek, self.step
        if max_events is None:
            n = 0
            while peek() <= horizon:
                step()
                n += 1
            self.events += n
        else:
            while peek() <= horizon:
                n = 0
                chunk = min(_GUARD_CHUNK, max_events - self.events)
                while n < chunk and peek() <= horizon:
                    step()
                    n += 1
                self.events += n
                if self.events >= max_events and peek() <= horizon:
                    raise EventLimitReached(max_events, self.now, horizon)
        if self.now < horizon:
            self.run(until=horizon)  # nothing is due before it: this only moves the clock


__all__ = ["Call", "EventLimitReached", "Kernel"]
