"""A real (loaded) scenario and a stand-in `simulate` that maps it onto a single-server queue, for report and CLI
tests that must not depend on the infrastructure model's speed or details."""

from __future__ import annotations

from pathlib import Path

from sim.metrics.reference import single_server_replication

TINY = """\
name: {name}
description: a consumer asks a provider through the bus
topology:
  data_centres:
    dc-1: {{bus_nodes: 1}}
  participants:
    agency: {{kind: federal-agency, data_centre: dc-1, role: provider, processing_time: exp(250ms), concurrency: 1}}
    bank: {{kind: bank, data_centre: dc-1, role: consumer}}
message_types:
  passport: {{provider: agency, consumers: [bank], realtime: true}}
workload:
  flows:
    checks: {{consumer: bank, type: passport, rate: 2/s}}
policies: {{replication_factor: 1}}
slos:
{slos}
run:
  duration: 20min
  warmup: 2min
  replications: 3
  seed: 42
{sweep}
"""

PASSING_SLOS = "  rt-mean: realtime.latency.mean <= 5s\n  nothing-lost: messages.lost == 0"
FAILING_SLOS = "  rt-p99: realtime.latency.p99 <= 100ms\n  nothing-lost: messages.lost == 0"
SWEEP = ("  sweep:\n    parameter: topology.participants.agency.concurrency\n    values: [1, 2, 4]\n")


def tiny_yaml(name: str = "tiny", slos: str = PASSING_SLOS, sweep: str = "") -> str:
    return TINY.format(name=name, slos=slos, sweep=sweep)


def tiny_file(tmp_path: Path, **kwargs: str) -> Path:
    """`tiny_yaml(**kwargs)` written to `tmp_path/tiny.yaml`."""
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny_yaml(**kwargs))
    return path


def queue_simulate(scenario, seed, *, audit_path=None):
    """Requests of every flow form a Poisson stream into the provider, served as one server `concurrency` times
    faster than one processing slot; arrival rates are scaled by run.traffic_scale."""
    rate = sum(f.rate for f in scenario.workload.flows) * scenario.run.traffic_scale
    mt = next(iter(scenario.message_types.values()))
    provider = scenario.participants.get(mt.provider)
    service_rate = provider.concurrency / provider.processing_time.mean
    if audit_path is not None:
        audit_path.write_text("{}\n")
    return single_server_replication(rate, service_rate, scenario.run.duration, scenario.run.warmup, seed,
                                     realtime=mt.realtime, type_name=mt.name)
