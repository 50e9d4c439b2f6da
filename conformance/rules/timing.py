"""Family `TIME-…`: rules judged at the instant `--at` (default now)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from conformance.protocol.ids import STALE_AFTER, check_message_id, uuid1_time
from conformance.rules.catalogue import rule
from conformance.rules.context import CheckContext, NotApplicable, Violation
from conformance.rules.helpers import elements_named, smev_local, text_of
from conformance.rules.model import Severity

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future of `--at` an id's time may lie before it is suspicious (clocks of systems differ)."""


def _sender_ids(ctx: CheckContext):
    return [e for e in elements_named(ctx.body, "MessageID")
            if smev_local(e.getparent()) in ("SenderProvidedRequestData", "SenderProvidedResponseData")]


def _dated_ids(ctx: CheckContext):
    dated = [(e, uuid1_time(text_of(e))) for e in _sender_ids(ctx) if check_message_id(text_of(e))]
    if not dated:
        raise NotApplicable("the message has no valid version 1 MessageID to date (see MSG-ID-UUID1)")
    return dated


@rule("TIME-ID-STALE", f"The MessageID's embedded time is less than {STALE_AFTER.days} days before --at",
      Severity.ERROR, "SMEV 3 protocol: Identifiers and time (fault StaleMessageId: an id made two days or more "
      "before sending)", "Typical cause: a client that retries with the original MessageID for days.")
def stale_id(ctx: CheckContext) -> Iterator[Violation]:
    for element, made in _dated_ids(ctx):
        age = ctx.at - made
        if age >= STALE_AFTER:
            yield Violation(f"MessageID was made at {made.isoformat()}, {_days(age)} before {ctx.at.isoformat()}; "
                            f"the bus refuses ids {STALE_AFTER.days} days old or more (StaleMessageId)", element)


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
    """An xs:dateTime as an aware UTC datetime (no zone: UTC). Raises ValueError."""
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@rule("TIME-EOL", "EOL (the message's end of life) has not passed at --at", Severity.ERROR,
      "SMEV 3 protocol: Identifiers and time (EOL past: fault EndOfLifeReached)",
      "An xs:dateTime without a zone is read as UTC.")
def end_of_life(ctx: CheckContext) -> Iterator[Violation]:
    found = elements_named(ctx.body, "EOL")
    if not found:
        raise NotApplicable("the message sets no EOL")
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
