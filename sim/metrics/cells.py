"""The time cells a replication's statistics accumulate in, so that they can be cut at a cell edge once the warm-up
is known (`run.warmup: auto` finds it only at the end, `sim.metrics.warmup`).

A fixed warm-up has two cells, [0, warmup) and [warmup, end); the automatic one the run's time grid, `bins` cells
of `duration / bins` each. The collector's own tallies (`sim.metrics.collector`), the station meters
(`sim.metrics.stations`) and the background's busy time (`sim.model.background`) all use the same cells, so they
are all cut at the same edge.
"""

from __future__ import annotations

from collections.abc import MutableSequence

FIXED = 1
"""The measured cell of a fixed warm-up: [warmup, end)."""


class Cells:
    """The cells of one replication: `step` 0 for a fixed warm-up (two cells), else the grid's cell length."""

    __slots__ = ("duration", "warmup", "count", "step")

    def __init__(self, duration: float, warmup: float = 0.0, bins: int | None = None) -> None:
        self.duration = float(duration)
        self.warmup = float(warmup)
        self.count = 2 if bins is None else int(bins)
        self.step = 0.0 if bins is None else self.duration / self.count

    def cell(self, t: float) -> int:
        """The cell `t` falls in: `edge(c) <= t < edge(c + 1)`, exactly (a time on an edge belongs to the cell it
        starts, whatever the rounding of `t / step`)."""
        step = self.step
        if step:
            c = int(t / step)
            if c >= self.count:
                return self.count - 1
            if t < c * step:
                return c - 1
            return c + 1 if c + 1 < self.count and (c + 1) * step <= t else c
        return 1 if t >= self.warmup else 0

    def edge(self, c: int) -> float:
        """The start of cell `c`."""
        return c * self.step if self.step else (self.warmup if c else 0.0)

    def end(self, c: int) -> float:
        """The end of cell `c` (the last one ends at `duration`)."""
        return self.edge(c + 1) if c + 1 < self.count else self.duration

    def area(self, cells: MutableSequence[float], value: float, lo: float, hi: float) -> None:
        """Add `value` x the length of [lo, hi) to `cells`, split at the cell edges."""
        if hi <= lo:
            return
        step = self.step
        if not step:  # a fixed warm-up: [0, warmup) and [warmup, end)
            w = self.warmup
            if lo >= w:
                cells[1] += value * (hi - lo)
            elif hi <= w:
                cells[0] += value * (hi - lo)
            else:
                cells[0] += value * (w - lo)
                cells[1] += value * (hi - w)
            return
        last = self.count - 1
        c0, c1 = min(int(lo / step), last), min(int(hi / step), last)
        if c0 == c1:
            cells[c0] += value * (hi - lo)
            return
        edge = self.edge(c0 + 1)
        cells[c0] += value * (edge - lo)
        for c in range(c0 + 1, c1):
            nxt = self.edge(c + 1)
            cells[c] += value * (nxt - edge)
            edge = nxt
        cells[c1] += value * (hi - edge)

    def bounds(self, t: float) -> tuple[float, float, int]:
        """(lo, hi, cell): the cell busy time done around `t` is booked in (`spill` takes what falls outside it).
        With a fixed warm-up, the measured window [warmup, duration)."""
        if not self.step:
            return self.warmup, self.duration, FIXED
        c = self.cell(t)
        return self.edge(c), self.end(c), c

    def tally(self) -> list[float]:
        """An empty per-cell tally of busy time: `count` partial cells, then a difference array of whole cells
        (`book` adds an interval in constant time whatever its length; `totals` reads it)."""
        return [0.0] * (2 * self.count + 1)

    def book(self, tally: list[float], start: float, end: float) -> None:
        """Add [start, end), up to `duration`, to `tally` per cell: its two partial cells and the whole ones between."""
        if end > self.duration:
            end = self.duration
        if end <= start:
            return
        c0, c1 = self.cell(start), self.cell(end)
        if c0 == c1:
            tally[c0] += end - start
            return
        tally[c0] += self.edge(c0 + 1) - start
        tally[c1] += end - self.edge(c1)
        if c1 > c0 + 1:
            n = self.count
            tally[n + c0 + 1] += 1.0
            tally[n + c1] -= 1.0

    def totals(self, tally: list[float]) -> list[float]:
        """The seconds per cell in `tally` (`book`)."""
        n = self.count
        out = []
        whole = 0.0
        for c in range(n):
            whole += tally[n + c]
            out.append(tally[c] + (whole * (self.end(c) - self.edge(c)) if whole else 0.0))
        return out

    def spill(self, tally: list[float] | None, start: float, end: float, lo: float, hi: float) -> float:
        """Busy time [start, end) that does not lie inside [lo, hi) (`bounds`): with a fixed warm-up, returns its
        part inside the window (the rest is not measured); on a grid, returns its part inside [lo, hi) (booked with
        that cell) and books the rest into `tally` (as `book` does)."""
        step = self.step
        if not step:
            return ((end if end < hi else hi) - (start if start > lo else lo)) if end > lo and start < hi else 0.0
        if tally is None:
            return 0.0
        if end > self.duration:
            end = self.duration
        if not lo <= start < hi or end <= hi:
            self.book(tally, start, end)
            return 0.0
        # the common case: it starts in this cell and ends in a later one (a long job, short cells)
        n = self.count
        c0 = int(lo / step + 0.5)  # lo is an edge
        c1 = int(end / step)
        if c1 >= n:
            c1 = n - 1
        if c1 <= c0:  # rounding at the edge: the rest is (nearly) nothing
            return end - start
        tally[c1] += end - c1 * step
        if c1 > c0 + 1:
            tally[n + c0 + 1] += 1.0
            tally[n + c1] -= 1.0
        return hi - start
