"""Replications with independent seeds, the precision loop, sweeps, and the whole run (`execute`)."""

from sim.runner.orchestrator import PointResult, Progress, RunResult, SweepResult, execute
from sim.runner.replications import Precision, ReplicationSet, replication_seed, run_replications

__all__ = ["PointResult", "Precision", "Progress", "ReplicationSet", "RunResult", "SweepResult", "execute",
           "replication_seed", "run_replications"]
