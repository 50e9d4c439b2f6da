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
from bus_helpers import serve  # noqa: E402

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
