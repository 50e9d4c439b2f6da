"""The HTTP body of a SOAP call: plain `text/xml`, or MTOM (`multipart/related` with an `application/xop+xml` root).

MTOM moves base64 content out of the envelope into MIME parts and leaves `<xop:Include href="cid:…"/>` in its place.
The bus resolves every Include back into base64 text before anything else looks at the envelope, so that schema
checks, rules and signature digests see the message as the sender signed it.

The multipart reader is strict on purpose: a missing or wrong boundary, a part without the blank line after its
headers, a missing closing delimiter or a `cid:` reference to no part are transport errors, not guesses.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from urllib.parse import unquote

from lxml import etree

XOP_NS = "http://www.w3.org/2004/08/xop/include"
XOP_INCLUDE = f"{{{XOP_NS}}}Include"

SOAP_CONTENT_TYPES = ("text/xml",)
"""SOAP 1.1 envelopes travel as `text/xml`."""


class TransportError(Exception):
    """The HTTP body cannot be turned into an envelope. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400, reason: str = "transport"):
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class SoapBody:
    """The envelope bytes and, for MTOM, the other MIME parts by Content-ID (without angle brackets)."""

    envelope: bytes
    parts: dict[str, bytes] = field(default_factory=dict)
    mtom: bool = False


def _content_type(header: str) -> Message:
    msg = HeaderParser().parsestr(f"Content-Type: {header}\r\n\r\n")
    return msg


def read_body(content_type: str | None, body: bytes) -> SoapBody:
    """Split an HTTP body by its Content-Type header into the envelope and the MTOM parts."""
    if not content_type:
        raise TransportError("the request has no Content-Type header; a SOAP 1.1 call is text/xml or MTOM "
                             "multipart/related", status=415, reason="content-type")
    ctype = _content_type(content_type)
    main = ctype.get_content_type()
    if main != content_type.split(";", 1)[0].strip().lower():  # the email parser's text/plain for a non-media-type
        raise TransportError(f"content type {content_type!r} is not a media type (type/subtype, e.g. text/xml)",
                             status=415, reason="content-type")
    if main in SOAP_CONTENT_TYPES:
        return SoapBody(envelope=body)
    if main == "multipart/related":
        return _read_multipart(ctype, body)
    raise TransportError(f"content type {main!r} is not a SOAP 1.1 message (text/xml or multipart/related MTOM)",
                         status=415, reason="content-type")


def _read_multipart(ctype: Message, body: bytes) -> SoapBody:
    boundary = ctype.get_param("boundary")
    if not boundary or not isinstance(boundary, str):
        raise TransportError("multipart/related without a boundary parameter", reason="mime-boundary")
    start_type = ctype.get_param("type")
    if start_type and str(start_type).lower() not in ("application/xop+xml", "text/xml"):
        raise TransportError(f"multipart/related root type {start_type!r} is not application/xop+xml",
                             status=415, reason="content-type")
    start = ctype.get_param("start")
    parts = _split_parts(body, boundary.encode("latin-1"))
    if not parts:
        raise TransportError("multipart body has no parts", reason="mime-boundary")
    by_id: dict[str, bytes] = {}
    root: bytes | None = None
    root_id = _strip_cid(str(start)) if start else None
    for index, (headers, content) in enumerate(parts):
        cid = headers.get("Content-ID")
        cid_value = _strip_cid(cid) if cid else None
        encoding = (headers.get("Content-Transfer-Encoding") or "binary").strip().lower()
        if encoding == "base64":
            try:
                content = base64.b64decode(content, validate=False)
            except ValueError:
                raise TransportError(f"MIME part {index + 1} is not valid base64", reason="mime-part") from None
        elif encoding not in ("binary", "8bit", "7bit"):
            raise TransportError(f"MIME part {index + 1} has an unsupported Content-Transfer-Encoding {encoding!r}",
                                 reason="mime-part")
        is_root = (root_id is not None and cid_value == root_id) or (root_id is None and index == 0)
        if is_root:
            part_type = _content_type(headers.get("Content-Type") or "").get_content_type()
            if part_type not in ("application/xop+xml", "text/xml"):
                raise TransportError(f"the MTOM root part has content type {part_type!r}, not application/xop+xml",
                                     status=415, reason="content-type")
            root = content
        elif cid_value is not None:
            by_id[cid_value] = content
    if root is None:
        raise TransportError(f"no MIME part has the root Content-ID <{root_id}> named by start=",
                             reason="mime-part")
    return SoapBody(envelope=root, parts=by_id, mtom=True)


def _strip_cid(value: str) -> str:
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    return value


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _split_parts(body: bytes, boundary: bytes) -> list[tuple[Message, bytes]]:
    delimiter = b"--" + boundary
    first = body.find(delimiter)
    if first < 0:
        raise TransportError("the multipart body does not contain its boundary delimiter", reason="mime-boundary")
    pos = first
    parts: list[tuple[Message, bytes]] = []
    while True:
        after = pos + len(delimiter)
        if body[after:after + 2] == b"--":
            return parts
        line_end = body.find(b"\n", after)
        if line_end < 0 or body[after:line_end].strip(b" \t\r"):
            raise TransportError("a multipart boundary line is malformed", reason="mime-boundary")
        nxt = body.find(b"\n" + delimiter, line_end)
        if nxt < 0:
            raise TransportError("the multipart body has no closing boundary delimiter", reason="mime-boundary")
        chunk = body[line_end + 1:nxt]
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
        head_end = _HEADER_END.search(chunk)
        if head_end is None:
            if chunk.strip():
                raise TransportError(f"MIME part {len(parts) + 1} has no blank line after its headers",
                                     reason="mime-part")
            headers, content = HeaderParser().parsestr("\r\n"), b""
        else:
            headers = HeaderParser().parsestr(chunk[:head_end.start()].decode("latin-1") + "\r\n\r\n")
            content = chunk[head_end.end():]
        parts.append((headers, content))
        pos = nxt + 1


def resolve_xop(root: etree._Element, parts: dict[str, bytes]) -> int:
    """Replace every `xop:Include` under `root` by the base64 text of the part it names; returns how many.

    The parts referenced, counted as often as they are referenced, may not hold more bytes than all the parts
    together: otherwise a thousand Includes of one 60 MB part would expand a 64 MB call into 80 GB of text."""
    includes = list(root.iter(XOP_INCLUDE))
    referenced = sum(len(parts.get(unquote((include.get("href") or "")[4:]), b"")) for include in includes)
    carried = sum(len(part) for part in parts.values())
    if referenced > carried:
        raise TransportError(f"the xop:Include elements reference {referenced} bytes of parts, more than the "
                             f"{carried} the message carries: a part is included more than once", status=413,
                             reason="xop")
    for include in includes:
        href = include.get("href") or ""
        if not href.startswith("cid:"):
            raise TransportError(f"xop:Include at line {include.sourceline} has href {href!r}, not a cid: reference",
                                 reason="xop")
        cid = unquote(href[4:])
        if cid not in parts:
            raise TransportError(f"xop:Include at line {include.sourceline} names part <{cid}>, which the message "
                                 "does not carry", reason="xop")
        parent = include.getparent()
        if parent is None:
            raise TransportError("xop:Include cannot be the root element", reason="xop")
        if len(parent) != 1 or (parent.text or "").strip():
            raise TransportError(f"xop:Include at line {include.sourceline} must be the only content of its "
                                 "element", reason="xop")
        tail = include.tail
        parent.remove(include)
        parent.text = base64.b64encode(parts[cid]).decode("ascii")
        if tail and tail.strip():
            raise TransportError(f"text after xop:Include at line {include.sourceline}", reason="xop")
    return len(includes)


def encode_multipart(envelope: bytes, parts: dict[str, bytes], *, boundary: str = "uuid:smev-double-boundary",
                     root_id: str = "root.message@smev-double") -> tuple[str, bytes]:
    """Build an MTOM body (for the client and tests): returns (Content-Type header value, body)."""
    crlf = b"\r\n"
    out = [b"--" + boundary.encode(), crlf,
           b'Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"', crlf,
           b"Content-Transfer-Encoding: binary", crlf,
           f"Content-ID: <{root_id}>".encode(), crlf, crlf, envelope, crlf]
    for cid, data in parts.items():
        out += [b"--" + boundary.encode(), crlf, b"Content-Type: application/octet-stream", crlf,
                b"Content-Transfer-Encoding: binary", crlf, f"Content-ID: <{cid}>".encode(), crlf, crlf, data, crlf]
    out += [b"--" + boundary.encode() + b"--", crlf]
    header = (f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; '
              f'start="<{root_id}>"; start-info="text/xml"')
    return header, b"".join(out)
