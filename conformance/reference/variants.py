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
            "answers-valid-request: LIVE-CASE, no Ack within the suite's 5 s (the bus redelivers the request after "
            "its ack timeout)", Behaviour(ack=AckMode.NEVER), _BOTH,
            "polls-and-acks-response: LIVE-CASE, no Ack of the response within 5 s"),
    Variant("ack-before-durable", "acks a request before its processing is committed, so a stop right after the "
            "ack loses the request",
            "acked-request-survives-restart: the request is acked but never answered after a restart (needs a "
            "suite step that restarts the participant; the shipped provider suite has none yet)",
            Behaviour(ack=AckMode.BEFORE_DURABLE)),
    Variant("upper-case-id", "writes MessageID in upper case",
            "answers-valid-request: MSG-ID-UUID1 (upper-case letters), MSG-SCHEMA-ENVELOPE; the bus answers "
            "InvalidMessageIdFormat", Behaviour(message_id=IdStyle.UPPER), _BOTH),
    Variant("uuid4-id", "makes MessageID with uuid4 (random) instead of uuid1 (time-based)",
            "answers-valid-request: MSG-ID-UUID1 (a version 4 UUID); the bus answers InvalidMessageIdFormat",
            Behaviour(message_id=IdStyle.UUID4), _BOTH),
    Variant("wrong-reference", "signs the SOAP Body (a WS-Security habit), not the block the operation signs",
            "answers-valid-request: SIG-REF-TARGET; the bus answers SignatureVerificationFault "
            "IncorrectSignatureTarget", Behaviour(signature=SignatureFlaw.WRONG_TARGET), _BOTH),
    Variant("indented-signed-info", "pretty-prints the envelope after signing, re-indenting SignedInfo",
            "answers-valid-request: SIG-VALUE with the diagnosis 'SignedInfo was indented after signing' (SIG-LAYOUT "
            "warns); the bus answers SignatureVerificationFault SignatureIsInvalid",
            Behaviour(signature=SignatureFlaw.INDENTED_SIGNED_INFO), _BOTH),
    Variant("inclusive-c14n", "canonicalises SignedInfo with inclusive c14n while declaring exclusive",
            "answers-valid-request: SIG-VALUE with the diagnosis 'inclusive instead of exclusive c14n'; the bus "
            "answers SignatureVerificationFault SignatureIsInvalid", Behaviour(signature=SignatureFlaw.INCLUSIVE_C14N),
            _BOTH),
    Variant("rs-order", "writes the GOST signature value as r‖s instead of s‖r",
            "answers-valid-request: SIG-VALUE with the diagnosis 'r‖s instead of s‖r'; the bus answers "
            "SignatureVerificationFault SignatureIsInvalid", Behaviour(signature=SignatureFlaw.RS_ORDER), _BOTH),
    Variant("slow", "takes 2.5 s to answer (a real-time type must be answered within 2 s)",
            "answers-valid-request: LIVE-CASE, no SendResponse within 2 s for a real-time type (963 §10)",
            Behaviour(answer_delay=2.5)),
    Variant("answers-twice", "keeps no journal of processed MessageIDs: a redelivered request is answered again",
            "answers-redelivery-once: LIVE-FLOW-NOT-ANSWERED-TWICE", Behaviour(deduplicate=False)),
    Variant("no-to", "leaves To out of the response instead of copying the request's ReplyTo",
            "answers-valid-request: the bus answers InvalidContent (MSG-SCHEMA-ENVELOPE, FLOW-REPLY-TO: no To)",
            Behaviour(copy_reply_to=False)),
    Variant("expired-certificate", "signs with a key whose certificate expired in 2021",
            "answers-valid-request: every call is refused with SignatureVerificationFault CertificateIsExpired "
            "(CERT-VALIDITY), so no Ack comes", Behaviour(signature=SignatureFlaw.EXPIRED_CERTIFICATE), _BOTH,
            "sends-valid-request: CERT-VALIDITY (CertificateIsExpired)"),
    Variant("ignores-bad-signature", "does not verify the bus's signature: acks accepted=true and processes a "
            "delivery whose bus signature is broken",
            "refuses-bad-bus-signature: LIVE-FLOW-ACKED (accepted=true), LIVE-FLOW-NOT-ANSWERED",
            Behaviour(honour_bad_bus_signature=False)),
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

