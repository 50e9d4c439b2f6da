"""Units: parsing into SI, refusing wrong or missing units, and format -> parse round trips."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.yamlnodes import quantities as u

finite = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("text", "seconds"), [
    ("150ms", 0.15), ("2s", 2.0), ("5min", 300.0), ("48h", 172800.0), ("2d", 172800.0), ("1.5 h", 5400.0),
    ("250us", 250e-6), ("0", 0.0), ("1_000ms", 1.0), (0, 0.0),
])
def test_durations_parse_to_seconds(text, seconds):
    assert math.isclose(u.parse_duration(text), seconds)


@pytest.mark.parametrize(("text", "per_second"), [("2/s", 2.0), ("120/min", 2.0), ("7000/s", 7000.0), ("36/h", 0.01)])
def test_rates_parse_to_events_per_second(text, per_second):
    assert math.isclose(u.parse_rate(text), per_second)


@pytest.mark.parametrize(("text", "n_bytes"), [("64KiB", 65536), ("5MiB", 5 * 2**20), ("1kB", 1000), ("512B", 512),
                                                ("1GB", 10**9)])
def test_sizes_parse_to_bytes(text, n_bytes):
    assert u.parse_size(text) == n_bytes


def test_bandwidth_and_shares():
    assert u.parse_bandwidth("100Mbit/s") == 1e8
    assert u.parse_bandwidth("1Gbit/s") == 1e9
    assert math.isclose(u.parse_share("99.9%"), 0.999)
    assert u.parse_share(0.5) == 0.5


@pytest.mark.parametrize(("parser", "text", "needle"), [
    (u.parse_duration, 5, "has no unit"),
    (u.parse_duration, "5 parsecs", "not a duration unit"),
    (u.parse_duration, "2/s", "not a duration unit"),
    (u.parse_rate, "3", "has no unit"),
    (u.parse_rate, "3/fortnight", "not a rate unit"),
    (u.parse_size, "5ms", "not a size unit"),
    (u.parse_bandwidth, "100Mbps", "not a bandwidth unit"),
    (u.parse_share, "120%", "outside 0%..100%"),
    (u.parse_share, "5ms", "not a share unit"),
    (u.parse_duration, True, "expected a duration"),
    (u.parse_duration, "fast", "expected a duration"),
    (u.parse_duration, "nanms", "expected a duration"),
])
def test_wrong_or_missing_units_are_refused_with_the_reason(parser, text, needle):
    with pytest.raises(u.UnitError, match=needle):
        parser(text)


ROUND_TRIPS = {
    "duration": (u.parse_duration, u.format_duration, finite),
    "rate": (u.parse_rate, u.format_rate, finite),
    "size": (u.parse_size, u.format_size, st.integers(min_value=0, max_value=2**50)),
    "bandwidth": (u.parse_bandwidth, u.format_bandwidth, finite),
    "share": (u.parse_share, u.format_share, st.floats(min_value=0, max_value=1)),
}


@pytest.mark.parametrize("quantity", ROUND_TRIPS)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_format_parse_round_trip(quantity, data):
    """What a quantity's formatter writes, its parser reads back exactly."""
    parse, fmt, values = ROUND_TRIPS[quantity]
    value = data.draw(values)
    assert parse(fmt(value)) == value


def test_formats_pick_readable_units():
    assert u.format_duration(0.15) == "150ms"
    assert u.format_duration(172800) == "2d"
    assert u.format_size(65536) == "64KiB"
    assert u.format_rate(7000) == "7000/s"
    assert u.format_bandwidth(1e8) == "100Mbit/s"
    assert u.format_share(0.999) == "99.9%"
