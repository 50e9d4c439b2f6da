"""Cross-checks between a suite and a participant, after each file passed its own schema (`run --dry-run`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.bus.registry_view import load_types
from conformance.errors import UsageError
from conformance.suites.model import Role, StepKind, Suite
from conformance.suites.participant import Participant, bound, bus_address, port_problem
from conformance.suites.schema import load_suite, suite_names_in
from conformance.yamlnodes import Problem, SchemaErrors, did_you_mean

if TYPE_CHECKING:
    from conformance.bus.types import TypeTable

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


def registry_for(participant: Participant, override: str | None = None) -> str | None:
    """The registry a run uses: `--registry` when given, else the one participant.yaml names, else the shipped one."""
    if override:
        return override
    return str(participant.registry) if participant.registry is not None else None


def fit(suite: Suite, participant: Participant, *, registry: str | None = None, port: int | None = None,
        signatures: bool = True) -> list[Problem]:
    """Everything a run of `suite` against `participant` needs, checked without running it (`run --dry-run`, the
    pytest plugin's setup, and `run` itself before it starts anything): the roles, versions and types fit, the
    registry (`registry_for`) lists the participant as the suite needs, the bus port is free, the keys are there, the
    program of `start.command` exists."""
    problems = cross_check(suite, participant, load_types(registry_for(participant, registry)))
    if not signatures:
        problems = [p for p in problems if p.path != "keys"]
    if participant.start is not None:
        program = bound(participant, "http://127.0.0.1:1/").start.command[0]  # placeholders filled as a run would
        where = participant.start.cwd
        if shutil.which(program, path=None) is None and not (where / program).is_file():
            problems.append(Problem(participant.path, participant.lines.get("start", 1), "start.command",
                                    f"program {program!r} is not found (on PATH, or in {where}): the harness could "
                                    "not start the participant"))
    host, bus_port = bus_address(participant, port)
    trouble = port_problem(host, bus_port)
    if trouble:
        where = "--port" if port is not None else "bus.url"
        problems.append(Problem(participant.path, participant.lines.get("bus", 1), where,
                                f"{trouble}: the harness serves the bus double there (port 0: any free port)"))
    return problems


def cross_check(suite: Suite, participant: Participant, types: TypeTable | None = None) -> list[Problem]:
    """What makes this suite unrunnable against this participant. `types`: the registry (None: not checked)."""
    problems: list[Problem] = []
    src = participant.path
    known_types = types.names() if types is not None else None

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
    if types is not None:
        registry_name = str(participant.registry) if participant.registry else "the registry"
        if participant.mnemonic not in types.participants():
            at("participant", f"participant {participant.mnemonic!r} is in no type's providers or consumers in "
                              f"{registry_name}: name the registry it is registered in (`registry:` in the "
                              "participant file, or --registry)")
        elif suite.role is Role.PROVIDER:
            for ptype in participant.types:
                spec = types.by_name(ptype.name)
                if spec is not None and not spec.is_provider(participant.mnemonic):
                    problems.append(Problem(src, ptype.line, "types", f"{registry_name} does not list "
                                            f"{participant.mnemonic} as a provider of {ptype.name!r}"))
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
