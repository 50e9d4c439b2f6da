"""Per-station results, as JMT gives them: for every service centre (bus node entrance, portal, ESIA, providers,
and any station a model adds, such as links) utilisation, throughput, mean and p99 wait, time-average and maximum
number of jobs, and a Little's-law check on independently measured quantities.

The protocol a station reports through (`StationMeter`, made by `Collector.station(name, servers, kind)`):

- `arrive(t)` when a job joins the station (queue or service);
- `start(t, arrived)` when its service starts (its wait is `t - arrived`);
- `enter(t)`: `arrive(t)` and `start(t, t)` in one call, for a job served at once (the common case: one call less);
- `finish(t, arrived)` when its service ends and it leaves;
- `leave(t, arrived, in_service)` when it leaves without finishing (expired, lost, dropped, its sender gone);
- `job(arrived, started, ended)` instead of the three calls, for a station that knows a job's whole schedule when
  it is submitted (a station shared with background jobs, `sim.model.background.PooledStation`): its time averages
  then come from the same stamps as its waits, so its Little's-law check is not reported.

Times are simulated seconds, calls in time order (except `job`). What happens before the warm-up is not measured.
Under `run.warmup: auto` the warm-up is known only at the end, so a meter on the run's time grid (`cells`, a
`sim.metrics.cells.Cells` with a step) counts from t = 0 and, when a change passes cell edges, records its running
tallies and the state held across them once (areas, counts, the length of its waits array, residence sums, the
closed cell's maxima): `cut(cell, end)` then keeps the window from that edge, exactly what a fixed warm-up there would
have measured. The per-job calls pay nothing for it (the fast path's one comparison, `t < hi`, also marks the next
edge); what is known only after its cell ended (the wait or residence of a job that arrived in an earlier cell, a
stamped job that leaves its cell, background busy time) is booked per cell of its arrival (busy time spread over the
cells it covers, in constant time: `Cells.book`), so memory stays linear in jobs plus a fixed number of cells.
The time averages are integrals of the number of jobs over time (updated at every change); the waits and residence
times are per-job stamps; throughput counts completions. L (time-average number in the station) against
lambda x W (arrivals per second x mean residence of the jobs that arrived after the warm-up and left before the
end) therefore compares quantities measured independently: a wrong hook shows as a large relative error.

A station that simulates only a sample of its jobs (`tagged_share` < 100 %: the rest is background) has `scale` =
1 / share: counts, time averages and throughput are multiplied by it; waits are the sample's (a random thinning
sees the same waits); the maximum number of jobs is not known then (None).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from typing import Any

import numpy as np

from sim.metrics.cells import FIXED, Cells

_LATE = ("area_n", "area_s", "arrivals", "completions", "res_sum", "res_count")

KINDS = ("entrance", "delivery", "portal", "esia", "ca", "provider", "link", "station")


class StationMeter:
    """The measurements of one service centre during one replication (see the module docstring)."""

    __slots__ = ("name", "kind", "servers", "warmup", "horizon", "scale", "n", "s", "t", "area_n", "area_s", "max_n",
                 "max_q", "arrivals", "completions", "left", "waits", "res_sum", "res_count", "stamped", "extra_busy",
                 "cells", "hi", "cell", "snaps", "late", "late_waits", "late_at", "busy_cells")

    def __init__(self, name: str, servers: int | None, warmup: float, kind: str = "station",
                 horizon: float = float("inf"), cells: Cells | None = None) -> None:
        self.name = name
        self.kind = kind
        self.servers = None if servers is None else max(int(servers), 1)  # None: a delay station (no queue)
        self.horizon = float(horizon)
        self.scale = 1.0
        self.n = 0  # jobs in the station
        self.s = 0  # jobs in service
        self.t = 0.0
        self.area_n = 0.0
        self.area_s = 0.0
        self.max_n = 0
        self.max_q = 0
        self.arrivals = 0
        self.completions = 0
        self.left = 0
        self.waits = array("d")
        self.res_sum = 0.0
        self.res_count = 0
        self.stamped = False  # fed by `job`: time averages from stamps
        self.extra_busy: float | None = None  # busy server-seconds of work not simulated job by job (background)
        self.cells = cells if cells is not None else Cells(horizon, warmup)
        # the per-job calls integrate on their own while `t < hi`, and call `_advance` otherwise: with a fixed
        # warm-up, until the first change after it (hi = -inf, then inf); on a grid, at each cell edge
        self.hi = -math.inf
        self.cell = 0  # on a grid: the cell `t` is in, whose start is `warmup`
        # on a grid: per run of cell edges passed at once, (first edge, last edge, time of the change before, jobs,
        # jobs in service, the running tallies then, the maxima of the cell it closed)
        self.snaps: list[tuple] | None = None
        self.busy_cells: list[float] | None = None  # on a grid: `extra_busy` per cell
        if self.cells.step:
            self.warmup = 0.0
            self.hi = self.cells.end(0) if self.cells.count > 1 else math.inf
            self.snaps = [(0, 0, 0.0, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 0.0, 0, 0, 0)]
            count = self.cells.count
            # what is known only after the cell it belongs to (a job that arrived in an earlier cell, a stamped
            # job): per cell of the arrival (waits: with their arrival times)
            self.late = {key: [0.0] * count for key in _LATE}
            self.late["area_n"] = self.cells.tally()  # spread over the cells of the job's stay (`Cells.book`)
            self.late["area_s"] = self.cells.tally()
            self.late_waits = array("d")
            self.late_at = array("d")
            self.busy_cells = self.cells.tally()
        else:
            self.warmup = float(warmup)
            self.late = {}
            self.late_waits = self.late_at = array("d")

    def _advance(self, t: float) -> None:
        if self.snaps is not None:
            self._advance_grid(t)
            return
        last = self.t
        warmup = self.warmup
        if t > last and t > warmup:
            dt = t - (last if last > warmup else warmup)
            self.area_n += self.n * dt
            self.area_s += self.s * dt
            if last <= warmup:  # the state carried across the end of the warm-up
                if self.n > self.max_n:
                    self.max_n = self.n
                if self.n - self.s > self.max_q:
                    self.max_q = self.n - self.s
            self.hi = math.inf
        self.t = t

    def _carry(self) -> None:
        """The state now is held into the current cell: it counts in its maxima."""
        if self.n > self.max_n:
            self.max_n = self.n
        if self.n - self.s > self.max_q:
            self.max_q = self.n - self.s

    def _advance_grid(self, t: float) -> None:
        """Integrate up to `t`; when it passes cell edges (an edge at `t` included: what happens at `t` belongs to
        the cell it starts), record the running tallies and the state held across them, once for all the edges
        passed (a quiet meter costs nothing per edge). The state held across an edge counts in the maxima of the
        cell after it, as the state held across a fixed warm-up does."""
        last = self.t
        if t <= last:
            return
        cells, snaps = self.cells, self.snaps
        assert snaps is not None  # a meter on a grid, before `cut`
        if last == self.warmup:  # the state set at the start of this cell is held past it
            self._carry()
        c = self.cell
        if c + 1 < cells.count and cells.edge(c + 1) <= t:
            first, c = c + 1, cells.cell(t)
            snaps.append((first, c, last, self.n, self.s, self.area_n, self.area_s, self.arrivals, self.completions,
                          self.left, len(self.waits), self.res_sum, self.res_count, self.max_n, self.max_q))
            self.cell = c
            self.warmup = edge = cells.edge(c)
            self.max_n = self.max_q = 0
            if t > edge:
                self._carry()
        self.area_n += self.n * (t - last)
        self.area_s += self.s * (t - last)
        self.t = t
        # an event exactly at the edge: the next change must carry the state it leaves (`_carry` above)
        self.hi = self.warmup if t == self.warmup else (cells.edge(c + 1) if c + 1 < cells.count else math.inf)

    def _late(self, arrived: float, value: float, wait: bool) -> None:
        """A wait (`wait`) or a residence time of a job that arrived in an earlier cell than the current one."""
        if wait:
            self.late_waits.append(value)
            self.late_at.append(arrived)
            return
        c = self.cells.cell(arrived)
        self.late["res_sum"][c] += value
        self.late["res_count"][c] += 1

    # arrive, enter, start and finish run per job: `_advance` is inlined in them (its steady-state branch), and the
    # warm-up crossing, rare, goes through `_advance` itself.

    def arrive(self, t: float) -> None:
        last = self.t
        if t > last:
            if t < self.hi:
                dt = t - last
                self.area_n += self.n * dt
                self.area_s += self.s * dt
                self.t = t
            else:
                self._advance(t)
        n = self.n = self.n + 1
        if t >= self.warmup:
            self.arrivals += 1
            if n > self.max_n:
                self.max_n = n
            if n - self.s > self.max_q:
                self.max_q = n - self.s

    def enter(self, t: float) -> None:
        last = self.t
        if t > last:
            if t < self.hi:
                dt = t - last
                self.area_n += self.n * dt
                self.area_s += self.s * dt
                self.t = t
            else:
                self._advance(t)
        n = self.n = self.n + 1
        self.s += 1
        if t >= self.warmup:
            self.arrivals += 1
            self.waits.append(0.0)
            if n > self.max_n:
                self.max_n = n

    def start(self, t: float, arrived: float) -> None:
        last = self.t
        if t > last:
            if t < self.hi:
                dt = t - last
                self.area_n += self.n * dt
                self.area_s += self.s * dt
                self.t = t
            else:
                self._advance(t)
        self.s += 1
        if arrived >= self.warmup:
            self.waits.append(t - arrived)
        elif self.snaps is not None:
            self._late(arrived, t - arrived, True)

    def finish(self, t: float, arrived: float) -> None:
        last = self.t
        if t > last:
            if t < self.hi:
                dt = t - last
                self.area_n += self.n * dt
                self.area_s += self.s * dt
                self.t = t
            else:
                self._advance(t)
        self.n -= 1
        self.s -= 1
        if t >= self.warmup:
            self.completions += 1
        if arrived >= self.warmup:
            self.res_sum += t - arrived
            self.res_count += 1
        elif self.snaps is not None:
            self._late(arrived, t - arrived, False)

    def leave(self, t: float, arrived: float, in_service: bool = False) -> None:
        self._advance(t)
        self.n -= 1
        if in_service:
            self.s -= 1
        if t >= self.warmup:
            self.left += 1
        if arrived >= self.warmup:
            self.res_sum += t - arrived
            self.res_count += 1
        elif self.snaps is not None:
            self._late(arrived, t - arrived, False)

    def job(self, arrived: float, started: float, ended: float) -> None:
        """A job whose whole schedule is known; call when it ends (or at the end of the run for one in service)."""
        self.stamped = True
        if self.snaps is not None:  # on a grid
            if arrived >= self.hi:
                self._advance_grid(arrived)  # the tallies at the edges passed (a stamped meter's n and s stay 0)
            if self.warmup <= arrived and ended < self.hi and ended <= self.horizon:  # all inside the current cell
                self.arrivals += 1
                self.waits.append(started - arrived)
                self.completions += 1
                self.area_n += ended - arrived
                self.area_s += ended - started
            else:
                self._job_cells(arrived, started, ended)
            return
        warmup, horizon = self.warmup, self.horizon
        if arrived >= warmup:
            self.arrivals += 1
            if started <= horizon:
                self.waits.append(started - arrived)
        if warmup <= ended <= horizon:
            self.completions += 1
        end = ended if ended < horizon else horizon
        lo = arrived if arrived > warmup else warmup
        if end > lo:
            self.area_n += end - lo
        lo = started if started > warmup else warmup
        if end > lo:
            self.area_s += end - lo

    def _job_cells(self, arrived: float, started: float, ended: float) -> None:
        """`job` on a grid: everything booked per cell (of its arrival, of its end, spread over its stay)."""
        cells, late, horizon = self.cells, self.late, self.horizon
        late["arrivals"][cells.cell(arrived)] += 1
        if started <= horizon:
            self.late_waits.append(started - arrived)
            self.late_at.append(arrived)
        if ended <= horizon:
            late["completions"][cells.cell(ended)] += 1
        end = ended if ended < horizon else horizon
        cells.book(late["area_n"], arrived, end)
        cells.book(late["area_s"], started, end)

    def add_busy(self, seconds: float, cell: int = FIXED) -> None:
        """Busy server-seconds inside the measured window of work carried as background (`sim.model.background`):
        utilisation is then the simulated jobs' busy time plus this, exact rather than scaled. On a grid, `cell` is
        the cell of `cells` they were done in (`Cells.bounds`)."""
        self.extra_busy = (self.extra_busy or 0.0) + (seconds if self.busy_cells is None else 0.0)
        if self.busy_cells is not None:
            self.busy_cells[cell] += seconds

    def busy_seconds(self, now: float) -> float:
        """Busy server-seconds after the warm-up up to `now` (jobs in service included), background included; on a
        grid before `cut`, from time 0."""
        if not self.stamped:
            self._advance(now)
        busy = self.area_s + (self.extra_busy or 0.0)
        if self.busy_cells is not None:
            busy += sum(self.cells.totals(self.late["area_s"])) + sum(self.cells.totals(self.busy_cells))
        return busy

    def cut(self, cell: int, end: float) -> None:
        """Keep the window [start of `cell`, `end`] only (the automatic warm-up, known at the end): the tallies
        become those of that window, exactly as if it had been a fixed warm-up. Nothing to do with a fixed one."""
        snaps = self.snaps
        if snaps is None:
            return
        self._advance(end)  # the tallies at the remaining edges (a stamped meter's counters are all late ones)
        cells = self.cells
        start = cells.edge(cell)
        rec = snaps[bisect_right([r[0] for r in snaps], cell) - 1]  # the run of edges `cell`'s start was in
        late = dict(self.late)
        for key in ("area_n", "area_s"):  # tallies (`Cells.book`)
            late[key] = cells.totals(late[key])

        def tail(key: str) -> float:
            return sum(late[key][cell:])

        self.area_n = self.area_n - (rec[5] + rec[3] * (start - rec[2])) + tail("area_n")
        self.area_s = self.area_s - (rec[6] + rec[4] * (start - rec[2])) + tail("area_s")
        self.arrivals = self.arrivals - rec[7] + int(tail("arrivals"))
        self.completions = self.completions - rec[8] + int(tail("completions"))
        self.left -= rec[9]
        self.res_sum = self.res_sum - rec[11] + tail("res_sum")
        self.res_count = self.res_count - rec[12] + int(tail("res_count"))
        waits = self.waits[rec[10]:]
        if self.late_waits:
            at = np.frombuffer(self.late_at, dtype=np.float64)
            waits.frombytes(np.frombuffer(self.late_waits, dtype=np.float64)[at >= start].tobytes())
        self.waits = waits
        maxima = [(self.max_n, self.max_q)]  # the last cell's, then those of the cells from `cell` on
        for first, last, _, n, s, *_, max_n, max_q in snaps:
            if first - 1 >= cell:  # the cell it closed
                maxima.append((max_n, max_q))
            if last - 1 >= cell and last > first:  # the cells it passed whole, in the state held across them
                maxima.append((n, n - s))
        self.max_n = max(m[0] for m in maxima)
        self.max_q = max(m[1] for m in maxima)
        if self.extra_busy is not None and self.busy_cells is not None:
            self.extra_busy += sum(cells.totals(self.busy_cells)[cell:])
        self.warmup = start
        self.snaps = self.busy_cells = None
        self.hi = math.inf

    @classmethod
    def combined(cls, name: str, kind: str, meters: list[StationMeter], end: float) -> StationMeter:
        """One meter for several stations together (a bus site's nodes): sums of their integrals, counts and
        stamps, measured up to `end`. Its maxima are the largest of theirs (a lower bound of the joint maximum)."""
        for meter in meters:
            if not meter.stamped:
                meter._advance(end)
        first = meters[0]
        servers = None if any(m.servers is None for m in meters) else sum(m.servers or 0 for m in meters)
        out = cls(name, servers, first.warmup, kind, first.horizon)
        out.scale, out.t = first.scale, end
        out.stamped = any(m.stamped for m in meters)
        for meter in meters:
            out.area_n += meter.area_n
            out.area_s += meter.area_s
            out.arrivals += meter.arrivals
            out.completions += meter.completions
            out.left += meter.left
            out.res_sum += meter.res_sum
            out.res_count += meter.res_count
            out.waits.extend(meter.waits)
            out.max_n = max(out.max_n, meter.max_n)
            out.max_q = max(out.max_q, meter.max_q)
            if meter.extra_busy is not None:
                out.add_busy(meter.extra_busy)
        return out

    def summary(self, end: float) -> dict[str, Any]:
        """The station's figures over [warm-up, end]; call once, at the end of the replication."""
        if not self.stamped:
            self._advance(end)
        window = end - self.warmup
        k = self.scale
        waits = np.frombuffer(self.waits, dtype=np.float64) if len(self.waits) else np.empty(0)
        L = self.area_n / window * k
        lam = self.arrivals / window * k
        W = self.res_sum / self.res_count if self.res_count else None
        little = None
        if not self.stamped and W is not None and L > 0:
            little = abs(L - lam * W) / L
        if self.servers is None:
            utilisation = None  # a delay station: every job is served at once, nothing to be busy
        elif self.extra_busy is not None:
            utilisation = (self.area_s + self.extra_busy) / (self.servers * window)
        else:
            utilisation = self.area_s / (self.servers * window) * k
        return {
            "kind": self.kind,
            "servers": self.servers,
            "sampled_scale": k,
            "utilisation": utilisation,
            "arrivals_per_s": lam,
            "throughput_per_s": self.completions / window * k,
            "left_unserved": int(round(self.left * k)),
            "wait_mean": float(waits.mean()) if waits.size else None,
            "wait_p99": float(np.percentile(waits, 99)) if waits.size else None,
            "residence_mean": W,
            "in_station_mean": L,
            "queue_mean": (self.area_n - self.area_s) / window * k,
            "in_station_max": None if (self.stamped or k != 1.0) else self.max_n,
            "queue_max": None if (self.stamped or k != 1.0) else self.max_q,
            "jobs_measured": int(waits.size),
            "littles_law_error": little,
        }


class SharingMeter(StationMeter):
    """The meter of a processor-sharing server (a link, `sim.model.flows`): every job is in service from its arrival
    (`enter`, no wait) until it ends (`finish`) or is cut off (`leave`), and the server is busy while it carries at
    least one job, so utilisation is the share of time with a job there, not the mean number of jobs."""

    __slots__ = ("busy_since", "base_load")

    def __init__(self, name: str, servers: int | None, warmup: float, kind: str = "link",
                 horizon: float = float("inf"), cells: Cells | None = None) -> None:
        super().__init__(name, 1, warmup, kind, horizon, cells)
        self.busy_since = 0.0
        self.base_load = 0.0  # a load not simulated job by job, taken off the capacity the jobs share (background)
        self.extra_busy = 0.0  # the closed busy periods inside the window

    def enter(self, t: float) -> None:
        if self.n == 0:
            self.busy_since = t
        super().enter(t)

    def finish(self, t: float, arrived: float) -> None:
        super().finish(t, arrived)
        if self.n == 0:
            self._close(t)

    def leave(self, t: float, arrived: float, in_service: bool = True) -> None:
        super().leave(t, arrived, in_service)
        if self.n == 0:
            self._close(t)

    def _close(self, t: float) -> None:
        if self.busy_cells is not None:  # on a grid: per cell, from time 0
            self.cells.book(self.busy_cells, self.busy_since, t)
            return
        lo = self.busy_since if self.busy_since > self.warmup else self.warmup
        if t > lo:
            self.extra_busy = (self.extra_busy or 0.0) + t - lo

    def busy_seconds(self, now: float) -> float:
        self._advance(now)
        if self.busy_cells is not None:  # on a grid before `cut`: from time 0
            open_ = now - self.busy_since if self.n > 0 and now > self.busy_since else 0.0
            return (self.extra_busy or 0.0) + sum(self.cells.totals(self.busy_cells)) + open_
        lo = self.busy_since if self.busy_since > self.warmup else self.warmup
        return (self.extra_busy or 0.0) + (now - lo if self.n > 0 and now > lo else 0.0)

    def cut(self, cell: int, end: float) -> None:
        if self.busy_cells is not None and self.n > 0 and end > self.busy_since:  # the busy period open at the end
            self.cells.book(self.busy_cells, self.busy_since, end)
            self.busy_since = end
        super().cut(cell, end)

    def summary(self, end: float) -> dict[str, Any]:
        out = super().summary(end)
        # the simulated jobs share what the base load leaves: busy a share b of the time at that capacity, the server
        # works base + (1 - base) x b of its full capacity
        b = self.busy_seconds(end) / (end - self.warmup)
        out["utilisation"] = self.base_load + (1.0 - self.base_load) * b
        return out


STATION_FIELDS: dict[str, tuple[str, str]] = {
    "utilisation": ("utilisation", "share"),
    "throughput_per_s": ("throughput", "1/s"),
    "wait_mean": ("mean wait", "s"),
    "wait_p99": ("p99 wait", "s"),
    "in_station_mean": ("mean jobs", "count"),
    "queue_mean": ("mean queue", "count"),
}
"""The per-station figures that get confidence intervals across replications: field -> (label, unit)."""
