"""The one progress display for long commands (`smev-conformance run`, `check`/`verify` on many files, and any
`smev-sim` command that wants it).

    with Progress("check", total=len(files), unit="file") as progress:
        for path in files:
            ...
            progress.advance(note=path.name)

On a terminal it is a `rich` bar on standard error (cleared when done). Elsewhere (CI logs, pipes) it prints a
plain line every `interval` seconds while work goes on, and a last line when the work took longer than that:

    check: 40/138 files (29 %), 10 s elapsed, about 24 s left

so a short command prints nothing extra and a long one is never silent. The time left is the mean time per step so
far times the steps left (only once a step is done and the total is known; `total` may grow, e.g. when more
replications are needed, with `set_total`). `SMEV_PROGRESS=off` turns it off, `=plain` forces plain lines.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import IO, Any, TypeVar

from conformance.pages import printable

T = TypeVar("T")

INTERVAL = 10.0
"""Seconds between two plain progress lines."""


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Progress of `total` steps (None: unknown) of some `what`, counted in `unit`s (plural with an s)."""

    def __init__(self, what: str, total: int | None = None, *, unit: str = "step", stream: IO[str] | None = None,
                 interval: float = INTERVAL, mode: str | None = None, clock: Any = time.monotonic):
        self.what = what
        self.total = total
        self.unit = unit
        self.done = 0
        self.note = ""
        self.stream = stream or sys.stderr
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.lines: list[str] = []
        """The plain lines printed so far (tests read them)."""
        self.mode = mode or self._mode()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._bar: Any = None
        self._task: Any = None

    def _mode(self) -> str:
        chosen = os.environ.get("SMEV_PROGRESS", "").strip().lower()
        if chosen in ("off", "0", "no", "none"):
            return "off"
        if chosen == "plain":
            return "plain"
        isatty = getattr(self.stream, "isatty", None)
        return "rich" if isatty is not None and isatty() else "plain"

    # -- the figures ----------------------------------------------------------------------------------------------

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float | None:
        """Seconds left at the mean pace so far; None until a step is done or when the total is unknown."""
        if self.total is None or self.done == 0:
            return None
        return self.elapsed() / self.done * max(0, self.total - self.done)

    def line(self) -> str:
        """`check: 40/138 files (29 %), 10 s elapsed, about 24 s left`."""
        units = self.unit + ("" if (self.total or self.done) == 1 else "s")
        if self.total:
            count = f"{self.done}/{self.total} {units} ({100 * self.done // self.total} %)"
        else:
            count = f"{self.done} {units}"
        text = f"{self.what}: {count}, {_duration(self.elapsed())} elapsed"
        left = self.remaining()
        if left is not None and self.done < (self.total or 0):
            text += f", about {_duration(left)} left"
        if self.note and self.done < (self.total or self.done + 1):
            text += f" ({self.note})"
        return text

    # -- updates --------------------------------------------------------------------------------------------------

    def advance(self, steps: int = 1, note: str = "") -> None:
        with self._lock:
            self.done += steps
            self.note = note
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done, total=self.total, description=self._label())

    def set_total(self, total: int | None) -> None:
        with self._lock:
            self.total = total
            if self._bar is not None:
                self._bar.update(self._task, total=total)

    def _label(self) -> str:
        from rich.markup import escape  # local: rich is loaded only when a bar is drawn on a terminal

        # a note is often a file name: shown as written, never read as markup or a terminal escape
        return escape(printable(self.what)) + (f" [dim]{escape(printable(self.note))}[/]" if self.note else "")

    def _print(self) -> None:
        text = printable(self.line())
        self.lines.append(text)
        print(text, file=self.stream, flush=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._print()

    def __enter__(self) -> Progress:
        self.started = self.clock()
        if self.mode == "rich":
            # local: rich is loaded only when a bar is drawn on a terminal (plain lines and `off` never need it)
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            from conformance.console import make_console

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("left"), TimeRemainingColumn(), transient=True,
                            console=make_console(file=self.stream))
            self._bar.start()
            self._task = self._bar.add_task(self._label(), total=self.total)
        elif self.mode == "plain":
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            if self.lines:  # a long piece of work says when it ended; a short one said nothing at all
                with self._lock:
                    self._print()
        if self._bar is not None:
            self._bar.stop()


def track(items: Sequence[T], what: str, *, unit: str = "step", note: Callable[[T], str] | None = None) -> Iterator[T]:
    """Each of `items`, with a `Progress` that advances as the loop moves on to the next one."""
    with Progress(what, total=len(items), unit=unit) as progress:
        for item in items:
            yield item
            progress.advance(note=note(item) if note else "")


def timed(check: Callable[..., Any], *args: Any) -> Any:
    """`check(*args)`, a `FileResult`, with when it started and how long it took (reports show both)."""
    started, clock = time.time(), time.perf_counter()
    result = check(*args)
    return replace(result, started=started, duration=time.perf_counter() - clock)


__all__ = ["INTERVAL", "Progress", "timed", "track"]
