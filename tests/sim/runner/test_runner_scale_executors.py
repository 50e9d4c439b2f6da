"""Scale-out of studies: one process, a spawn process pool and Dask give the same report; failures are named;
progress follows completed replications."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import runner_scale_fakes as fakes

from sim.cli import main
from sim.runner import execute
from sim.runner.executors import WorkerLost, dask_cluster, open_executor, process_pool, sequential_map
from sim.runner.replications import Point, ReplicationFailed, ReplicationSet, run_points
from sim.scenario import loads

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "report"))
from report_fakes import SWEEP, tiny_yaml  # noqa: E402

SHORT_SWEEP = tiny_yaml(sweep=SWEEP).replace("duration: 20min", "duration: 6min")


def _report(tmp_path: Path, name: str, *options: str) -> dict:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(SHORT_SWEEP)
    out = tmp_path / name
    assert main(["run", str(scenario), "-o", str(out), "-q", "-n", "3", *options]) == 0
    report = json.loads((out / "report.json").read_text())
    return report


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
def test_one_process_pool_and_dask_give_the_same_report(tmp_path):
    """The real model, a three-point sweep: every number of report.json is the same whichever way it ran."""
    one = _report(tmp_path, "one")
    pool = _report(tmp_path, "pool", "--workers", "2")
    dask = _report(tmp_path, "dask", "--scheduler", "local", "--workers", "2")
    assert one["timing"]["executor"] == "one process"
    assert pool["timing"]["executor"] == "process pool (2 workers, spawn)"
    assert dask["timing"]["executor"] == "dask LocalCluster (2 workers)"
    assert len(one["sweep"]["values"]) == 3 and one["messages"]["delivered"] > 0
    for report in (one, pool, dask):
        report.pop("timing")
    assert one == pool == dask


@pytest.mark.slow  # measured: 15 s on a loaded 2-core machine
def test_an_existing_cluster_by_address(tmp_path, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr("sim.runner.orchestrator.default_simulate", lambda: fakes.queue)
    reference = _report(tmp_path, "ref")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = _report(tmp_path, "remote", "--scheduler", cluster.scheduler_address)
    assert remote.pop("timing")["executor"] == f"dask cluster at {cluster.scheduler_address}"
    reference.pop("timing")
    assert remote == reference


@pytest.mark.slow  # measured: 7 s on a loaded 2-core machine
def test_the_pool_starts_workers_with_spawn(monkeypatch):
    monkeypatch.setattr(fakes, "MARK", "changed in the parent")
    with process_pool(1) as map_fn:
        [(_, seen)] = list(map_fn(fakes.mark, [None]))
    assert seen == "as imported"  # a fresh interpreter, not a fork of this one


@pytest.mark.slow  # measured: 11 s on a loaded 2-core machine
@pytest.mark.parametrize("executor", ["sequential", "pool", "dask"])
def test_a_failed_replication_stops_the_run_and_is_named(executor):
    scenario = loads(tiny_yaml())
    contexts = {"sequential": lambda: open_executor(), "pool": lambda: process_pool(2),
                "dask": lambda: dask_cluster("local", 2, processes=False)}
    with contexts[executor]() as map_fn, pytest.raises(ReplicationFailed) as caught:
        execute(scenario, replications=4, simulate=fakes.fails_on_replication_1, map_fn=map_fn)
    message = str(caught.value)
    assert message.startswith("replication 1 of tiny (seed 42, spawn_key [1]) failed at ")
    assert "runner_scale_fakes.py" in message and "in fails_on_replication_1" in message
    assert message.endswith("ZeroDivisionError: the provider has no workers left")
    assert "Traceback" in caught.value.failure.traceback


@pytest.mark.slow  # measured: 9 s on a loaded 2-core machine
def test_the_command_line_exits_2_naming_the_failed_replication(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sim.runner.orchestrator.default_simulate", lambda: fakes.fails_on_replication_1)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(tiny_yaml())
    assert main(["run", str(scenario), "-o", str(tmp_path / "o"), "-q", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "smev-sim: error: replication 1 of tiny (seed 42, spawn_key [1]) failed" in err
    assert "ZeroDivisionError" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "report.json").exists()


@pytest.mark.slow  # measured: 10 s on a loaded 2-core machine
def test_a_dead_worker_process_is_reported():
    scenario = loads(tiny_yaml())
    with process_pool(2) as map_fn, pytest.raises(WorkerLost, match="worker process died"):
        execute(scenario, replications=3, simulate=fakes.dies_on_replication_1, map_fn=map_fn)


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
def test_progress_follows_completion_and_results_keep_replication_order(tmp_path, monkeypatch):
    monkeypatch.setenv(fakes.SYNC_DIR, str(tmp_path))
    scenario = loads(tiny_yaml())
    finished: list[int] = []
    point = Point(scenario, ReplicationSet(5), on_replication=lambda s: finished.append(s.seed["spawn_key"][0]))
    with process_pool(2) as map_fn:
        run_points([point], 4, simulate=fakes.replication_0_ends_last, map_fn=map_fn)
    assert finished[-1] == 0 and sorted(finished) == [0, 1, 2, 3]  # replication 0 is reported when it ends
    assert [s.seed["spawn_key"] for s in point.rset.summaries] == [[0], [1], [2], [3]]
    alone = ReplicationSet(5)
    run_points([Point(scenario, alone)], 4, simulate=fakes.queue, map_fn=sequential_map)
    assert [s.metrics for s in alone.summaries] == [s.metrics for s in point.rset.summaries]


def test_workers_cannot_size_a_remote_cluster(tmp_path, capsys):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(tiny_yaml())
    assert main(["run", str(scenario), "-q", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"]) == 2
    assert "a remote cluster has its own workers" in capsys.readouterr().err


def test_an_audited_run_stays_on_this_machine(tmp_path, capsys):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(tiny_yaml())
    assert main(["run", str(scenario), "-q", "--audit", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--audit writes one file per replication" in capsys.readouterr().err


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
def test_an_audited_run_on_a_local_cluster_writes_every_replication(tmp_path, monkeypatch):
    monkeypatch.setattr("sim.runner.orchestrator.default_simulate", lambda: fakes.queue_with_audit)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(tiny_yaml())
    out = tmp_path / "o"
    with dask_cluster("local", 2, processes=False) as map_fn:
        execute(loads(tiny_yaml()), replications=3, map_fn=map_fn, audit_dir=out)
    assert sorted(p.name for p in out.iterdir()) == [f"replication-{i:03d}.jsonl" for i in range(3)]


@pytest.mark.parametrize("executor", ["pool", "dask"])
def test_an_error_outside_a_replication_is_reported(executor):
    """Replications report their own errors; what the executor meets (a task that cannot be pickled for a worker
    process, a function failing on a Dask worker) still ends as one named error, not a raw exception."""
    if executor == "pool":
        context, fn, tasks = process_pool(1), fakes.mark, [lambda: None]  # a lambda does not pickle
    else:
        context, fn, tasks = dask_cluster("local", 1, processes=False), int, ["not a number"]
    with context as map_fn, pytest.raises(WorkerLost, match="task 0 of this batch could not be run on a worker: "):
        list(map_fn(fn, tasks))
