"""A live test suite as data: cases made of steps, steps carrying assertions.

A suite is written in YAML (see `conformance/suites/data/*.yaml` and `schema.py` for the keys). Step kinds:

- `deliver`: the bus delivers a message to the participant (a request to a provider; a response, a rejection,
  a status or an asynchronous rejection to a consumer), possibly a deliberately broken or repeated one;
- `trigger`: the harness makes a consumer participant send a request (by the command or HTTP call its
  `participant.yaml` names);
- `expect`: the harness expects the participant to call the bus (SendResponse, Ack, SendRequest, GetResponse, …)
  within a time, and asserts on what it sent;
- `fault`: the bus answers the participant's next call(s) of an operation with a SOAP fault;
- `wait`: let time pass (e.g. to let a lease expire and force a redelivery);
- `crash`: kill the participant at a chosen point (`at: Ack`: when the bus has recorded its Ack of a message and
  before it answers that Ack) and start it again: what it acked must survive (the harness must have started it).

Assertions are of five families: `structure` (schema and static rules), `signature`, `flow` (the exchange's
logic: To = ReplyTo, ack, no second answer, a new MessageID), `timing` (within a time; 2 s for a real-time type,
a scaled 48 h otherwise) and `content` (rejection code, status, XPath).

Every object keeps the line it came from, so the engine's findings point into the suite file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    PROVIDER = "provider"
    CONSUMER = "consumer"
    BOTH = "both"


class StepKind(StrEnum):
    DELIVER = "deliver"
    TRIGGER = "trigger"
    EXPECT = "expect"
    FAULT = "fault"
    WAIT = "wait"
    CRASH = "crash"


@dataclass(frozen=True)
class Assertion:
    """One check on an expected message or on the flow: `family` (structure, signature, …), `check` the named
    check within it, `params` its arguments (references to earlier steps by their `as` name)."""

    family: str
    check: str
    params: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Step:
    """One step. `kind` says what it does; `fields` holds its checked keys (e.g. `operation`, `within`);
    `name` is its `as:` name that later steps refer to."""

    kind: StepKind
    fields: dict[str, Any]
    line: int
    name: str | None = None
    assertions: tuple[Assertion, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    source: str
    steps: tuple[Step, ...]
    line: int
    for_each_type: bool = False
    roles: tuple[Role, ...] = ()


@dataclass(frozen=True)
class Suite:
    name: str
    role: Role
    description: str
    cases: tuple[Case, ...]
    path: str
    version: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)
