"""The bus double on a local HTTP port (stdlib `ThreadingHTTPServer`, 127.0.0.1 by default).

POST any path: a SOAP call (`/smev/1.3`, `/smev/1.2`, `/smev/1.1` name the version a fault is written in when the
body is unreadable; otherwise the body's namespace decides). GET `/_double/health` answers `ok`;
GET `/_double/journal?after=N` lists captured calls as JSON; GET `<endpoint>?wsdl` gives the
service WSDL of the endpoint's version, addressed to the double, and the XSDs it imports by relative URL; POST `/_double/faults` with JSON
`{"rpc": "SendRequest", "fault": "SMEVFailure", "times": 1, "caller": null, "reason": null}` forces faults.

The HTTP layer is strict, because participants' stacks and attackers alike talk to it: a body is framed by one
decimal Content-Length or by `Transfer-Encoding: chunked` alone (both, several differing lengths, a signed or non-hex
chunk size, an over-long size line, a chunk longer than announced: 400; over MAX_BODY data or MAX_FRAMING framing:
413); the request head must arrive within HEAD_DEADLINE and the body at BODY_MIN_RATE on average (else the
connection is dropped, or answered 408); control parameters are validated (400 naming the field). Load is bounded:
MAX_CONNECTIONS at once, BODY_BUDGET bytes of bodies at once (503 beyond), MAX_PROCESSING calls parsed and checked at
once (the others wait). When every connection slot is taken, a new connection takes the slot of the one making the
least progress, if any is stalled (waiting for its request head, an idle keep-alive included, or receiving its body
slower than BODY_MIN_RATE so far); only when none is stalled is it answered 503. Without this, a few hundred sockets
trickling their heads (slowloris) would hold every slot for HEAD_DEADLINE, again and again, and lock everyone out. Nothing that goes wrong reaches the socket or the terminal as a traceback.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from conformance.bus.service import Bus
from conformance.bus.wsdl import describe
from conformance.protocol.codes import FaultName, SignatureVerificationReason
from conformance.protocol.operations import Rpc

MAX_BODY = 64 * 1024 * 1024
"""Above this the bus refuses the call unread (real SMEV moves files over 5 MiB to its file store)."""

MAX_FRAMING = 1024 * 1024
"""Bytes of chunked framing (size lines, extensions, trailers) one body may carry besides its data."""

MAX_CONNECTIONS = 128
"""Connections served at once; another is answered 503 and closed (each holds a thread and, maybe, a body)."""

BODY_BUDGET = 4 * MAX_BODY
"""Bytes of request bodies held at once over all connections; a body that does not fit is answered 503."""

MAX_PROCESSING = 4
"""SOAP calls parsed and checked at once (each may build a tree of a few hundred MB); the others wait their turn."""

MAX_CHUNK_LINE = 1024
"""Longest chunk-size line (with its extensions) or trailer line the bus reads."""

READ_TIMEOUT = 60.0
"""Seconds a connection may stay silent (mid-body or between calls) before the bus drops it."""

HEAD_DEADLINE = 60.0
"""Seconds the request line and headers may take in all (counted from the end of the previous call on a kept-alive
connection): a client trickling them byte by byte is dropped."""

BODY_MIN_RATE = 16 * 1024
"""Bytes per second a body must arrive at, on average, after a grace of READ_TIMEOUT: a slow body is answered 408."""

_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
_DIGITS = re.compile(r"[0-9]{1,19}")
_TEXT = "text/plain; charset=utf-8"


class _Refused(Exception):
    """The request cannot be served: answered with `status` and a one-line reason, then the connection closes."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _HungUp(Exception):
    """The client left (or fell silent) before its request was whole: nobody to answer."""


class _Handler(BaseHTTPRequestHandler):
    server: _BusHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        if self.server.verbose:
            super().log_message(format, *args)

    # -- the request head: a deadline for all of it ----------------------------------------------------------------

    def handle_one_request(self) -> None:
        """The stdlib's, with a watchdog that drops a connection whose request head is not in after HEAD_DEADLINE
        (per-read timeouts alone let a client send one byte a minute forever)."""
        self._deadline: float | None = None
        watchdog = threading.Timer(self.server.head_deadline, self._drop)
        watchdog.daemon = True
        self._watchdog = watchdog
        self.server.stalling(self)  # evictable until its request is in (see `_BusHTTPServer._evict_stalled`)
        watchdog.start()
        try:
            super().handle_one_request()
        finally:
            watchdog.cancel()
            self.server.progressing(self)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def parse_request(self) -> bool:
        self._watchdog.cancel()  # the head is in; the body has its own deadline
        return super().parse_request()

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, status: int, reason: str) -> None:
        self.close_connection = True  # after a framing error the rest of the stream cannot be trusted
        self._send(status, _TEXT, (reason + "\n").encode())

    # -- the body --------------------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        """The body per RFC 9112 §6, strictly: one Content-Length of digits, or Transfer-Encoding exactly `chunked`,
        never both (a request that frames itself two ways is how requests are smuggled)."""
        encodings = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if encodings and lengths:
            raise _Refused(400, "both Content-Length and Transfer-Encoding: the body's framing is ambiguous")
        if encodings:
            codings = [c.strip().lower() for e in encodings for c in e.split(",") if c.strip()]
            if codings != ["chunked"]:
                raise _Refused(501 if "chunked" not in codings else 400,
                               f"Transfer-Encoding {', '.join(encodings)!r} is not supported (only chunked)")
            return self._read_chunked()
        if not lengths:
            raise _Refused(411, "Content-Length or chunked encoding is required")
        values = {v.strip() for v in lengths}
        if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
            raise _Refused(400, f"Content-Length {', '.join(lengths)!r} is not one decimal number")
        size = int(next(iter(values)))
        if size > MAX_BODY:
            raise _Refused(413, f"body over {MAX_BODY} bytes")
        self._reserve(size)
        return self._read_exactly(size)

    def _reserve(self, size: int) -> None:
        self._room.enter_context(self.server.body_room(size))

    def _start_body_clock(self, size: int) -> None:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.server.read_timeout
        self._deadline += size / self.server.body_min_rate

    def _read_exactly(self, size: int) -> bytes:
        """`size` bytes, within the body's deadline; `_HungUp` when the caller left or stalled before sending them
        all: half a call is never processed as a whole one, and there is nobody left to answer."""
        self._start_body_clock(size)
        parts: list[bytes] = []
        remaining = size
        while remaining > 0:
            data = self._recv(min(remaining, 256 * 1024), read1=True)
            if not data:
                raise _HungUp(f"the client sent {size - remaining} of {size} announced bytes and hung up")
            parts.append(data)
            remaining -= len(data)
            self.server.received(self, len(data))
        return b"".join(parts)

    def _recv(self, limit: int, *, read1: bool = False) -> bytes:
        left = self._deadline - time.monotonic() if self._deadline is not None else self.server.read_timeout
        if left <= 0:
            raise _Refused(408, "the request body arrived too slowly")
        self.connection.settimeout(min(left, self.server.read_timeout))
        try:
            return self.rfile.read1(limit) if read1 else self.rfile.readline(limit)
        except TimeoutError:
            if self._deadline is not None and time.monotonic() >= self._deadline:
                raise _Refused(408, "the request body arrived too slowly") from None
            raise _HungUp("the client fell silent in the middle of its request") from None

    def _line(self, what: str) -> bytes:
        line = self._recv(MAX_CHUNK_LINE + 1)
        if not line:
            raise _HungUp(f"the client hung up in the middle of a chunked body ({what})")
        if len(line) > MAX_CHUNK_LINE or not line.endswith(b"\n"):
            raise _Refused(400, f"chunked body: a {what} line longer than {MAX_CHUNK_LINE} bytes")
        self._framing += len(line)
        if self._framing > MAX_FRAMING:
            raise _Refused(413, f"chunked body: over {MAX_FRAMING} bytes of framing (chunk lines, extensions, "
                           "trailers)")
        return line

    def _read_chunked(self) -> bytes:
        """Transfer-Encoding: chunked (Java SOAP stacks send large messages so), bounded by MAX_BODY and
        MAX_FRAMING: a size is 1-15 hex digits (no sign, no prefix), each chunk ends with CRLF."""
        parts: list[bytes] = []
        total = 0
        self._framing = 0
        self._start_body_clock(0)
        while True:
            token = self._line("chunk size").split(b";", 1)[0].strip()
            if not _HEX.fullmatch(token):
                raise _Refused(400, f"chunked body: malformed chunk size {token[:40]!r} (hex digits expected)")
            size = int(token, 16)
            if size == 0:
                while self._line("trailer") not in (b"\r\n", b"\n"):
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise _Refused(413, f"body over {MAX_BODY} bytes")
            self._reserve(size)
            parts.append(self._read_exactly(size))
            if self._line("chunk end") not in (b"\r\n", b"\n"):
                raise _Refused(400, "chunked body: a chunk is longer than its size line says")

    # -- routes ----------------------------------------------------------------------------------------------------

    def _guarded(self, serve: Callable[[], None]) -> None:
        """Run a route; a refusal is answered with its status, a hang-up is counted, and anything unexpected is
        answered 500 and logged in one line: no traceback reaches the socket or the terminal."""
        try:
            serve()
        except _Refused as refused:
            self._refuse(refused.status, refused.reason)
        except _HungUp as gone:
            self.close_connection = True
            self.server.note_hang_up(self, str(gone))
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - the double must answer whatever happens
            self.server.note_error(f"{self.command} {self.path[:200]}: {type(exc).__name__}: {exc}")
            with contextlib.suppress(OSError):
                self._refuse(500, "internal error of the bus double")
        finally:
            with contextlib.suppress(OSError):
                self.connection.settimeout(self.server.read_timeout)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._guarded(self._post)

    def do_GET(self) -> None:  # noqa: N802
        self.server.progressing(self)
        self._guarded(self._get)

    def _post(self) -> None:
        with contextlib.ExitStack() as self._room:  # the body's share of the budget, until the answer is sent
            body = self._read_body()
            self.server.progressing(self)  # the request is whole: no longer evictable
            path = urlsplit(self.path).path
            if path == "/_double/faults":
                self._control_fault(body)
                return
            if path.startswith("/_double/"):
                raise _Refused(404, f"no control endpoint {path}")
            size = len(body)
            with self.server.processing:
                answer = self.server.bus.handle(path, dict(self.headers.items()), body)
            del body
            self._send(answer.status, answer.content_type, answer.body, answer.headers())
        if size > TRIM_AFTER:
            del answer
            release_memory()

    def _get(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/_double/health":
            self._send(200, _TEXT, b"ok\n")
        elif parts.path == "/_double/journal":
            after = _journal_after(parts.query)
            items = [{"id": e.id, "at": e.at, "caller": e.caller, "rpc": e.rpc, "version": e.version,
                      "message_id": e.message_id, "http_status": e.http_status, "fault": e.fault}
                     for e in self.server.bus.store.exchanges(after=after)]
            self._send(200, "application/json", json.dumps(items).encode())
        elif (described := self._describe(parts.path, parts.query)) is not None:
            self._send(200, *described)
        else:
            self._send(404, _TEXT, b"the bus double answers SOAP POSTs; see /_double/health\n")

    def _describe(self, path: str, query: str) -> tuple[str, bytes] | None:
        """`<endpoint>?wsdl` and the XSDs it imports (`conformance.bus.wsdl`), addressed as the client called us."""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return describe(path, query, f"http://{host}{path}")

    def _control_fault(self, body: bytes) -> None:
        spec = fault_spec(body)
        self.server.bus.force_fault(spec["rpc"], spec["fault"], times=spec["times"], caller=spec["caller"],
                                    reason=spec["reason"])
        self._send(204, "text/plain", b"")


TRIM_AFTER = 1024 * 1024
"""After a call with a body larger than this, the heap the call freed is handed back to the OS."""

_TRIM: list[Callable[[int], int] | None] = []


def release_memory() -> None:
    """Return freed heap to the OS (glibc's `malloc_trim`; nothing elsewhere). The server runs each connection in
    its own thread, and glibc keeps what a thread's arena freed for that arena: without this, the few hundred MB one
    large refused call parses through stay with the process after it is answered."""
    if not _TRIM:
        try:
            _TRIM.append(ctypes.CDLL(None).malloc_trim)
        except (OSError, AttributeError):
            _TRIM.append(None)
    if _TRIM[0] is not None:
        _TRIM[0](0)


MAX_TIMES = 1_000_000
"""The most calls one forced fault may answer."""

_FAULT_KEYS = {"rpc", "fault", "times", "caller", "reason"}


def _bad(what: str) -> _Refused:
    return _Refused(400, f"bad fault spec: {what}")


def fault_spec(body: bytes) -> dict[str, Any]:
    """The JSON body of POST /_double/faults, validated: `rpc` and `fault` (names the protocol defines), `times` (an
    integer 1..MAX_TIMES, default 1), `caller` (a mnemonic or null), `reason` (a SignatureVerificationFault reason or
    null). Anything else is a 400 naming the field."""
    def no_constant(name: str) -> None:
        raise ValueError(f"{name} is not a JSON number")

    if len(body) > 64 * 1024:
        raise _bad("the body is over 64 KiB")
    try:
        spec = json.loads(body.decode("utf-8"), parse_constant=no_constant)
    except (ValueError, RecursionError) as exc:
        raise _bad(f"not JSON ({str(exc)[:120]})") from None
    if not isinstance(spec, dict):
        raise _bad("a JSON object is expected")
    unknown = sorted(set(spec) - _FAULT_KEYS)
    if unknown:
        raise _bad(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(_FAULT_KEYS))})")
    for key, names in (("rpc", [r.value for r in Rpc]), ("fault", [f.value for f in FaultName])):
        if not isinstance(spec.get(key), str) or spec[key] not in names:
            raise _bad(f"{key} must be one of {', '.join(names)}; got {json.dumps(spec.get(key))[:80]}")
    times = spec.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_TIMES:
        raise _bad(f"times must be an integer from 1 to {MAX_TIMES}; got {json.dumps(times)[:80]}")
    caller = spec.get("caller")
    if caller is not None and (not isinstance(caller, str) or not 0 < len(caller) <= 100):
        raise _bad("caller must be a participant's mnemonic (a string of 1 to 100 characters) or null")
    reason = spec.get("reason")
    reasons = [r.value for r in SignatureVerificationReason]
    if reason is not None and (not isinstance(reason, str) or reason not in reasons):
        raise _bad(f"reason must be null or one of {', '.join(reasons)}")
    return {"rpc": spec["rpc"], "fault": spec["fault"], "times": times, "caller": caller, "reason": reason}


def _journal_after(query: str) -> int:
    """GET /_double/journal?after=N: N a decimal id from 0 (default) up to 2**63 - 1."""
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query), max_num_fields=10)
    except ValueError as exc:
        raise _Refused(400, f"bad query string: {str(exc)[:120]}") from None
    unknown = sorted(set(values) - {"after"})
    if unknown:
        raise _Refused(400, f"unknown parameter(s) {', '.join(unknown)} of /_double/journal (known: after)")
    given = values.get("after", ["0"])
    if len(given) != 1 or not _DIGITS.fullmatch(given[0]) or int(given[0]) > 2**63 - 1:
        raise _Refused(400, f"after must be a journal id, a decimal number from 0 to {2**63 - 1}; got "
                       f"{', '.join(given)[:80]!r}")
    return int(given[0])


class _BusHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], bus: Bus, verbose: bool):
        super().__init__(address, _Handler)
        self.bus = bus
        self.verbose = verbose
        self.hang_ups = 0
        """Calls abandoned by their clients before the whole body arrived."""
        self.errors = 0
        """Calls that ended in an internal error of the HTTP layer (answered 500, logged in one line)."""
        self.read_timeout = READ_TIMEOUT
        self.head_deadline = HEAD_DEADLINE
        self.body_min_rate = BODY_MIN_RATE
        self.max_connections = MAX_CONNECTIONS
        self.body_budget = BODY_BUDGET
        self._connections = 0
        self._bodies = 0
        self._count_lock = threading.Lock()
        self._stalled: dict[_Handler, list[float]] = {}
        """Connections still receiving their request: [since (monotonic), bytes of body received so far]."""
        self.evictions = 0
        """Stalled connections dropped to make room for a new one."""
        self.processing = threading.BoundedSemaphore(MAX_PROCESSING)

    def stalling(self, handler: _Handler) -> None:
        """`handler` waits for a request (its head, then its body): evictable while it makes no progress."""
        with self._count_lock:
            self._stalled[handler] = [time.monotonic(), 0]

    def received(self, handler: _Handler, size: int) -> None:
        with self._count_lock:
            if handler in self._stalled:
                self._stalled[handler][1] += size

    def progressing(self, handler: _Handler) -> None:
        """`handler` has its whole request (or is gone): never evicted now."""
        with self._count_lock:
            self._stalled.pop(handler, None)

    def _evict_stalled(self) -> bool:
        """Under `_count_lock`, when every slot is taken: drop the connection making the least progress, if one is
        stalled (no request head yet, or a body arriving below `body_min_rate` on average). True if one was dropped."""
        now = time.monotonic()
        victim, slowest = None, None
        for handler, (since, size) in self._stalled.items():
            rate = size / max(now - since, 1e-3)
            if rate >= self.body_min_rate:
                continue
            key = (rate, since)  # the slowest; among equals (heads count 0 bytes), the one waiting longest
            if slowest is None or key < slowest:
                victim, slowest = handler, key
        if victim is None:
            return False
        del self._stalled[victim]
        victim._drop()
        self.evictions += 1
        return True

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection, up to `max_connections`; past that a stalled connection gives up its slot (see
        the module docstring), else the new one is answered 503 at once. A dropped connection's thread ends within
        moments, so at most twice `max_connections` threads exist at once."""
        with self._count_lock:
            full = self._connections >= self.max_connections
            if full and self._connections < 2 * self.max_connections and self._evict_stalled():
                full = False
            if not full:
                self._connections += 1
        if full:
            with contextlib.suppress(OSError):
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                b"Content-Length: 30\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
                                b"too many connections; retry\r\n")
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count_lock:
                self._connections -= 1

    @contextlib.contextmanager
    def body_room(self, size: int) -> Iterator[None]:
        """Reserve `size` bytes of the body budget while a body is read and processed; 503 when it is spent."""
        with self._count_lock:
            if self._bodies + size > self.body_budget:
                raise _Refused(503, "the bus is busy with other large calls; retry")
            self._bodies += size
        try:
            yield
        finally:
            with self._count_lock:
                self._bodies -= size

    def note_hang_up(self, handler: BaseHTTPRequestHandler, what: str) -> None:
        """A call the client abandoned: counted, logged with --verbose, never processed."""
        self.hang_ups += 1
        if self.verbose:
            handler.log_message("%s", what)

    def note_error(self, what: str) -> None:
        """An internal error: counted and logged in one line on standard error (never a traceback)."""
        self.errors += 1
        print(f"smev-bus-double: internal error: {what}"[:1000], file=sys.stderr, flush=True)

    def handle_error(self, request: object, client_address: object) -> None:
        """A caller that hangs up mid-exchange is normal traffic for a test double, not an error to print; anything
        else is one line, not a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError | OSError):
            return
        self.note_error(f"{type(exc).__name__}: {exc}")


@dataclass
class RunningBus:
    """A bus double serving in a background thread. `close()` stops it and waits for the thread."""

    bus: Bus
    server: _BusHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/smev"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_server(bus: Bus, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> _BusHTTPServer:
    """Bind the server (port 0: any free port) without serving yet."""
    return _BusHTTPServer((host, port), bus, verbose)


def start(bus: Bus, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> RunningBus:
    """Serve `bus` in a daemon thread; returns at once with the bound URL in `.url`."""
    server = make_server(bus, host, port, verbose=verbose)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="smev-bus-double",
                              daemon=True)
    thread.start()
    return RunningBus(bus, server, thread)
