"""Stand-in `simulate` functions for the scale-out tests: importable by name, so spawned workers can run them."""

from __future__ import annotations

import os
import time

from sim.metrics.reference import single_server_replication


def _index(seed) -> int:
    return int(seed.spawn_key[0])


def queue(scenario, seed, *, audit_path=None):
    """Every flow into the first type's provider as one fast single-server queue (see tests/sim/report)."""
    rate = sum(f.rate for f in scenario.workload.flows) * scenario.run.traffic_scale
    mt = next(iter(scenario.message_types.values()))
    provider = scenario.participants.get(mt.provider)
    service_rate = provider.concurrency / provider.processing_time.mean
    return single_server_replication(rate, service_rate, scenario.run.duration, scenario.run.warmup, seed,
                                     realtime=mt.realtime, type_name=mt.name)


def fails_on_replication_1(scenario, seed, *, audit_path=None):
    if _index(seed) == 1:
        raise ZeroDivisionError("the provider has no workers left")
    return queue(scenario, seed)


def dies_on_replication_1(scenario, seed, *, audit_path=None):
    if _index(seed) == 1:
        os._exit(3)  # a worker killed from outside (out of memory, kill -9)
    return queue(scenario, seed)


SYNC_DIR = "RUNNER_SCALE_SYNC_DIR"
"""Environment variable (spawned workers inherit it): where replications leave a file when they end."""


def replication_0_ends_last(scenario, seed, *, audit_path=None):
    """Replication 0 ends only after replications 1-3 have (or after 30 s, so a wrong pool cannot hang a test)."""
    from pathlib import Path

    sync = Path(os.environ[SYNC_DIR])
    index = _index(seed)
    summary = queue(scenario, seed)
    if index == 0:
        deadline = time.monotonic() + 30.0
        while not all((sync / f"done-{i}").exists() for i in (1, 2, 3)) and time.monotonic() < deadline:
            time.sleep(0.02)
    else:
        (sync / f"done-{index}").touch()
    return summary


MARK = "as imported"


def mark(_task) -> str:
    """The module's MARK as the worker sees it: a forked worker would inherit the parent's change."""
    return MARK


def queue_with_audit(scenario, seed, *, audit_path=None):
    if audit_path is not None:
        audit_path.write_text(f'{{"replication": {_index(seed)}}}\n')
    return queue(scenario, seed)
