"""Families `MSG-ID-…` and `FLOW-…`: message identifiers and the references that chain messages together."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from conformance.findings import Severity
from conformance.protocol.facts import FieldFact, smev_name
from conformance.protocol.ids import check_message_id
from conformance.rules import recipes as ex
from conformance.rules.catalogue import examples, rule
from conformance.rules.context import CheckContext, NotApplicable, Violation, applies
from conformance.rules.corpus import SENDING
from conformance.rules.helpers import child_named, text_of

_IDS = "SMEV 3 protocol: Identifiers and time"


@examples(bad=[ex.broken("MessageID written in upper case", "send_request",
                         ex.set_text("MessageID", ex.REQUEST_ID.upper()), "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-ID-UUID1", "MessageID is a lower-case RFC 4122 version 1 UUID", Severity.ERROR,
      f"{_IDS} (MessageID; faults InvalidMessageIdFormat)")
def message_id_uuid1(ctx: CheckContext) -> Iterator[Violation]:
    yield from _malformed(ctx.facts.message_ids, "the message carries no MessageID")


def _format(item: FieldFact, what: str) -> Violation | None:
    verdict = check_message_id(item.text)
    return None if verdict else Violation(f"{what}: {verdict.reason}", item.element)


def _malformed(found: Sequence[FieldFact], absent: str, what: str | None = None) -> Iterator[Violation]:
    """A violation per id of `found` that is not a lower-case UUID v1, named `what` (default: its field's name);
    the rule does not apply (`absent`) when there is none."""
    for item in applies(found, absent):
        problem = _format(item, what or item.name)
        if problem:
            yield problem


@examples(bad=[ex.broken("a ReferenceMessageID that is a version 4 UUID", "send_request",
                         ex.set_text("ReferenceMessageID", "0b5e9a39-3f64-4a8e-9a53-2b1b8b0c9d11"))],
          good=[ex.valid("send_request")])
@rule("FLOW-REFERENCE-ID", "ReferenceMessageID names another message by a lower-case UUID v1", Severity.ERROR,
      f"{_IDS} (ReferenceMessageID is the MessageID of the first message of a chain)",
      "Its time order against the message's own id is TIME-ID-ORDER's (a warning).")
def reference_message_id(ctx: CheckContext) -> Iterator[Violation]:
    yield from _malformed(ctx.facts.reference_ids, "the message continues no chain (no ReferenceMessageID)",
                          "ReferenceMessageID")


@examples(bad=[ex.broken("a delivered response whose OriginalMessageId is its own MessageID", "get_response_response",
                         ex.original_is_own)],
          good=[ex.valid("get_response_response")])
@rule("FLOW-ORIGINAL-ID", "OriginalMessageId names the request: a lower-case UUID v1, not the response's own id",
      Severity.ERROR, f"{_IDS} (a response's OriginalMessageId is the request's MessageID)",
      "A request dated after its answer is TIME-ID-ORDER's (a warning: the two ids come from two systems' clocks).")
def original_message_id(ctx: CheckContext) -> Iterator[Violation]:
    found = applies(ctx.facts.original_ids, "the message answers no request (no OriginalMessageId)")
    for item in found:
        problem = _format(item, "OriginalMessageId")
        if problem:
            yield problem
            continue
        if item.holder != "Response":
            continue
        data = child_named(item.element.getparent(), "SenderProvidedResponseData")
        own = child_named(data, "MessageID") if data is not None else None
        if own is None:
            continue
        if text_of(own).strip() == item.text.strip():
            yield Violation("OriginalMessageId is the response's own MessageID, not the request's", item.element)


@examples(bad=[ex.broken("AckTargetMessage 42", "ack", ex.set_text("AckTargetMessage", "42"), "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("ack")])
@rule("FLOW-ACK-TARGET", "AckTargetMessage names a received message by its lower-case UUID v1", Severity.ERROR,
      "SMEV 3 protocol: Main structures (AckTargetMessage: the UUID of the received message); 697 §7.1")
def ack_target(ctx: CheckContext) -> Iterator[Violation]:
    yield from _malformed(ctx.facts.ack_targets, "the message is no acknowledgement", "AckTargetMessage")


@examples(bad=[ex.broken("a SendResponse whose To is blank", "send_response", ex.set_text("To", " "))],
          good=[ex.valid("send_response")])
@rule("FLOW-REPLY-TO", "A response carries the request's ReplyTo in To; a delivered 1.1 request carries ReplyTo",
      Severity.ERROR, f"{_IDS}; SMEV 3 protocol: Main structures (To: verbatim copy of the request's ReplyTo; "
      "ReplyTo mandatory in 1.1)",
      "Within one file: presence and non-emptiness (the verbatim copy needs the request; see the live suites).")
def reply_to(ctx: CheckContext) -> Iterator[Violation]:
    responses = ctx.elements_named("SenderProvidedResponseData")
    requests = [r for r in ctx.elements_named("Request") if smev_name(r.getparent()) == "RequestMessage"]
    if not responses and not requests:
        raise NotApplicable("the message neither carries a request as delivered nor a response")
    for data in responses:
        to = child_named(data, "To")
        if to is None or not text_of(to).strip():
            yield Violation("SenderProvidedResponseData has no To (the request's ReplyTo, copied verbatim)", data)
            continue
    for request in requests:
        reply = child_named(request, "ReplyTo")
        if reply is None and ctx.version is not None and ctx.version.value == "1.1":
            yield Violation("a delivered 1.1 Request must carry ReplyTo", request)
        elif reply is not None and not text_of(reply).strip():
            yield Violation("ReplyTo is empty", reply)


@examples(bad=[ex.shown("the SendRequest checked beside another file that sent the same MessageID",
                        ex.message("send_request"), corpus=ex.corpus_of("send_request"))],
          good=[ex.Example("the SendRequest checked alone", ex.message("send_request"), ex.judged(corpus=ex.Corpus))])
@rule("FLOW-ID-UNIQUE", "A sent MessageID is not sent again by another message of the same run", Severity.WARNING,
      f"{_IDS} (a repeated MessageID: fault MessageIsAlreadySent); 697 §11к (resend after fixing)",
      "Across the files of one `check` run: two SendRequest/SendResponse messages should not share a MessageID; the "
      "bus refuses the second. A warning, not an error: the files of a run may have gone to different buses.")
def id_unique(ctx: CheckContext) -> Iterator[Violation]:
    if ctx.operation not in SENDING:
        raise NotApplicable("the message is not one a participant sends (SendRequest, SendResponse)")
    if ctx.corpus is None:
        raise NotApplicable("the message was checked alone: there is no other message to compare with")
    for item in ctx.facts.sent_ids:
        others = [p for p in ctx.corpus.sent.get(item.text.strip(), []) if p != ctx.path]
        if others:
            yield Violation(f"MessageID {item.text.strip()} is also sent by {', '.join(sorted(set(others)))} "
                            "(MessageIsAlreadySent)", item.element)


_KINDS = {"Request": ("REQUEST", "BROADCAST", "CANCEL"), "Response": ("RESPONSE",)}


@examples(bad=[ex.broken("a delivered response whose MessageType says REQUEST", "get_response_response",
                         ex.set_text("MessageType", "REQUEST"))],
          good=[ex.valid("get_response_response")])
@rule("FLOW-MESSAGE-TYPE", "MessageMetadata/MessageType agrees with what the bus delivers (REQUEST or BROADCAST in a "
      "Request, RESPONSE in a Response)", Severity.ERROR,
      "SMEV 3 protocol: Main structures (MessageMetadata: MessageType REQUEST | BROADCAST | RESPONSE); 697 §7.1")
def message_type(ctx: CheckContext) -> Iterator[Violation]:
    judged = False
    for holder in ctx.elements_named("Request", "Response"):
        metadata = child_named(holder, "MessageMetadata")
        kind = child_named(metadata, "MessageType") if metadata is not None else None
        if kind is None:
            continue
        judged = True
        allowed = _KINDS[smev_name(holder)]
        if text_of(kind).strip() not in allowed:
            yield Violation(f"a {smev_name(holder)} has MessageType {text_of(kind).strip()!r}; expected "
                            f"{' or '.join(allowed)}", kind)
    if not judged:
        raise NotApplicable("the message carries no delivered Request or Response with a MessageType")
