"""A reference queue with a known theory, fed through the real `Collector`: an M/M/1 (or M/D/1) request-answer trace.

It exercises the measurement, statistics and report pipeline end to end without the infrastructure model, so that
the pipeline can be checked against theory (mean sojourn 1/(mu - lambda) for M/M/1; Little's law) and the runner can
be tested in isolation. It is not the simulator: `sim.model.simulate` is.
"""

from __future__ import annotations

import numpy as np

from sim.metrics.collector import ASYNC, REALTIME, Collector, ReplicationSummary


def single_server_replication(
    arrival_rate: float,
    service_rate: float,
    duration: float,
    warmup: float,
    seed: np.random.SeedSequence | int,
    *,
    deterministic_service: bool = False,
    realtime: bool = True,
    type_name: str = "reference",
    auto_warmup: bool = False,
    backlog: int = 0,
) -> ReplicationSummary:
    """One replication of a FIFO single-server queue with Poisson arrivals; each request is delivered and answered
    at its departure (Lindley recursion), and the server's busy periods and queue depth are recorded. `backlog`
    requests arrive at t = 0 (a queue started full, a transient with a known end); `auto_warmup` lets MSER-5 find
    the warm-up."""
    rng = np.random.default_rng(seed)
    c = Collector(duration, warmup, auto_warmup=auto_warmup,
                  warmup_series=("realtime.latency",) if realtime else ("async.latency",))
    c.component("server", 1)
    meter = c.station("server", 1, "station")
    expected = int(arrival_rate * duration * 1.2) + 100
    arrivals = np.cumsum(rng.exponential(1.0 / arrival_rate, expected))
    while arrivals[-1] < duration:  # rare: draw more
        arrivals = np.concatenate([arrivals, arrivals[-1] + np.cumsum(rng.exponential(1.0 / arrival_rate, expected))])
    arrivals = np.concatenate([np.zeros(backlog), arrivals[arrivals < duration]])
    if deterministic_service:
        services = np.full(arrivals.size, 1.0 / service_rate)
    else:
        services = rng.exponential(1.0 / service_rate, arrivals.size)
    cls = REALTIME if realtime else ASYNC
    departures = np.empty(arrivals.size)
    starts = np.empty(arrivals.size)
    free_at = 0.0
    for i, (a, s) in enumerate(zip(arrivals, services, strict=True)):
        start = a if a > free_at else free_at
        free_at = start + s
        starts[i] = start
        departures[i] = free_at
    # replay the trace in time order: departures, then starts, then arrivals at equal times
    n_arr = arrivals.size
    events = np.concatenate([departures, starts, arrivals])
    order = np.lexsort((np.repeat([0, 1, 2], n_arr), events))
    depth = 0
    for k in order:
        kind, i = divmod(int(k), n_arr)
        if kind == 2:
            t = float(arrivals[i])
            c.message_sent(i, "request", type_name, cls, "consumer", "provider", t)
            meter.arrive(t)
            depth += 1
            c.queue_depth("server", depth, t)
        elif kind == 1:
            if starts[i] <= duration:
                meter.start(float(starts[i]), float(arrivals[i]))
        else:
            t = float(departures[i])
            if t > duration:
                continue
            c.message_delivered(i, t)
            c.request_answered(i, t)
            c.busy("server", t - float(services[i]), t)
            meter.finish(t, float(arrivals[i]))
            depth -= 1
            c.queue_depth("server", depth, t)
    return c.summary()
