"""The fault timeline: each scenario fault is applied at its start and reverted at its end (`FaultInjector`, which
dispatches to the fault's kind in `sim.scenario.faultkinds`), and participants with availability below 1 get random
outages (`schedule_outages`)."""

from sim.faults.injector import FaultInjector, schedule_outages

__all__ = ["FaultInjector", "schedule_outages"]
