"""Family `TIME-…`: rules judged at the instant `--at` (default now)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from conformance.findings import Severity
from conformance.protocol.facts import smev_name
from conformance.protocol.ids import STALE_AFTER, check_message_id, uuid1_time
from conformance.protocol.xmltext import parse_datetime as parse_xs_datetime
from conformance.rules import recipes as ex
from conformance.rules.catalogue import examples, rule
from conformance.rules.context import CheckContext, NotApplicable, Violation, applies
from conformance.rules.helpers import child_named, text_of

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future of `--at` an id's time may lie before it is suspicious (clocks of systems differ)."""


def _dated_ids(ctx: CheckContext):
    dated = applies([(f.element, uuid1_time(f.text)) for f in ctx.facts.sent_ids if check_message_id(f.text)], "the message has no valid version 1 MessageID to date (see MSG-ID-UUID1)")
    return dated


def _sent_at(element) -> datetime | None:
    """When the bus accepted a delivered message: the SendingTimestamp of the MessageMetadata beside its data."""
    holder = element.getparent().getparent() if element.getparent() is not None else None
    metadata = child_named(holder, "MessageMetadata") if holder is not None else None
    return _element_time(child_named(metadata, "SendingTimestamp")) if metadata is not None else None


@examples(bad=[ex.broken("a SendRequest whose MessageID was made three days before the check", "send_request", ex.stale,
                         "TIME-ID-ORDER")],
          good=[ex.valid("send_request")])
@rule("TIME-ID-STALE", f"The MessageID's embedded time is less than {STALE_AFTER.days} days before it is sent",
      Severity.ERROR, "SMEV 3 protocol: Identifiers and time (fault StaleMessageId: an id made two days or more "
      "before sending)", "Judged at --at for a message being sent, and at the bus's SendingTimestamp for a message "
      "as the bus delivered it. Typical cause: a client that retries with the original MessageID for days.")
def stale_id(ctx: CheckContext) -> Iterator[Violation]:
    for element, made in _dated_ids(ctx):
        sent = _sent_at(element)
        instant, what = (sent, "the bus's SendingTimestamp") if sent is not None else (ctx.at, "--at")
        age = instant - made
        if age >= STALE_AFTER:
            yield Violation(f"MessageID was made at {made.isoformat()}, {_days(age)} before {instant.isoformat()} "
                            f"({what}); the bus refuses ids {STALE_AFTER.days} days old or more (StaleMessageId)",
                            element)


@examples(bad=[ex.broken("a SendRequest whose MessageID was made an hour after the check", "send_request", ex.future)],
          good=[ex.valid("send_request")])
@rule("TIME-ID-FUTURE", f"The MessageID's embedded time is not more than {int(CLOCK_SKEW.total_seconds() // 60)} "
      "minutes after --at", Severity.WARNING,
      "SMEV 3 protocol: Identifiers and time (version 1 UUIDs carry their creation time); 451 §8д (freshness)",
      "An id from the future means a wrong system clock, or a time field forged into a random UUID.")
def future_id(ctx: CheckContext) -> Iterator[Violation]:
    for element, made in _dated_ids(ctx):
        if made - ctx.at > CLOCK_SKEW:
            yield Violation(f"MessageID was made at {made.isoformat()}, {made - ctx.at} after "
                            f"{ctx.at.isoformat()}", element)


def parse_datetime(text: str) -> datetime:
    """An xs:dateTime as an aware UTC datetime (no zone: UTC; the lexical form XML Schema allows, nothing else of
    ISO 8601). Raises ValueError."""
    return parse_xs_datetime(text).astimezone(UTC)


@examples(bad=[ex.broken("a SendRequest whose EOL passed an hour before the check", "send_request",
                         ex.set_text("EOL", (ex.AT - timedelta(hours=1)).isoformat()))],
          good=[ex.valid("send_request")])
@rule("TIME-EOL", "EOL (the message's end of life) has not passed at --at", Severity.ERROR,
      "SMEV 3 protocol: Identifiers and time (EOL past: fault EndOfLifeReached)",
      "An xs:dateTime without a zone is read as UTC.")
def end_of_life(ctx: CheckContext) -> Iterator[Violation]:
    found = applies(ctx.elements_named("EOL"), "the message sets no EOL")
    for element in found:
        try:
            eol = parse_datetime(text_of(element))
        except ValueError:
            yield Violation(f"EOL {text_of(element)!r} is not an xs:dateTime", element)
            continue
        if eol <= ctx.at:
            yield Violation(f"EOL {eol.isoformat()} has passed at {ctx.at.isoformat()} (EndOfLifeReached)", element)


def _days(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.1f} days"


def _element_time(element) -> datetime | None:
    try:
        return parse_datetime(text_of(element)) if element is not None else None
    except ValueError:
        return None


@examples(bad=[ex.broken("a delivered request whose SendingTimestamp is three days before its MessageID",
                         "get_request_response",
                         ex.set_text("SendingTimestamp", (ex.AT - timedelta(days=3)).isoformat()))],
          good=[ex.valid("get_request_response")])
@rule("TIME-METADATA-ORDER", "The bus's timestamps are in order: the message was made before it was sent, and sent "
      "before it was delivered", Severity.ERROR,
      "SMEV 3 protocol: Main structures (MessageMetadata SendingTimestamp, DeliveryTimestamp); 697 §7 (time of "
      "transfer, traceable history); 451 §11 (date and time of every interaction)",
      f"MessageID time ≤ SendingTimestamp (+{int(CLOCK_SKEW.total_seconds() // 60)} min clock skew) ≤ DeliveryTimestamp.")
def metadata_order(ctx: CheckContext) -> Iterator[Violation]:
    found = applies(ctx.elements_named("MessageMetadata"), "the message carries no MessageMetadata")
    for metadata in found:
        sent = _element_time(child_named(metadata, "SendingTimestamp"))
        delivered = _element_time(child_named(metadata, "DeliveryTimestamp"))
        if sent is not None and delivered is not None and delivered < sent:
            yield Violation(f"delivered at {delivered.isoformat()}, before it was sent ({sent.isoformat()})",
                            child_named(metadata, "DeliveryTimestamp"))
        holder = metadata.getparent()
        data = child_named(holder, "SenderProvidedRequestData")
        if data is None:
            data = child_named(holder, "SenderProvidedResponseData")
        own = child_named(data, "MessageID") if data is not None else None
        if sent is not None and own is not None and check_message_id(text_of(own)):
            made = uuid1_time(text_of(own))
            if made - sent > CLOCK_SKEW:
                yield Violation(f"sent at {sent.isoformat()}, before its MessageID was made ({made.isoformat()})",
                                child_named(metadata, "SendingTimestamp"))


ANSWER_WITHIN = timedelta(hours=48)
REALTIME_WITHIN = timedelta(seconds=2)


@examples(bad=[ex.broken("a response made 49 hours after its request", "get_response_response", ex.late_answer,
                         "TIME-ID-FUTURE", "TIME-METADATA-ORDER")],
          good=[ex.valid("get_response_response")])
@rule("TIME-ANSWER-DEADLINE", "A response was made within 48 hours of its request (2 seconds for a real-time type)",
      Severity.WARNING, "963 §10 (answer within 48 hours; real time: at most 2 seconds)",
      "Judged on delivered responses by the times inside the request's and the response's MessageIDs; a warning, "
      "as ids date when a message was made, not when it was queued.")
def answer_deadline(ctx: CheckContext) -> Iterator[Violation]:
    judged = False
    for response in ctx.elements_named("Response"):
        original = child_named(response, "OriginalMessageId")
        data = child_named(response, "SenderProvidedResponseData")
        own = child_named(data, "MessageID") if data is not None else None
        if original is None or own is None:
            continue
        if not (check_message_id(text_of(original)) and check_message_id(text_of(own))):
            continue
        judged = True
        took = uuid1_time(text_of(own)) - uuid1_time(text_of(original))
        limit, why = ANSWER_WITHIN, "48 hours"
        content = child_named(data, "MessagePrimaryContent")
        business = next((c for c in content if isinstance(c.tag, str)), None) if content is not None else None
        match = ctx.registry.by_element(business) if ctx.registry is not None and business is not None else None
        if match is not None and match.spec.realtime:
            limit, why = REALTIME_WITHIN, f"2 seconds ({match.spec.name} is a real-time type)"
        if took > limit:
            yield Violation(f"the response was made {took} after its request; the limit is {why}", own)
    if not judged:
        raise NotApplicable("no delivered response names its request by OriginalMessageId")


def _id_time(element) -> datetime | None:
    """The embedded time of a valid id element, or None (format problems are other rules' business)."""
    if element is None or not check_message_id(text_of(element)):
        return None
    return uuid1_time(text_of(element))


def _own_id_beside(element):
    """The MessageID of the message an OriginalMessageId or ReferenceMessageID element belongs to."""
    parent = element.getparent()
    own = child_named(parent, "MessageID")
    if own is None and smev_name(parent) == "Response":
        data = child_named(parent, "SenderProvidedResponseData")
        own = child_named(data, "MessageID") if data is not None else None
    return own


@examples(bad=[ex.broken("a response whose MessageID is older than its OriginalMessageId", "get_response_response",
                         ex.request_after_answer, "TIME-METADATA-ORDER")],
          good=[ex.valid("get_response_response")])
@rule("TIME-ID-ORDER", "A request (OriginalMessageId) and a chain's first message (ReferenceMessageID) are not dated "
      "after the message that names them", Severity.WARNING,
      "SMEV 3 protocol: Identifiers and time (version 1 UUIDs carry the clock of the system that made them)",
      "A warning, not a failure: the ids are made by different systems (the consumer's request, the provider's "
      "answer), each on its own clock, and the bus compares none of them (its id faults are InvalidMessageIdFormat "
      "and StaleMessageId only): a request dated after its answer says a clock is wrong, not that the bus refused "
      "the exchange.")
def id_order(ctx: CheckContext) -> Iterator[Violation]:
    judged = False
    for element in ctx.elements_named("OriginalMessageId", "ReferenceMessageID"):
        if smev_name(element.getparent()) not in ("Response", "SenderProvidedRequestData"):
            continue
        own = _own_id_beside(element)
        own_time, named_time = _id_time(own), _id_time(element)
        if own_time is None or named_time is None or text_of(own).strip() == text_of(element).strip():
            continue
        judged = True
        if named_time > own_time:
            what = "the request" if smev_name(element) == "OriginalMessageId" else "the chain's first message"
            yield Violation(f"{what} {text_of(element).strip()} is dated {named_time.isoformat()}, after the message "
                            f"{text_of(own).strip()} that names it ({own_time.isoformat()}): one of the two systems' "
                            "clocks is off", element)
    if not judged:
        raise NotApplicable("the message names no earlier message by a valid id beside its own")
