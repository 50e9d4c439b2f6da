"""Workload: arrival processes (Poisson, daily profiles, bursts) that drive the model's sources."""

from sim.workload.arrivals import ArrivalStream, PiecewiseRate, flow_rate

__all__ = ["ArrivalStream", "PiecewiseRate", "flow_rate"]
