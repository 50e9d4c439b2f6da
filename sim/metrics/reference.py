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
) -> ReplicationSummary:
    """One replication of a FIFO single-server queue with Poisson arrivals; each request is delivered and answered
    at its departure (Lindley recursion), and the server's busy periods and queue depth are recorded."""
    rng = np.random.default_rng(seed)
    c = Collector(duration, warmup)
    c.component("server", 1)
    expected = int(arrival_rate * duration * 1.2) + 100
    arrivals = np.cumsum(rng.exponential(1.0 / arrival_rate, expected))
    while arrivals[-1] < duration:  # rare: draw more
        arrivals = np.concatenate([arrivals, arrivals[-1] + np.cumsum(rng.exponential(1.0 / arrival_rate, expected))])
    arrivals = arrivals[arrivals < duration]
    if deterministic_service:
        services = np.full(arrivals.size, 1.0 / service_rate)
    else:
        services = rng.exponential(1.0 / service_rate, arrivals.size)
    cls = REALTIME if realtime else ASYNC
    departures = np.empty(arrivals.size)
    free_at = 0.0
    for i, (a, s) in enumerate(zip(arrivals, services, strict=True)):
        start = a if a > free_at else free_at
        free_at = start + s
        departures[i] = free_at
    # replay the trace in time order: arrivals and departures interleaved
    events = np.concatenate([arrivals, departures])
    order = np.argsort(events, kind="stable")
    n_arr = arrivals.size
    depth = 0
    for k in order:
        if k < n_arr:
            t = float(arrivals[k])
            c.message_sent(int(k), "request", type_name, cls, "consumer", "provider", t)
            depth += 1
            c.queue_depth("server", depth, t)
        else:
            i = int(k - n_arr)
            t = float(departures[i])
            if t > duration:
                continue
            c.message_delivered(i, t)
            c.request_answered(i, t)
            c.busy("server", t - float(services[i]), t)
            depth -= 1
            c.queue_depth("server", depth, t)
    return c.summary()
