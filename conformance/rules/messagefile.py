"""Reading one message file as `check` and `verify` judge it: plain XML, or an MTOM capture resolved first.

An MTOM message (multipart/related with an application/xop+xml root part) is judged as the bus judges it: every
`xop:Include` is replaced by the base64 of the MIME part it names *before* schemas, rules or canonicalisation see the
envelope, so a signature over moved content verifies. The multipart's Content-Type comes from, in this order:

- the caller (`--content-type`, e.g. the value `verdicts.json` or a proxy log gives);
- the file itself: an HTTP capture as the double writes it (`POST /smev HTTP/1.1` or `HTTP/1.1 200` status line,
  headers, blank line, body — see `conformance.bus.capture`; a `Transfer-Encoding: chunked` body, as CXF streams its
  answers, is de-chunked; a compressed one is refused by name), or a MIME header block at its top (`Content-Type: …`);
- a raw multipart body that starts with its boundary line (`--uuid:…`, as CXF sends it and as captures keep it):
  the boundary is that line, the root is the first part (RFC 2387's default when no `start` is given).

Anything else is read as XML. A broken multipart (no closing delimiter, a `cid:` naming no part, …) is a failed
`MSG-MTOM-PACKAGE` finding with the reader's reason; the multipart reader is the protocol core's
(`conformance.protocol.mtom`).
Limits: the file's size bound is the XML parser's (`xmlsafe.MAX_BYTES`), checked before reading; work is linear in it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from lxml import etree

from conformance import xmlsafe
from conformance.errors import InputError
from conformance.protocol.mtom import TransportError, read_body, resolve_xop

RULE_MTOM_PACKAGE = "MSG-MTOM-PACKAGE"
"""Rule id of a multipart capture that cannot be turned into the envelope the sender signed."""

_HTTP_START = re.compile(rb"\A(?:HTTP/1\.[01] \d{3}|[A-Z]+ \S+ HTTP/1\.[01])[^\n]*\r?\n")
_HEADER_LINE = re.compile(rb"\A[A-Za-z][A-Za-z0-9-]*:[^\n]*\r?\n")
_BOUNDARY_LINE = re.compile(rb"\A--([^\r\n]{1,200}?)[ \t]*\r?\n")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_BOMS = (b"\xef\xbb\xbf",)


@dataclass(frozen=True)
class MessageFile:
    """A parsed message: its tree (includes resolved) and how it came (None: plain XML)."""

    tree: etree._ElementTree
    content_type: str | None = None
    parts: dict[str, int] = field(default_factory=dict)
    """Content-ID -> size in bytes of every MIME part besides the root."""


def read_message_file(path: str | os.PathLike[str], *, content_type: str | None = None,
                      max_bytes: int = xmlsafe.MAX_BYTES, max_depth: int = xmlsafe.MAX_DEPTH) -> MessageFile:
    """Read and parse the file at `path` (see the module doc); raises `xmlsafe.XmlInputError` with the rule."""
    source = str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise xmlsafe.XmlInputError(f"file is {size} bytes, over the limit of {max_bytes}", path=source,
                                        rule=xmlsafe.RULE_SIZE)
        with p.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=source) from None
    return read_message_bytes(data, source=source, content_type=content_type, max_bytes=max_bytes,
                              max_depth=max_depth)


def read_message_bytes(data: bytes, *, source: str = "<input>", content_type: str | None = None,
                       max_bytes: int = xmlsafe.MAX_BYTES, max_depth: int = xmlsafe.MAX_DEPTH) -> MessageFile:
    """`read_message_file` for bytes already read."""
    try:
        content_type, body = _framing(bytes(data), content_type)
    except _FramingError as exc:
        raise xmlsafe.XmlInputError(f"the HTTP capture is unusable: {exc}", path=source,
                                    rule=xmlsafe.RULE_WELLFORMED) from None
    if content_type is None:
        return MessageFile(xmlsafe.parse_bytes(body, source=source, max_bytes=max_bytes, max_depth=max_depth))
    try:
        soap = read_body(content_type, body)
    except TransportError as exc:
        raise xmlsafe.XmlInputError(f"the MTOM capture is unusable: {exc}", path=source,
                                    rule=RULE_MTOM_PACKAGE) from None
    tree = xmlsafe.parse_bytes(soap.envelope, source=source, max_bytes=max_bytes, max_depth=max_depth)
    try:
        resolve_xop(tree.getroot(), soap.parts)
    except TransportError as exc:
        raise xmlsafe.XmlInputError(f"the MTOM capture is unusable: {exc}", path=source,
                                    rule=RULE_MTOM_PACKAGE) from None
    return MessageFile(tree, content_type, {cid: len(part) for cid, part in soap.parts.items()})


def _framing(data: bytes, content_type: str | None) -> tuple[str | None, bytes]:
    """(the Content-Type to read the body by, or None for plain XML; the body)."""
    if content_type is not None:
        return content_type, data
    head = data
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom):]
    if _HTTP_START.match(head):
        head = head[_HTTP_START.match(head).end():]
        return _header_block(head)
    if _HEADER_LINE.match(head) and head[:1] != b"<":
        return _header_block(head)
    boundary = _BOUNDARY_LINE.match(head)
    if boundary is not None:
        name = boundary.group(1).decode("latin-1")
        return f'multipart/related; type="application/xop+xml"; boundary="{name}"', head
    return None, data


def _header_block(data: bytes) -> tuple[str | None, bytes]:
    """Headers up to the first blank line; the body after it, read by the block's Content-Type."""
    end = _BLANK_LINE.search(data)
    if end is None:
        return None, data
    headers = HeaderParser().parsestr(data[:end.start()].decode("latin-1") + "\r\n\r\n")
    body = data[end.end():]
    coding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if coding != "identity":
        raise _FramingError(f"its body is {coding}-encoded (Content-Encoding: {coding}); decode it first")
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        body = _dechunked(body)
    ctype = headers.get("Content-Type")
    if not ctype or ctype.split(";")[0].strip().lower() in ("text/xml", "application/soap+xml"):
        return None, body
    return " ".join(ctype.split()), body


class _FramingError(ValueError):
    """An HTTP capture whose body cannot be taken out of its transfer framing."""


_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")


def _dechunked(body: bytes) -> bytes:
    """The body of an HTTP/1.1 chunked transfer (RFC 9112 §7.1), as capture tools keep it (CRLF or LF lines);
    linear in its size. The trailer section after the last chunk is ignored."""
    out: list[bytes] = []
    pos = 0
    while True:
        size_line = _CHUNK_SIZE.match(body, pos)
        if size_line is None and not body[pos:].strip():
            raise _FramingError("Transfer-Encoding is chunked, but the capture ends before the last (zero-size) "
                                "chunk: it was cut short")
        if size_line is None:
            raise _FramingError(f"Transfer-Encoding is chunked, but byte {pos} of the body starts no chunk-size line")
        size = int(size_line.group(1), 16)
        pos = size_line.end()
        if size == 0:
            return b"".join(out)
        if pos + size > len(body):
            raise _FramingError(f"a chunk of {size} bytes at byte {pos} runs past the end of the capture")
        out.append(body[pos:pos + size])
        pos += size
        if body.startswith(b"\r\n", pos):
            pos += 2
        elif body.startswith(b"\n", pos):
            pos += 1
        else:
            raise _FramingError(f"the chunk ending at byte {pos} is not followed by a line end")
