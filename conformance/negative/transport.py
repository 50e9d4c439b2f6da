"""Delivering a case's bytes the way the case says: plain SOAP POSTs go through `BusClient.post`; what a client
library would never send (another method, a lying Content-Length, a body cut half-way) goes over a raw socket; an
answer cut half-way comes from `CuttingProxy`, a one-shot TCP relay in front of the bus."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.bus.client import BusClient, Reply
from conformance.negative.model import Transport
from conformance.protocol.mtom import encode_multipart

CRLF = b"\r\n"


@dataclass(frozen=True)
class RawAnswer:
    """What came back on a raw connection: the HTTP status (None when the connection gave no status line)."""

    status: int | None
    head: bytes
    body: bytes


def _address(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"


def raw_request(url: str, *, method: str, headers: dict[str, str], body: bytes, send_bytes: int | None = None,
                hang_up: bool = False, timeout: float = 10.0) -> RawAnswer:
    """Send a request over a socket, writing only `send_bytes` of the body when given, and read the answer
    (up to the connection's close). `hang_up`: close the connection right after sending, reading nothing."""
    host, port, path = _address(url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    payload = CRLF.join(line.encode("latin-1") for line in lines) + CRLF + CRLF
    payload += body if send_bytes is None else body[:send_bytes]
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(payload)
        if hang_up:
            return RawAnswer(None, b"", b"")
        if send_bytes is not None:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    data = b"".join(chunks)
    head, _, rest = data.partition(CRLF + CRLF)
    status = None
    first = head.split(CRLF, 1)[0].split()
    if len(first) >= 2 and first[1].isdigit():
        status = int(first[1])
    return RawAnswer(status, head, rest)


def wire_headers(transport: Transport, action: str, length: int) -> dict[str, str]:
    headers = {"Content-Type": transport.content_type or "text/xml; charset=utf-8",
               "Content-Length": str(transport.declared_length or length)}
    if transport.soap_action != "none":
        headers["SOAPAction"] = f'"{transport.soap_action or action}"'
    return headers


def post(client: BusClient, data: bytes, transport: Transport, action: str) -> Reply:
    """A POST through the client, with the case's content type, SOAPAction and MIME packaging."""
    content_type = transport.content_type or "text/xml; charset=utf-8"
    if transport.mime is not None:
        content_type, data = encode_multipart(data, {})
        if transport.mime == "bad-boundary":
            content_type = content_type.replace("smev-double-boundary", "a-boundary-the-body-lacks")
    soap_action = None if transport.soap_action == "none" else (transport.soap_action or action)
    return client.post(data, content_type=content_type, soap_action=soap_action)


class CuttingProxy:
    """Relays one connection to the bus and forwards the answer's head and only the first half of its body, then
    closes: the client sees an answer dropped mid-way while the bus did its whole work."""

    def __init__(self, target_url: str):
        self.target = _address(target_url)[:2]
        self.path = _address(target_url)[2]
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.thread = threading.Thread(target=self._serve_one, name="negative-cutting-proxy", daemon=True)
        self.forwarded_answer_bytes = 0
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"http://{host}:{port}{self.path}"

    def _serve_one(self) -> None:
        try:
            inbound, _ = self.listener.accept()
        except OSError:
            return
        with inbound, socket.create_connection(self.target, timeout=10) as outbound:
            inbound.settimeout(10)
            request = _read_http_message(inbound)
            outbound.sendall(request)
            answer = _read_http_message(outbound)
            head, _, body = answer.partition(CRLF + CRLF)
            keep = len(head) + 4 + len(body) // 2
            self.forwarded_answer_bytes = keep
            inbound.sendall(answer[:keep])
            with contextlib.suppress(OSError):
                inbound.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5)


def _read_http_message(sock: socket.socket) -> bytes:
    """One HTTP message with a Content-Length body (what the client and the double send)."""
    data = b""
    while CRLF + CRLF not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(CRLF + CRLF)
    length = 0
    for line in head.split(CRLF)[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + CRLF + CRLF + body
