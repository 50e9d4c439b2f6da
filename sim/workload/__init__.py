"""Workload: arrival processes (Poisson, daily profiles, bursts) that drive the model's sources."""

from sim.workload.arrivals import ArrivalStream, PiecewiseRate

__all__ = ["ArrivalStream", "PiecewiseRate"]
