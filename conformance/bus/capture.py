"""Write the bus's journal as raw HTTP files: every exchange of a run, to read or to replay.

`0001-SendRequest-200.request.http` holds the request line's path-less form (`POST /smev`), the headers, a blank
line and the body byte for byte; `….response.http` the status line, headers and body of the bus's answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from conformance.bus.store import Exchange
from conformance.errors import UsageError


def capture_stem(exchange: Exchange) -> str:
    """The name (without `.request.http`/`.response.http`) an exchange's files get: `0007-SendResponse-500`."""
    rpc = re.sub(r"[^A-Za-z0-9]", "", exchange.rpc or "unknown") or "unknown"
    return f"{exchange.id:04d}-{rpc}-{exchange.http_status}"


def write_capture(exchanges: Iterable[Exchange], directory: str | Path) -> list[Path]:
    """Write each exchange as two files in `directory` (created); returns the paths written."""
    base = Path(directory)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the capture directory {base}: {exc.strerror or exc}") from None
    written: list[Path] = []
    for exchange in exchanges:
        stem = base / capture_stem(exchange)
        request = b"POST /smev HTTP/1.1\r\n" + _headers(exchange.request_headers) + b"\r\n" + exchange.request_body
        response = f"HTTP/1.1 {exchange.http_status}\r\n".encode() + _headers(exchange.response_headers) + b"\r\n" \
            + exchange.response_body
        for suffix, data in ((".request.http", request), (".response.http", response)):
            path = stem.with_name(stem.name + suffix)
            path.write_bytes(data)
            written.append(path)
    return written


def _headers(text: str) -> bytes:
    return b"".join(line.encode("latin-1", "replace") + b"\r\n" for line in text.splitlines() if line)
