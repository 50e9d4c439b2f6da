"""The SQLite store: queue order, leases and redelivery, acks, duplicate ids, and surviving a restart."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.bus.store import AckResult, BusStore, Kind

NS = "urn://example/inn/1.0.0"


def _put(store: BusStore, mid: str, *, recipient: str = "FNS", kind: Kind = Kind.REQUEST, at: float = 0.0,
         root: str = "InnRequest") -> int:
    return store.enqueue(message_id=mid, kind=kind, version="1.3", namespace=NS, root=root, sender="MVD",
                         recipient=recipient, payload=mid.encode(), at=at)


def test_take_is_fifo_per_recipient_and_leases_the_message():
    store = BusStore()
    _put(store, "a")
    _put(store, "b")
    _put(store, "c", recipient="SFR")
    first = store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=10, lease=60)
    second = store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=10, lease=60)
    assert (first.message_id, second.message_id) == ("a", "b")
    assert first.leased_until == 70 and first.deliveries == 1
    assert store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=11, lease=60) is None  # both leased


def test_unacked_message_is_redelivered_after_the_lease_and_not_before():
    store = BusStore()
    _put(store, "a")
    store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=0, lease=30)
    assert store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=29.9, lease=30) is None
    again = store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=30, lease=30)
    assert again is not None and again.message_id == "a" and again.deliveries == 2
    assert again.first_delivered_at == 0


def test_ack_removes_for_good_and_second_ack_or_foreign_ack_is_refused():
    store = BusStore()
    _put(store, "a")
    assert store.ack(message_id="a", recipient="FNS", accepted=True, at=1)[0] is AckResult.NOT_FOUND  # not delivered
    store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=0, lease=30)
    assert store.ack(message_id="a", recipient="SFR", accepted=True, at=1)[0] is AckResult.NOT_FOUND
    result, msg = store.ack(message_id="a", recipient="FNS", accepted=False, at=2)
    assert result is AckResult.ACKED and msg.accepted is False and msg.acked_at == 2
    assert store.ack(message_id="a", recipient="FNS", accepted=True, at=3)[0] is AckResult.ALREADY_ACKED
    assert store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=1000, lease=30) is None


def test_selector_and_kind_filters():
    store = BusStore()
    _put(store, "r1", kind=Kind.RESPONSE, root="InnResponse")
    _put(store, "s1", kind=Kind.STATUS, root="InnResponse")
    assert store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=0, lease=1) is None
    assert store.take(recipient="FNS", kinds=(Kind.STATUS,), at=0, lease=1).message_id == "s1"
    assert store.take(recipient="FNS", kinds=(Kind.RESPONSE,), at=0, lease=1, root="Other") is None
    assert store.take(recipient="FNS", kinds=(Kind.RESPONSE,), at=0, lease=1, namespace=NS,
                      root="InnResponse").message_id == "r1"


def test_message_ids_are_remembered_once():
    store = BusStore()
    assert store.remember_id("m", "MVD", "SendRequest", 0)
    assert not store.remember_id("m", "SFR", "SendResponse", 5)
    assert store.id_seen("m") and not store.id_seen("n")


def test_state_survives_a_restart(tmp_path):
    path = tmp_path / "bus.sqlite"
    store = BusStore(path)
    _put(store, "a")
    _put(store, "b")
    store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=0, lease=30)
    store.ack(message_id="a", recipient="FNS", accepted=True, at=1)
    store.remember_id("a", "MVD", "SendRequest", 0)
    store.record_status("a", "messageIsDelivered", 1.0)
    store.close()

    reopened = BusStore(path)
    assert reopened.id_seen("a")
    assert reopened.get("a").acked_at == 1
    assert [e.category for e in reopened.status_history("a")] == ["messageIsDelivered"]
    assert reopened.take(recipient="FNS", kinds=(Kind.REQUEST,), at=2, lease=30).message_id == "b"
    assert reopened.pending_counts("FNS") == {(NS, "InnRequest"): 1}


def test_a_file_that_is_not_a_database_is_an_input_error(tmp_path):
    import pytest

    from conformance.errors import InputError

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="junk.sqlite"):
        BusStore(junk)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["take", "ack", "tick"]), st.integers(0, 5)), max_size=40))
def test_every_message_is_delivered_until_acked_and_never_after(ops):
    """Property: whatever the interleaving, an acked message is never delivered again, and a message not acked
    is always delivered again once time passes its lease (guaranteed delivery)."""
    store = BusStore()
    ids = [f"m{i}" for i in range(6)]
    for mid in ids:
        _put(store, mid)
    now, lease = 0.0, 10.0
    delivered: set[str] = set()
    acked: set[str] = set()
    for op, n in ops:
        if op == "take":
            msg = store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=now, lease=lease)
            if msg is not None:
                assert msg.message_id not in acked
                delivered.add(msg.message_id)
        elif op == "ack":
            mid = ids[n]
            result, _ = store.ack(message_id=mid, recipient="FNS", accepted=True, at=now)
            if mid in delivered and mid not in acked:
                assert result is AckResult.ACKED
                acked.add(mid)
            elif mid in acked:
                assert result is AckResult.ALREADY_ACKED
            else:
                assert result is AckResult.NOT_FOUND
        else:
            now += 4.0
    now += lease + 1
    remaining = set()
    while (msg := store.take(recipient="FNS", kinds=(Kind.REQUEST,), at=now, lease=lease)) is not None:
        remaining.add(msg.message_id)
    assert remaining == set(ids) - acked
