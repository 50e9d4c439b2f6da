"""Measurement and statistics of the simulator, one module each (imported directly; this package imports nothing, so
that reading the catalogue stays cheap):

- `sim.metrics.catalogue`: the metric names an SLO may use (`METRICS`, `is_known_metric`, `metric_info`);
- `sim.metrics.collector`: the `Collector` the model calls while a replication runs, and its `ReplicationSummary`;
- `sim.metrics.stats`: Student t confidence intervals across replications;
- `sim.metrics.slo`: SLO verdicts on whole intervals;
- `sim.metrics.reference`: a single-server queue with known theory, fed through the real collector.
"""
