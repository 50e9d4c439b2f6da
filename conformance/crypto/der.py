"""A raw view of DER elements (tag, content, exact bytes, offset) and small DER writers, both on asn1crypto.

The typed structures (certificates, CRLs, CMS, keys) are read by asn1crypto's own classes; this module serves what
they do not: the strict DER gate every input passes first (`require_der`), the GOST structures asn1crypto has no
spec for, and probes and tests that rebuild or take apart an element by hand. The reader keeps the raw bytes of
every element, so that signed parts are verified over exactly the bytes that were signed, never a re-encoding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from asn1crypto import core, parser

from conformance.errors import ConformanceError

# Universal tags (the identifier octet).
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

MAX_DEPTH = 64  # nesting limit of `require_der`; real certificates and CMS stay below 15

_STRINGS = {UTF8_STRING: core.UTF8String, NUMERIC_STRING: core.NumericString, PRINTABLE_STRING: core.PrintableString,
            IA5_STRING: core.IA5String, UNIVERSAL_STRING: core.UniversalString,
            BMP_STRING: core.BMPString}


class DerError(ConformanceError):
    """The bytes are not the DER structure expected; the message says where and what."""


MALFORMED = (DerError, ValueError, TypeError, KeyError, IndexError, OverflowError)
"""What reading a malformed structure raises: ours, and asn1crypto's as it parses lazily (catch these, nothing
broader, around every read of untrusted ASN.1)."""


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

    def _value(self, spec: type[core.Asn1Value]) -> core.Asn1Value:
        try:
            return spec.load(self.raw, strict=True)
        except (ValueError, TypeError) as exc:
            raise DerError(f"malformed {spec.__name__} at offset {self.offset}: {exc}") from None

    # Typed values.
    def integer(self) -> int:
        self.expect(INTEGER, "INTEGER")
        if not self.content:
            raise DerError(f"empty INTEGER at offset {self.offset}")
        return self._value(core.Integer).native

    def oid(self) -> str:
        self.expect(OID, "OBJECT IDENTIFIER")
        if not self.content or self.content[-1] & 0x80:
            raise DerError(f"empty or truncated OBJECT IDENTIFIER at offset {self.offset}")
        return self._value(core.ObjectIdentifier).dotted

    def octets(self) -> bytes:
        self.expect(OCTET_STRING, "OCTET STRING")
        return self.content

    def bits(self) -> bytes:
        """The bytes of a BIT STRING with no unused bits (keys and signatures)."""
        self.expect(BIT_STRING, "BIT STRING")
        if not self.content or self.content[0] != 0:
            raise DerError(f"BIT STRING at offset {self.offset} has unused bits")
        return self.content[1:]

    def text(self) -> str:
        """A directory string's text; undecodable bytes are replaced, never fatal (names are for display)."""
        if self.tag == TELETEX_STRING:  # T.61 as OpenSSL and the issuing CAs treat it: Latin-1
            return self.content.decode("latin-1")
        spec = _STRINGS.get(self.tag)
        if spec is not None:
            try:
                return self._value(spec).native
            except (DerError, UnicodeDecodeError):
                pass
        return self.content.decode("utf-8", errors="replace")

def _read_one(data: bytes, pos: int, base: int) -> tuple[Element, int]:
    try:
        (_, _, number, header, content, trailer), end = parser._parse(data, len(data), pos)  # offset-aware reader
    except ValueError as exc:
        if str(exc).startswith("Insufficient data"):  # asn1crypto's words for a length beyond the input
            raise DerError(f"element at offset {base + pos} runs past the end of the data ({exc})") from None
        raise DerError(f"element at offset {base + pos}: {exc}") from None
    if trailer or header[1:2] == b"\x80":
        raise DerError(f"indefinite length is not DER (offset {base + pos})")
    if number >= 31:
        raise DerError(f"high tag numbers are not supported (offset {base + pos})")
    return Element(header[0], content, bytes(data[pos:end]), base + pos), end


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
    data = bytes(data)
    element, end = _read_one(data, 0, 0)
    if end != len(data):
        raise DerError(f"{len(data) - end} trailing bytes after the DER element")
    return element


def require_der(data: bytes, what: str) -> None:
    """Raise `DerError` unless `data` is one element whose every nested encoding has a definite length and a low
    tag number, within `MAX_DEPTH` levels: asn1crypto also reads BER, the project accepts only DER.
    One pass over the bytes, nothing copied."""
    data = bytes(data)
    regions = [(0, len(data), 0)]  # (start, end, depth) of the encodings still to walk
    while regions:
        start, end, depth = regions.pop()
        if depth > MAX_DEPTH:
            raise DerError(f"{what}: nested deeper than {MAX_DEPTH} levels (offset {start})")
        pos = start
        while pos < end:
            if data[pos] & 0x1F == 0x1F:
                raise DerError(f"{what}: high tag numbers are not supported (offset {pos})")
            if pos + 1 < end and data[pos + 1] == 0x80:
                raise DerError(f"{what}: indefinite length is not DER (offset {pos})")
            try:
                content_start, content_end = parser._parse(data, end, pos, lengths_only=True)
            except ValueError as exc:
                raise DerError(f"{what}: element at offset {pos} runs past the end of its container or is malformed ({exc})") \
                    from None
            if data[pos] & 0x20:
                regions.append((content_start, content_end, depth + 1))
            pos = content_end
            if depth == 0 and pos != end:
                raise DerError(f"{what}: {end - pos} trailing bytes after the DER element")


# asn1crypto's `dump()` re-encodes any value whose length ends in the octet 0x80 (it takes that for BER's indefinite
# length: lengths 128, 384, 1152, …). A signed part must never be re-encoded, and a GOST key cannot be (asn1crypto
# has no spec for it), so bytes go in and out of asn1crypto values only through these two functions.
def encoded(value: core.Asn1Value) -> bytes:
    """The exact bytes asn1crypto read for a parsed `value` (never a re-encoding)."""
    if isinstance(value, core.Choice) and not value.explicit:  # an untagged CHOICE is its alternative's encoding
        return encoded(value.chosen)
    return value._header + value.contents + (value._trailer or b"")


@cache
def _verbatim_class(spec: type[core.Asn1Value]) -> type[core.Asn1Value]:
    def dump(self: core.Asn1Value, force: bool = False) -> bytes:
        return encoded(self)

    return type(f"Verbatim{spec.__name__}", (spec,), {"dump": dump})


def verbatim(spec: type[core.Asn1Value], data: bytes) -> core.Asn1Value:
    """`data` as a `spec` value that a structure under construction writes out exactly as given."""
    return _verbatim_class(spec).load(bytes(data), strict=True)


# Writer: the primitive encodings are asn1crypto's; the framing of hand-built structures is `encode`.
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
    return core.Integer(value).dump()


def oid(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


def octet_string(value: bytes) -> bytes:
    return core.OctetString(value).dump()


def bit_string(value: bytes) -> bytes:
    return encode(BIT_STRING, b"\x00" + value)


def utc_time_fits(value: dt.datetime) -> bool:
    """True when RFC 5280 (§4.1.2.5) and RFC 5652 (§11.3) want UTCTime for `value`: 1950–2049; else GeneralizedTime."""
    return 1950 <= value.year < 2050


def time(value: dt.datetime) -> bytes:
    """UTCTime for 1950–2049 and GeneralizedTime otherwise, as RFC 5280 requires."""
    value = value.astimezone(dt.UTC).replace(microsecond=0)
    if utc_time_fits(value):
        return core.UTCTime(value).dump()
    # Written from text: asn1crypto formats a datetime with strftime("%Y"), which gives "1", not "0001", for the
    # year 1 on glibc, and so a GeneralizedTime no reader takes back.
    return core.GeneralizedTime(f"{value.year:04d}{value:%m%d%H%M%S}Z").dump()


def context(number: int, content: bytes, constructed: bool = True) -> bytes:
    """An explicit (constructed) or implicit context-specific tag around `content`."""
    return encode(0x80 | (0x20 if constructed else 0) | number, content)
