"""SMEV 3 identifiers: MessageID generation and checks, the time inside a version-1 UUID, and chain rules.

A MessageID is a lower-case RFC 4122 version 1 UUID (`uuid.uuid1()`): the bus refuses a malformed one
(InvalidMessageIdFormat), one whose embedded time is old (StaleMessageId) and a repeated one (MessageIsAlreadySent).
The embedded time also dates the message, e.g. to judge a certificate at the moment the message was made.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

_UUID_SHAPE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

_GREGORIAN_EPOCH = datetime(1582, 10, 15, tzinfo=UTC)
"""Origin of the 60-bit count of 100-ns intervals in a version-1 UUID."""

STALE_AFTER = timedelta(days=2)
"""Age of the embedded time from which the bus answers StaleMessageId (retrying for two days or more)."""


class IdProblem(StrEnum):
    """Why a string is not an acceptable MessageID."""

    MALFORMED = "malformed"
    UPPER_CASE = "upper case"
    WRONG_VERSION = "wrong version"
    WRONG_VARIANT = "wrong variant"


@dataclass(frozen=True)
class IdVerdict:
    """`problem` is None when the id is a lower-case RFC 4122 version-1 UUID; `reason` explains otherwise."""

    problem: IdProblem | None
    reason: str

    def __bool__(self) -> bool:
        return self.problem is None


def check_message_id(value: str | None) -> IdVerdict:
    """Judge `value` as an SMEV MessageID, with a reason a person can act on."""
    if value is None or not _UUID_SHAPE.match(value):
        return IdVerdict(IdProblem.MALFORMED, f"{value!r} is not a UUID of the form 8-4-4-4-12 hexadecimal digits")
    parsed = uuid.UUID(value)
    if parsed.variant != uuid.RFC_4122:
        return IdVerdict(IdProblem.WRONG_VARIANT, f"{value!r} is not an RFC 4122 UUID (variant {parsed.variant})")
    if parsed.version != 1:
        return IdVerdict(IdProblem.WRONG_VERSION,
                         f"{value!r} is a version {parsed.version} UUID; SMEV needs version 1 (time-based)")
    if value != value.lower():
        return IdVerdict(IdProblem.UPPER_CASE, f"{value!r} has upper-case letters; SMEV needs lower case")
    return IdVerdict(None, "lower-case RFC 4122 version 1 UUID")


def is_lower_uuid1(value: str | None) -> bool:
    """True when `value` is an acceptable MessageID (see `check_message_id` for the reason when not)."""
    return bool(check_message_id(value))


def uuid1_time(value: str) -> datetime:
    """The creation time embedded in a version-1 UUID, as an aware UTC datetime (100-ns precision truncated to µs).

    Raises `ValueError` when `value` is not a version-1 UUID (case is not judged here).
    """
    if not _UUID_SHAPE.match(value or ""):
        raise ValueError(f"{value!r} is not a UUID")
    parsed = uuid.UUID(value)
    if parsed.version != 1 or parsed.variant != uuid.RFC_4122:
        raise ValueError(f"{value!r} is not a version 1 UUID, so it carries no time")
    return _GREGORIAN_EPOCH + timedelta(microseconds=parsed.time // 10)


def new_message_id(at: datetime | None = None, *, rng: random.Random | None = None) -> str:
    """A fresh lower-case version-1 UUID.

    With neither argument this is `uuid.uuid1()`. With `at` (aware) the embedded time is `at`; with `rng` the clock
    sequence and node come from it (a random multicast node, as RFC 4122 §4.5 advises when no MAC is used), so a
    seeded generator gives reproducible ids.
    """
    if at is None and rng is None:
        return str(uuid.uuid1())
    moment = at if at is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("new_message_id needs an aware datetime")
    source = rng if rng is not None else random.SystemRandom()
    delta = moment.astimezone(UTC) - _GREGORIAN_EPOCH
    ticks = (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
    ticks += source.randrange(10)  # sub-microsecond ticks, so ids made in the same microsecond differ
    clock_seq = source.getrandbits(14)
    node = source.getrandbits(48) | (1 << 40)  # multicast bit set: not a real MAC address
    fields = (ticks & 0xFFFFFFFF, (ticks >> 32) & 0xFFFF, ((ticks >> 48) & 0x0FFF) | 0x1000,
              ((clock_seq >> 8) & 0x3F) | 0x80, clock_seq & 0xFF, node)
    return str(uuid.UUID(fields=fields))


def message_age(message_id: str, at: datetime) -> timedelta:
    """How old the message is at `at`, by its id's embedded time (negative when the id is from the future)."""
    return at.astimezone(UTC) - uuid1_time(message_id)


def is_stale(message_id: str, at: datetime, limit: timedelta = STALE_AFTER) -> bool:
    """True when the bus would answer StaleMessageId at `at`."""
    return message_age(message_id, at) >= limit


# --- chain rules ------------------------------------------------------------------------------------------------


def chain_reference(first_message_id: str, reference_message_id: str | None = None) -> str:
    """The ReferenceMessageID of a message in a chain: the MessageID of the chain's first message.

    A message continuing a chain copies the ReferenceMessageID it got (or, when it answers the first message,
    that message's MessageID).
    """
    return reference_message_id or first_message_id


def check_original_message_id(request_message_id: str, original_message_id: str | None) -> str | None:
    """A response's `OriginalMessageId` is the request's MessageID. Returns the problem, or `None` when it holds."""
    if original_message_id is None:
        return None
    if original_message_id != request_message_id:
        return (f"OriginalMessageId {original_message_id!r} is not the request's MessageID "
                f"{request_message_id!r}")
    return None


def check_reply_to(request_reply_to: str | None, response_to: str | None) -> str | None:
    """`SenderProvidedResponseData/To` must be the request's `ReplyTo` verbatim (opaque, byte for byte).

    Returns the problem, or `None` when it holds.
    """
    if request_reply_to is None:
        return None
    if response_to is None:
        return "the response has no To, but the request carried a ReplyTo"
    if response_to != request_reply_to:
        return f"To {response_to!r} is not a verbatim copy of the request's ReplyTo {request_reply_to!r}"
    return None
