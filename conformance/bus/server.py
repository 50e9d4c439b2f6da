"""The bus double on a local HTTP port (stdlib `ThreadingHTTPServer`, 127.0.0.1 by default).

POST any path: a SOAP call (`/smev/1.3`, `/smev/1.2`, `/smev/1.1` name the version a fault is written in when the
body is unreadable; otherwise the body's namespace decides). GET `/_double/health` answers `ok`;
GET `/_double/journal?after=N` lists captured calls as JSON; GET `<endpoint>?wsdl` gives the
service WSDL of the endpoint's version, addressed to the double, and the XSDs it imports by relative URL; POST `/_double/faults` with JSON
`{"rpc": "SendRequest", "fault": "SMEVFailure", "times": 1, "caller": null, "reason": null}` forces faults.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from conformance.bus.service import Bus

MAX_BODY = 64 * 1024 * 1024
"""Above this the bus refuses the call unread (real SMEV moves files over 5 MiB to its file store)."""


READ_TIMEOUT = 60.0
"""Seconds a connection may stay silent (mid-body or between calls) before the bus drops it."""


class _Handler(BaseHTTPRequestHandler):
    server: _BusHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            self._send(411, "text/plain; charset=utf-8", b"Content-Length or chunked encoding is required\n")
            return None
        try:
            size = int(length)
        except ValueError:
            self._send(400, "text/plain; charset=utf-8", b"Content-Length is not a number\n")
            return None
        if size < 0 or size > MAX_BODY:
            self.close_connection = True
            self._send(413, "text/plain; charset=utf-8", f"body over {MAX_BODY} bytes\n".encode())
            return None
        return self._read_exactly(size)

    def _read_exactly(self, size: int) -> bytes | None:
        """`size` bytes, or None when the caller hung up (or stalled past `timeout`) before sending them all: half
        a call is never processed as a whole one, and there is nobody left to answer."""
        data = self.rfile.read(size)
        if len(data) < size:
            self.close_connection = True
            self.server.note_hang_up(self, f"the client sent {len(data)} of {size} announced bytes and hung up")
            return None
        return data

    def _read_chunked(self) -> bytes | None:
        """Transfer-Encoding: chunked (Java SOAP stacks send large messages so), bounded by MAX_BODY."""
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                self.close_connection = True
                self.server.note_hang_up(self, "the client hung up in the middle of a chunked body")
                return None
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                self._send(400, "text/plain; charset=utf-8", b"malformed chunk size line\n")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                self.close_connection = True
                self._send(413, "text/plain; charset=utf-8", f"body over {MAX_BODY} bytes\n".encode())
                return None
            chunk = self._read_exactly(size)
            if chunk is None:
                return None
            parts.append(chunk)
            self.rfile.readline(1024)  # the CRLF after the chunk

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self._read_body()
        if body is None:
            return
        path = urlsplit(self.path).path
        if path == "/_double/faults":
            self._control_fault(body)
            return
        answer = self.server.bus.handle(path, dict(self.headers.items()), body)
        self._send(answer.status, answer.content_type, answer.body, answer.headers())

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path == "/_double/health":
            self._send(200, "text/plain; charset=utf-8", b"ok\n")
        elif parts.path == "/_double/journal":
            after = int((parse_qs(parts.query).get("after") or ["0"])[0] or 0)
            items = [{"id": e.id, "at": e.at, "caller": e.caller, "rpc": e.rpc, "version": e.version,
                      "message_id": e.message_id, "http_status": e.http_status, "fault": e.fault}
                     for e in self.server.bus.store.exchanges(after=after)]
            self._send(200, "application/json", json.dumps(items).encode())
        elif (described := self._describe(parts.path, parts.query)) is not None:
            self._send(200, *described)
        else:
            self._send(404, "text/plain; charset=utf-8", b"the bus double answers SOAP POSTs; see /_double/health\n")

    def _describe(self, path: str, query: str) -> tuple[str, bytes] | None:
        """`<endpoint>?wsdl` and the XSDs it imports (`conformance.bus.wsdl`), addressed as the client called us."""
        from conformance.bus.wsdl import describe

        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return describe(path, query, f"http://{host}{path}")

    def _control_fault(self, body: bytes) -> None:
        try:
            spec = json.loads(body)
            self.server.bus.force_fault(spec["rpc"], spec["fault"], times=int(spec.get("times", 1)),
                                        caller=spec.get("caller"), reason=spec.get("reason"))
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, "text/plain; charset=utf-8", f"bad fault spec: {exc}\n".encode())
            return
        self._send(204, "text/plain", b"")


class _BusHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], bus: Bus, verbose: bool):
        super().__init__(address, _Handler)
        self.bus = bus
        self.verbose = verbose
        self.hang_ups = 0
        """Calls abandoned by their clients before the whole body arrived."""

    def note_hang_up(self, handler: BaseHTTPRequestHandler, what: str) -> None:
        """A call the client abandoned: counted, logged with --verbose, never processed."""
        self.hang_ups += 1
        if self.verbose:
            handler.log_message("%s", what)

    def handle_error(self, request: object, client_address: object) -> None:
        """A caller that hangs up mid-exchange is normal traffic for a test double, not an error to print."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


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
