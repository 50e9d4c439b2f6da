"""The mutation score: the shipped provider and consumer suites, run by the suite engine through the bus double,
pass the reference participant and catch every broken twin in the case its finding names.

The participants run in process (the provider polls, the consumer serves its HTTP trigger) on free ports; the
shipped participant.yaml of each is loaded and pointed at them. A twin is run on one real-time type and only the
case its finding names (the full suites against every twin: `make`-free, see the report's figures).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.reference.bus_setup import reference_credentials, reference_types
from conformance.reference.common import Settings
from conformance.reference.participant_files import DIRECTORY, REGISTRY_FILE
from conformance.reference.runner import start_consumer, start_provider
from conformance.reference.variants import REFERENCE, VARIANTS, Variant
from conformance.rules.model import Status
from conformance.suites.engine import Engine, RunSettings
from conformance.suites.lint import load
from conformance.suites.participant import TriggerSpec, load_participant

FAST = dict(deadline_scale=0.00002, ack_timeout=2.0, poll=0.02, wait_scale=0.2)
ONE_TYPE = "sfr-snils-check"  # real time: 2 s to answer
QUICK = dict(poll_interval=0.02, backoff=1.0, max_backoff=2.0, attempts=3)


def run_engine(variant: Variant, role: str, cases: tuple[str, ...] | None = None, all_types: bool = False):
    """Findings of the suite of `role` against `variant`, run by the engine (only `cases` when given)."""
    suite = load(role)
    if cases is not None:
        suite = dataclasses.replace(suite, cases=tuple(c for c in suite.cases if c.id in cases))
    settings = RunSettings(registry_path=str(REGISTRY_FILE), **FAST)
    bus = Bus(reference_types(), config=BusConfig(ack_timeout=settings.ack_timeout),
              credentials=reference_credentials(**{role: variant}))
    served = start(bus)
    participant = load_participant(DIRECTORY / f"{variant.name}.{role}.yaml")
    types = participant.types if all_types else tuple(t for t in participant.types if t.name == ONE_TYPE)
    handle, state = tempfile.mkstemp(suffix=".sqlite")  # a durable state: `crash` steps restart the participant
    os.close(handle)
    own = Settings(bus_url=served.url, variant=variant, state=state, **QUICK)  # type: ignore[arg-type]
    running = start_provider(own) if role == "provider" else start_consumer(own, trigger=("127.0.0.1", 0))
    trigger = TriggerSpec(http_url=running.trigger.url + "?type={type}") if running.trigger else None
    participant = dataclasses.replace(participant, bus_url=served.url, start=None, trigger=trigger, types=types)
    control = {"control": running} if "control" in inspect.signature(Engine).parameters else {}
    try:
        results = Engine(suite, participant, bus, settings, **control).run()
    finally:
        running.stop()
        served.close()
        os.unlink(state)
    return [(r.path, f) for r in results for f in r.findings]


def _failures(findings) -> list[str]:
    return [f"{path}: {f.rule_id}: {f.message}" for path, f in findings if f.status is Status.FAIL]


TWINS = [(name, role) for name, v in VARIANTS.items() for role in v.roles]


def _case(name: str, role: str) -> str:
    return VARIANTS[name].finding_for(role).split(":", 1)[0]


@pytest.fixture(scope="module")
def runs():
    """Every run at once (each on its own bus and ports; they mostly wait): (name, role) -> findings."""
    jobs = {("reference", role): (REFERENCE, role, None, True) for role in ("provider", "consumer")}
    for name, role in TWINS:
        if _case(name, role) in {c.id for c in load(role).cases}:
            jobs[(name, role)] = (VARIANTS[name], role, (_case(name, role),), False)
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {key: pool.submit(run_engine, *job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("role", ["provider", "consumer"])
def test_reference_mutation_score_reference_passes_the_whole_suite(runs, role):
    findings = runs[("reference", role)]
    assert _failures(findings) == []
    assert sum(f.status is Status.PASS for _, f in findings) >= 15


@pytest.mark.parametrize(("name", "role"), TWINS, ids=[f"{n}-{r}" for n, r in TWINS])
def test_reference_mutation_score_twin_fails_the_case_its_finding_names(runs, name, role):
    case = _case(name, role)
    if (name, role) not in runs:
        pytest.skip(f"the shipped {role} suite has no case {case!r} yet")
    failures = _failures(runs[(name, role)])
    assert failures, f"{name} ({role}) passed case {case}"
    assert all(f.startswith(f"{role}/{case}") for f in failures)


def test_reference_mutation_score_is_reported(runs):
    caught = [key for key in runs if key[0] != "reference" and _failures(runs[key])]
    runnable = [key for key in runs if key[0] != "reference"]
    print(f"mutation score: {len(caught)}/{len(runnable)} twin runs caught; "
          f"{len(TWINS) - len(runnable)} without a suite case yet")
    assert len(caught) == len(runnable)
