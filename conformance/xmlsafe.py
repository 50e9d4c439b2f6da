"""Hardened XML parsing: the only way the harness turns bytes into an lxml tree.

XML is hostile until parsed safely. This parser
- never expands entities, never loads a DTD, never touches the network;
- refuses a document type declaration outright (SOAP 1.1 forbids one in a message, and it is how entity bombs
  and external entities arrive);
- bounds the input size (checked before reading a file) and the element depth;
- turns every failure into an `XmlInputError` that names the file, the line and the rule, never a traceback.

The rule ids raised here are registered in the catalogue (family `MSG-XML-…`).
"""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from conformance.errors import InputError

MAX_BYTES = 32 * 1024 * 1024
"""Default size bound. Real SMEV messages above 5 MiB move their attachments to the file store."""

MAX_DEPTH = 128
"""Default depth bound. Envelope plus business payload rarely exceeds 30 levels."""

RULE_EMPTY = "MSG-XML-EMPTY"
RULE_SIZE = "MSG-XML-SIZE"
RULE_DTD = "MSG-XML-DTD"
RULE_DEPTH = "MSG-XML-DEPTH"
RULE_WELLFORMED = "MSG-XML-WELLFORMED"

_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))
_ENTITY_MARKERS = tuple("<!ENTITY".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))


class XmlInputError(InputError):
    """A document the hardened parser refuses. `rule` is one of the `RULE_…` ids of this module."""


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not thread-safe, and the settings are cheap to apply.
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=False,
        collect_ids=False,
    )


def parse_bytes(
    data: bytes,
    *,
    source: str = "<input>",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> etree._ElementTree:
    """Parse `data` as a hostile XML document; `source` names it in errors."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_bytes takes bytes; encode text first so its encoding is explicit")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlInputError(f"document is {len(data)} bytes, over the limit of {max_bytes}", path=source, rule=RULE_SIZE)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise XmlInputError("document is empty", path=source, rule=RULE_EMPTY)
    _refuse_doctype(data, source)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source) from None
    except ValueError as exc:  # lxml refuses some inputs before parsing (e.g. text with an encoding declaration)
        raise XmlInputError(f"not an XML document: {exc}", path=source, rule=RULE_WELLFORMED) from None
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise XmlInputError("a document type declaration is not allowed in a SOAP message", path=source, line=1,
                            rule=RULE_DTD)
    _check_depth(tree.getroot(), max_depth, source)
    return tree


def parse_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> etree._ElementTree:
    """Parse the file at `path`; its size is checked before anything is read."""
    p = Path(path)
    source = str(p)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise XmlInputError(f"file is {size} bytes, over the limit of {max_bytes}", path=source, rule=RULE_SIZE)
        with p.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except XmlInputError:
        raise
    except IsADirectoryError:
        raise XmlInputError("is a directory, not an XML file", path=source) from None
    except OSError as exc:
        raise XmlInputError(f"cannot read: {exc.strerror or exc}", path=source) from None
    return parse_bytes(data, source=source, max_bytes=max_bytes, max_depth=max_depth)


def _refuse_doctype(data: bytes, source: str) -> None:
    # Look only at the prolog: a DOCTYPE can only stand before the root element.
    head = data[: 64 * 1024]
    for marker in _DOCTYPE_MARKERS + _ENTITY_MARKERS:
        pos = head.find(marker)
        if pos >= 0:
            line = head.count(b"\n", 0, pos) + 1
            raise XmlInputError("a document type declaration is not allowed in a SOAP message "
                                "(entities and DTDs are never processed)", path=source, line=line, rule=RULE_DTD)


def _syntax_error(exc: etree.XMLSyntaxError, source: str) -> XmlInputError:
    msg = str(exc.msg or exc).strip()
    line = exc.lineno if exc.lineno and exc.lineno > 0 else None
    if "Excessive depth" in msg:
        return XmlInputError("element nesting exceeds the parser's depth limit", path=source, line=line, rule=RULE_DEPTH)
    if "Document is empty" in msg:
        return XmlInputError("document has no XML content", path=source, line=line, rule=RULE_EMPTY)
    return XmlInputError(f"not well-formed XML: {msg}", path=source, line=line, rule=RULE_WELLFORMED)


def _check_depth(root: etree._Element, max_depth: int, source: str) -> None:
    stack: list[tuple[etree._Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > max_depth:
            raise XmlInputError(f"element nesting is deeper than {max_depth} levels", path=source,
                                line=element.sourceline, rule=RULE_DEPTH)
        stack.extend((child, depth + 1) for child in element)
