"""The double's HTTP layer as an attacker tries it (issue 11 §5): raw sockets on 127.0.0.1, an ephemeral port. Every
malformed framing and every bad control parameter is answered with a 4xx naming the problem, quickly, and nothing
reaches the terminal as a traceback; a client that trickles its request is dropped or answered 408."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import pytest
from bus_helpers import inn_request, serve
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conformance.bus import server as http
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build

HEAD = (b"POST /smev HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nSOAPAction: \"urn:SendRequest\"\r\n"
        b"X-SMEV-Sender: MVD\r\n")


@pytest.fixture(scope="module")
def bus():
    served = serve()
    yield served
    served.running.close()


def port_of(served) -> int:
    return served.running.server.server_address[1]


def envelope() -> bytes:
    return build(m.SendRequestRequest(m.SenderProvidedRequestData(ids.new_message_id(), inn_request())), "1.3")


def exchange(port: int, raw: bytes, *, timeout: float = 10.0, keep_open: bool = False) -> tuple[int, bytes]:
    """Send `raw`, half-close unless `keep_open`, and read one HTTP answer: (status, body). Status 0: the bus closed
    the connection without an answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        if not keep_open:
            with contextlib.suppress(OSError):  # the bus answered (e.g. 503 at its connection limit) and closed first
                sock.shutdown(socket.SHUT_WR)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return 0, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body


def no_traceback(capfd) -> None:
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, err


# -- chunked framing -----------------------------------------------------------------------------------------------


@pytest.mark.serial  # a wall-clock bound: measured alone, after the parallel pass
def test_negative_chunk_size_is_refused_without_reading_on(bus, capfd):
    """Chunk size -1 was read as 'to the end of the stream': 300 MB streamed added 302 MB. Now: 400 at once, while
    the attacker's stream is still open and flowing."""
    with socket.create_connection(("127.0.0.1", port_of(bus)), timeout=10) as sock:
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n-1\r\n" + b"A" * 1_000_000)
        started = time.monotonic()
        status, body = read_answer(sock)
    assert status == 400 and b"chunk size" in body
    assert time.monotonic() - started < 5
    no_traceback(capfd)


@pytest.mark.parametrize("size", [b"zz", b"0x10", b"+10", b"-0", b" ", b"1 2", b"10000000000000000", b"\xff"])
def test_malformed_chunk_sizes_are_refused(bus, size):
    status, body = exchange(port_of(bus), HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\nabc\r\n0\r\n\r\n")
    assert status == 400, body


def test_an_over_long_chunk_extension_is_refused(bus):
    status, body = exchange(port_of(bus), HEAD + b"Transfer-Encoding: chunked\r\n\r\n3;" + b"e" * 5000 +
                            b"\r\nabc\r\n0\r\n\r\n")
    assert status == 400 and b"longer than" in body


def test_chunk_extensions_cannot_multiply_the_framing(bus):
    """One byte of data per chunk, a kilobyte of extension each: the framing allowance runs out, not the clock."""
    chunk = b"1;" + b"e" * 1000 + b"\r\nA\r\n"
    count = http.MAX_FRAMING // 1000 + 10
    status, body = exchange(port_of(bus), HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunk * count + b"0\r\n\r\n")
    assert status == 413 and b"framing" in body


def test_endless_trailers_are_refused(bus):
    status, _ = exchange(port_of(bus), HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\n" +
                         b"X-T: " + b"t" * 900 + b"\r\n" * 1 + (b"X-T: " + b"t" * 900 + b"\r\n") * 1300 + b"\r\n")
    assert status == 413


def test_a_chunk_longer_than_announced_is_refused(bus):
    status, body = exchange(port_of(bus), HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n")
    assert status == 400 and b"longer than its size" in body


def test_a_chunked_body_over_the_limit_is_refused(bus, monkeypatch):
    monkeypatch.setattr(http, "MAX_BODY", 4096)
    chunk = b"400\r\n" + b"A" * 0x400 + b"\r\n"
    status, body = exchange(port_of(bus), HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunk * 5 + b"0\r\n\r\n")
    assert status == 413 and b"4096" in body


# -- Content-Length and Transfer-Encoding --------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",  # CL.TE smuggling
    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",  # TE.CL
    b"Content-Length: 5\r\nContent-Length: 6\r\n",
    b"Content-Length: +5\r\n",
    b"Content-Length: 5_0\r\n",
    b"Content-Length: -1\r\n",
    b"Content-Length: 0x5\r\n",
    b"Content-Length: 99999999999999999999999\r\n",
    b"Transfer-Encoding: chunked, identity\r\n",
    b"Transfer-Encoding: gzip\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
])
def test_ambiguous_or_malformed_framing_is_refused(bus, headers, capfd):
    status, body = exchange(port_of(bus), HEAD + headers + b"\r\nhello")
    assert 400 <= status < 600 and status != 500, (status, body)
    no_traceback(capfd)


def test_a_body_over_the_limit_is_refused_unread(bus):
    with socket.create_connection(("127.0.0.1", port_of(bus)), timeout=10) as sock:
        sock.sendall(HEAD + f"Content-Length: {http.MAX_BODY + 1}\r\n\r\n".encode())
        status, _ = read_answer(sock)
    assert status == 413


# -- slow clients ----------------------------------------------------------------------------------------------------


@pytest.fixture
def impatient():
    served = serve()
    server = served.running.server
    server.read_timeout, server.head_deadline, server.body_min_rate = 0.6, 1.0, 1_000_000
    yield served
    served.running.close()


@pytest.mark.serial  # a wall-clock bound: measured alone, after the parallel pass
def test_a_trickled_body_is_answered_408(impatient, capfd):
    with socket.create_connection(("127.0.0.1", port_of(impatient)), timeout=10) as sock:
        sock.sendall(HEAD + b"Content-Length: 100000\r\n\r\n")
        started = time.monotonic()
        status = 0
        try:
            for _ in range(100):
                sock.sendall(b"<")
                time.sleep(0.1)
        except OSError:
            pass
        status, body = read_answer(sock)
    assert status == 408, body
    assert time.monotonic() - started < 5
    no_traceback(capfd)


@pytest.mark.serial  # a wall-clock bound: measured alone, after the parallel pass
def test_a_trickled_head_is_dropped(impatient):
    with socket.create_connection(("127.0.0.1", port_of(impatient)), timeout=10) as sock:
        started = time.monotonic()
        try:
            for byte in HEAD:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass
        status, _ = read_answer(sock)
    assert status in (0, 400, 408) and time.monotonic() - started < 6


def test_a_body_that_stops_half_way_is_dropped_unprocessed(impatient):
    server = impatient.running.server
    before = server.hang_ups
    with socket.create_connection(("127.0.0.1", port_of(impatient)), timeout=10) as sock:
        body = envelope()
        sock.sendall(HEAD + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:100])
        status, _ = read_answer(sock)  # the client stays connected, silent
    assert status in (0, 408)
    assert impatient.bus.store.exchanges() == []
    assert server.hang_ups == before + (status == 0)


# -- control endpoints ------------------------------------------------------------------------------------------------


def get(port: int, target: str) -> tuple[int, bytes]:
    return exchange(port, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "after=1e400", "after=99999999999999999999999",
                                   "after=1&after=2", "before=3", "after=%00", "after=nan", "after=1.5"])
def test_journal_parameters_are_validated(bus, capfd, query):
    status, body = get(port_of(bus), f"/_double/journal?{query}")
    assert status == 400 and body.endswith(b"\n") and body.count(b"\n") == 1, body
    no_traceback(capfd)


def test_journal_with_a_good_parameter_still_answers(bus):
    status, body = get(port_of(bus), "/_double/journal?after=0")
    assert status == 200 and isinstance(json.loads(body), list)


def post_json(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    return exchange(port, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


GOOD = {"rpc": "SendRequest", "fault": "SMEVFailure"}


@pytest.mark.parametrize("spec", [
    b'{"rpc": "SendRequest", "fault": "SMEVFailure", "times": 1e400}',
    b'{"rpc": "SendRequest", "fault": "SMEVFailure", "times": NaN}',
    b'{"rpc": "SendRequest", "fault": "SMEVFailure", "times": Infinity}',
    json.dumps({**GOOD, "times": -1}).encode(),
    json.dumps({**GOOD, "times": 0}).encode(),
    json.dumps({**GOOD, "times": 10**30}).encode(),
    json.dumps({**GOOD, "times": "1"}).encode(),
    json.dumps({**GOOD, "times": True}).encode(),
    json.dumps({**GOOD, "times": 1.5}).encode(),
    json.dumps({**GOOD, "caller": 7}).encode(),
    json.dumps({**GOOD, "reason": "Whatever"}).encode(),
    json.dumps({**GOOD, "extra": 1}).encode(),
    json.dumps({"rpc": "Nope", "fault": "SMEVFailure"}).encode(),
    json.dumps({"rpc": "SendRequest", "fault": "Nope"}).encode(),
    json.dumps({"rpc": ["SendRequest"], "fault": "SMEVFailure"}).encode(),
    b"[1, 2]", b"null", b"", b"\xff\xfe", b"{" * 100_000, b'"' + b"a" * 70_000 + b'"',
])
def test_fault_control_parameters_are_validated(bus, capfd, spec):
    status, body = post_json(port_of(bus), "/_double/faults", spec)
    assert status == 400 and body.startswith(b"bad fault spec:") and body.count(b"\n") == 1, body
    no_traceback(capfd)
    assert bus.bus.store.consume_forced_fault("SendRequest", "MVD") is None  # nothing was armed


def test_a_good_fault_control_still_arms(bus):
    status, _ = post_json(port_of(bus), "/_double/faults", json.dumps({**GOOD, "times": 2}).encode())
    assert status == 204
    assert bus.bus.store.consume_forced_fault("SendRequest", "MVD").remaining == 1
    bus.bus.store.clear_forced_faults()


def test_an_unknown_control_endpoint_is_404(bus):
    status, body = post_json(port_of(bus), "/_double/anything", b"{}")
    assert status == 404 and b"/_double/anything" in body


def test_an_internal_error_is_a_500_and_one_line(bus, capfd, monkeypatch):
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(bus.bus.store, "exchanges", boom)
    status, body = get(port_of(bus), "/_double/journal")
    assert status == 500 and b"disk on fire" not in body
    _, err = capfd.readouterr()
    assert "Traceback" not in err and "disk on fire" in err


# -- fuzz: every request gets an answer ------------------------------------------------------------------------------

_TOKEN = st.text(st.sampled_from("0123456789abcdefABCDEFxg+- ;=\t"), min_size=0, max_size=20)


@st.composite
def requests(draw) -> bytes:
    """A request an attacker (or a broken client) might send: well-formed or not, but never waiting for bytes it
    does not announce: a framing the bus can only refuse, or a complete body."""
    body = draw(st.one_of(
        st.just(envelope()),
        st.binary(max_size=400),
        st.builds(lambda e, cut: e[:cut], st.just(envelope()), st.integers(0, 2000)),
        st.builds(lambda e, pos, byte: e[:pos] + bytes([byte]) + e[pos + 1:], st.just(envelope()),
                  st.integers(0, 1500), st.integers(0, 255)),
        st.text(max_size=200).map(lambda t: f"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                                            f"<soap:Body>{t}</soap:Body></soap:Envelope>".encode("utf-8", "replace")),
    ))
    method = draw(st.sampled_from([b"POST", b"POST", b"POST", b"GET", b"PUT", b"DELETE", b"BREW"]))
    path = draw(st.sampled_from([b"/smev", b"/smev/1.1", b"/_double/faults", b"/_double/journal?after=x",
                                 b"/_double/health", b"/%00", b"/" + b"a" * 3000]))
    headers = [b"Host: x"]
    if draw(st.booleans()):
        headers.append(b"Content-Type: " + draw(st.sampled_from([b"text/xml", b"multipart/related; boundary=b",
                                                                 b"application/json", b"\x00"])))
    if draw(st.booleans()):
        headers.append(b'SOAPAction: "' + draw(st.sampled_from([b"urn:SendRequest", b"urn:Ack", b"", b"x"])) + b'"')
    headers.append(b"X-SMEV-Sender: " + draw(st.sampled_from([b"MVD", b"FNS", b"", b"NOBODY"])))
    framing = draw(st.sampled_from(["length", "chunked", "bad-chunk", "none", "both"]))
    if framing == "length":
        headers.append(b"Content-Length: %d" % len(body))
        payload = body
    elif framing == "chunked":
        headers.append(b"Transfer-Encoding: chunked")
        payload = (b"%x\r\n" % len(body) + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    elif framing == "bad-chunk":
        token = draw(_TOKEN)
        assume(not token.split(";")[0].strip() or not all(c in "0123456789abcdefABCDEF"
                                                          for c in token.split(";")[0].strip()))
        headers.append(b"Transfer-Encoding: chunked")
        payload = token.encode() + b"\r\n" + body + b"\r\n0\r\n\r\n"
    elif framing == "both":
        headers += [b"Content-Length: %d" % len(body), b"Transfer-Encoding: chunked"]
        payload = body
    else:
        payload = b""
    for _ in range(draw(st.integers(0, 3))):
        headers.append(draw(st.sampled_from([b"X-A: b", b"Expect: 100-continue", b"Connection: close",
                                             b"Content-Length: 0", b": empty-name", b"X" * 100])))
    return method + b" " + path + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + payload


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(raw=requests())
def test_every_request_gets_an_http_answer_in_bounded_time(bus, raw):
    started = time.monotonic()
    status, body = exchange(port_of(bus), raw, timeout=15)
    assert status != 0, "the bus dropped the connection without an answer"
    assert 100 <= status < 600, (status, body[:300])
    if status == 500:  # the protocol's faults travel as HTTP 500; an internal error of the double never does
        assert body.startswith(b"<?xml") and b"Fault" in body, body[:300]
    if status >= 400 and body.startswith(b"<?xml"):
        assert b"Fault" in body
    assert time.monotonic() - started < 15


def test_one_mtom_part_included_a_thousand_times_is_refused(bus, capfd):
    """XOP amplification: 1,000 Includes of one 100 KB part would be 130 MB of base64 text; refused, not expanded."""
    from conformance.protocol.mtom import encode_multipart

    includes = b"".join(b'<x><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:big"/></x>'
                        for _ in range(1000))
    envelope_ = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><a>' + includes +
                 b"</a></soap:Body></soap:Envelope>")
    ctype, body = encode_multipart(envelope_, {"big": b"\x00" * 100_000})
    raw = (b"POST /smev HTTP/1.1\r\nHost: x\r\nSOAPAction: \"urn:SendRequest\"\r\nX-SMEV-Sender: MVD\r\n"
           b"Content-Type: " + ctype.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    status, answer = exchange(port_of(bus), raw)
    assert status == 413 and b"more than once" in answer, answer[:400]
    no_traceback(capfd)


def test_connections_beyond_the_limit_are_answered_503():
    """Every slot held by a connection sending its body at an acceptable rate: nobody to evict, a new one gets 503
    (a stalled one would give up its slot instead: tests/hostile/test_hostile_load.py)."""
    served = serve()
    served.running.server.max_connections = 3
    served.running.server.body_min_rate = 1  # 100 bytes in the first second is progress enough here
    idle = [socket.create_connection(("127.0.0.1", port_of(served)), timeout=10) for _ in range(3)]
    for sock in idle:
        sock.sendall(HEAD + b"Content-Length: 8000\r\n\r\n" + b"<" * 100)
    try:
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port_of(served)), timeout=10) as extra:
            status, body = read_answer(extra)
        assert status == 503 and b"too many connections" in body
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the slots come back when the idle connections go
        status, _ = get(port_of(served), "/_double/health")
        if status == 200:
            break
        time.sleep(0.1)
    served.running.close()
    assert status == 200


def test_bodies_beyond_the_budget_are_answered_503(bus):
    server = bus.running.server
    server.body_budget = 10_000
    try:
        with socket.create_connection(("127.0.0.1", port_of(bus)), timeout=10) as holder:
            holder.sendall(HEAD + b"Content-Length: 8000\r\n\r\n" + b"<" * 100)  # holds 8,000 bytes of budget
            time.sleep(0.3)
            status, body = exchange(port_of(bus), HEAD + b"Content-Length: 5000\r\n\r\n" + b"<" * 5000)
            assert status == 503 and b"busy" in body
        time.sleep(0.3)
        status, _ = exchange(port_of(bus), HEAD + b"Content-Length: 5000\r\n\r\n" + b"<" * 5000)
        assert status != 503  # released when the holder left
    finally:
        server.body_budget = http.BODY_BUDGET
