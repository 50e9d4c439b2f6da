"""MessageID generation and checks, the time inside a version-1 UUID, staleness and chain rules."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.protocol import ids
from conformance.protocol.ids import IdProblem

REAL_ID = "39f52a38-9a54-11ea-b23a-3316e2108089"  # the MessageID of the real 1.2 envelope in shared/vectors

moments = st.datetimes(datetime(1990, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC))


def test_default_generation_is_uuid1_lower_case_and_fresh():
    value = ids.new_message_id()
    assert ids.is_lower_uuid1(value)
    assert value == value.lower()
    assert abs(ids.uuid1_time(value) - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
@settings(max_examples=200, deadline=None)
@given(moments, st.integers(0, 2**64))
def test_generated_id_embeds_the_requested_time(moment, seed):
    value = ids.new_message_id(moment, rng=random.Random(seed))
    assert ids.check_message_id(value).problem is None
    assert ids.uuid1_time(value) == moment  # sub-microsecond ticks are added, never a whole microsecond


def test_seeded_generation_is_reproducible_and_distinct_per_draw():
    at = datetime(2026, 11, 22, 12, tzinfo=UTC)
    first = [ids.new_message_id(at, rng=random.Random(7)) for _ in range(2)]
    assert first[0] == first[1]
    rng = random.Random(7)
    assert len({ids.new_message_id(at, rng=rng) for _ in range(50)}) == 50


def test_generation_refuses_naive_time():
    with pytest.raises(ValueError, match="aware"):
        ids.new_message_id(datetime(2026, 1, 1), rng=random.Random(1))


def test_real_message_time_is_read_from_its_id():
    assert ids.uuid1_time(REAL_ID) == datetime(2020, 5, 20, 4, 41, 52, 852024, tzinfo=UTC)


@pytest.mark.parametrize(("value", "problem", "words"), [
    (REAL_ID.upper(), IdProblem.UPPER_CASE, "upper-case"),
    ("d0c3c002-E6A4-11f0-a46d-cd61d8f16adf", IdProblem.UPPER_CASE, "upper-case"),
    (str(uuid.UUID(int=12345, version=4)), IdProblem.WRONG_VERSION, "version 4"),
    ("39f52a38-9a54-11ea-723a-3316e2108089", IdProblem.WRONG_VARIANT, "RFC 4122"),
    ("39f52a38-9a54-11ea-b23a-3316e210808", IdProblem.MALFORMED, "8-4-4-4-12"),
    ("{39f52a38-9a54-11ea-b23a-3316e2108089}", IdProblem.MALFORMED, "8-4-4-4-12"),
    ("39f52a389a5411eab23a3316e2108089", IdProblem.MALFORMED, "8-4-4-4-12"),
    ("", IdProblem.MALFORMED, "8-4-4-4-12"),
    (None, IdProblem.MALFORMED, "8-4-4-4-12"),
])
def test_bad_ids_name_their_problem(value, problem, words):
    verdict = ids.check_message_id(value)
    assert verdict.problem is problem
    assert not verdict
    assert words in verdict.reason
    assert not ids.is_lower_uuid1(value)


@given(st.uuids(version=4).map(str))
def test_random_uuids_are_refused(value):
    assert ids.check_message_id(value).problem is IdProblem.WRONG_VERSION


def test_uuid1_time_refuses_other_versions():
    with pytest.raises(ValueError, match="version 1"):
        ids.uuid1_time(str(uuid.uuid4()))
    with pytest.raises(ValueError, match="not a UUID"):
        ids.uuid1_time("nope")


def test_staleness_is_judged_at_the_given_moment():
    made = datetime(2026, 11, 20, 12, tzinfo=UTC)
    value = ids.new_message_id(made, rng=random.Random(1))
    assert not ids.is_stale(value, made + timedelta(days=2) - timedelta(seconds=1))
    assert ids.is_stale(value, made + timedelta(days=2))
    assert ids.message_age(value, made.astimezone(timezone(timedelta(hours=3))) + timedelta(hours=1)) \
        == timedelta(hours=1)
    assert ids.message_age(value, made - timedelta(minutes=1)) < timedelta(0)


def test_chain_rules():
    first, second = (ids.new_message_id(rng=random.Random(i)) for i in range(2))
    assert ids.chain_reference(first) == first
    assert ids.chain_reference(second, first) == first
    assert ids.check_original_message_id(first, first) is None
    assert "not the request's MessageID" in ids.check_original_message_id(first, second)
    assert ids.check_original_message_id(first, None) is None
    reply_to = "eyJzaWQiOjEyMywiYWRkciI6Im1vY2sifQ=="
    assert ids.check_reply_to(reply_to, reply_to) is None
    assert "verbatim" in ids.check_reply_to(reply_to, reply_to + " ")
    assert "no To" in ids.check_reply_to(reply_to, None)
    assert ids.check_reply_to(None, "anything") is None
