"""The mutation score: a suite run against the reference participant and every broken variant of a role.

Each participant runs in process (the provider polls, the consumer serves its HTTP trigger) against its own bus
double on free ports, with a fresh SQLite state, so the runs are independent and can go in parallel. A variant is
*caught* when its run has a failed finding, and *named* when a failed finding matches the finding the variants
table expects (`Variant.named_for(role)`): the right case, the right rule, the diagnosis in its message.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.findings import FileResult, Finding, Status
from conformance.reference.bus_setup import reference_credentials, reference_types
from conformance.reference.common import Settings
from conformance.reference.participant_files import DIRECTORY
from conformance.reference.runner import start_consumer, start_provider
from conformance.reference.variants import REFERENCE, VARIANTS
from conformance.report.summary import Headline
from conformance.suites.engine import Engine, RunSettings
from conformance.suites.model import Suite
from conformance.suites.participant import TriggerSpec, load_participant

PARTICIPANT = {"poll_interval": 0.02, "backoff": 1.0, "max_backoff": 2.0, "attempts": 3}
"""The reference participant's settings in a scored run (quick polls and retries)."""


@dataclass(frozen=True)
class VariantScore:
    variant: str
    mistake: str
    expected: str
    """The finding that must name the mistake (`case: RULE ('text')`)."""
    caught: bool
    named: bool
    naming: str | None
    """The finding that named it (`case: RULE: message`), or the first failure when none named it."""
    failures: int

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class MutationReport:
    role: str
    reference_passes: bool
    reference_failures: tuple[str, ...]
    variants: tuple[VariantScore, ...]

    @property
    def caught(self) -> int:
        return sum(v.caught for v in self.variants)

    @property
    def named(self) -> int:
        return sum(v.named for v in self.variants)

    @property
    def score(self) -> str:
        total = len(self.variants)
        return f"{self.caught}/{total} caught, {self.named}/{total} named"

    @property
    def holds(self) -> bool:
        """The reference passes and every variant is caught and named."""
        return self.reference_passes and self.caught == self.named == len(self.variants)

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "score": self.score, "reference_passes": self.reference_passes,
                "reference_failures": list(self.reference_failures),
                "caught": self.caught, "named": self.named, "total": len(self.variants),
                "variants": [v.as_dict() for v in self.variants]}

    def text(self) -> str:
        lines = [f"mutation score of the {self.role} suite: {self.score}",
                 f"  reference: {'passes' if self.reference_passes else 'FAILS'}"]
        lines += [f"    {failure}" for failure in self.reference_failures]
        for v in self.variants:
            verdict = "named" if v.named else ("caught, NOT named" if v.caught else "NOT caught")
            lines.append(f"  {v.variant}: {verdict}; expected {v.expected}")
            if v.naming:
                lines.append(f"    {'by' if v.named else 'first failure'}: {v.naming}")
        return "\n".join(lines) + "\n"

    def headline(self) -> Any:
        """The report's headline: the mutation verdict (what `run --variants` exits with), not the runs' findings,
        which for a variant must fail."""
        outcome = "pass" if self.holds else "fail"
        reference = "passes" if self.reference_passes else "FAILS"
        return Headline(outcome, f"{outcome.upper()}: mutation score of the {self.role} suite {self.score}; the "
                                 f"reference {reference}; every variant's run below must fail (its mistake named)")

    def meta(self) -> dict[str, str]:
        """Rows for a report's header (the HTML report shows them)."""
        rows = {"mutation score": self.score, "mutation reference": "passes" if self.reference_passes else "fails"}
        for v in self.variants:
            rows[f"mutant {v.variant}"] = ("named" if v.named else "caught, not named" if v.caught else
                                           "NOT caught") + (f" by {v.naming}" if v.naming else "")
        return rows


def _case_of(result: FileResult) -> str:
    """`provider/answers-valid-request[type]` -> `answers-valid-request`."""
    return result.path.split("/", 1)[-1].split("[", 1)[0]


def _failures(results: list[FileResult]) -> list[tuple[str, Finding]]:
    return [(_case_of(r), f) for r in results for f in r.findings if f.status is Status.FAIL]


def score_variant(variant: Any, role: str, results: list[FileResult]) -> VariantScore:
    """Judge one variant's run: caught (any failure) and named (the expected finding among the failures)."""
    expected = variant.named_for(role)
    failures = _failures(results)
    naming = next((f"{case}: {f.rule_id}: {f.message}" for case, f in failures
                   if expected is not None and expected.matches(case, f.rule_id, f.message)), None)
    named = naming is not None
    if naming is None and failures:
        case, first = failures[0]
        naming = f"{case}: {first.rule_id}: {first.message}"
    return VariantScore(variant.name, variant.mistake, str(expected), bool(failures), named, naming, len(failures))


def run_variant(variant: Any, role: str, suite: Suite, settings: RunSettings, *,
                types: tuple[str, ...] | None = None) -> list[FileResult]:
    """Run `suite` against the in-process reference participant behaving as `variant`, on its own bus."""
    settings = dataclasses.replace(settings)
    bus = Bus(reference_types(), config=BusConfig(ack_timeout=settings.ack_timeout, backend=settings.backend),
              credentials=reference_credentials(**{role: variant}))
    served = start(bus)
    participant = load_participant(DIRECTORY / f"{variant.name}.{role}.yaml")
    chosen = participant.types if types is None else tuple(t for t in participant.types if t.name in types)
    handle, state = tempfile.mkstemp(prefix=f"{variant.name}-{role}-", suffix=".sqlite")
    os.close(handle)
    try:
        own = Settings(bus_url=served.url, variant=variant, state=state, backend=bus.backend,  # type: ignore[arg-type]
                       **PARTICIPANT)
        running = start_provider(own) if role == "provider" else start_consumer(own, trigger=("127.0.0.1", 0))
        try:
            trigger = TriggerSpec(http_url=running.trigger.url + "?type={type}") if running.trigger else None
            participant = dataclasses.replace(participant, bus_url=served.url, start=None, trigger=trigger,
                                              types=chosen)
            return Engine(suite, participant, bus, settings, control=running).run()
        finally:
            running.stop()
    finally:
        served.close()
        os.unlink(state)


def mutation_score(role: str, suite: Suite, settings: RunSettings, *, names: tuple[str, ...] | None = None,
                   types: tuple[str, ...] | None = None, only_named_case: bool = False,
                   workers: int | None = None, on_run: Callable[[str], None] | None = None,
                   ) -> tuple[MutationReport, dict[str, list[FileResult]]]:
    """Run `suite` against the reference (alone, first), then every variant of `role` (or those in `names`) in
    parallel.

    `only_named_case` runs, for a variant, only the case its expected finding names (quick; tests use it).
    `on_run` hears each run's name as it ends (progress). Returns the report and each run's results (key: variant
    name, `reference` for the reference)."""
    # The participants run in this process: their warnings (refused calls, by design) are the variants' mistakes,
    # which the report states; they would only bury it on standard error.
    logging.getLogger("conformance.reference").setLevel(logging.ERROR)
    chosen = [v for v in VARIANTS.values() if role in v.roles and (names is None or v.name in names)]
    # The reference runs first and alone: its verdict includes the 2 s real-time limit, which a dozen variants
    # sharing the process (and the interpreter lock) would eat into (0.08 s alone, 0.44 s beside 13 variants here,
    # 2.6 s on a slower machine). A variant's timing only ever makes it fail more.
    runs = {"reference": run_variant(REFERENCE, role, suite, settings, types=types)}
    if on_run is not None:
        on_run("reference")
    jobs: dict[str, tuple[Any, Suite]] = {}
    for v in chosen:
        expected = v.named_for(role)
        cases = tuple(c for c in suite.cases if not only_named_case or expected is None or c.id == expected.case)
        jobs[v.name] = (v, dataclasses.replace(suite, cases=cases))
    with ThreadPoolExecutor(max_workers=workers or max(1, len(jobs))) as pool:
        futures = {name: pool.submit(run_variant, v, role, s, settings, types=types) for name, (v, s) in jobs.items()}
        if on_run is not None:
            names = {future: name for name, future in futures.items()}
            for future in as_completed(names):
                on_run(names[future])
        runs |= {name: future.result() for name, future in futures.items()}
    reference_failures = tuple(f"{case}: {f.rule_id}: {f.message}" for case, f in _failures(runs["reference"]))
    report = MutationReport(role, not reference_failures, reference_failures,
                            tuple(score_variant(v, role, runs[v.name]) for v in chosen))
    return report, runs


__all__ = ["MutationReport", "VariantScore", "mutation_score", "run_variant", "score_variant"]
