"""Progress of a run for people: a rich bar in a terminal, plain periodic lines in a log (standard error).

The runner calls the `sim.runner.orchestrator.Progress` hooks; both front ends show, per point, the replications
done against a total that never grows: with a precision target that total is the cap (the loop may stop earlier,
and then the bar completes), so a log reader never sees 5 -> 20 -> 40. The time left is estimated from the mean
wall time of the replications done so far, for the replications planned now (and, under a precision target, up to
the cap).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from sim.runner.orchestrator import Progress

PLAIN_PERIOD_S = 30.0


def clock(seconds: float) -> str:
    """A wall-clock duration for people: 45s, 3m05s, 1h02m."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class _Tally:
    """Replications done and planned per point, and the time left they imply."""

    def __init__(self, points: int, cap: int | None, workers: int, estimate_s: float | None = None) -> None:
        self.points = points
        self.cap = cap
        self.workers = max(workers, 1)
        self.estimate_s = estimate_s  # one replication on one core, before any finished (sim.scenario.estimate)
        self.planned: list[int] = []
        self.done: list[int] = []
        self.labels: list[str] = []
        self.started = time.monotonic()
        self.last_done = self.started  # when the last replication finished

    def total(self, index: int) -> int:
        return max(self.cap or 0, self.planned[index])

    def left(self) -> tuple[float | None, float | None]:
        """(seconds left for what is planned, seconds left at most) from the mean time per replication."""
        done = sum(self.done)
        if not done:
            if self.estimate_s is None:
                return None, None
            per = self.estimate_s / min(self.workers, max(sum(self.planned), 1))
            elapsed = time.monotonic() - self.started
            planned = max(sum(self.planned) * per - elapsed, 0.0)
            most = max(sum(self.total(i) for i in range(len(self.planned))) * per - elapsed, 0.0)
            return planned, most
        per = (self.last_done - self.started) / done  # wall time per finished replication, workers in parallel
        since = time.monotonic() - self.last_done  # the running ones are that far along already
        planned = sum(self.planned) - done
        most = sum(self.total(i) for i in range(len(self.planned))) - done
        return max(planned * per - since, 0.0), max(most * per - since, 0.0)


class RichProgress(Progress):
    """The hooks on a rich progress bar: one bar per point, its total the cap under a precision target."""

    def __init__(self, bar: Any, points: int, cap: int | None = None, workers: int = 1) -> None:
        self.bar = bar
        self.tally = _Tally(points, cap, workers)
        self.tasks: list[Any] = []

    def point(self, index: int, label: str, planned: int) -> None:
        t = self.tally
        t.planned.append(planned)
        t.done.append(0)
        t.labels.append(label)
        prefix = f"[{index + 1}/{t.points}] " if t.points > 1 else ""
        suffix = f" (up to {t.cap}, stops when precise)" if t.cap else ""
        self.tasks.append(self.bar.add_task(f"{prefix}{label}{suffix}", total=t.total(index)))

    def replan(self, planned: int, index: int = 0) -> None:
        self.tally.planned[index] = planned

    def replication_done(self, index: int = 0) -> None:
        self.tally.done[index] += 1
        self.tally.last_done = time.monotonic()
        self.bar.advance(self.tasks[index])

    def finished(self) -> None:
        for index, task in enumerate(self.tasks):
            self.bar.update(task, total=self.tally.done[index], completed=self.tally.done[index])


class PlainProgress(Progress):
    """The hooks as plain lines on a stream that is not a terminal: one at the start, one per finished replication
    (at most one per `period` seconds), one every `period` seconds while nothing finishes, and one at the end."""

    def __init__(self, name: str, points: int, cap: int | None = None, workers: int = 1,
                 stream: TextIO | None = None, period: float = PLAIN_PERIOD_S, estimate_s: float | None = None) -> None:
        self.name = name
        self.tally = _Tally(points, cap, workers, estimate_s)
        self.stream = stream if stream is not None else sys.stderr
        self.period = period
        self._last = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def point(self, index: int, label: str, planned: int) -> None:
        t = self.tally
        t.planned.append(planned)
        t.done.append(0)
        t.labels.append(label)
        if index == t.points - 1:
            self._line(force=True)
            self._thread = threading.Thread(target=self._heartbeat, daemon=True)
            self._thread.start()

    def replan(self, planned: int, index: int = 0) -> None:
        self.tally.planned[index] = planned

    def replication_done(self, index: int = 0) -> None:
        self.tally.done[index] += 1
        self.tally.last_done = time.monotonic()
        self._line()

    def finished(self) -> None:
        self._stop.set()
        self._line(force=True, final=True)

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.period):
            self._line(force=True)

    def _line(self, force: bool = False, final: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.period:
                return
            self._last = now
            t = self.tally
            done = sum(t.done)
            total = sum(t.total(i) for i in range(len(t.planned)))
            text = f"smev-sim: {self.name}: {done}/{total} replications"
            if t.cap:
                text += f" (at most; stops when every SLO interval is precise or decided, {sum(t.planned)} planned)"
            if t.points > 1:
                text += f" over {t.points} points"
            text += f", {clock(now - t.started)} elapsed"
            if final:
                text += ", done"
            else:
                planned, most = t.left()
                if planned is not None:
                    text += f", about {clock(planned)} left"
                    if not done:
                        text += " (estimated from the scenario)"
                    if t.cap and most is not None and most > planned:
                        text += f" (at most {clock(most)})"
            print(text, file=self.stream, flush=True)
