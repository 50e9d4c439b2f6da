"""Character escaping of the SMEV transform's writer (step 9).

The reference transform writes through the Woodstox StAX writer, whose text escaping is not the textbook one:
`>` is escaped only where Woodstox's own scanner happens to look back (the first character of a text, of a
512-character chunk of a long text, after `]`, and after another escaped character; lengths and chunks count
UTF-16 code units, as Java does), and the C1 controls U+007F..U+009F are written as character references
(`&#x85;`) in text but raw in attribute values. Every rule here is held against the real Woodstox by the
differential tests (tests/xmldsig/oracle). No public signed vector pins it down, so the mode is switchable: `woodstox` (the default, what the bus runs) or `plain` (escape
`& < > CR` in text and `& < " TAB LF CR` in attributes everywhere, what naive ports do).
"""

from __future__ import annotations

import re
from typing import Literal

Escaping = Literal["woodstox", "plain"]
ESCAPING_MODES: tuple[str, ...] = ("woodstox", "plain")

_SHORT_TEXT = 12
"""Woodstox writes texts shorter than this through a char-by-char path that escapes `>` only at the start or after `]`."""
_CHUNK = 512

_TEXT_ENTITIES = {"&": "&amp;", "<": "&lt;", "\r": "&#xd;"} | {chr(c): f"&#x{c:x};" for c in range(0x7F, 0xA0)}
_ATTR_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xa;", "\r": "&#xd;"})
_PLAIN_TEXT_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xd;"})
_TEXT_SPECIALS = re.compile("[&<>\r\x7f-\x9f]")


def escape_attribute(value: str, mode: Escaping = "woodstox") -> str:
    """Escape an attribute value for a double-quoted attribute; both modes agree here."""
    return value.translate(_ATTR_TABLE)


def escape_text(text: str, mode: Escaping = "woodstox") -> str:
    """Escape character data as the chosen writer does."""
    if mode == "plain":
        return text.translate(_PLAIN_TEXT_TABLE)
    if mode != "woodstox":
        raise ValueError(f"unknown escaping mode {mode!r}; expected one of {', '.join(ESCAPING_MODES)}")
    if _TEXT_SPECIALS.search(text) is None:
        return text
    return _escape_text_woodstox(text)


def _escape_text_woodstox(text: str) -> str:
    # Woodstox counts in UTF-16 code units (Java chars): a character above U+FFFF takes two, which moves the length
    # threshold and the 512-unit chunk boundaries.
    out: list[str] = []
    long_text = _utf16_length(text) >= _SHORT_TEXT
    segment_start = 0  # where Woodstox's scanner last (re)started: the text start, a chunk start, after an entity
    previous = ""
    unit = 0  # the UTF-16 index of `ch`
    for ch in text:
        width = 2 if ch > "\uffff" else 1
        if long_text:
            boundary = (unit + width - 1) // _CHUNK * _CHUNK
            if boundary >= unit:
                segment_start = boundary
        entity = _TEXT_ENTITIES.get(ch)
        if entity is None and ch == ">" and (unit == segment_start or previous == "]"):
            entity = "&gt;"
        if entity is None:
            out.append(ch)
        else:
            out.append(entity)
            if long_text:
                segment_start = unit + 1
        previous = ch
        unit += width
    return "".join(out)


def _utf16_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2
