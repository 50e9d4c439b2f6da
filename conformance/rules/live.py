"""The rules a live suite reports (`smev-conformance run`), declared in the existing families with a `-LIVE-` topic.

A live check is not a new family of the protocol: it judges the same things (structure, signatures, exchange
flow, timing) on a participant's calls rather than on a file, so its id keeps the family's prefix and says `LIVE`
after it: `FLOW-LIVE-ACKED`, `TIME-LIVE-WITHIN`, `SIG-LIVE-ABSENT`. `--select FLOW-LIVE` picks every live flow
check, `--ignore TIME-LIVE` drops the live timing ones. When a live structure or signature check fails, the suite
engine reports the static catalogue rule that failed (MSG-ID-UUID1, SIG-VALUE, CERT-VALIDITY, ...) instead.

Every id the engine emits comes from `assertion_rule_id` (one per assertion family and check of a suite) or is
one of the `*_RULE` constants; all are declared here (their outcome comes from the engine, not a static check).
"""

from __future__ import annotations

from conformance.findings import Severity
from conformance.rules.catalogue import declare

CASE_RULE = "FLOW-LIVE-CASE"
CALL_MISSING_RULE = "FLOW-LIVE-CALL-MISSING"
NOT_CALLED_RULE = "FLOW-LIVE-NOT-CALLED"
REFUSED_RULE = "FLOW-LIVE-REFUSED"
NEGATIVE_RULE = "FLOW-LIVE-REFUSES-NEGATIVE"
WITHIN_RULE = "TIME-LIVE-WITHIN"

_PREFIX = {"structure": "MSG-LIVE-STRUCTURE", "content": "MSG-LIVE-CONTENT", "signature": "SIG-LIVE",
           "flow": "FLOW-LIVE", "timing": "TIME-LIVE"}


def assertion_rule_id(family: str, check: str) -> str:
    """The rule id of a suite assertion `family: check` (`flow: reply_to_copied` -> FLOW-LIVE-REPLY-TO-COPIED)."""
    prefix = _PREFIX[family]
    if family == "structure":  # a single check (valid)
        return prefix
    return f"{prefix}-{check.upper().replace('_', '-')}"


_ASSERTION_RULES: dict[tuple[str, str], tuple[str, Severity, str]] = {
    ("structure", "valid"): ("The participant's call passes every static rule of the catalogue", Severity.ERROR,
                             "697 §11; SMEV 3 protocol: Main structures"),
    ("signature", "valid"): ("Every signature of the participant's call verifies", Severity.ERROR,
                             "697 §11 (electronic signature of every message); SMEV 3 protocol: Signatures"),
    ("signature", "absent"): ("The participant's call carries no signature where none may be", Severity.ERROR,
                              "SMEV 3 protocol: Signatures"),
    ("flow", "acked"): ("The participant acks the delivered message, with the expected accepted flag",
                        Severity.ERROR, "SMEV 3 protocol: every message taken from a queue must be acked; 697 §11"),
    ("flow", "not-acked"): ("The participant does not ack the delivered message", Severity.ERROR,
                            "SMEV 3 protocol: Ack"),
    ("flow", "reply_to_copied"): ("The answer's To is the request's ReplyTo, copied verbatim", Severity.ERROR,
                                  "SMEV 3 protocol: ReplyTo and To"),
    ("flow", "answers"): ("The answer is addressed to the delivered request", Severity.ERROR,
                          "SMEV 3 protocol: ReplyTo and To; 963 §4"),
    ("flow", "not_answered_twice"): ("A redelivered request is not answered a second time", Severity.ERROR,
                                     "697 §7.1 (guaranteed delivery)"),
    ("flow", "not_answered"): ("A delivery the participant must refuse is not answered", Severity.ERROR,
                               "697 §11 (verify the signatures of SMEV)"),
    ("flow", "new_message_id"): ("After the bus refused a message, the resent one has a new MessageID",
                                 Severity.ERROR, "SMEV 3 protocol: Identifiers; 697 §11"),
    ("flow", "same_payload_as"): ("The resent message carries the same business content", Severity.ERROR,
                                  "697 §11 (resend after the violation is fixed)"),
    ("flow", "backoff_at_least"): ("A retry after SMEVFailure waits at least the suite's backoff", Severity.ERROR,
                                   "697 §11 (resend after a failure)"),
    ("flow", "polls"): ("The participant keeps polling the named operation", Severity.ERROR,
                        "SMEV 3 protocol: Operations (GetRequest / GetResponse polling)"),
    ("timing", "within"): ("The participant answers in time: 2 s for a real-time type, 48 h (scaled) otherwise",
                           Severity.ERROR, "963 §10"),
    ("content", "rejection"): ("A request that must be refused gets RequestRejected with the expected code",
                               Severity.ERROR, "963 §4"),
    ("content", "status_code"): ("The RequestStatus has the expected code", Severity.ERROR, "697 §6о"),
    ("content", "answer"): ("A valid request gets a business answer with data", Severity.ERROR, "963 §4"),
    ("content", "test_message"): ("The TestMessage flag is as expected", Severity.ERROR,
                                  "SMEV 3 protocol: TestMessage"),
    ("content", "xpath"): ("A suite's XPath assertion on the participant's call holds", Severity.ERROR,
                           "697 §11 (participants answer for the fields of what they send)"),
}

for (_family, _check), (_title, _severity, _source) in _ASSERTION_RULES.items():
    declare(assertion_rule_id(_family, _check), _title, _severity, _source,
            f"Reported by a live suite for the assertion `{_family}: {_check}`.")

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
    return tuple(assertion_rule_id(f, c) for f, c in _ASSERTION_RULES) + (
        CASE_RULE, CALL_MISSING_RULE, NOT_CALLED_RULE, REFUSED_RULE, NEGATIVE_RULE, WITHIN_RULE)
