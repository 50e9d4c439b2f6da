"""Lexical forms of xs:dateTime, xs:boolean, integers and base64 as the model reads and writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.protocol.xmltext import (
    format_base64,
    format_bool,
    format_datetime,
    parse_base64,
    parse_bool,
    parse_datetime,
    parse_int,
)

zones = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))


@given(st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31), timezones=zones))
def test_datetimes_round_trip(moment):
    text = format_datetime(moment)
    back = parse_datetime(text)
    assert back == moment and back.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-22T12:00:00Z", datetime(2026, 11, 22, 12, tzinfo=UTC)),
    ("2026-11-22T15:00:00+03:00", datetime(2026, 11, 22, 12, tzinfo=UTC)),
    ("2026-11-22T12:00:00", datetime(2026, 11, 22, 12, tzinfo=UTC)),  # no zone: read as UTC
    ("2026-11-22T12:00:00.1234567891Z", datetime(2026, 11, 22, 12, 0, 0, 123456, tzinfo=UTC)),
    (" 2026-11-22T12:00:00.5Z\n", datetime(2026, 11, 22, 12, 0, 0, 500000, tzinfo=UTC)),
])
def test_datetime_forms(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["", "2026-11-22", "22.11.2026 12:00", "2026-11-22T25:00:00Z", "2026-11-22T12:00Z",
                                  "2026-11-22T12:00:00+3"])
def test_bad_datetimes_are_refused(text):
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_naive_datetimes_are_not_written():
    with pytest.raises(ValueError, match="no time zone"):
        format_datetime(datetime(2026, 1, 1))


def test_booleans_integers_and_base64():
    assert parse_bool(format_bool(True)) is True and parse_bool("0") is False
    with pytest.raises(ValueError):
        parse_bool("yes")
    assert parse_int(" -42 ") == -42
    with pytest.raises(ValueError):
        parse_int("4.2")
    assert parse_base64("QUJD\nREVG") == b"ABCDEF"
    with pytest.raises(ValueError, match="base64"):
        parse_base64("QUJ")


@given(st.binary(max_size=100))
def test_base64_round_trips(data):
    assert parse_base64(format_base64(data)) == data
