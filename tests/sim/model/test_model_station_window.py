"""The model's station tables under `run.warmup: auto` cover the same window as its SLO metrics: a run whose
warm-up MSER-5 finds, and the same run with that warm-up fixed, give the same table for every station (bus node
entrances and delivery stores shared with background jobs, a link carrying a background load, a provider whose
workers serve background requests), and that table differs from one measured from t = 0."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from job_lists import ListStream

from sim.engine import Kernel
from sim.metrics.cells import Cells
from sim.metrics.stations import StationMeter
from sim.model import simulate
from sim.model.background import PooledStation, StationFeed, WorkerPool
from sim.scenario import loads

SCENARIO = """
name: station-window
topology:
  data_centres: {dc-a: {bus_nodes: 2}, dc-b: {bus_nodes: 0}}
  links:
    - {between: [dc-a, dc-b], latency: const(1ms), bandwidth: 80Mbit/s}
  bus: {node_concurrency: 2, ingress_time: exp(0.1s), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc-b, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc-a, role: provider, polling_interval: 1us,
               concurrency: 2, processing_time: exp(0.25s)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: exp(100KB), answer_size: exp(100KB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 4/s}
  bursts:
    opening: {at: 0s, duration: 3min, factor: 1.9, flows: [calls]}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1, retry: {timeout: 1h}}
slos:
  latency: async.latency.mean <= 10s
run: {duration: 25min, WARMUP replications: 1, seed: 3, tagged_share: 50%}
"""


def _run(warmup: str):
    return simulate(loads(SCENARIO.replace("WARMUP", warmup), source="<station-window>"), 11)


def test_auto_warm_up_station_tables_equal_a_fixed_warm_up_at_the_applied_point_not_time_zero():
    auto = _run("")
    assert auto.warmup_auto and auto.warmup >= 120.0  # the opening burst is cut off
    fixed = _run(f"warmup: {auto.warmup}s,")
    whole = _run("warmup: 0s,")
    assert set(auto.stations) == set(fixed.stations) and len(auto.stations) >= 8
    for name, row in auto.stations.items():
        for key, value in row.items():
            other = fixed.stations[name][key]
            if isinstance(value, float) and isinstance(other, float):
                assert value == pytest.approx(other, rel=1e-9, abs=1e-12), (name, key)
            else:
                assert value == other, (name, key)
    for name in ("participant.provider", "smev.dc-a"):  # component utilisations too, background included
        assert auto.components[name]["utilisation"] == pytest.approx(fixed.components[name]["utilisation"])
    # the burst is in a t = 0 table and not in the auto one
    for name in ("participant.provider", "smev.dc-a.entrance", "link.dc-a-dc-b"):
        assert whole.stations[name]["arrivals_per_s"] > 1.05 * auto.stations[name]["arrivals_per_s"], name
        assert whole.stations[name]["utilisation"] > auto.stations[name]["utilisation"], name


_background = st.lists(st.tuples(st.floats(0.0, 100.0).map(lambda x: round(x, 3)), st.floats(0.01, 20.0)),
                       min_size=1, max_size=40)


@settings(max_examples=80, deadline=None)
@given(background=_background, advances=st.lists(st.floats(0.0, 100.0), max_size=4), nodes=st.integers(1, 3),
       cut=st.integers(0, 49))
def test_background_busy_time_on_the_grid_cut_at_an_edge_is_a_fixed_warm_up_there(background, advances, nodes, cut):
    """Bus nodes fed by one background stream and a provider's worker pool, advanced rarely (a batch over many
    cells, jobs longer than a cell): their busy time on the 2 s grid, cut at an edge, is what a fixed warm-up at
    that edge measures."""
    horizon, bins = 100.0, 50
    grid = Cells(horizon, 0.0, bins)
    edge = grid.edge(cut)
    busy = {}
    for mode, cells, warmup in (("grid", grid, 0.0), ("fixed", None, edge)):
        kernel = Kernel(np.random.default_rng(0), horizon)
        stations: list[PooledStation] = []
        feed = StationFeed(ListStream(background), lambda stations=stations: stations, warmup, horizon, cells=cells)
        for i in range(nodes):
            meter = StationMeter(f"n{i}", 1, warmup, horizon=horizon, cells=cells)
            stations.append(PooledStation(kernel, f"n{i}", 1, [feed], meter=meter))
        pool = WorkerPool(kernel, nodes, ListStream(background), warmup, 0.0, lambda: 1.0, cells=cells)
        provider = StationMeter("p", nodes, warmup, horizon=horizon, cells=cells)
        for t in sorted(advances):
            feed.advance(t)
            pool.advance(t)
        feed.advance(horizon)
        pool.book(provider)
        meters = [s.meter for s in stations] + [provider]
        for meter in meters:
            meter.cut(cut, horizon)
        busy[mode] = [meter.busy_seconds(horizon) for meter in meters]
    assert busy["grid"] == pytest.approx(busy["fixed"], abs=1e-9)
