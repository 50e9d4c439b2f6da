"""The `Collector` the model calls while a replication runs, and the `ReplicationSummary` it returns.

Cheap by design: counters, `array('d')` latency samples and one small tuple per open message; no per-message objects.
All times are simulated seconds. Warm-up: what happens before the warm-up is excluded from latency, throughput,
deadline, utilisation, queue-depth and Little's-law statistics, but every message still counts in the accounting
(`sent = delivered + in_flight + expired + rejected + lost`). The warm-up is either fixed (`warmup` seconds) or, with
`auto_warmup`, found at the end by MSER-5 (`sim.metrics.warmup`) on the series of the SLO metrics: the collector
keeps every answered request's send time and every time-based figure per cell of its time grid, so the statistics can
be cut at any cell edge once the truncation point is known (the detected point is rounded up to the next edge: at most
`duration / grid_bins` more is discarded; the cells are `sim.metrics.cells.Cells`). The station meters (and the
component busy time read from them, `busy_of`) use the same cells and are cut at the same edge. Only a lump the model
hands over itself (`busy_total`) is measured from the model's floor, `Collector.floor` (0 under `auto_warmup`, the
fixed warm-up otherwise), and scaled to the window.

Call protocol (the model's side):
- `component(name, capacity=1)` once per server-like component (optional; unknown ones get capacity 1);
- `message_sent(msg_id, kind, type_name, cls, sender, recipient, t, t_client=None)` when a message enters the
  bus's queue (697 decree §8), `t_client` being when its sender sent it (before the first network hop, the bus
  entrance's wait and service, and the sender's retries; default `t`); `kind="request"` also opens a request that
  `request_answered(msg_id, t)` later closes;
- exactly one terminal event per message: `message_delivered`, `message_expired`, `message_rejected`,
  `message_lost` (a second one is counted in `messages["accounting_errors"]`, never silently);
- `duplicate_suppressed` / `duplicate_delivered` when a redelivery is dropped / wrongly reaches an application;
- `queue_depth(component, depth, t)` whenever a queue changes; `busy(component, start, end)` per service interval;
- `participant_blocked`, `billed`, `portal_application`, `login`, `fault` as they happen;
- `station(name, servers, kind)` once per service centre: the `sim.metrics.stations.StationMeter` it reports through;
- `summary()` at the end (the collector closes the books at `duration`).

Latency, the SLO metric (`realtime.latency.*`, `async.latency.*`, the deadline shares), runs from the consumer's
send (`t_client`) to the answer received, as decree 963 §10 counts it and as a client sees it; the bus-acceptance
latency (from the moment the bus queued the request) is kept as `*.accepted_latency.*`. A request counts as measured
when it was *sent* after the warm-up. Requests never answered (expired, lost or rejected, or still open once their
deadline passed) count as beyond every deadline: misses in the deadline shares and infinite samples in the latency
percentiles (a percentile that falls on them is `math.inf`, "beyond every deadline"; the mean and maximum are over
answered requests only, with `*.unanswered` counting the others).

Little's law is checked on messages in the system (sent, not yet closed): L is the time average of their number
after warm-up, lambda their arrival rate after warm-up, W the mean time in the system of those that arrived after
warm-up and left before the end. The three are measured independently, so |L - lambda W| / L is small only for a
system near steady state whose bookkeeping is right; messages piling up (an overloaded queue) show as a large error.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sim.metrics.cells import Cells
from sim.metrics.stations import SharingMeter, StationMeter
from sim.metrics.stats import quantiles
from sim.metrics.warmup import applied_warmup, mser5

REALTIME = "realtime"
ASYNC = "async"
CLASSES: tuple[str, str] = (REALTIME, ASYNC)
REQUEST_KIND = "request"

REALTIME_DEADLINE_S = 2.0  # 963 §10
ASYNC_DEADLINE_S = 48 * 3600.0  # 963 §10

HISTOGRAM_EDGES: tuple[float, ...] = tuple(float(x) for x in np.logspace(-4, 6, 201))
"""Log-spaced latency bins from 0.1 ms to 10^6 s (about 11.6 days): 20 per decade; the CDF plot merges these counts.
Samples below the first edge count in the first bin, above the last in the last."""
_LOG_LO, _LOG_HI, _BINS = -4.0, 6.0, 200

DEFAULT_GRID_BINS = 240

_CLASS_ALIASES = {"realtime": REALTIME, "real-time": REALTIME, "rt": REALTIME, "async": ASYNC,
                  "asynchronous": ASYNC, "sync": REALTIME}

_TERMINAL = ("delivered", "expired", "rejected", "lost")


def _histogram(samples: np.ndarray) -> list[int]:
    if samples.size == 0:
        return [0] * _BINS
    logs = np.log10(np.maximum(samples, 1e-12))
    idx = np.clip(((logs - _LOG_LO) / (_LOG_HI - _LOG_LO) * _BINS).astype(np.int64), 0, _BINS - 1)
    return np.bincount(idx, minlength=_BINS).astype(int).tolist()


def latency_stats(samples: np.ndarray, unanswered: int = 0) -> dict[str, float | None]:
    """p50/p95/p99 (linear interpolation), mean and max of one replication's samples, `unanswered` requests counting
    as beyond every deadline in the percentiles (`math.inf` where one falls on them); None when there is nothing."""
    if samples.size + unanswered == 0:
        return {"count": 0, "unanswered": 0, "p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    p50, p95, p99 = quantiles(samples, unanswered, (50, 95, 99))
    return {"count": int(samples.size), "unanswered": int(unanswered), "p50": p50, "p95": p95, "p99": p99,
            "mean": float(samples.mean()) if samples.size else None,
            "max": float(samples.max()) if samples.size else None}


@dataclass
class ReplicationSummary:
    """Everything one replication measured: plain dicts, lists and numbers only (picklable and JSON-able).

    `metrics` holds one value per catalogue name (`sim.metrics.catalogue`), None where there was nothing to measure;
    SLOs, confidence intervals and the precision loop use only `metrics`. The other fields feed the report.
    """

    duration: float
    warmup: float
    metrics: dict[str, float | None]
    messages: dict[str, int]
    rejected_by_reason: dict[str, int]
    lost_by_reason: dict[str, int]
    latency: dict[str, dict[str, float | None]]  # "realtime" / "async" / "delivery" / "type.<name>" -> stats
    latency_histograms: dict[str, list[int]]  # "realtime" / "async" -> counts over HISTOGRAM_EDGES
    participants: dict[str, dict[str, Any]]
    components: dict[str, dict[str, float]]
    timeseries: dict[str, Any]
    faults: list[dict[str, Any]]
    blocked: list[dict[str, Any]]
    littles_law: dict[str, float | None]
    portal: dict[str, dict[str, int]]
    seed: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    share_counts: dict[str, list[int]] = field(default_factory=dict)  # share metric -> [successes, trials]
    stations: dict[str, dict[str, Any]] = field(default_factory=dict)  # `sim.metrics.stations` figures
    warmup_detection: dict[str, Any] = field(default_factory=dict)  # MSER-5 per watched series (`warmup`)
    warmup_auto: bool = False  # `warmup` was found by MSER-5 (`run.warmup: auto`), not configured

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplicationSummary:
        return cls(**data)


class _Component:
    __slots__ = ("capacity", "served", "busy", "lump", "measured", "depth", "depth_t", "area", "cell_max", "last_cell", "series",
                 "last_bin")

    def __init__(self, capacity: int, cells: int):
        self.capacity = capacity
        self.served = False
        self.busy = [0.0] * cells  # busy server-seconds per cell (`Collector.busy`)
        self.lump = 0.0  # busy server-seconds the model tallied itself from the floor (`Collector.busy_total`)
        self.measured = 0.0  # busy server-seconds of its station meters over the window (`Collector.busy_of`)
        self.depth = 0
        self.depth_t = 0.0
        self.area = [0.0] * cells  # integral of the depth per cell
        self.cell_max = [0] * cells  # largest depth per cell, the depth carried into it included
        self.last_cell = 0
        self.series: list[int] | None = None
        self.last_bin = 0


class Collector:
    """Measurement of one replication. `duration` and `warmup` in seconds; the time grid has `grid_bins` bins."""

    def __init__(
        self,
        duration: float,
        warmup: float = 0.0,
        *,
        grid_bins: int = DEFAULT_GRID_BINS,
        realtime_deadline: float = REALTIME_DEADLINE_S,
        async_deadline: float = ASYNC_DEADLINE_S,
        auto_warmup: bool = False,
        warmup_series: tuple[str, ...] = (),
    ):
        if not duration > 0:
            raise ValueError(f"duration must be positive, got {duration!r}")
        if not 0 <= warmup < duration:
            raise ValueError(f"warm-up must lie in [0, duration), got {warmup!r} for duration {duration!r}")
        self.duration = float(duration)
        self.auto_warmup = bool(auto_warmup)
        # the floor: where the model's own tallies start (and, with a fixed warm-up, every statistic)
        self.warmup = 0.0 if self.auto_warmup else float(warmup)
        self.floor = self.warmup
        self.warmup_series = tuple(warmup_series)  # MSER-5's series ("realtime.latency", "async.deadline", ...)
        self.deadlines = {REALTIME: float(realtime_deadline), ASYNC: float(async_deadline)}
        self._bins = int(grid_bins)
        self._step = self.duration / self._bins
        # cells: statistics accumulate per cell so they can be cut at a cell edge at the end. A fixed warm-up has
        # two cells, [0, warmup) and [warmup, end); the automatic one the time grid's bins.
        self.cells = Cells(self.duration, self.warmup, self._bins if self.auto_warmup else None)
        self._cells = self.cells.count
        self._cstep = self.cells.step
        self._cell = self.cells.cell
        self._edge = self.cells.edge
        self._area = self.cells.area
        # accounting
        self._counts: Counter[str] = Counter()
        self._rejected: Counter[str] = Counter()
        self._lost: Counter[str] = Counter()
        self._open: dict[Any, tuple[float, str]] = {}  # msg_id -> (t_sent, cls)
        # requests: request_id -> (t_sent, cls, type_name, recipient, t_client)
        self._requests: dict[Any, tuple[float, str, str, str, float]] = {}
        self._failed: set[Any] = set()  # requests closed unanswered (expired, lost, rejected): beyond every deadline
        self._refused: set[Any] = set()  # of those, the ones the bus rejected: not held against their provider
        # every answered request, in answer order, per class: client send time, latency, latency from the bus's
        # acceptance, message type and provider (interned): the statistics are taken from these at the end
        self._trace_t: dict[str, array] = {c: array("d") for c in CLASSES}
        self._trace_lat: dict[str, array] = {c: array("d") for c in CLASSES}
        self._trace_acc: dict[str, array] = {c: array("d") for c in CLASSES}
        self._trace_type: dict[str, array] = {c: array("l") for c in CLASSES}
        self._trace_rcpt: dict[str, array] = {c: array("l") for c in CLASSES}
        self._type_ids: dict[str, int] = {}
        self._rcpt_ids: dict[str, int] = {}
        self._stations: dict[str, StationMeter] = {}
        self._busy_meters: dict[str, list[list[StationMeter]]] = {}  # component -> its meters (`busy_of`)
        self._station_groups: dict[str, tuple[str, list[StationMeter]]] = {}
        self._delivery_t = array("d")  # send time and latency of every delivered message
        self._delivery_lat = array("d")
        cells = self._cells
        self._answered_cells = [0] * cells  # answers by the cell they arrived in (throughput)
        self._delivered_cells = [0] * cells
        # deadline bookkeeping: per class / type / provider -> [known, within] (filled at the end)
        self._deadline_cls: dict[str, list[int]] = {c: [0, 0] for c in CLASSES}
        self._deadline_type: dict[str, list[int]] = {}
        self._deadline_provider: dict[str, list[int]] = {}
        self._provider_requests: Counter[str] = Counter()
        self._provider_answered: Counter[str] = Counter()
        self._provider_rejected: Counter[str] = Counter()
        # Little's law over messages in the system
        self._n = 0
        self._n_before = 0
        self._n_t = 0.0
        self._n_area = [0.0] * cells  # integral of the number in the system per cell
        self._arrivals_cells = [0] * cells
        self._sojourn_sum = [0.0] * cells  # by the cell of the arrival
        self._sojourn_count = [0] * cells
        # time series
        self._ts_sent = [0] * self._bins  # plain lists: indexing a numpy array per message costs more
        self._ts_delivered = [0] * self._bins
        self._ts_answered = [0] * self._bins
        self._ts_in_system = [0] * self._bins
        self._ts_in_system_last = 0
        # components, participants, portal, faults
        self._components: dict[str, _Component] = {}
        self._blocked: dict[str, float] = {}
        self._billed_messages: Counter[str] = Counter()
        self._billed_amount: Counter[str] = Counter()
        self._applications: dict[str, list[int]] = {}  # outcome -> count per cell
        self._logins: dict[str, list[int]] = {}
        self._faults: list[dict[str, Any]] = []
        self._summarised = False

    # --- helpers -------------------------------------------------------------------------------------------------

    def _bin(self, t: float) -> int:
        b = int(t / self._step)
        return b if b < self._bins else self._bins - 1

    def _advance_n(self, t: float) -> None:
        self._area(self._n_area, self._n, self._n_t, t)
        self._n_t = t

    def _move_n(self, t: float, delta: int) -> int:
        """The number in the system changes by `delta` at `t` (`_advance_n` and `_set_in_system` inlined: this runs
        twice per message); returns `t`'s bin."""
        n = self._n
        self._area(self._n_area, n, self._n_t, t)
        self._n_t = t
        self._n_before = n
        n += delta
        self._n = n
        b = int(t / self._step)
        if b >= self._bins:
            b = self._bins - 1
        series = self._ts_in_system
        if b > self._ts_in_system_last:
            self._series_carry(series, self._ts_in_system_last, self._n_before, b)
            self._ts_in_system_last = b
        if n > series[b]:
            series[b] = n
        return b

    def _series_carry(self, series: list[int], last_bin: int, value: int, b: int) -> None:
        for i in range(last_bin + 1, b + 1):
            series[i] = value

    def _set_in_system(self, t: float) -> None:
        b = self._bin(t)
        if b > self._ts_in_system_last:
            self._series_carry(self._ts_in_system, self._ts_in_system_last, self._n_before, b)
            self._ts_in_system_last = b
        if self._n > self._ts_in_system[b]:
            self._ts_in_system[b] = self._n

    def _component(self, name: str) -> _Component:
        comp = self._components.get(name)
        if comp is None:
            comp = self._components[name] = _Component(1, self._cells)
        return comp

    @staticmethod
    def _cls(cls: str | bool) -> str:
        if isinstance(cls, bool):
            return REALTIME if cls else ASYNC
        try:
            return _CLASS_ALIASES[cls]
        except KeyError:
            raise ValueError(f"message class must be 'realtime' or 'async', got {cls!r}") from None

    # --- the model's calls ---------------------------------------------------------------------------------------

    def component(self, name: str, capacity: int = 1) -> None:
        """Declare a component with `capacity` parallel servers (utilisation = busy time / (capacity x window))."""
        if capacity < 1:
            raise ValueError(f"component {name!r}: capacity must be at least 1, got {capacity!r}")
        self._component(name).capacity = int(capacity)

    def station(self, name: str, servers: int | None = 1, kind: str = "station",
                sharing: bool = False) -> StationMeter:
        """The meter a service centre reports through (one per name: asking again returns the same meter); `sharing`:
        a processor-sharing server (a link), `servers` None: a delay station."""
        meter = self._stations.get(name)
        if meter is None:
            cls = SharingMeter if sharing else StationMeter
            meter = self._stations[name] = cls(name, servers, self.warmup, kind, self.duration, self.cells)
        return meter

    def station_group(self, name: str, meters: list[StationMeter], kind: str = "station") -> None:
        """Report `meters` together as one more station `name` as well (a bus site's node entrances)."""
        self._station_groups[name] = (kind, list(meters))

    def sampled(self, share: float, meters: list[StationMeter]) -> None:
        """These stations see only a `share` of their jobs (the rest is background): scale their counts by 1/share."""
        for meter in meters:
            meter.scale = 1.0 / share

    def message_sent(self, msg_id: Any, kind: str, type_name: str, cls: str | bool, sender: str, recipient: str,
                     t: float, t_client: float | None = None) -> None:
        c = _CLASS_ALIASES.get(cls) if cls.__class__ is str else None  # type: ignore[call-overload]
        if c is None:
            c = self._cls(cls)
        open_ = self._open
        if msg_id in open_:
            self._counts["accounting_errors"] += 1
            return
        self._counts["sent"] += 1
        b = self._move_n(t, +1)
        open_[msg_id] = (t, c)
        self._ts_sent[b] += 1
        self._arrivals_cells[self._cell(t)] += 1
        if kind == REQUEST_KIND:
            tc = t if t_client is None or t_client > t else t_client
            self._requests[msg_id] = (t, c, type_name, recipient, tc)
            self._provider_requests[recipient] += 1

    def _close(self, msg_id: Any, outcome: str, t: float) -> float | None:
        """Close a message with its terminal outcome; returns its send time, or None if it was not open."""
        entry = self._open.pop(msg_id, None)
        if entry is None:
            self._counts["accounting_errors"] += 1
            return None
        self._counts[outcome] += 1
        self._move_n(t, -1)
        t_sent = entry[0]
        cell = self._cell(t_sent)
        self._sojourn_sum[cell] += t - t_sent
        self._sojourn_count[cell] += 1
        if outcome != "delivered" and msg_id in self._requests:
            self._failed.add(msg_id)  # a request that will never be answered
        return t_sent

    def message_delivered(self, msg_id: Any, t: float) -> None:
        """The message reached the recipient application and was acknowledged (first time only)."""
        t_sent = self._close(msg_id, "delivered", t)
        if t_sent is None:
            return
        self._ts_delivered[self._bin(t)] += 1
        self._delivered_cells[self._cell(t)] += 1
        self._delivery_t.append(t_sent)
        self._delivery_lat.append(t - t_sent)

    def message_expired(self, msg_id: Any, t: float) -> None:
        self._close(msg_id, "expired", t)

    def message_rejected(self, msg_id: Any, reason: str, t: float) -> None:
        """The bus refused the message (signature, schema, access matrix, quota, blocking). A refused request is
        unanswered: it counts as beyond every deadline (963 §10 counts from the sending of the request)."""
        if self._close(msg_id, "rejected", t) is not None:
            self._rejected[str(reason)] += 1
            request = self._requests.get(msg_id)
            if request is not None:
                self._provider_rejected[request[3]] += 1
                self._refused.add(msg_id)

    def message_lost(self, msg_id: Any, reason: str, t: float) -> None:
        if self._close(msg_id, "lost", t) is not None:
            self._lost[str(reason)] += 1

    def duplicate_suppressed(self, msg_id: Any, t: float) -> None:
        self._counts["duplicates_suppressed"] += 1

    def duplicate_delivered(self, msg_id: Any, t: float) -> None:
        """A redelivered message reached an application a second time: a defect the report must show."""
        self._counts["duplicates"] += 1

    def request_unanswered(self, request_id: Any, t: float) -> None:
        """The answer to `request_id` was lost, expired or refused: the request will never be answered (it counts as
        beyond every deadline at once, not only once its deadline passes within the run)."""
        if request_id in self._requests:
            self._failed.add(request_id)

    def request_answered(self, request_id: Any, t: float) -> None:
        """The consumer received the answer to `request_id` (sent earlier with kind 'request')."""
        entry = self._requests.pop(request_id, None)
        if entry is None:
            self._counts["answer_errors"] += 1
            return
        self._failed.discard(request_id)  # an answer that came after all (a copy survived): it counts as answered
        t_sent, c, type_name, recipient, t_client = entry
        self._ts_answered[self._bin(t)] += 1
        self._provider_answered[recipient] += 1
        self._answered_cells[self._cell(t)] += 1
        self._trace_t[c].append(t_client)
        self._trace_lat[c].append(t - t_client)
        self._trace_acc[c].append(t - t_sent)
        ids = self._type_ids
        self._trace_type[c].append(ids.setdefault(type_name, len(ids)))
        ids = self._rcpt_ids
        self._trace_rcpt[c].append(ids.setdefault(recipient, len(ids)))

    def _count_deadline(self, c: str, type_name: str, recipient: str | None, within: bool, n: int = 1) -> None:
        """Count `n` requests with a known outcome; `recipient` None: not held against a provider (the bus refused
        it, so the provider never saw it)."""
        for table, key in ((self._deadline_cls, c), (self._deadline_type, type_name),
                           (self._deadline_provider, recipient)):
            if key is None:
                continue
            row = table.get(key)
            if row is None:
                row = table[key] = [0, 0]
            row[0] += n
            row[1] += n if within else 0

    def queue_depth(self, component: str, depth: int, t: float) -> None:
        """The depth of a queue changed to `depth` at `t` (record every change; the grid keeps each bin's maximum)."""
        comp = self._components.get(component)
        if comp is None or comp.series is None:
            comp = self._component(component)
            comp.series = [0] * self._bins
        depth = int(depth)
        held = comp.depth
        self._area(comp.area, held, comp.depth_t, t)
        cell = self._cell(t)
        cell_max = comp.cell_max
        if cell > comp.last_cell:  # the depth held into the cells entered since the last change
            for i in range(comp.last_cell + 1, cell):
                if held > cell_max[i]:
                    cell_max[i] = held
            if t > self._edge(cell) and held > cell_max[cell]:
                cell_max[cell] = held
            comp.last_cell = cell
        if depth > cell_max[cell]:
            cell_max[cell] = depth
        comp.depth_t = t
        b = int(t / self._step)
        if b >= self._bins:
            b = self._bins - 1
        series = comp.series
        if b > comp.last_bin:
            held = comp.depth
            for i in range(comp.last_bin + 1, b + 1):
                series[i] = held
            comp.last_bin = b
        if depth > series[b]:
            series[b] = depth
        comp.depth = depth

    def busy(self, component: str, start: float, end: float) -> None:
        """One server of `component` was busy from `start` to `end` (clipped to the measurement window)."""
        comp = self._component(component)
        comp.served = True
        self._area(comp.busy, 1.0, start, min(end, self.duration))

    def busy_total(self, component: str, seconds: float) -> None:
        """`component`'s servers were busy `seconds` server-seconds in all from the floor (`floor`) to the end: for a
        model that keeps its own tally and hands it over at the end, instead of one `busy` call per busy period."""
        if seconds > 1e-12:
            comp = self._component(component)
            comp.served = True
            comp.lump += seconds

    def busy_of(self, component: str, meters: list[StationMeter]) -> None:
        """`component`'s busy time is these station meters' (background included), read at the end over the window
        the statistics cover (`StationMeter.busy_seconds` once they are cut at the applied warm-up)."""
        self._busy_meters.setdefault(component, []).append(list(meters))

    def participant_blocked(self, name: str, t: float) -> None:
        self._blocked.setdefault(name, t)

    def billed(self, participant: str, n_messages: int, amount: float = 0.0) -> None:
        self._billed_messages[participant] += n_messages
        self._billed_amount[participant] += amount

    def portal_application(self, outcome: str, t: float) -> None:
        """Outcome of a portal application: 'accepted', 'waited' or 'refused' (only 'refused' counts as unavailable)."""
        row = self._applications.get(outcome)
        if row is None:
            row = self._applications[outcome] = [0] * self._cells
        row[self._cell(t)] += 1

    def login(self, outcome: str, t: float) -> None:
        """Outcome of an ESIA login: 'success' or anything else (a failure)."""
        row = self._logins.get(outcome)
        if row is None:
            row = self._logins[outcome] = [0] * self._cells
        row[self._cell(t)] += 1

    def fault(self, name: str, kind: str, start: float, end: float | None) -> None:
        """A fault on the timeline (end None: until the end of the run); shaded in the report's time plots."""
        self._faults.append({"name": name, "kind": kind, "start": float(start),
                             "end": float(end) if end is not None else None})

    # --- the end -------------------------------------------------------------------------------------------------

    def _closed_unanswered(self) -> list[tuple[float, str, str, str | None]]:
        """Requests closed unanswered (expired, lost, rejected) or whose deadline passed before the end: known
        failures, beyond every deadline (the rest are censored). (client send time, class, type, provider or None
        when the bus refused it: not held against its provider), whatever their send time."""
        failed, refused, out = self._failed, self._refused, []
        for msg_id, (_t_sent, c, type_name, recipient, t_client) in self._requests.items():
            if msg_id in failed or t_client + self.deadlines[c] <= self.duration:
                out.append((t_client, c, type_name, None if msg_id in refused else recipient))
        return out

    def _series(self, closed: list[tuple[float, str, str, str | None]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The per-request series MSER-5 may look at, each as (client send times, values): `<class>.latency` (answered
        requests' latencies) and `<class>.deadline` (1 answered within the deadline, 0 not, for every known
        outcome)."""
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c in CLASSES:
            t = np.frombuffer(self._trace_t[c], dtype=np.float64)
            lat = np.frombuffer(self._trace_lat[c], dtype=np.float64)
            out[f"{c}.latency"] = (t, lat)
            missed = np.array([row[0] for row in closed if row[1] == c], dtype=np.float64)
            out[f"{c}.deadline"] = (np.concatenate([t, missed]),
                                    np.concatenate([(lat <= self.deadlines[c]).astype(np.float64),
                                                    np.zeros(missed.size)]))
        return out

    def _warmup_detection(self, closed: list[tuple[float, str, str, str | None]]) -> tuple[int, dict[str, Any]]:
        """The cell the statistics start at, and MSER-5's findings per watched series (`sim.metrics.warmup`)."""
        series = self._series(closed)
        watched = [n for n in self.warmup_series if n in series and series[n][0].size] or \
            [f"{c}.latency" for c in CLASSES if len(self._trace_t[c])]
        cut = 1
        if self.auto_warmup:
            detected = applied_warmup([series[n] for n in watched])
            cut = min(math.ceil(detected / self._cstep - 1e-9), self._cells - 1) if detected > 0 else 0
            self.warmup = self._edge(cut)
        found = {}
        for name in watched:
            row = mser5(*series[name], self.warmup, self.duration)
            row["auto"] = self.auto_warmup
            found[name] = row
        return cut, found

    def summary(self) -> ReplicationSummary:
        """Close the books at `duration` and return what was measured. Call once. With `auto_warmup`, MSER-5 picks
        the warm-up first (`warmup` becomes the one applied)."""
        if self._summarised:
            raise RuntimeError("Collector.summary() was already called")
        self._summarised = True
        end = self.duration
        self._advance_n(end)
        closed = self._closed_unanswered()
        cut, detection = self._warmup_detection(closed)
        warmup = self.warmup
        window = end - warmup
        self._series_carry(self._ts_in_system, self._ts_in_system_last, self._n, self._bins - 1)

        messages = {k: int(self._counts[k]) for k in ("sent", *_TERMINAL, "duplicates", "duplicates_suppressed",
                                                       "accounting_errors", "answer_errors")}
        messages["in_flight"] = len(self._open)

        beyond: Counter[str] = Counter()
        for t_client, c, type_name, recipient in closed:
            if t_client >= warmup:
                self._count_deadline(c, type_name, recipient, False)
                beyond[c] += 1
                beyond[f"type.{type_name}"] += 1
        answered: dict[str, np.ndarray] = {}
        accepted: dict[str, np.ndarray] = {}
        type_lat: dict[str, list[np.ndarray]] = {}
        type_names = {i: name for name, i in self._type_ids.items()}
        rcpt_names = {i: name for name, i in self._rcpt_ids.items()}
        for c in CLASSES:
            keep = np.frombuffer(self._trace_t[c], dtype=np.float64) >= warmup
            lat = answered[c] = np.frombuffer(self._trace_lat[c], dtype=np.float64)[keep]
            accepted[c] = np.frombuffer(self._trace_acc[c], dtype=np.float64)[keep]
            types = np.array(self._trace_type[c], dtype=np.int64)[keep]
            rcpts = np.array(self._trace_rcpt[c], dtype=np.int64)[keep]
            within = lat <= self.deadlines[c]
            row = self._deadline_cls[c]
            row[0] += int(lat.size)
            row[1] += int(within.sum())
            for ids, names, table in ((types, type_names, self._deadline_type),
                                      (rcpts, rcpt_names, self._deadline_provider)):
                known = np.bincount(ids, minlength=len(names))
                hits = np.bincount(ids, weights=within, minlength=len(names))
                for i in np.flatnonzero(known):
                    row = table.setdefault(names[int(i)], [0, 0])
                    row[0] += int(known[i])
                    row[1] += int(hits[i])
            for i in np.unique(types):
                type_lat.setdefault(type_names[int(i)], []).append(lat[types == i])
        # every request is either answered (in the traces) or still open in `_requests`
        self._answered_after_warmup = sum(int(v.size) for v in answered.values())
        self._requests_after_warmup = self._answered_after_warmup + sum(
            1 for entry in self._requests.values() if entry[4] >= warmup)

        rt, asy = answered[REALTIME], answered[ASYNC]
        delivery = np.frombuffer(self._delivery_lat, dtype=np.float64)[
            np.frombuffer(self._delivery_t, dtype=np.float64) >= warmup]
        latency: dict[str, dict[str, float | None]] = {
            REALTIME: latency_stats(rt, beyond[REALTIME]), ASYNC: latency_stats(asy, beyond[ASYNC]),
            "delivery": latency_stats(delivery)}
        for c in CLASSES:
            latency[f"accepted.{c}"] = latency_stats(accepted[c], beyond[c])
        for type_name in sorted(set(type_lat) | {k[5:] for k in beyond if k.startswith("type.")}):
            parts = type_lat.get(type_name, [])
            samples = np.concatenate(parts) if parts else np.empty(0)
            latency[f"type.{type_name}"] = latency_stats(samples, beyond[f"type.{type_name}"])

        for meter in self._stations.values():  # the stations' tallies over the same window as the rest
            meter.cut(cut, end)
        for name, groups in sorted(self._busy_meters.items()):
            for meters in groups:
                seconds = sum(meter.busy_seconds(end) for meter in meters)
                if seconds > 1e-12:
                    comp = self._component(name)
                    comp.served = True
                    comp.measured += seconds
        components: dict[str, dict[str, float]] = {}
        queues: dict[str, list[int]] = {}
        lump_window = end - self.floor
        for name, comp in sorted(self._components.items()):
            self._area(comp.area, comp.depth, comp.depth_t, end)  # the depth held until the end
            if comp.series is not None:
                self._series_carry(comp.series, comp.last_bin, comp.depth, self._bins - 1)
                queues[name] = comp.series
                for i in range(comp.last_cell + 1, self._cells):  # held through the cells after the last change
                    if end > self._edge(i) and comp.depth > comp.cell_max[i]:
                        comp.cell_max[i] = comp.depth
            busy = sum(comp.busy[cut:]) + comp.lump * (window / lump_window) + comp.measured
            components[name] = {
                "capacity": comp.capacity,
                "utilisation": busy / (comp.capacity * window),
                "max_depth": max(comp.cell_max[cut:]),
                "mean_depth": sum(comp.area[cut:]) / window,
            }

        L = sum(self._n_area[cut:]) / window
        lam = sum(self._arrivals_cells[cut:]) / window
        sojourns = sum(self._sojourn_count[cut:])
        W = sum(self._sojourn_sum[cut:]) / sojourns if sojourns else None
        ll_err = abs(L - lam * W) / L if (W is not None and L > 0) else None
        littles = {"L": L, "lambda": lam, "W": W, "relative_error": ll_err, "in_system_at_end": self._n}

        participants: dict[str, dict[str, Any]] = {}
        names = set(self._provider_requests) | set(self._billed_messages) | set(self._blocked)
        for name in sorted(names):
            known, within = self._deadline_provider.get(name, (0, 0))
            participants[name] = {
                "requests": int(self._provider_requests[name]),
                "answered": int(self._provider_answered[name]),
                "rejected": int(self._provider_rejected[name]),
                "deadline_known": int(known),
                "within_deadline": int(within),
                "within_deadline_share": within / known if known else None,
                "billed_messages": int(self._billed_messages[name]),
                "billed_amount": float(self._billed_amount[name]),
                "blocked_at": self._blocked.get(name),
            }

        self._answered_in_window = sum(self._answered_cells[cut:])
        self._delivered_in_window = sum(self._delivered_cells[cut:])
        applications = {k: n for k, row in sorted(self._applications.items()) if (n := sum(row[cut:]))}
        logins = {k: n for k, row in sorted(self._logins.items()) if (n := sum(row[cut:]))}
        metrics = self._metrics(latency, components, littles, messages, applications, logins)
        groups = {name: StationMeter.combined(name, kind, meters, end)
                  for name, (kind, meters) in self._station_groups.items() if meters}
        stations = {name: meter.summary(end) for name, meter in sorted({**self._stations, **groups}.items())}
        return ReplicationSummary(
            duration=self.duration,
            warmup=self.warmup,
            metrics=metrics,
            messages=messages,
            rejected_by_reason=dict(sorted(self._rejected.items())),
            lost_by_reason=dict(sorted(self._lost.items())),
            latency=latency,
            latency_histograms={REALTIME: _histogram(rt), ASYNC: _histogram(asy)},
            participants=participants,
            components=components,
            timeseries={
                "step": self._step,
                "sent": list(self._ts_sent),
                "delivered": list(self._ts_delivered),
                "answered": list(self._ts_answered),
                "in_system": list(self._ts_in_system),
                "queues": queues,
            },
            faults=list(self._faults),
            blocked=[{"name": n, "t": t} for n, t in sorted(self._blocked.items(), key=lambda kv: (kv[1], kv[0]))],
            littles_law=littles,
            portal={"applications": applications, "logins": logins},
            share_counts=self._share_counts,
            stations=stations,
            warmup_detection=detection,
            warmup_auto=self.auto_warmup,
        )

    def _metrics(self, latency: dict[str, dict[str, float | None]], components: dict[str, dict[str, float]],
                 littles: dict[str, float | None], messages: dict[str, int], applications: dict[str, int],
                 logins_by: dict[str, int]) -> dict[str, float | None]:
        window = self.duration - self.warmup
        m: dict[str, float | None] = {}
        for family, key in (("realtime.latency", REALTIME), ("async.latency", ASYNC), ("delivery.latency", "delivery"),
                            ("realtime.accepted_latency", f"accepted.{REALTIME}"),
                            ("async.accepted_latency", f"accepted.{ASYNC}")):
            for stat in ("p50", "p95", "p99", "mean", "max"):
                m[f"{family}.{stat}"] = latency[key][stat]
        m["realtime.unanswered"] = float(latency[REALTIME]["unanswered"] or 0)
        m["async.unanswered"] = float(latency[ASYNC]["unanswered"] or 0)
        counts: dict[str, list[int]] = {}
        self._share_counts = counts
        for key, stats in latency.items():
            if key.startswith("type."):
                for stat in ("p50", "p95", "p99", "mean", "max"):
                    m[f"{key}.latency.{stat}"] = stats[stat]

        def share(name: str, row: tuple[int, int] | list[int] | None) -> None:
            if row and row[0]:
                m[name] = row[1] / row[0]
                counts[name] = [int(row[1]), int(row[0])]
            else:
                m[name] = None

        share("realtime.within_2s.share", self._deadline_cls[REALTIME])
        share("async.within_48h.share", self._deadline_cls[ASYNC])
        both = [self._deadline_cls[REALTIME][i] + self._deadline_cls[ASYNC][i] for i in (0, 1)]
        share("within_deadline.share", both)
        for type_name, row in sorted(self._deadline_type.items()):
            share(f"type.{type_name}.within_deadline.share", row)
        for name, row in sorted(self._deadline_provider.items()):
            share(f"participant.{name}.within_deadline.share", row)
        share("answered.share", [self._requests_after_warmup, self._answered_after_warmup])
        for k in ("sent", "delivered", "in_flight", "lost", "expired", "rejected"):
            m[f"messages.{k}"] = float(messages[k])
        m["messages.duplicates_delivered"] = float(messages["duplicates"])
        m["messages.duplicates_suppressed"] = float(messages["duplicates_suppressed"])
        share("messages.lost.share", [messages["sent"], messages["lost"]])
        m["throughput.answered_per_s"] = self._answered_in_window / window
        m["throughput.delivered_per_s"] = self._delivered_in_window / window
        apps = sum(applications.values())
        share("portal.availability", [apps, apps - applications.get("refused", 0)])
        logins = sum(logins_by.values())
        share("portal.login.success.share", [logins, logins_by.get("success", 0)])
        m["queue.max_depth"] = float(max((c["max_depth"] for c in components.values()), default=0))
        utils = {name: c["utilisation"] for name, c in components.items() if self._components[name].served}
        for name, u in utils.items():
            m[f"utilisation.{name}"] = u
        m["utilisation.max"] = max(utils.values(), default=None)
        m["participants.blocked"] = float(len(self._blocked))
        m["littles_law.relative_error"] = littles["relative_error"]
        return {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)) for k, v in m.items()}

