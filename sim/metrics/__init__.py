"""Measurement and statistics of the simulator, one module each (imported directly; this package imports nothing, so
that reading the catalogue stays cheap):

- `sim.metrics.catalogue`: the metric names an SLO may use (`METRICS`, `is_known_metric`, `metric_info`);
- `sim.metrics.collector`: the `Collector` the model calls while a replication runs, and its `ReplicationSummary`;
- `sim.metrics.stats`: confidence intervals across replications that respect the metric's range;
- `sim.metrics.intervals`: the one way to get a metric's interval from replication summaries;
- `sim.metrics.slo`: SLO verdicts (PASS / FAIL / INCONCLUSIVE) on whole intervals;
- `sim.metrics.cells`: the time cells statistics accumulate in, cut at the warm-up's edge once it is known;
- `sim.metrics.stations`: per-station results and the `StationMeter` protocol a service centre reports through;
- `sim.metrics.warmup`: MSER-5 warm-up detection and the non-stationarity check;
- `sim.metrics.reference`: a single-server queue with known theory, fed through the real collector.
"""
