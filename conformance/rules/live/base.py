"""What a live assertion is: one unit with its rule (id, title, severity, source, rationale), the parameters a suite
may give it, a bad and a good example, and its judgement of a participant's call.

A suite writes an assertion as `family: check` or `family: {check: main, other: value}` under an `expect` step
(`flow: {acked: req, accepted: true}`). The suite schema (`conformance.suites.schema`) reads the parameters each
unit declares; the engine (`conformance.suites.engine`) hands the unit a `LiveContext` of the call it expects and
turns what the unit says into findings. The unit sits with the catalogue (this package) so that every report and
`smev-conformance rules` know its rule without importing the engine; it sees the run only through `LiveContext`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from conformance.findings import Finding, LiveExample, Rule, Severity, Status

PREFIX = {"structure": "MSG-LIVE-STRUCTURE", "content": "MSG-LIVE-CONTENT", "signature": "SIG-LIVE",
          "flow": "FLOW-LIVE", "timing": "TIME-LIVE"}
"""The rule id prefix of each assertion family (the family's letters in the catalogue, then LIVE)."""


def assertion_rule_id(family: str, check: str) -> str:
    """The rule id of a suite assertion `family: check` (`flow: reply_to_copied` -> FLOW-LIVE-REPLY-TO-COPIED)."""
    prefix = PREFIX[family]
    if family == "structure":  # a single check (valid)
        return prefix
    return f"{prefix}-{check.upper().replace('_', '-')}"


class ParamKind(StrEnum):
    """What a parameter's value is; the suite schema checks each kind its own way, with the value's line."""

    REFERENCE = "the `as:` name of an earlier step of the case"
    DURATION = "a duration (`2s`, `150ms`) or `auto`"
    BOOLEAN = "true or false"
    REJECTION_CODE = "a rejection reason code"
    INTEGER = "an integer"
    STRINGS = "a list of rule ids or prefixes"
    XPATH = "an XPath (prefixes soap, ds, tns, basic)"
    OPERATION = "an operation name"
    PLAIN = "any value"


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind


@dataclass(frozen=True)
class Said:
    """What an assertion says: a status and its message, counted against its own rule (or `rule`, e.g. the static
    rule a structure check found broken)."""

    status: Status
    message: str
    rule: str | None = None


DELIVERED = "- deliver: {message: request, as: req}\n"
"""The usual first step of an example case: the harness delivers a request, named `req`."""


def example_case(assertion: str, operation: str = "SendResponse", *, before: str = DELIVERED,
                 answering: str | None = "req", of: str | None = None, times: int | None = None,
                 within: str = "5s") -> str:
    """An example suite case for a unit's `bad`/`good`: the steps `before`, then one `expect` of `operation` (with
    the given `of`, `answering`, `times`, `within`) that asserts `assertion` (`flow: {acked: req}`)."""
    keys = (("operation", operation), ("of", of), ("answering", answering), ("times", times), ("within", within))
    fields = "".join(f"    {key}: {value}\n" for key, value in keys if value is not None)
    return f"{before}- expect:\n{fields}    assert:\n      - {assertion}\n"


def verdict(ok: bool, good: str, bad: str) -> list[Said]:
    """PASS with `good`, or FAIL with `bad`."""
    return [Said(Status.PASS, good) if ok else Said(Status.FAIL, bad)]


class LiveContext(Protocol):
    """The call an assertion judges, and what it may ask of the run (the suite engine implements it)."""

    call: Any
    """The participant's call (`conformance.suites.engine.Seen`): `message_id`, `at`, `parsed` (the protocol
    reader's message, None when it refused it), `reply_to` (the To it wrote), `content` (its business content)."""
    signatures: bool
    """Whether the run checks signatures."""

    def ref(self, name: str) -> Any:
        """The earlier step named `name` (a `Seen`); the case stops when it never happened."""

    def answers_to(self, ref: Any) -> int:
        """How many answers the participant sent (and the bus accepted) to the message `ref`."""

    def previous_call_at(self) -> float | None:
        """When the participant made the latest earlier call the case names (None: none)."""

    def polled(self, operation: str, window: float) -> bool:
        """Whether the participant called `operation` within `window` seconds before the call, or since."""

    def limit(self, value: object) -> float:
        """A `within` value in seconds (`auto`: 2 s for a real-time type, the scaled 48 h otherwise)."""

    def answered_id(self, to: str | None) -> str | None:
        """The MessageID a To (an answer's address) points back to, None when unreadable."""

    def envelope(self) -> bytes:
        """The call's SOAP envelope (from its MTOM package when it came as one)."""

    def prefixes(self) -> dict[str, str]:
        """XPath prefixes bound to the namespaces of the call's version."""

    def static_findings(self) -> list[Finding]:
        """What the catalogue's static rules say of the call (SIG/CERT only when the run checks signatures)."""

    def signature_findings(self) -> list[Finding]:
        """What the signature verifier says of the call, trusting the bus's CA."""


class LiveAssertion:
    """One live assertion. Subclasses set `family`, `check`, `title`, `source`, `rationale`, what the check's own
    parameter holds (`takes`) and its `optional` ones, `bad`/`good` examples, and define `judge`."""

    family: ClassVar[str]
    check: ClassVar[str]
    title: ClassVar[str]
    source: ClassVar[str]
    rationale: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    takes: ClassVar[ParamKind | None] = None
    """The kind of the value written under the check's own name (`flow: {acked: req}`: a reference; the judge reads it
    as `params[self.check]`), None for a check written bare (`signature: valid`)."""
    optional: ClassVar[tuple[Param, ...]] = ()
    bad: ClassVar[tuple[LiveExample, ...]] = ()
    good: ClassVar[tuple[LiveExample, ...]] = ()

    @property
    def rule_id(self) -> str:
        return assertion_rule_id(self.family, self.check)

    @property
    def rule(self) -> Rule:
        """The catalogue's rule of this assertion."""
        rationale = self.rationale or f"Reported by a live suite for the assertion `{self.family}: {self.check}`."
        return Rule(self.rule_id, self.title, self.severity, self.source, rationale, self.bad, self.good)

    @property
    def required(self) -> tuple[Param, ...]:
        """The parameters a suite must give: the check's own, when it takes one."""
        return (Param(self.check, self.takes),) if self.takes is not None else ()

    @property
    def params(self) -> dict[str, Param]:
        """Every parameter by name, required first."""
        return {p.name: p for p in (*self.required, *self.optional)}

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        """What the assertion says of `ctx.call`, with the suite's `params`."""
        raise NotImplementedError
