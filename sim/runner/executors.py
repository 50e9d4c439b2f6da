"""Where replications run: in this process, on a local process pool (spawn start), or on a Dask distributed cluster.

Each executor is a `map_fn(fn, tasks)` that yields `(position, fn(task))` pairs as the tasks complete, so progress
follows finished replications whatever their order; the runner puts results back in replication order, which is why a
run's numbers do not depend on where it ran. `fn` and every task must be picklable (top-level functions, frozen
dataclasses): a worker receives the scenario and the seed and builds the SimPy environment itself.

A pending task is cancelled as soon as the caller stops reading (a replication failed, or the user interrupted).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from sim.errors import SimError

MapFn = Callable[[Callable[[Any], Any], Sequence[Any]], Iterator[tuple[int, Any]]]
LOCAL = "local"
"""`--scheduler local`: start a Dask LocalCluster on this machine for the run."""
CONNECT_TIMEOUT = "10s"


class WorkerLost(SimError):
    """A worker process or Dask worker died (killed, out of memory) while it ran a replication."""


def _transport_failure(position: int, exc: Exception) -> str:
    """Replications catch their own errors (`replications.attempt`), so what reaches here is the executor's."""
    return f"task {position} of this batch could not be run on a worker: {type(exc).__name__}: {exc}"


def sequential_map(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    """Run the tasks one after another in this process."""
    for position, task in enumerate(tasks):
        yield position, fn(task)


@contextmanager
def process_pool(workers: int) -> Iterator[MapFn]:
    """A `map_fn` over `workers` local processes started with `spawn` (a clean interpreter: nothing inherited from
    the parent's state, the same on every platform)."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))

    def map_fn(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        futures = {pool.submit(fn, task): position for position, task in enumerate(tasks)}
        try:
            for future in as_completed(futures):
                position = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool as exc:
                    raise WorkerLost(f"a worker process died while running task {position} of this batch "
                                     f"(killed or out of memory?): {exc}") from None
                except Exception as exc:  # the task or its result could not cross the process boundary
                    raise WorkerLost(_transport_failure(position, exc)) from None
                yield position, result
        finally:
            for future in futures:
                future.cancel()

    try:
        yield map_fn
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask_cluster(address: str, workers: int | None = None, *, processes: bool = True) -> Iterator[MapFn]:
    """A `map_fn` on a Dask distributed cluster: the scheduler at `address` (e.g. tcp://10.0.0.5:8786), or, for
    `address == "local"`, a LocalCluster of `workers` single-threaded workers (default: one per CPU) started here
    and stopped at the end. The cluster's workers need this package installed (the same version)."""
    try:
        from distributed import Client, LocalCluster, as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SimError(f"--scheduler needs dask[distributed]: {exc}") from None

    cluster = None
    try:
        if address == LOCAL:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=processes, dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise SimError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None

    def map_fn(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        futures = client.map(fn, list(tasks), pure=False)
        positions = {future.key: position for position, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                position = positions[future.key]
                try:
                    result = future.result()
                except (KilledWorker, FutureCancelledError) as exc:
                    raise WorkerLost(f"the Dask cluster lost task {position} of this batch: {exc}") from None
                except Exception as exc:  # the task or its result could not cross to or from the worker
                    raise WorkerLost(_transport_failure(position, exc)) from None
                yield position, result
        finally:
            client.cancel(futures)

    try:
        yield map_fn
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def describe(workers: int | None, scheduler: str | None) -> str:
    """How a run's replications were executed, for the report's timing section."""
    if scheduler == LOCAL:
        return f"dask LocalCluster ({workers or os.cpu_count() or 1} workers)"
    if scheduler is not None:
        return f"dask cluster at {scheduler}"
    if workers and workers > 1:
        return f"process pool ({workers} workers, spawn)"
    return "one process"


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None, *,
                  processes: bool = True) -> Iterator[MapFn]:
    """The executor the command line asked for: `scheduler` (an address or "local") wins, then a pool of
    `workers` > 1 processes, else this process."""
    if scheduler is not None:
        if scheduler != LOCAL and workers is not None:
            raise SimError("--workers sizes the local pool or `--scheduler local`; a remote cluster has its own "
                           "workers")
        with dask_cluster(scheduler, workers, processes=processes) as map_fn:
            yield map_fn
    elif workers is not None and workers > 1:
        with process_pool(workers) as map_fn:
            yield map_fn
    else:
        yield sequential_map
