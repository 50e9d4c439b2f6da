"""The reference participant's deliberately broken twins: each a small, named deviation from the reference.

A `Behaviour` is the set of switches the provider and the consumer consult at the few places an integrator can
go wrong; the reference is `Behaviour()`. A `Variant` names one realistic mistake, the switch that makes it, and
the finding a conformance suite must report for it (`finding`: the suite case, and the rule id or fault the bus
or the assertion reports). `VARIANTS` is the table; `--variant NAME` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from conformance.errors import UsageError


class AckMode(StrEnum):
    AFTER_DURABLE = "after-durable"
    """The reference: ack once the request and its answer are committed."""
    BEFORE_DURABLE = "before-durable"
    """Ack at once, process afterwards: a crash in between loses the message."""
    NEVER = "never"


class IdStyle(StrEnum):
    UUID1 = "uuid1"
    UPPER = "upper"
    """uuid1() printed in upper case (e.g. a Java/.NET `toString().toUpperCase()`)."""
    UUID4 = "uuid4"
    """A random UUID (`uuid.uuid4()`, `UUID.randomUUID()`)."""


class SignatureFlaw(StrEnum):
    NONE = "none"
    WRONG_TARGET = "wrong-target"
    """The Reference names the SOAP Body (a WS-Security habit) instead of the block the operation signs."""
    INDENTED_SIGNED_INFO = "indented-signed-info"
    """The envelope is pretty-printed after signing: SignedInfo is re-indented."""
    INCLUSIVE_C14N = "inclusive-c14n"
    """SignedInfo canonicalised with inclusive c14n (while declaring exclusive)."""
    RS_ORDER = "rs-order"
    """The signature value written r‖s instead of s‖r."""
    EXPIRED_CERTIFICATE = "expired-certificate"
    """Signed with a key whose certificate has expired."""


@dataclass(frozen=True)
class Behaviour:
    """Switches of the reference participant; the defaults are correct behaviour."""

    ack: AckMode = AckMode.AFTER_DURABLE
    message_id: IdStyle = IdStyle.UUID1
    signature: SignatureFlaw = SignatureFlaw.NONE
    answer_delay: float = 0.0
    """Seconds the provider waits before SendResponse."""
    deduplicate: bool = True
    """Keep a journal of processed MessageIDs so a redelivered request is not answered twice."""
    copy_reply_to: bool = True
    """Put the request's ReplyTo into To; False leaves To out."""
    honour_bad_bus_signature: bool = True
    """Ack accepted=false and drop a delivery whose bus signature fails; False: accept and process it anyway."""


@dataclass(frozen=True)
class Named:
    """The finding that names a variant's mistake: a failed finding of `rule` in suite case `case` whose message
    contains `text` (when given). The mutation score compares a run's findings with it."""

    case: str
    rule: str
    text: str = ""

    def matches(self, case: str, rule_id: str, message: str) -> bool:
        return case == self.case and rule_id == self.rule and self.text in message

    def __str__(self) -> str:
        return f"{self.case}: {self.rule}" + (f" ({self.text!r})" if self.text else "")


@dataclass(frozen=True)
class Variant:
    name: str
    mistake: str
    """The integrator's mistake, in a sentence."""
    finding: str
    """What the provider suite must report: `<suite case>: <rule ids / faults>`."""
    behaviour: Behaviour
    roles: tuple[str, ...] = ("provider",)
    """Roles in which the mistake shows on the wire."""
    consumer_finding: str | None = None
    """What the consumer suite must report, when the mistake shows in the consumer role."""
    named: tuple[Named, ...] = ()
    """The finding that names the mistake, per role in `roles` order (what `finding` says, machine-checkable)."""

    def named_for(self, role: str) -> Named | None:
        """The finding that must name this mistake in the suite of `role` (None: not in that role)."""
        return self.named[self.roles.index(role)] if role in self.roles and self.named else None

    def finding_for(self, role: str) -> str:
        """The finding in the suite of `role` (the consumer suite's first case is sends-valid-request)."""
        if role != "consumer":
            return self.finding
        return self.consumer_finding or self.finding.replace("answers-valid-request", "sends-valid-request", 1)


REFERENCE = Variant("reference", "none: the reference participant", "every suite passes", Behaviour(),
                    ("provider", "consumer"))

_BOTH = ("provider", "consumer")

_VARIANT_LIST = (
    Variant("no-ack", "never acks what it takes from the queue",
            "answers-valid-request: FLOW-LIVE-CALL-MISSING, no Ack within the suite's 5 s (the bus redelivers the "
            "request after its ack timeout)", Behaviour(ack=AckMode.NEVER), _BOTH,
            "polls-and-acks-response: FLOW-LIVE-CALL-MISSING, no Ack of the response within 5 s",
            (Named("answers-valid-request", "FLOW-LIVE-CALL-MISSING", "call Ack"),
             Named("polls-and-acks-response", "FLOW-LIVE-CALL-MISSING", "call Ack"))),
    Variant("ack-before-durable", "acks a request before its processing is committed, so a stop right after the "
            "ack loses the request",
            "acked-request-survives-restart: FLOW-LIVE-CALL-MISSING, the request is acked but never answered after "
            "the participant is killed at its Ack and restarted", Behaviour(ack=AckMode.BEFORE_DURABLE),
            named=(Named("acked-request-survives-restart", "FLOW-LIVE-CALL-MISSING", "call SendResponse"),)),
    Variant("upper-case-id", "writes MessageID in upper case",
            "answers-valid-request: MSG-ID-UUID1 (upper-case letters), MSG-SCHEMA-ENVELOPE; the bus answers "
            "InvalidMessageIdFormat", Behaviour(message_id=IdStyle.UPPER), _BOTH,
            named=(Named("answers-valid-request", "MSG-ID-UUID1", "upper-case"),
                   Named("sends-valid-request", "MSG-ID-UUID1", "upper-case"))),
    Variant("uuid4-id", "makes MessageID with uuid4 (random) instead of uuid1 (time-based)",
            "answers-valid-request: MSG-ID-UUID1 (a version 4 UUID); the bus answers InvalidMessageIdFormat",
            Behaviour(message_id=IdStyle.UUID4), _BOTH,
            named=(Named("answers-valid-request", "MSG-ID-UUID1", "version 4"),
                   Named("sends-valid-request", "MSG-ID-UUID1", "version 4"))),
    Variant("wrong-reference", "signs the SOAP Body (a WS-Security habit), not the block the operation signs",
            "answers-valid-request: SIG-REF-TARGET; the bus answers SignatureVerificationFault "
            "IncorrectSignatureTarget", Behaviour(signature=SignatureFlaw.WRONG_TARGET), _BOTH,
            named=(Named("answers-valid-request", "SIG-REF-TARGET"), Named("sends-valid-request", "SIG-REF-TARGET"))),
    Variant("indented-signed-info", "pretty-prints the envelope after signing, re-indenting SignedInfo",
            "answers-valid-request: SIG-VALUE with the diagnosis 'SignedInfo was indented after signing' (SIG-LAYOUT "
            "warns); the bus answers SignatureVerificationFault SignatureIsInvalid",
            Behaviour(signature=SignatureFlaw.INDENTED_SIGNED_INFO), _BOTH,
            named=(Named("answers-valid-request", "SIG-VALUE", "SignedInfo was indented after signing"),
                   Named("sends-valid-request", "SIG-VALUE", "SignedInfo was indented after signing"))),
    Variant("inclusive-c14n", "canonicalises SignedInfo with inclusive c14n while declaring exclusive",
            "answers-valid-request: SIG-VALUE with the diagnosis 'inclusive instead of exclusive c14n'; the bus "
            "answers SignatureVerificationFault SignatureIsInvalid", Behaviour(signature=SignatureFlaw.INCLUSIVE_C14N),
            _BOTH, named=(Named("answers-valid-request", "SIG-VALUE", "inclusive instead of exclusive c14n"),
                          Named("sends-valid-request", "SIG-VALUE", "inclusive instead of exclusive c14n"))),
    Variant("rs-order", "writes the GOST signature value as r‖s instead of s‖r",
            "answers-valid-request: SIG-VALUE with the diagnosis 'r‖s instead of s‖r'; the bus answers "
            "SignatureVerificationFault SignatureIsInvalid", Behaviour(signature=SignatureFlaw.RS_ORDER), _BOTH,
            named=(Named("answers-valid-request", "SIG-VALUE", "r‖s instead of s‖r"),
                   Named("sends-valid-request", "SIG-VALUE", "r‖s instead of s‖r"))),
    Variant("slow", "takes 2.5 s to answer (a real-time type must be answered within 2 s)",
            "answers-valid-request: TIME-LIVE-WITHIN, no SendResponse within 2 s for a real-time type (963 §10)",
            Behaviour(answer_delay=2.5), named=(Named("answers-valid-request", "TIME-LIVE-WITHIN", "real-time"),)),
    Variant("answers-twice", "keeps no journal of processed MessageIDs: a redelivered request is answered again",
            "answers-redelivery-once: FLOW-LIVE-NOT-ANSWERED-TWICE", Behaviour(deduplicate=False),
            named=(Named("answers-redelivery-once", "FLOW-LIVE-NOT-ANSWERED-TWICE"),)),
    Variant("no-to", "leaves To out of the response instead of copying the request's ReplyTo",
            "answers-valid-request: FLOW-LIVE-REPLY-TO-COPIED (To is missing); the bus answers InvalidContent "
            "(MSG-SCHEMA-ENVELOPE)", Behaviour(copy_reply_to=False),
            named=(Named("answers-valid-request", "FLOW-LIVE-REPLY-TO-COPIED", "To is missing"),)),
    Variant("expired-certificate", "signs with a key whose certificate expired in 2021",
            "answers-valid-request: every call is refused with SignatureVerificationFault CertificateIsExpired "
            "(CERT-VALIDITY, FLOW-LIVE-REFUSED), so no Ack comes", Behaviour(signature=SignatureFlaw.EXPIRED_CERTIFICATE),
            _BOTH, "sends-valid-request: CERT-VALIDITY (CertificateIsExpired)",
            (Named("answers-valid-request", "CERT-VALIDITY"), Named("sends-valid-request", "CERT-VALIDITY"))),
    Variant("ignores-bad-signature", "does not verify the bus's signature: acks accepted=true and processes a "
            "delivery whose bus signature is broken",
            "refuses-bad-bus-signature: FLOW-LIVE-ACKED (accepted=true), FLOW-LIVE-NOT-ANSWERED",
            Behaviour(honour_bad_bus_signature=False),
            named=(Named("refuses-bad-bus-signature", "FLOW-LIVE-ACKED", "accepted=true"),)),
)

VARIANTS: dict[str, Variant] = {v.name: v for v in _VARIANT_LIST}
"""Name -> broken variant (the reference itself is `REFERENCE`, not in this table)."""


def variant(name: str | None) -> Variant:
    """The variant called `name`; None or "reference" is the reference. A usage error lists the names."""
    if name in (None, "", REFERENCE.name):
        return REFERENCE
    if name not in VARIANTS:
        raise UsageError(f"--variant {name!r} is unknown; variants: {', '.join(VARIANTS)}")
    return VARIANTS[name]

