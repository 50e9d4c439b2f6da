"""A small strict DER reader and writer: enough for X.509 certificates, CRLs, PKCS#8 and CMS with GOST OIDs.

The reader keeps the raw bytes of every element, so that signed parts (`tbsCertificate`, signed attributes) are
verified over exactly the bytes that were signed, never over a re-encoding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from conformance.errors import ConformanceError

# Universal tags.
BOOLEAN = 0x01
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
UTF8_STRING = 0x0C
SEQUENCE = 0x30
SET = 0x31
NUMERIC_STRING = 0x12
PRINTABLE_STRING = 0x13
TELETEX_STRING = 0x14
IA5_STRING = 0x16
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
UNIVERSAL_STRING = 0x1C
BMP_STRING = 0x1E

_MAX_DEPTH = 64


class DerError(ConformanceError):
    """The bytes are not the DER structure expected; the message says where and what."""


@dataclass(frozen=True)
class Element:
    """One DER element: its identifier octet, content and the complete encoding (`raw`)."""

    tag: int  # the identifier octet (class, constructed bit and number < 31)
    content: bytes
    raw: bytes
    offset: int  # where `raw` starts in the outermost input

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    @property
    def tag_class(self) -> int:
        return self.tag >> 6

    def is_context(self, number: int) -> bool:
        return self.tag_class == 2 and (self.tag & 0x1F) == number

    def children(self) -> list[Element]:
        if not self.constructed:
            raise DerError(f"element at offset {self.offset} (tag 0x{self.tag:02x}) is not constructed")
        return read_all(self.content, self.offset + len(self.raw) - len(self.content))

    def expect(self, tag: int, what: str) -> Element:
        if self.tag != tag:
            raise DerError(f"{what}: expected tag 0x{tag:02x}, found 0x{self.tag:02x} at offset {self.offset}")
        return self

    # Typed values.
    def integer(self) -> int:
        self.expect(INTEGER, "INTEGER")
        if not self.content:
            raise DerError(f"empty INTEGER at offset {self.offset}")
        return int.from_bytes(self.content, "big", signed=True)

    def oid(self) -> str:
        self.expect(OID, "OBJECT IDENTIFIER")
        return decode_oid(self.content, self.offset)

    def octets(self) -> bytes:
        self.expect(OCTET_STRING, "OCTET STRING")
        return self.content

    def bits(self) -> bytes:
        """The bytes of a BIT STRING with no unused bits (keys and signatures)."""
        self.expect(BIT_STRING, "BIT STRING")
        if not self.content or self.content[0] != 0:
            raise DerError(f"BIT STRING at offset {self.offset} has unused bits")
        return self.content[1:]

    def boolean(self) -> bool:
        self.expect(BOOLEAN, "BOOLEAN")
        return self.content != b"\x00"

    def text(self) -> str:
        if self.tag == BMP_STRING:
            return self.content.decode("utf-16-be", errors="replace")
        if self.tag == UNIVERSAL_STRING:
            return self.content.decode("utf-32-be", errors="replace")
        if self.tag == TELETEX_STRING:
            return self.content.decode("latin-1")
        return self.content.decode("utf-8", errors="replace")

    def time(self) -> dt.datetime:
        """A UTCTime or GeneralizedTime as an aware UTC datetime."""
        text = self.content.decode("ascii", errors="replace")
        try:
            if self.tag == UTC_TIME:
                value = dt.datetime.strptime(text, "%y%m%d%H%M%SZ")
            elif self.tag == GENERALIZED_TIME:
                value = dt.datetime.strptime(text.split(".")[0].rstrip("Z"), "%Y%m%d%H%M%S")
            else:
                raise DerError(f"expected a time at offset {self.offset}, found tag 0x{self.tag:02x}")
        except ValueError:
            raise DerError(f"malformed time {text!r} at offset {self.offset}") from None
        return value.replace(tzinfo=dt.UTC)


def _read_one(data: bytes, pos: int, base: int) -> tuple[Element, int]:
    start = pos
    if pos + 2 > len(data):
        raise DerError(f"truncated element at offset {base + pos}")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError(f"high tag numbers are not supported (offset {base + pos})")
    pos += 1
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError(f"indefinite length is not DER (offset {base + start})")
    else:
        count = first & 0x7F
        if count > 4 or pos + count > len(data):
            raise DerError(f"bad length at offset {base + start}")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise DerError(f"element at offset {base + start} runs past the end of the data ({length} bytes declared)")
    return Element(tag, bytes(data[pos:end]), bytes(data[start:end]), base + start), end


def read_all(data: bytes, base: int = 0) -> list[Element]:
    """Every element of a concatenation of DER elements."""
    items = []
    pos = 0
    while pos < len(data):
        element, pos = _read_one(data, pos, base)
        items.append(element)
    return items


def read(data: bytes) -> Element:
    """Exactly one DER element filling `data`."""
    element, end = _read_one(data, 0, 0)
    if end != len(data):
        raise DerError(f"{len(data) - end} trailing bytes after the DER element")
    return element


def decode_oid(content: bytes, offset: int = 0) -> str:
    if not content:
        raise DerError(f"empty OBJECT IDENTIFIER at offset {offset}")
    arcs: list[int] = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if content[-1] & 0x80:
        raise DerError(f"truncated OBJECT IDENTIFIER at offset {offset}")
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(a) for a in head + arcs[1:])


# Writer.
def encode(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        header = bytes([tag, length])
    else:
        size = (length.bit_length() + 7) // 8
        header = bytes([tag, 0x80 | size]) + length.to_bytes(size, "big")
    return header + content


def sequence(*items: bytes) -> bytes:
    return encode(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    """A DER SET OF: the encodings sorted, as DER requires."""
    return encode(SET, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8) if value >= 0 else ((-value - 1).bit_length() + 8) // 8
    return encode(INTEGER, value.to_bytes(size, "big", signed=True))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    values = [arcs[0] * 40 + arcs[1], *arcs[2:]]
    out = bytearray()
    for value in values:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out.extend(reversed(chunk))
    return encode(OID, bytes(out))


def octet_string(value: bytes) -> bytes:
    return encode(OCTET_STRING, value)


def bit_string(value: bytes) -> bytes:
    return encode(BIT_STRING, b"\x00" + value)


def null() -> bytes:
    return b"\x05\x00"


def boolean(value: bool) -> bytes:
    return encode(BOOLEAN, b"\xff" if value else b"\x00")


def utf8(text: str) -> bytes:
    return encode(UTF8_STRING, text.encode("utf-8"))


def printable(text: str) -> bytes:
    return encode(PRINTABLE_STRING, text.encode("ascii"))


def time(value: dt.datetime) -> bytes:
    """UTCTime for 1950–2049 and GeneralizedTime otherwise, as RFC 5280 requires."""
    value = value.astimezone(dt.UTC)
    if 1950 <= value.year < 2050:
        return encode(UTC_TIME, value.strftime("%y%m%d%H%M%SZ").encode())
    return encode(GENERALIZED_TIME, value.strftime("%Y%m%d%H%M%SZ").encode())


def context(number: int, content: bytes, constructed: bool = True) -> bytes:
    """An explicit (constructed) or implicit context-specific tag around `content`."""
    return encode(0x80 | (0x20 if constructed else 0) | number, content)
