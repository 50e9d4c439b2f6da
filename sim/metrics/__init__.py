"""Measurement of a replication (`Collector`), the metric catalogue SLOs name, statistics across replications."""

from sim.metrics.catalogue import METRICS, MetricInfo, is_known_metric, metric_info
from sim.metrics.collector import Collector, ReplicationSummary
from sim.metrics.slo import SloVerdict, evaluate
from sim.metrics.stats import Interval, confidence_interval

__all__ = ["METRICS", "Collector", "Interval", "MetricInfo", "ReplicationSummary", "SloVerdict", "confidence_interval",
           "evaluate", "is_known_metric", "metric_info"]
