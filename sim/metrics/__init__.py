"""Measurement of a replication (`Collector`), the metric catalogue SLOs name, statistics across replications."""

from sim.metrics.catalogue import METRICS, MetricInfo, is_known_metric, metric_info
from sim.metrics.collector import Collector, ReplicationSummary

__all__ = ["METRICS", "Collector", "MetricInfo", "ReplicationSummary", "is_known_metric", "metric_info"]
