"""Lexical forms of the XML Schema types the protocol uses: dateTime, boolean, integer, base64Binary."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta

_DATETIME = re.compile(
    r"^(?P<date>-?\d{4,}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d{2}:\d{2})?$")


def format_datetime(value: datetime) -> str:
    """xs:dateTime of an aware datetime, e.g. `2026-11-22T15:40:00.123000+03:00` (microseconds when non-zero)."""
    if value.tzinfo is None:
        raise ValueError(f"datetime {value!r} has no time zone; the model keeps aware datetimes only")
    return value.isoformat()


def parse_datetime(text: str) -> datetime:
    """xs:dateTime -> aware datetime. A value without a zone is read as UTC; fractions beyond µs are truncated;
    `24:00:00` is the first instant of the next day (XML Schema 1.0 §3.2.7, as Java's XMLGregorianCalendar reads it)."""
    match = _DATETIME.match(text.strip()) if text else None
    if not match:
        raise ValueError(f"{text!r} is not an xs:dateTime")
    frac = (match["frac"] or "")[:6].ljust(6, "0") if match["frac"] else None
    tz = match["tz"]
    clock, end_of_day = match["time"], False
    if clock == "24:00:00" and not (match["frac"] or "").strip("0"):
        clock, frac, end_of_day = "00:00:00", None, True
    normalized = f"{match['date']}T{clock}" + (f".{frac}" if frac else "")
    if tz == "Z" or tz is None:
        normalized += "+00:00"
    else:
        normalized += tz
    value = datetime.fromisoformat(normalized)
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value + timedelta(days=1) if end_of_day else value


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def parse_bool(text: str) -> bool:
    cleaned = (text or "").strip()
    if cleaned in ("true", "1"):
        return True
    if cleaned in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not an xs:boolean (true, false, 1, 0)")


def parse_int(text: str) -> int:
    cleaned = (text or "").strip()
    if not re.fullmatch(r"[+-]?\d+", cleaned):
        raise ValueError(f"{text!r} is not an integer")
    return int(cleaned)


def format_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parse_base64(text: str) -> bytes:
    """xs:base64Binary; whitespace (line breaks of MIME-style encoders) is allowed."""
    cleaned = re.sub(r"\s+", "", text or "")
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None
