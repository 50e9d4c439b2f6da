"""The SimPy model of the interaction infrastructure: portal, ESIA, CA, the bus, regional buses, participants,
data centres and network. Entry point: `simulate(scenario, seed, *, audit_path=None) -> ReplicationSummary`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from sim.metrics.collector import ReplicationSummary
    from sim.scenario.model import Scenario

__all__ = ["simulate"]


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence, *,
             audit_path: str | Path | None = None) -> ReplicationSummary:
    """Run one replication: a pure function of (scenario, seed). See `sim.model.replication`."""
    from sim.model.replication import simulate as run

    return run(scenario, seed, audit_path=audit_path)
