"""pytest plugin: run a live conformance suite as pytest tests, for teams whose CI is pytest.

    pytest --smev-participant participant.yaml [--smev-suite provider|consumer|FILE] [--smev-registry FILE]
           [--smev-keys DIR] [--smev-no-signatures] [--smev-seed N] [--smev-fail-on error|warn]
           [--smev-capture DIR] [--junitxml reports/smev.xml]

Registered as the `smev` pytest11 entry point, so installing smev-tools is enough. Without `--smev-participant`
it does nothing. With it, the suite (default: the participant's role) is checked against participant.yaml as
`smev-conformance run --dry-run` checks it (a problem stops pytest with every FILE:LINE) and becomes one pytest item
per case (per case and type for a case run for each type): `smev/<suite>::<case>[<type>]`, marked `smev`. The first item to run
runs the selected cases once, as `smev-conformance run` does (the bus double at the participant's bus URL, the
participant started when participant.yaml says how); each item then reports its case: it fails with the failing
findings (rule, message, where), is skipped when the case could not apply, and passes otherwise (warnings are
listed in the report section and fail only with `--smev-fail-on warn`). `-k`/deselection narrows the cases run.
`--smev-capture DIR` writes every raw HTTP exchange for `smev-conformance replay`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.findings import FileResult
    from conformance.suites.model import Suite
    from conformance.suites.participant import Participant

ROOT = "smev"
"""The first part of every item's node id, and its marker: `smev/provider::answers-valid-request[fns-inn-by-passport]`
(in JUnit: classname `smev.provider`, name `answers-valid-request[fns-inn-by-passport]`)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smev", "SMEV 3 live conformance (smev-tools)")
    group.addoption("--smev-participant", metavar="FILE", help="participant.yaml: run a live suite against it")
    group.addoption("--smev-suite", metavar="NAME|FILE",
                    help="provider, consumer or a suite file (default: the participant's role)")
    group.addoption("--smev-registry", metavar="FILE", help="message-type registry (default: the shipped one)")
    group.addoption("--smev-keys", metavar="DIR", help="the bus double's keys (default: the shipped test PKI)")
    group.addoption("--smev-no-signatures", action="store_true", help="run without signatures")
    group.addoption("--smev-seed", type=int, default=0, help="seed of every fake payload (default 0)")
    group.addoption("--smev-fail-on", choices=("error", "warn"), default="error",
                    help="fail a case on failed checks only (default) or on warnings too")
    group.addoption("--smev-capture", metavar="DIR", help="write every raw HTTP exchange of the run into DIR")


@dataclass
class _Plan:
    """The suite and participant of this session, and the run's results once the first item has run it."""

    suite: Suite
    participant: Participant
    options: Any
    items: list[SmevCase] = field(default_factory=list)
    results: dict[str, FileResult] | None = None
    error: str | None = None


_PLAN = pytest.StashKey[_Plan]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{ROOT}: a case of the live SMEV 3 conformance suite (--smev-participant)")
    path = config.getoption("smev_participant", None)
    if not path:
        return
    from conformance.bus.registry_view import registered_type_names
    from conformance.errors import ConformanceError
    from conformance.suites import lint
    from conformance.suites.model import Role
    from conformance.suites.participant import load_participant
    from conformance.yamlnodes import SchemaErrors

    options = config.option
    try:
        participant = load_participant(path)
        suite_name = options.smev_suite
        if suite_name is None:
            if participant.role is Role.BOTH:
                raise pytest.UsageError(f"{path}: the participant plays both roles: choose --smev-suite provider "
                                        "or consumer")
            suite_name = participant.role.value
        suite = lint.load(suite_name)
        problems = lint.cross_check(suite, participant, registered_type_names(options.smev_registry))
        if options.smev_no_signatures:
            problems = [p for p in problems if p.path != "keys"]
        lint.raise_problems(problems)
    except SchemaErrors as exc:
        raise pytest.UsageError(f"smev: the suite cannot run against {path}:\n{exc}") from None
    except ConformanceError as exc:
        raise pytest.UsageError(f"smev: {exc}") from None
    config.stash[_PLAN] = _Plan(suite, participant, options)



@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add one item per case (and type) of the suite, after the session's own tests and before `-k`/`-m`
    deselection, which then applies to them as to any test."""
    plan = config.stash.get(_PLAN, None)
    if plan is None:
        return
    for case in plan.suite.cases:
        types = [t.name for t in plan.participant.types] if case.for_each_type else [None]
        for type_name in types:
            subject = f"{plan.suite.name}/{case.id}" + (f"[{type_name}]" if type_name else "")
            name = case.id + (f"[{type_name}]" if type_name else "")
            items.append(SmevCase.from_parent(session, name=name, nodeid=f"{ROOT}/{plan.suite.name}::{name}",
                                              subject=subject, case_id=case.id, title=case.title))


class SmevCaseFailed(Exception):
    """A case of the live suite failed; the message lists its failing findings."""


class SmevCase(pytest.Item):
    """One case (for one type) of the live suite."""

    def __init__(self, *, subject: str, case_id: str, title: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.subject = subject
        self.case_id = case_id
        self.title = title
        self.add_marker(ROOT)

    def runtest(self) -> None:
        from conformance.findings import Status

        plan = self.config.stash[_PLAN]
        if plan.results is None and plan.error is None:
            plan.items = [item for item in self.session.items if isinstance(item, SmevCase)]
        _run_once(plan)
        if plan.error is not None:
            raise SmevCaseFailed(f"the suite could not run: {plan.error}")
        assert plan.results is not None
        result = plan.results.get(self.subject)
        if result is None:
            raise SmevCaseFailed(f"the run reported nothing for {self.subject}")
        statuses = {f.status for f in result.findings}
        warnings = [f for f in result.findings if f.status is Status.WARN]
        if warnings:
            self.add_report_section("call", "smev warnings", "\n".join(_line(f) for f in warnings))
        failed = [f for f in result.findings if f.status is Status.FAIL]
        if plan.options.smev_fail_on == "warn":
            failed += warnings
        if failed:
            raise SmevCaseFailed(f"{self.title}\n" + "\n".join(_line(f) for f in failed))
        if statuses == {Status.SKIP}:
            pytest.skip("; ".join(f.message for f in result.findings))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SmevCaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[str, int | None, str]:
        plan = self.config.stash[_PLAN]
        return plan.suite.path, None, f"{ROOT}: {self.subject}"


def _line(finding: Any) -> str:
    where = finding.location
    place = f" ({where.file}{':' + str(where.line) if where.line else ''})" if where.file else ""
    return f"  {finding.status.value.upper()} {finding.rule_id}: {finding.message}{place}"


def _run_once(plan: _Plan) -> None:
    """Run the selected cases of the suite the first time an item asks; later items read the results."""
    if plan.results is not None or plan.error is not None:
        return
    from conformance.errors import ConformanceError
    from conformance.suites.engine import RunSettings, run_suite

    options = plan.options
    chosen = {item.case_id for item in plan.items}
    if not chosen:
        return
    suite = replace(plan.suite, cases=tuple(c for c in plan.suite.cases if c.id in chosen))
    settings = RunSettings(signatures=not options.smev_no_signatures, seed=options.smev_seed,
                           registry_path=options.smev_registry)
    try:
        live = run_suite(suite, plan.participant, settings=settings, keys_dir=options.smev_keys)
    except ConformanceError as exc:
        plan.error = str(exc)
        return
    except Exception as exc:  # noqa: BLE001 - reported once on every item, never a traceback or a second run
        plan.error = f"the harness failed: {type(exc).__name__}: {exc}"
        return
    plan.results = {result.path: result for result in live.results}
    if options.smev_capture:
        from conformance.bus.capture import write_capture

        try:
            write_capture(live.exchanges, options.smev_capture)
        except ConformanceError as exc:
            plan.error = str(exc)
