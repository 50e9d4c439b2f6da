"""The suite YAML schema: load a suite file, check every key, and build `model.Suite`.

```yaml
suite: provider                 # the suite's name
role: provider                  # provider | consumer: which kind of participant it tests
description: ...
version: "1.3"                  # optional: protocol version the bus speaks (default: the participant's)
settings: {deadline_scale: 0.001}   # optional: 48 h are scaled by this factor in a run
cases:
  - id: answers-valid-request
    title: A valid request for each type is answered, signed, with To = ReplyTo
    source: "963 §4"            # the clause the case enforces
    for_each: type              # optional: repeat the case for each type of the participant
    steps:
      - deliver: {message: request, variant: valid, as: req}
      - expect:
          operation: Ack
          of: req
          within: 2s
          assert:
            - flow: {acked: req, accepted: true}
      - expect:
          operation: SendResponse
          answering: req
          within: auto          # 2 s for a real-time type, the scaled 48 h otherwise
          as: resp
          assert:
            - structure: valid
            - signature: valid
            - flow: {reply_to_copied: req}
```

Every problem is reported with its line; unknown keys and step kinds suggest the nearest known one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from conformance.rules.live import ASSERTIONS as LIVE_ASSERTIONS
from conformance.rules.live.base import ParamKind
from conformance.suites import vocabulary as vocab
from conformance.suites.model import Assertion, Case, Role, Step, StepKind, Suite
from conformance.yamlnodes import Checker, Node, did_you_mean, load_yaml

NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]*"
ID_PATTERN = r"[a-z0-9][a-z0-9-]*"

# Per step kind: required keys, optional keys. `as` names the step for later references; `assert` holds assertions.
STEP_KEYS: dict[StepKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    StepKind.DELIVER: (("message",), ("variant", "type", "to", "of", "as", "status", "code", "fault", "note")),
    StepKind.TRIGGER: ((), ("type", "variant", "as", "note")),
    StepKind.EXPECT: (("operation",), ("within", "of", "answering", "as", "assert", "note", "optional", "times")),
    StepKind.FAULT: (("operation", "fault"), ("reason", "times", "note")),
    StepKind.WAIT: (("duration",), ("note",)),
    StepKind.CRASH: (("at", "of"), ("note",)),
}

CRASH_POINTS = ("Ack",)
"""Where a `crash` step can kill the participant: while the bus holds the answer to its Ack of `of`."""

DELIVER_MESSAGES = ("request", "response", "rejection", "status", "async-rejection")

DELIVER_VARIANTS: dict[str, tuple[str, ...]] = {
    "request": ("valid", "no-data", "test-message", "bad-bus-signature", "redelivery", "mutated"),
    "response": ("valid", "bad-bus-signature", "redelivery"),
    "rejection": ("valid",),
    "status": ("valid",),
    "async-rejection": ("valid",),
}

TRIGGER_VARIANTS = ("valid", "test-message")

ASSERTIONS = LIVE_ASSERTIONS
"""Assertion family -> check name -> its unit (`conformance.rules.live`), which declares its `required` (the check's
own, of the kind it `takes`) and `optional` parameters. A check written as a bare string (`- structure: valid`) has no params; written as a mapping, its first
key is the check and its value the main param."""


def load_suite(path: str | Path) -> Suite:
    """Load and check a suite file; raises `SchemaErrors` listing every problem (`FILE:LINE: path: what`)."""
    source = str(path)
    root = load_yaml(path)
    chk = Checker(source)
    top = chk.mapping(root, required=("suite", "role", "cases"), optional=("description", "version", "settings"),
                      what="suite (a mapping with suite, role, cases)")
    if top is None:
        chk.raise_if_any()
        raise AssertionError("unreachable")
    name = chk.string(top.get("suite"), pattern=NAME_PATTERN, what="suite name") or ""
    role = chk.string(top.get("role"), choices=[Role.PROVIDER.value, Role.CONSUMER.value])
    description = chk.string(top.get("description")) or ""
    version = chk.string(top.get("version"), choices=vocab.VERSIONS) if "version" in top else None
    settings = _settings(chk, top.get("settings"))
    cases: list[Case] = []
    seen_ids: dict[str, int] = {}
    for case_node in chk.sequence(top.get("cases"), non_empty=True, what="list of cases") or []:
        case = _case(chk, case_node)
        if case is None:
            continue
        if case.id in seen_ids:
            chk.error(case_node, f"case id {case.id!r} is used twice (first at line {seen_ids[case.id]})")
        seen_ids.setdefault(case.id, case.line)
        cases.append(case)
    chk.raise_if_any()
    return Suite(name=name, role=Role(role), description=description, cases=tuple(cases), path=source,
                 version=version, settings=settings)


def _settings(chk: Checker, node: Node | None) -> dict[str, Any]:
    fields = chk.mapping(node, optional=("deadline_scale", "ack_timeout", "poll_interval", "realtime_limit"))
    if not fields:
        return {}
    out: dict[str, Any] = {}
    if "deadline_scale" in fields:
        scale = fields["deadline_scale"]
        if isinstance(scale.value, bool) or not isinstance(scale.value, int | float) or not 0 < scale.value <= 1:
            chk.error(scale, "deadline_scale must be a number in (0, 1]: the factor applied to the 48 h deadline")
        else:
            out["deadline_scale"] = float(scale.value)
    for key in ("ack_timeout", "poll_interval", "realtime_limit"):
        if key in fields:
            value = chk.duration(fields[key])
            if value is not None:
                out[key] = value
    return out


def _case(chk: Checker, node: Node) -> Case | None:
    fields = chk.mapping(node, required=("id", "title", "steps"), optional=("source", "for_each", "description"),
                         what="case")
    if fields is None:
        return None
    case_id = chk.string(fields.get("id"), pattern=ID_PATTERN, what="case id (lower case, digits, dashes)")
    title = chk.string(fields.get("title")) or ""
    source = chk.string(fields.get("source")) or ""
    for_each = chk.string(fields.get("for_each"), choices=("type",)) if "for_each" in fields else None
    names: dict[str, Step] = {}
    steps: list[Step] = []
    for step_node in chk.sequence(fields.get("steps"), non_empty=True, what="list of steps") or []:
        step = _step(chk, step_node, names)
        if step is None:
            continue
        if step.name is not None:
            if step.name in names:
                chk.error(step_node, f"step name {step.name!r} is used twice in this case "
                                     f"(first at line {names[step.name].line})")
            names.setdefault(step.name, step)
        steps.append(step)
    if case_id is None:
        return None
    return Case(id=case_id, title=title, source=source, steps=tuple(steps), line=node.line,
                for_each_type=for_each == "type")


def _step(chk: Checker, node: Node, names: dict[str, Step]) -> Step | None:
    picked = chk.one_of_keys(node, [k.value for k in StepKind], what="step")
    if picked is None:
        return None
    kind_text, body = picked
    kind = StepKind(kind_text)
    required, optional = STEP_KEYS[kind]
    if kind is StepKind.WAIT and not isinstance(body.value, dict):
        seconds = chk.duration(body)
        return Step(kind, {"duration": seconds}, node.line) if seconds is not None else None
    fields = chk.mapping(body, required=required, optional=optional, what=f"{kind.value} step")
    if fields is None:
        return None
    out: dict[str, Any] = {}
    name = chk.string(fields.get("as"), pattern=NAME_PATTERN, what="step name") if "as" in fields else None
    for ref_key in ("of", "answering", "to"):
        if ref_key in fields:
            out[ref_key] = _reference(chk, fields[ref_key], names)
    if "note" in fields:
        out["note"] = chk.string(fields["note"])
    if kind is StepKind.DELIVER:
        message = chk.string(fields.get("message"), choices=DELIVER_MESSAGES)
        out["message"] = message
        if "variant" in fields and message is not None:
            out["variant"] = chk.string(fields["variant"], choices=DELIVER_VARIANTS[message])
        else:
            out["variant"] = "valid"
        if "type" in fields:
            out["type"] = chk.string(fields["type"])
        if out.get("variant") == "redelivery" and "of" not in fields:
            chk.error(body, "a redelivery names the delivered step it repeats with `of:`")
        if message in ("response", "rejection", "status", "async-rejection") and "to" not in fields:
            chk.error(body, f"a {message} delivered to a consumer names the request it answers with `to:`")
        if "code" in fields:
            if message == "rejection":
                out["code"] = chk.string(fields["code"], choices=vocab.REJECTION_CODES)
            elif message == "status":
                out["code"] = chk.integer(fields["code"])
            else:
                chk.error(fields["code"], "`code` applies to a rejection (reason code) or a status (status code)")
        if "status" in fields:
            if message != "async-rejection":
                chk.error(fields["status"], "`status` applies to an async-rejection (a status category)")
            out["status"] = chk.string(fields["status"], choices=vocab.STATUS_CATEGORIES)
        if "fault" in fields:
            if message != "async-rejection":
                chk.error(fields["fault"], "`fault` applies to an async-rejection (the SmevFault it carries)")
            out["fault"] = chk.string(fields["fault"], choices=vocab.FAULTS)
    elif kind is StepKind.TRIGGER:
        if "type" in fields:
            out["type"] = chk.string(fields["type"])
        out["variant"] = chk.string(fields["variant"], choices=TRIGGER_VARIANTS) if "variant" in fields else "valid"
    elif kind is StepKind.EXPECT:
        out["operation"] = chk.string(fields.get("operation"), choices=vocab.OPERATIONS)
        if "within" in fields:
            within = fields["within"]
            out["within"] = "auto" if within.value == "auto" else chk.duration(within)
        if "optional" in fields:
            out["optional"] = chk.boolean(fields["optional"])
        if "times" in fields:
            out["times"] = chk.integer(fields["times"], minimum=0)
    elif kind is StepKind.FAULT:
        operation = chk.string(fields.get("operation"), choices=vocab.OPERATIONS)
        fault = chk.string(fields.get("fault"), choices=vocab.FAULTS)
        out["operation"], out["fault"] = operation, fault
        if operation and fault and fault not in vocab.FAULTS_BY_OPERATION.get(operation, ()):
            chk.error(fields["fault"], f"{operation} does not answer with {fault}; it may answer with "
                                       f"{', '.join(vocab.FAULTS_BY_OPERATION.get(operation, ()))}")
        if "reason" in fields:
            if fault != "SignatureVerificationFault":
                chk.error(fields["reason"], "`reason` applies to SignatureVerificationFault only")
            out["reason"] = chk.string(fields["reason"], choices=vocab.SIGNATURE_FAULT_REASONS)
        out["times"] = chk.integer(fields["times"], minimum=1) if "times" in fields else 1
    elif kind is StepKind.WAIT:
        out["duration"] = chk.duration(fields.get("duration"))
    elif kind is StepKind.CRASH:
        out["at"] = chk.string(fields.get("at"), choices=CRASH_POINTS)
    assertions: list[Assertion] = []
    if "assert" in fields:
        for a_node in chk.sequence(fields["assert"], non_empty=True, what="list of assertions") or []:
            assertion = _assertion(chk, a_node, names)
            if assertion is not None:
                assertions.append(assertion)
    return Step(kind, out, node.line, name, tuple(assertions))


def _reference(chk: Checker, node: Node, names: dict[str, Step]) -> str | None:
    ref = chk.string(node, pattern=NAME_PATTERN, what="step name")
    if ref is not None and ref not in names:
        known = ", ".join(names) or "none"
        chk.error(node, f"refers to step {ref!r}, which no earlier step of this case names with `as:` "
                        f"(named so far: {known}){did_you_mean(ref, names)}")
        return None
    return ref


def _assertion(chk: Checker, node: Node, names: dict[str, Step]) -> Assertion | None:
    picked = chk.one_of_keys(node, ASSERTIONS, what="assertion")
    if picked is None:
        return None
    family, body = picked
    checks = ASSERTIONS[family]
    if not isinstance(body.value, dict):
        check = chk.string(body, choices=checks, what=f"{family} check")
        if check is None:
            return None
        required = [p.name for p in checks[check].required]
        if required:
            chk.error(body, f"{family} check {check!r} needs {', '.join(required)}")
        return Assertion(family, check, {}, node.line)
    keys = list(body.value)
    check = next((k for k in keys if k in checks), None)
    if check is None:
        chk.mapping(body, optional=[k for c, unit in checks.items() for k in (c, *unit.params)],
                    what=f"{family} assertion")
        chk.error(body, f"a {family} assertion names one of: {', '.join(checks)}")
        return None
    unit = checks[check]
    fields = chk.mapping(body, required=[p.name for p in unit.required],
                         optional=(check, *(p.name for p in unit.optional)), what=f"{family} {check} assertion")
    if fields is None:
        return None
    kinds = unit.params
    params: dict[str, Any] = {}
    for key, value_node in fields.items():
        kind = kinds[key].kind if key in kinds else ParamKind.PLAIN
        params[key] = _PARAM_READERS[kind](chk, value_node, names)
    return Assertion(family, check, params, node.line)


def _plain(chk: Checker, node: Node, names: dict[str, Step]) -> Any:
    return node.plain() if node.value is not None else None


_PARAM_READERS: dict[ParamKind, Callable[[Checker, Node, dict[str, Step]], Any]] = {
    ParamKind.REFERENCE: _reference,
    ParamKind.DURATION: lambda chk, node, names: "auto" if node.value == "auto" else chk.duration(node),
    ParamKind.BOOLEAN: lambda chk, node, names: chk.boolean(node),
    ParamKind.REJECTION_CODE: lambda chk, node, names: chk.string(node, choices=vocab.REJECTION_CODES),
    ParamKind.INTEGER: lambda chk, node, names: chk.integer(node),
    ParamKind.STRINGS: lambda chk, node, names: chk.strings(node),
    ParamKind.XPATH: lambda chk, node, names: _xpath(chk, node),
    ParamKind.OPERATION: lambda chk, node, names: chk.string(node, choices=vocab.OPERATIONS),
    ParamKind.PLAIN: _plain,
}
"""How a suite's parameter of each kind is read and checked (with its line)."""


def _xpath(chk: Checker, node: Node) -> str | None:
    text = chk.string(node, what="XPath")
    if text is None:
        return None

    try:
        etree.XPath(text, namespaces=vocab.XPATH_PREFIXES)
    except etree.XPathSyntaxError as exc:
        chk.error(node, f"not a valid XPath: {exc}")
        return None
    return text


def suite_names_in(path: Path) -> list[str]:
    """Names of the shipped suites (the YAML files of a directory)."""
    return sorted(p.stem for p in path.glob("*.yaml") if re.fullmatch(NAME_PATTERN, p.stem))
