"""The rules a live suite reports (`smev-conformance run`), declared in the existing families with a `-LIVE-` topic.

A live check is not a new family of the protocol: it judges the same things (structure, signatures, exchange
flow, timing) on a participant's calls rather than on a file, so its id keeps the family's prefix and says `LIVE`
after it: `FLOW-LIVE-ACKED`, `TIME-LIVE-WITHIN`, `SIG-LIVE-ABSENT`. `--select FLOW-LIVE` picks every live flow
check, `--ignore TIME-LIVE` drops the live timing ones. When a live structure or signature check fails, the suite
engine reports the static catalogue rule that failed (MSG-ID-UUID1, SIG-VALUE, CERT-VALIDITY, ...) instead.

Each assertion a suite may write is one unit (`base.LiveAssertion`: rule, parameters, examples, judgement) in its
family module (`wire`: structure and signature, `flow`, `timing`, `content`), registered in `ASSERTIONS` below; its
id comes from `assertion_rule_id`. The `*_RULE` constants are the engine's own rules (a case that cannot go on, a
call that never came, a refused call, a negative delivery). All are declared in the catalogue here; their outcome
comes from a live run, not a static check.
"""

from __future__ import annotations

from conformance.findings import Severity
from conformance.rules.catalogue import declare
from conformance.rules.live import content, flow, timing, wire
from conformance.rules.live.base import LiveAssertion, assertion_rule_id

CASE_RULE = "FLOW-LIVE-CASE"
CALL_MISSING_RULE = "FLOW-LIVE-CALL-MISSING"
NOT_CALLED_RULE = "FLOW-LIVE-NOT-CALLED"
REFUSED_RULE = "FLOW-LIVE-REFUSED"
NEGATIVE_RULE = "FLOW-LIVE-REFUSES-NEGATIVE"
WITHIN_RULE = "TIME-LIVE-WITHIN"

ASSERTIONS: dict[str, dict[str, LiveAssertion]] = {}
"""Every live assertion unit, by family and check (`ASSERTIONS["flow"]["acked"]`), in the order a suite's
documentation lists them. A new assertion: a `LiveAssertion` in its family module, listed in that module's
`ASSERTIONS`."""

for _unit in (*wire.ASSERTIONS, *flow.ASSERTIONS, *timing.ASSERTIONS, *content.ASSERTIONS):
    ASSERTIONS.setdefault(_unit.family, {})[_unit.check] = _unit
    _entry = _unit.rule
    declare(_entry.id, _entry.title, _entry.severity, _entry.source, _entry.description, bad=_entry.bad,
            good=_entry.good)


def unit_of(rule_id: str) -> LiveAssertion | None:
    """The live assertion whose rule is `rule_id`, or None."""
    return next((u for checks in ASSERTIONS.values() for u in checks.values() if u.rule_id == rule_id), None)


declare(CASE_RULE, "A live case runs to its end", Severity.ERROR,
        "697 §7.1 (an exchange is a request, a response and the acknowledgements of both)",
        "Fails when a step cannot go on (a step refers to a message that never came, the trigger failed, the "
        "harness could not deliver); passes, with the case's title, when a case has no assertion of its own.")
declare(CALL_MISSING_RULE, "The participant makes the call a step expects, within the step's time",
        Severity.ERROR, "SMEV 3 protocol: Operations; 697 §11",
        "E.g. no Ack of a delivered message within the suite's ack time.")
declare(NOT_CALLED_RULE, "The participant does not make a call a step forbids", Severity.ERROR,
        "697 §7.1 (the exchange flow); 697 §11 (use only what the technical requirements describe)",
        "`expect … times: 0` without assertions; only calls the bus accepted count.")
declare(REFUSED_RULE, "The bus accepts every call of the participant that the suite did not arrange to refuse",
        Severity.ERROR, "SMEV 3 protocol: Faults",
        "One finding per distinct fault the bus answered (e.g. SignatureVerificationFault CertificateIsExpired on "
        "GetRequest), with the catalogue rules that diagnose it reported beside it.")
declare(NEGATIVE_RULE, "The provider refuses a delivery from the negative catalogue: Ack accepted=false for a broken "
        "sender signature or certificate, RequestRejected for bad content, never an answer as if it were valid",
        Severity.ERROR,
        "697 §11 (verify the signatures of SMEV and of others); 697 §6л (block messages of non-matching structure); 963 §4")


def declared_live_ids() -> tuple[str, ...]:
    """Every id a live suite can report (besides the static rules a structure or signature check names)."""
    return tuple(u.rule_id for checks in ASSERTIONS.values() for u in checks.values()) + (
        CASE_RULE, CALL_MISSING_RULE, NOT_CALLED_RULE, REFUSED_RULE, NEGATIVE_RULE, WITHIN_RULE)


__all__ = ["ASSERTIONS", "CALL_MISSING_RULE", "CASE_RULE", "NEGATIVE_RULE", "NOT_CALLED_RULE", "REFUSED_RULE",
           "WITHIN_RULE", "LiveAssertion", "assertion_rule_id", "declared_live_ids", "unit_of"]
