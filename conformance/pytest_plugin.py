"""pytest plugin: run a live conformance suite as pytest tests, for teams whose CI is pytest.

    pytest --smev-participant participant.yaml [--smev-suite provider|consumer|FILE] [--smev-registry FILE]
           [--smev-keys DIR] [--smev-no-signatures] [--smev-seed N] [--smev-negative N|all] [--smev-port N]
           [--smev-fail-on error|warn] [--smev-capture DIR] [--junitxml reports/smev.xml]

Registered as the `smev` pytest11 entry point, so installing smev-tools is enough. Without `--smev-participant`
it does nothing. With it, the suite (default: the participant's role) is checked against participant.yaml exactly
as `smev-conformance run --dry-run` checks it (`lint.fit`: the files, the registry, the port); a problem stops
pytest before collection with every FILE:LINE and exit code 4 (usage error), never as failed tests.

The run is collected like any tests: one item per thing `smev-conformance run` plays (the same plan,
`conformance.suites.engine.planned`), so the counts agree with the CLI: each case (per type for a case run for
each type) and each negative delivery (`--smev-negative`, default 15 for the shipped provider suite, as the CLI).
Node ids read `smev/<suite>::<case>[<type>]` and `smev/<suite>::negative[<NEG-ID>]`, marked `smev`; in JUnit the
classname is `smev.<suite>` and each item carries its own duration. `-k`/`-m`/deselection narrow what runs.

The bus double and the participant start when the first selected item runs (the collector's setup) and stop after
the last; each item then plays its own case. If they cannot start (the port is taken, the participant exits), the
session stops once with that reason and exit code 4, distinct from exit code 1 (a case failed). A case fails with
its failing findings (rule, message, where), is skipped when it could not apply, and passes otherwise (warnings are
listed in the report section and fail only with `--smev-fail-on warn`). `--smev-capture DIR` writes every raw
HTTP exchange for `smev-conformance replay`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.errors import ConformanceError
from conformance.findings import Status

if TYPE_CHECKING:
    from conformance.suites.engine import LiveSession, Planned, RunSettings
    from conformance.suites.model import Suite
    from conformance.suites.participant import Participant

ROOT = "smev"
"""The first part of every item's node id, and its marker: `smev/provider::answers-valid-request[fns-inn-by-passport]`
(in JUnit: classname `smev.provider`, name `answers-valid-request[fns-inn-by-passport]`)."""
SETUP_EXIT = pytest.ExitCode.USAGE_ERROR
"""The exit code of a run whose suite could not start: a setup problem, not a failed case."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smev", "SMEV 3 live conformance (smev-tools)")
    group.addoption("--smev-participant", metavar="FILE", help="participant.yaml: run a live suite against it")
    group.addoption("--smev-suite", metavar="NAME|FILE",
                    help="provider, consumer or a suite file (default: the participant's role)")
    group.addoption("--smev-registry", metavar="FILE",
                    help="message-type registry (default: the one participant.yaml names, else the shipped one)")
    group.addoption("--smev-keys", metavar="DIR", help="the bus double's keys (default: the shipped test PKI)")
    group.addoption("--smev-no-signatures", action="store_true", help="run without signatures")
    group.addoption("--smev-seed", type=int, default=0, help="seed of every fake payload (default 0)")
    group.addoption("--smev-negative", metavar="N|all",
                    help="negative deliveries after a provider suite (default: 15 for the shipped provider suite)")
    group.addoption("--smev-port", type=int, metavar="N",
                    help="serve the bus double on this port instead of bus.url's (0: any free port)")
    group.addoption("--smev-fail-on", choices=("error", "warn"), default="error",
                    help="fail a case on failed checks only (default) or on warnings too")
    group.addoption("--smev-capture", metavar="DIR", help="write every raw HTTP exchange of the run into DIR")
    group.addoption("--smev-crypto", choices=("pure", "native"),
                    help="GOST backend of the bus double and the checks (default: native when present, else pure)")


@dataclass
class _Plan:
    """The suite, participant, settings and planned items of this session; `live` while the run is up."""

    suite: Suite
    participant: Participant
    settings: RunSettings
    planned: list[Planned]
    options: Any
    live: LiveSession | None = None


_PLAN = pytest.StashKey[_Plan]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{ROOT}: a case of the live SMEV 3 conformance suite (--smev-participant)")
    path = config.getoption("smev_participant", None)
    if not path:
        return
    # local: this plugin is loaded by every pytest session of whoever installs smev-tools; the suite stack (half a
    # second of imports) is loaded only by a session given --smev-participant
    from conformance.crypto.backends import get_backend
    from conformance.suites import lint
    from conformance.suites.engine import RunSettings, planned
    from conformance.suites.model import Role
    from conformance.suites.negative import negative_count
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
        lint.raise_problems(lint.fit(suite, participant, registry=options.smev_registry, port=options.smev_port,
                                     signatures=not options.smev_no_signatures))
        settings = RunSettings(signatures=not options.smev_no_signatures, seed=options.smev_seed,
                               backend=get_backend(options.smev_crypto),
                               registry_path=lint.registry_for(participant, options.smev_registry),
                               negative=negative_count(options.smev_negative, suite_name))
        plan = planned(suite, participant, settings)
    except SchemaErrors as exc:
        raise pytest.UsageError(f"smev: the suite cannot run against {path}:\n{exc}") from None
    except ConformanceError as exc:
        raise pytest.UsageError(f"smev: {exc}") from None
    config.stash[_PLAN] = _Plan(suite, participant, settings, plan, options)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):  # noqa: ANN201 - a CollectReport
    """The session's collection gets the suite as one more collector, so its items are counted as collected."""
    report = yield
    plan = collector.config.stash.get(_PLAN, None)
    if plan is not None and isinstance(collector, pytest.Session) and report.passed:
        report.result.append(SmevSuite.from_parent(collector, name=f"{ROOT}/{plan.suite.name}",
                                                   nodeid=f"{ROOT}/{plan.suite.name}"))
    return report


def _item_name(planned: Planned) -> str:
    if planned.negative is not None:
        return f"negative[{planned.negative.id}]"
    return planned.subject.split("/", 1)[1]


class SmevSuite(pytest.Collector):
    """The live suite: its items, and the bus double and participant that run while its items do."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_marker(ROOT)

    def collect(self) -> list[pytest.Item]:
        plan = self.config.stash[_PLAN]
        return [SmevCase.from_parent(self, name=_item_name(p), planned=p) for p in plan.planned]

    def reportinfo(self) -> tuple[str, int | None, str]:
        return str(self.config.stash[_PLAN].suite.path), None, self.nodeid

    def setup(self) -> None:
        from conformance.suites.engine import LiveSession  # local: loaded only with --smev-participant

        plan = self.config.stash[_PLAN]
        live = LiveSession(plan.suite, plan.participant, settings=plan.settings, keys_dir=plan.options.smev_keys,
                           port=plan.options.smev_port)
        try:
            live.__enter__()
        except ConformanceError as exc:
            pytest.exit(f"smev: the suite could not start, so no case ran: {exc}", returncode=SETUP_EXIT)
        plan.live = live

    def teardown(self) -> None:
        plan = self.config.stash[_PLAN]
        live, plan.live = plan.live, None
        if live is None:
            return
        exchanges = live.bus.store.exchanges()
        live.__exit__()
        if plan.options.smev_capture:
            from conformance.bus.capture import write_capture  # local: loaded only with --smev-capture

            write_capture(exchanges, plan.options.smev_capture)


class SmevCaseFailed(Exception):
    """A case of the live suite failed; the message lists its failing findings."""


class SmevCase(pytest.Item):
    """One case (for one type) or negative delivery of the live suite."""

    def __init__(self, *, planned: Planned, **kwargs: Any):
        super().__init__(**kwargs)
        self.planned = planned
        self.add_marker(ROOT)

    def runtest(self) -> None:
        plan = self.config.stash[_PLAN]
        assert plan.live is not None, "the suite's setup did not run"
        result = plan.live.engine.run_one(self.planned)
        warnings = [f for f in result.findings if f.status is Status.WARN]
        if warnings:
            self.add_report_section("call", "smev warnings", "\n".join(_line(f) for f in warnings))
        failed = [f for f in result.findings if f.status is Status.FAIL]
        if plan.options.smev_fail_on == "warn":
            failed += warnings
        if failed:
            raise SmevCaseFailed(f"{self.planned.title}\n" + "\n".join(_line(f) for f in failed))
        if result.findings and all(f.status is Status.SKIP for f in result.findings):
            # located at the case (its suite or catalogue file and line), not at this line of the plugin
            raise pytest.skip.Exception("; ".join(f.message for f in result.findings), _use_item_location=True)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SmevCaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        """The case's own place: its line in the suite file, or the negative catalogue's."""
        origin = self.planned.case if self.planned.case is not None else self.planned.negative
        source, line = getattr(origin, "source", None), getattr(origin, "line", None)
        if not source:
            return self.path, None, self.nodeid
        return Path(source), (line - 1) if line else None, self.nodeid


def _line(finding: Any) -> str:
    where = finding.location
    place = f" ({where.file}{':' + str(where.line) if where.line else ''})" if where.file else ""
    return f"  {finding.status.value.upper()} {finding.rule_id}: {finding.message}{place}"
