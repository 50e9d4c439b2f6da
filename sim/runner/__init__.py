"""Replications with independent seeds, the precision loop, sweeps, and the whole run (`execute`); where they run
(this process, a spawn process pool, a Dask cluster) is `sim.runner.executors`."""

from sim.runner.executors import dask_cluster, open_executor, process_pool, sequential_map
from sim.runner.orchestrator import PointResult, Progress, RunResult, SweepResult, execute
from sim.runner.replications import (
    Precision,
    ReplicationFailed,
    ReplicationSet,
    replication_seed,
    run_replications,
)

__all__ = ["PointResult", "Precision", "Progress", "ReplicationFailed", "ReplicationSet", "RunResult", "SweepResult",
           "dask_cluster", "execute", "open_executor", "process_pool", "replication_seed", "run_replications",
           "sequential_map"]
