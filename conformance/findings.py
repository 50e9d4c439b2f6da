"""What a check says: rules (with their examples), findings and where they point.

Every checker of the harness (the static rules of `conformance.rules`, the signature verifier of
`conformance.xmldsig`, the live suites, the bus double) speaks in `Finding`s of `Rule`s from the one catalogue, so
that every report format, `--select`/`--ignore` and the exit code work alike.

Layer: this module is the floor under every checker and imports nothing of `conformance` (nor any other package):
`conformance.xmldsig` declares its SIG/CERT rules with these types without importing the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


class Severity(StrEnum):
    """How a violated rule counts: an `error` fails the run, a `warning` only warns."""

    ERROR = "error"
    WARNING = "warning"


FAMILIES: dict[str, str] = {
    "MSG": "message structure and schema",
    "SIG": "XML and attachment signatures",
    "CERT": "certificates",
    "FLOW": "exchange flow",
    "TIME": "timing",
}


@dataclass(frozen=True)
class Example:
    """A message a rule is shown on, as a recipe: `build()` gives its bytes, `settings()` what else the check needs
    (`CheckSettings` fields: `at`, `corpus`, `max_bytes`, `options` with `trust`/`crl`...).

    On a bad example the rule fails (or warns), and of the other rules of its scope only those in `also` do (an
    example that breaks a signed element breaks its signature too, say). Examples are tests
    (`tests/rules/test_rules_examples.py`) and the page `smev-conformance rules RULE-ID` shows them.
    """

    summary: str
    build: Callable[[], bytes] = field(compare=False, repr=False)
    settings: Callable[[], dict[str, Any]] = field(default=dict, compare=False, repr=False)
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveExample:
    """A live assertion shown at work: a suite `case` (YAML, the steps of one case) played by the suite engine and
    the bus double against a scripted participant that makes the `moves` (see `conformance.reference.examples`).

    A bad example fails its assertion's rule (or, for structure and signature, the catalogue rules in `fails`) and
    nothing else; a good one fails nothing. `signatures` runs it with signatures checked (the participant signs).
    Examples are tests (`tests/suites/test_suites_assertion_examples.py`) and `smev-conformance rules ID` shows them.
    """

    summary: str
    case: str
    moves: tuple[str, ...]
    fails: tuple[str, ...] = ()
    signatures: bool = False


@dataclass(frozen=True)
class Rule:
    """One rule of the catalogue, as one unit: `id` reads FAMILY-TOPIC[-N] (e.g. `MSG-ID-UUID1`), `source` cites the
    clause it enforces, `description` is the rationale, `bad` and `good` the examples it fails and passes on (the
    check itself is registered with it, see `conformance.rules.catalogue`)."""

    id: str
    title: str
    severity: Severity
    source: str
    description: str = ""
    bad: tuple[Example | LiveExample, ...] = field(default=(), compare=False, repr=False)
    good: tuple[Example | LiveExample, ...] = field(default=(), compare=False, repr=False)

    @property
    def rationale(self) -> str:
        return self.description

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]


@dataclass(frozen=True)
class Location:
    file: str | None = None
    line: int | None = None
    xpath: str | None = None

    def __str__(self) -> str:
        text = self.file or ""
        if self.line is not None:
            text = f"{text}:{self.line}"
        if self.xpath:
            text = f"{text} {self.xpath}".strip()
        return text


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule at one place. `details` carries diagnostic text (e.g. the canonicalised bytes)."""

    rule_id: str
    status: Status
    message: str
    location: Location = field(default_factory=Location)
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileResult:
    """Every finding about one checked file (or other subject, e.g. a live exchange), as reports take them.

    `operation` and `version` are what was detected (None when the subject could not be read that far).
    `started` (epoch seconds) and `duration` (seconds) say when and how long the subject took, when measured;
    `rule_times` the seconds each rule took on it (JUnit's per-testcase time).
    """

    path: str
    operation: str | None
    version: str | None
    findings: tuple[Finding, ...] = ()
    started: float | None = None
    duration: float | None = None
    rule_times: tuple[tuple[str, float], ...] = ()

    def count(self, status: Status) -> int:
        return sum(1 for finding in self.findings if finding.status is status)

    @property
    def failed(self) -> bool:
        return any(finding.status is Status.FAIL for finding in self.findings)
