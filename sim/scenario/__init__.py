"""Scenarios: the YAML schema, units, distributions, loading with line-accurate errors.

A scenario file is one YAML mapping with the sections `name`, `description`, `topology` (data centres, links, bus,
portal, ESIA, CA, regions, participants), `message_types`, `workload` (profiles, flows, portal services, bursts),
`policies`, `faults`, `slos` and `run`. `scenarios/reference.yaml` shows every field with its default;
`smev-sim validate --explain` prints the same table (from `sim.scenario.schema`, the single source of defaults).

Grammar of values (see `conformance.yamlnodes.quantities` and `sim.scenario.distributions`):
    durations `150ms 2s 5min 48h 2d`, rates `2/s 120/min`, sizes `64KiB 5MiB 1kB`, bandwidth `100Mbit/s`,
    shares `99.9%`, times of day `"09:00"`; distributions `exp(150ms)`, `const(20ms)`, `uniform(10ms, 50ms)`,
    `normal(1s, 200ms)`, `lognormal(median=200ms, sigma=0.5)`, `erlang(3, 1s)`, `discrete(1s: 30%, 5s: 70%)`;
    SLOs `metric op threshold`, e.g. `realtime.latency.p99 <= 2s` (metric names from `sim.metrics.catalogue`).
Named things are mappings from a name to settings, so every setting has a dotted path
(`topology.data_centres.moscow-1.bus_nodes`) for errors, `with_overrides(scenario, {path: value})` and `run.sweep`
(`sweep_points(scenario)`).

`load(path)` and `loads(text, source=...)` return a validated, frozen `sim.scenario.model.Scenario` (SI units) or
raise `sim.errors.ScenarioError` listing every problem as `FILE:LINE: path.to.field: what is wrong`.
"""

from __future__ import annotations

from pathlib import Path

from sim.scenario.loader import load_file, load_text, sweep_points, with_overrides
from sim.scenario.model import Scenario

__all__ = ["load", "loads", "with_overrides", "sweep_points"]


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    return load_file(path)


def loads(text: str, source: str = "<string>") -> Scenario:
    """Validate scenario text; `source` names it in error messages."""
    return load_text(text, source)
