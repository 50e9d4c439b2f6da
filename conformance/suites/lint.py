"""Cross-checks between a suite and a participant, after each file passed its own schema (`run --dry-run`)."""

from __future__ import annotations

from pathlib import Path

from conformance.errors import UsageError
from conformance.suites.model import Role, StepKind, Suite
from conformance.suites.participant import Participant
from conformance.suites.schema import load_suite, suite_names_in
from conformance.yamlnodes import Problem, SchemaErrors, did_you_mean

SHIPPED_DIR = Path(__file__).parent / "data"


def shipped_suites() -> list[str]:
    """Names of the suites that come with the harness (`provider`, `consumer`)."""
    return suite_names_in(SHIPPED_DIR)


def resolve_suite(name_or_path: str) -> Path:
    """A shipped suite's name or a file path -> the suite file; a usage error names the shipped ones."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    shipped = shipped_suites()
    if name_or_path in shipped:
        return SHIPPED_DIR / f"{name_or_path}.yaml"
    raise UsageError(f"--suite {name_or_path!r} is neither a file nor a shipped suite "
                     f"({', '.join(shipped)}){did_you_mean(name_or_path, shipped)}")


def load(name_or_path: str) -> Suite:
    return load_suite(resolve_suite(name_or_path))


def cross_check(suite: Suite, participant: Participant, known_types: set[str] | None = None) -> list[Problem]:
    """What makes this suite unrunnable against this participant. `known_types`: the registry's type names."""
    problems: list[Problem] = []
    src = participant.path

    def at(key: str, message: str, line: int | None = None) -> None:
        problems.append(Problem(src, line or participant.lines.get(key, 1), key, message))

    if not participant.plays(suite.role):
        at("role", f"suite {suite.name!r} tests a {suite.role.value}, but the participant's role is "
                   f"{participant.role.value}")
    if suite.version and suite.version != participant.version:
        at("version", f"suite {suite.name!r} speaks version {suite.version}, the participant {participant.version}")
    if known_types is not None:
        for ptype in participant.types:
            if ptype.name not in known_types:
                problems.append(Problem(src, ptype.line, "types", f"type {ptype.name!r} is not in the registry"
                                        f"{did_you_mean(ptype.name, known_types)}"))
    uses_trigger = any(step.kind is StepKind.TRIGGER for case in suite.cases for step in case.steps)
    if uses_trigger and participant.trigger is None:
        at("trigger", f"suite {suite.name!r} triggers the participant's requests, but participant.yaml has no "
                      "`trigger:`")
    for case in suite.cases:
        for step in case.steps:
            named = step.fields.get("type")
            if named and named not in {t.name for t in participant.types}:
                problems.append(Problem(suite.path, step.line, f"{case.id}", f"step names type {named!r}, which "
                                        f"the participant does not list"))
    if suite.role is Role.PROVIDER and participant.certificate is None:
        at("keys", "a provider's answers are signed: name the certificate it signs with under `keys.certificate` "
                   "(or run with --no-signatures)")
    return problems


def raise_problems(problems: list[Problem]) -> None:
    if problems:
        raise SchemaErrors(problems)
