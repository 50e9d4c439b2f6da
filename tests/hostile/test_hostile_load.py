"""Load attacks on the bus double beyond the HTTP framing ones (tests/bus/test_bus_http_attacks.py), as an attacker
would run them on 127.0.0.1: connection-slot exhaustion (slowloris heads, trickled bodies, idle keep-alives), many
small calls on one kept-alive connection, a flood of headers. Each: the attack, then a legitimate client that must
still be served."""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))
from bus_helpers import inn_request, serve  # noqa: E402

from conformance.bus.store import BusStore  # noqa: E402
from conformance.protocol import ids  # noqa: E402
from conformance.protocol import model as m  # noqa: E402
from conformance.protocol.builder import build  # noqa: E402
from conformance.protocol.codes import FaultName  # noqa: E402

SLOTS = 8


@pytest.fixture
def small():
    """A double with few connection slots, so that exhausting them takes a handful of sockets."""
    served = serve()
    served.running.server.max_connections = SLOTS
    yield served
    served.running.close()


def _port(served) -> int:
    return served.running.server.server_address[1]


def _health(port: int, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET /_double/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data


def _hold(port: int, first: bytes, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if first:
            sock.sendall(first)
        held.append(sock)
    time.sleep(0.2)
    return held


@pytest.mark.parametrize("first", [
    pytest.param(b"POST /smev HTTP/1.1\r\nHost: x\r\n", id="slowloris-heads"),
    pytest.param(b"", id="silent-sockets"),
    pytest.param(b"POST /smev HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n<", id="trickled-bodies"),
    pytest.param(b"GET /_double/health HTTP/1.1\r\nHost: x\r\n\r\n", id="idle-keep-alives"),
])
def test_stalled_connections_on_every_slot_do_not_lock_a_client_out(small, first):
    """Every slot taken by a connection that makes no progress: the next client takes the slot of the slowest and
    is answered at once (before the fix: 503 for HEAD_DEADLINE, 60 s, and again as soon as the attacker reconnects)."""
    held = _hold(_port(small), first, SLOTS * 2)  # twice the slots: the later ones evict the earlier ones
    try:
        for _ in range(3):
            assert _health(_port(small)).startswith(b"HTTP/1.1 200"), "a legitimate client was locked out"
        assert small.running.server.evictions >= SLOTS
    finally:
        for sock in held:
            sock.close()


def test_a_client_sending_its_body_at_a_good_rate_is_never_evicted(small):
    """Eviction takes only what is stalled: a connection whose body arrives above BODY_MIN_RATE keeps its slot."""
    server = small.running.server
    server.body_min_rate = 1  # the held bodies below arrive at a few hundred bytes per second: progress
    held = _hold(_port(small), b"POST /smev HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"<" * 200, SLOTS)
    try:
        answer = _health(_port(small))
        assert answer.startswith(b"HTTP/1.1 503"), answer[:100]
        assert server.evictions == 0
    finally:
        for sock in held:
            sock.close()


def test_many_small_calls_on_one_kept_alive_connection_are_each_answered(small):
    """2,000 pipelined health checks on one connection: each answered, in order, and the slot count stays right."""
    calls = 2000
    with socket.create_connection(("127.0.0.1", _port(small)), timeout=30) as sock:
        sock.sendall(b"GET /_double/health HTTP/1.1\r\nHost: x\r\n\r\n" * calls)
        data = b""
        while data.count(b"HTTP/1.1 200") < calls:
            chunk = sock.recv(65536)
            assert chunk, f"dropped after {data.count(b'HTTP/1.1 200')} answers"
            data += chunk
    assert _health(_port(small)).startswith(b"HTTP/1.1 200")


def test_a_flood_of_headers_is_refused_with_431(small):
    """10,000 header lines: refused after the stdlib's 100, with a status, not read on."""
    head = b"POST /smev HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 10_000 + b"Content-Length: 0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", _port(small)), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the bus answers before reading it all
            sock.sendall(head)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 431") or answer.startswith(b"HTTP/1.0 431"), answer[:200]
    assert _health(_port(small)).startswith(b"HTTP/1.1 200")


# -- the state file: bounded however many calls come ------------------------------------------------------------


def test_a_flood_of_garbage_calls_does_not_grow_the_journal_past_its_budget(tmp_path):
    """Every call is journalled raw, refused ones included, and nobody needs a key to send garbage: 300 calls of
    20 KB keep the journal within its budget (the oldest exchanges are forgotten) and the file stops growing."""
    store = BusStore(tmp_path / "state.sqlite", durability="normal", journal_budget=400_000)
    served = serve(store=store)
    try:
        client = served.client("MVD")
        sizes = []
        for _round in range(3):
            for _ in range(100):
                reply = client.post(b"<" * 20_000, soap_action="urn:SendRequest")
                assert reply.fault is not None and reply.fault.name is FaultName.INVALID_CONTENT
            store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            sizes.append((tmp_path / "state.sqlite").stat().st_size)
        kept = store.exchanges()
        assert sum(len(e.request_body) + len(e.response_body) for e in kept) <= 400_000
        assert 10 < len(kept) < 300 and kept[-1].id == 300  # the newest stay
        assert sizes[2] <= sizes[0] * 1.2, sizes  # pages are reused: no growth once the budget is reached
    finally:
        served.running.close()


def test_the_journal_budget_is_counted_across_a_restart(tmp_path):
    path = tmp_path / "state.sqlite"
    first = BusStore(path, journal_budget=None)
    for _ in range(20):
        first.record_exchange(at=0, caller=None, rpc=None, version=None, message_id=None, http_status=500,
                              fault=None, request_headers="", request_body=b"x" * 10_000, response_headers="",
                              response_body=b"")
    first.close()
    again = BusStore(path, journal_budget=50_000)
    again.record_exchange(at=0, caller=None, rpc=None, version=None, message_id=None, http_status=500, fault=None,
                          request_headers="", request_body=b"y", response_headers="", response_body=b"")
    kept = again.exchanges()
    assert [e.id for e in kept] == list(range(17, 22))  # 4 of the old ones (40,000 bytes) and the new one


def test_a_recipient_that_never_acks_fills_its_queue_to_destination_overflow():
    """A flood of valid SendRequests to a provider that never acks: past `max_pending` the sender gets
    DestinationOverflow naming the queue, its MessageID stays unspent, and once the provider acks one it goes
    through."""
    served = serve(max_pending=5)
    try:
        consumer, provider = served.client("MVD"), served.client("FNS")
        for _ in range(5):
            assert consumer.send_request(inn_request()).status == 200
        envelope = build(m.SendRequestRequest(m.SenderProvidedRequestData(ids.new_message_id(), inn_request())), "1.3")
        reply = consumer.post(envelope, soap_action="urn:SendRequest")
        assert reply.fault is not None and reply.fault.name is FaultName.DESTINATION_OVERFLOW, reply.body[:300]
        assert "FNS" in reply.fault.faultstring
        assert len(served.bus.store.messages(recipient="FNS")) == 5
        taken = provider.get_request().message.message.request.data.message_id
        assert provider.ack(taken).status == 200
        assert consumer.post(envelope, soap_action="urn:SendRequest").status == 200  # the same MessageID: unspent
    finally:
        served.running.close()


def test_a_queue_is_bounded_in_bytes_too():
    served = serve(max_pending_bytes=3_000)
    try:
        consumer = served.client("MVD")
        replies = [consumer.send_request(inn_request("4500 " + "1" * 400)) for _ in range(6)]
        faults = [r.fault.name for r in replies if r.fault is not None]
        assert faults and set(faults) == {FaultName.DESTINATION_OVERFLOW}
        assert sum(len(q.payload) for q in served.bus.store.messages(recipient="FNS")) <= 3_000
    finally:
        served.running.close()


# -- bodies built to be expensive ---------------------------------------------------------------------------------


def test_a_body_with_100k_namespace_declarations_is_refused_as_xml():
    """100,000 namespace declarations on the Body element: a clean MSG-XML reject, before any rule or signature."""
    served = serve()
    try:
        declarations = " ".join(f'xmlns:p{i}="urn:n{i}"' for i in range(100_000))
        body = (f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body {declarations}>'
                "</soap:Body></soap:Envelope>").encode()
        reply = served.client("MVD").post(body, soap_action="urn:SendRequest")
        assert reply.fault is not None and reply.fault.name is FaultName.INVALID_CONTENT, reply.body[:300]
        assert "MSG-XML" in reply.body.decode()
    finally:
        served.running.close()


@pytest.mark.slow  # measured: about 3 s (a 50 MB body)
def test_a_50_mb_mtom_attachment_is_refused_by_size():
    """A 50 MB MTOM part (within the 64 MB body limit): AttachmentSizeLimitExceeded, not hashed or checked."""
    from lxml import etree

    from conformance.protocol.mtom import encode_multipart

    served = serve()
    try:
        t13 = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.3"
        data = m.SenderProvidedRequestData(ids.new_message_id(), inn_request())
        root = etree.fromstring(build(m.SendRequestRequest(data), "1.3"))
        operation = root.find(f".//{{{t13}}}SendRequestRequest")
        content = etree.SubElement(etree.SubElement(etree.SubElement(operation, f"{{{t13}}}AttachmentContentList"),
                                                    f"{{{t13}}}AttachmentContent"), f"{{{t13}}}Id")
        content.text = "big"
        payload = etree.SubElement(content.getparent(), f"{{{t13}}}Content")
        etree.SubElement(payload, "{http://www.w3.org/2004/08/xop/include}Include", href="cid:big")
        ctype, body = encode_multipart(etree.tostring(root), {"big": b"\x01" * 50_000_000})
        reply = served.client("MVD").post(body, content_type=ctype, soap_action="urn:SendRequest")
        assert reply.fault is not None and reply.fault.name is FaultName.ATTACHMENT_SIZE_LIMIT_EXCEEDED, reply.body[:300]
        assert served.bus.store.get(data.message_id) is None
    finally:
        served.running.close()
