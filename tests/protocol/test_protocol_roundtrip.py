"""Round trips of the message model through XML, over generated messages of every operation x version."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from protocol_strategies import PAIRS, any_message

from conformance.protocol import build, parse
from conformance.protocol.operations import Operation
from conformance.protocol.samples import iter_samples

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_every_operation_of_every_version_is_covered():
    assert len(PAIRS) == 3 * 13 + 2  # 13 kinds in every version, plus GetIncomingQueueStatistics x2 in 1.1
    assert {op for op, _ in PAIRS} == set(Operation)


@pytest.mark.slow  # measured: 6 s on a loaded 2-core machine
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_message())
def test_build_then_parse_gives_an_equal_object(case):
    operation, version, message = case
    parsed = parse(build(message, version))
    assert parsed.operation is operation
    assert parsed.version is version
    assert parsed.message == message


@pytest.mark.slow  # measured: 5 s on a loaded 2-core machine
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_message())
def test_parse_build_parse_is_stable(case):
    operation, version, message = case
    once = parse(build(message, version))
    second = build(once.message, version)
    twice = parse(second)
    assert twice.message == once.message
    assert build(twice.message, version) == second  # after one trip the bytes are a fixed point


@pytest.mark.parametrize("sample", list(iter_samples(seed=5, at=AT)), ids=lambda s: s.name)
def test_every_sample_round_trips(sample):
    data = build(sample.message, sample.version)
    parsed = parse(data)
    assert (parsed.operation, parsed.version) == (sample.operation, sample.version)
    assert parsed.message == sample.message
    assert build(parsed.message, sample.version) == data


def test_real_envelope_round_trips():
    from pathlib import Path

    real = Path(__file__).resolve().parents[1] / "xmldsig" / "vectors" / "real" / "SendRequestRequest-1.2.xml"
    if not real.exists():
        pytest.skip("shared vectors not mounted")
    parsed = parse(real.read_bytes(), source=str(real))
    data = parsed.message.data
    assert data.message_id == "39f52a38-9a54-11ea-b23a-3316e2108089"
    assert data.id == "SIGNED_BY_CONSUMER"
    assert data.content.namespace == "urn://x-artefacts-gis-ergz-public/2.0.0"
    assert parsed.message.signature.local_name == "Signature"
    assert b"B8i7m4JuYocBfT9YO8D1WEGlv4nhcRDcS9zHXmrKfPY=" in parsed.message.signature.canonical
    again = parse(build(parsed.message, parsed.version))
    assert again.message == parsed.message
