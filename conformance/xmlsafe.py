"""Hardened XML parsing: the only way the harness turns bytes into an lxml tree.

XML is hostile until parsed safely. This parser
- never expands entities, never loads a DTD, never touches the network;
- refuses a document type declaration outright (SOAP 1.1 forbids one in a message, and it is how entity bombs
  and external entities arrive);
- bounds the input size (checked before reading a file) and, while parsing, the element depth, the element count,
  the attributes (namespace declarations included) of one element and the total node count (elements, attributes,
  namespace declarations, comments, processing instructions, CDATA sections): no rule run later on an accepted tree
  can be made slow or large by sheer numbers, and a refused document is dropped before its tree is finished;
- turns every failure into an `XmlInputError` that names the file, the line and the rule, never a traceback.

The rule ids raised here are registered in the catalogue (family `MSG-XML-…`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lxml import etree

from conformance.errors import InputError

MAX_BYTES = 32 * 1024 * 1024
"""Default size bound. Real SMEV messages above 5 MiB move their attachments to the file store."""

MAX_DEPTH = 128
"""Default depth bound. Envelope plus business payload rarely exceeds 30 levels."""

MAX_ELEMENTS = 200_000
"""Default bound on the number of elements (a document of tiny elements costs ~40x its size in memory)."""

MAX_ATTRIBUTES = 256
"""Default bound on the attributes of one element, namespace declarations included (an SMEV envelope's busiest
element carries about ten)."""

MAX_SIGNATURES = 64
"""Default bound on ds:Signature elements: each costs a digest over its target and a public-key operation when
checked (an SMEV message carries at most four or five, a business payload a few more)."""

MAX_NODES = 500_000
"""Default bound on all nodes together: elements, attributes, namespace declarations, comments, processing
instructions and CDATA sections (text is bounded by the size). Comments cost as much memory as elements: a 31 MB
document of empty comments would otherwise build a tree of over a gigabyte."""

RULE_EMPTY = "MSG-XML-EMPTY"
RULE_SIZE = "MSG-XML-SIZE"
RULE_DTD = "MSG-XML-DTD"
RULE_DEPTH = "MSG-XML-DEPTH"
RULE_WELLFORMED = "MSG-XML-WELLFORMED"

_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))
_ENTITY_MARKERS = tuple("<!ENTITY".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))


class XmlInputError(InputError):
    """A document the hardened parser refuses. `rule` is one of the `RULE_…` ids of this module."""


def _parser() -> etree.XMLPullParser:
    # A new parser per call: lxml parsers are not thread-safe, and the settings are cheap to apply.
    # A pull parser lets the element count and the depth be bounded while parsing, not after the tree is built.
    return etree.XMLPullParser(
        events=("start", "end", "start-ns", "comment", "pi"),
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


_CHUNK = 256 * 1024


def parse_bytes(
    data: bytes,
    *,
    source: str = "<input>",
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_elements: int = MAX_ELEMENTS,
    max_attributes: int = MAX_ATTRIBUTES,
    max_nodes: int = MAX_NODES,
) -> etree._ElementTree:
    """Parse `data` as a hostile XML document; `source` names it in errors. Linear in `len(data)`."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_bytes takes bytes; encode text first so its encoding is explicit")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlInputError(f"document is {len(data)} bytes, over the limit of {max_bytes}", path=source, rule=RULE_SIZE)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise XmlInputError("document is empty", path=source, rule=RULE_EMPTY)
    _refuse_doctype(data, source)
    # CDATA sections raise no parser event: counted up front (an overcount when the text merely mentions one).
    nodes = data.count(b"<![CDATA[")
    if nodes > max_nodes:
        raise XmlInputError(f"document has more than {max_nodes} nodes (CDATA sections)", path=source,
                            line=_line_of_nth(data, b"<![CDATA[", max_nodes + 1), rule=RULE_SIZE)
    parser = _parser()
    depth = elements = declarations = signatures = 0
    try:
        for offset in range(0, len(data), _CHUNK):
            parser.feed(data[offset: offset + _CHUNK])
            for event, element in parser.read_events():
                if event == "end":
                    depth -= 1
                    continue
                nodes += 1
                if event == "start-ns":
                    declarations += 1
                    continue
                if event == "start":
                    depth += 1
                    elements += 1
                    attributes = len(element.attrib) + declarations
                    declarations = 0
                    nodes += attributes
                    if depth > max_depth:
                        raise XmlInputError(f"element nesting is deeper than {max_depth} levels", path=source,
                                            line=element.sourceline, rule=RULE_DEPTH)
                    if elements > max_elements:
                        raise XmlInputError(f"document has more than {max_elements} elements", path=source,
                                            line=element.sourceline, rule=RULE_SIZE)
                    if element.tag == _SIGNATURE:
                        signatures += 1
                        if signatures > MAX_SIGNATURES:
                            raise XmlInputError(f"document has more than {MAX_SIGNATURES} ds:Signature elements",
                                                path=source, line=element.sourceline, rule=RULE_SIZE)
                    if attributes > max_attributes:
                        raise XmlInputError(f"element {_name(element)} has {attributes} attributes and namespace "
                                            f"declarations, over the limit of {max_attributes}", path=source,
                                            line=element.sourceline, rule=RULE_SIZE)
                if nodes > max_nodes:
                    raise XmlInputError(f"document has more than {max_nodes} nodes (elements, attributes, comments, "
                                        "processing instructions)", path=source, line=_line(element), rule=RULE_SIZE)
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source, data) from None
    except ValueError as exc:  # lxml refuses some inputs before parsing (e.g. text with an encoding declaration)
        raise XmlInputError(f"not an XML document: {exc}", path=source, rule=RULE_WELLFORMED) from None
    tree = root.getroottree()
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise XmlInputError("a document type declaration is not allowed in a SOAP message", path=source, line=1,
                            rule=RULE_DTD)
    return tree


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else "?"


def _line(node: object) -> int | None:
    line = getattr(node, "sourceline", None)
    return line if isinstance(line, int) and line > 0 else None


def _line_of_nth(data: bytes, marker: bytes, n: int) -> int:
    pos = -1
    for _ in range(n):
        pos = data.find(marker, pos + 1)
    return data.count(b"\n", 0, max(pos, 0)) + 1


def parse_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
               max_elements: int = MAX_ELEMENTS, max_attributes: int = MAX_ATTRIBUTES,
               max_nodes: int = MAX_NODES) -> etree._ElementTree:
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
    return parse_bytes(data, source=source, max_bytes=max_bytes, max_depth=max_depth, max_elements=max_elements,
                       max_attributes=max_attributes, max_nodes=max_nodes)


def _refuse_doctype(data: bytes, source: str) -> None:
    """Refuse a DOCTYPE before parsing. It can only stand in the prolog, so only the prolog is read: text, CDATA and
    comments after the root's start tag may mention `<!DOCTYPE` harmlessly. (The parser's own check after parsing
    catches anything this quick look misses.)"""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        head = data[: 64 * 1024]  # UTF-16: look for the markers in either byte order
        for marker in _DOCTYPE_MARKERS + _ENTITY_MARKERS:
            pos = head.find(marker)
            if pos >= 0:
                _doctype_error(data, pos, source)
        return
    pos = 0
    while (start := data.find(b"<", pos)) >= 0:
        if data.startswith(b"<!--", start):
            end = data.find(b"-->", start + 4)
        elif data.startswith(b"<?", start):
            end = data.find(b"?>", start + 2)
        elif data.startswith(b"<!DOCTYPE", start) or data.startswith(b"<!ENTITY", start):
            _doctype_error(data, start, source)
        else:
            return  # the root element starts: the prolog is over
        if end < 0:
            return  # an unterminated comment or PI: the parser reports it
        pos = end + 2


def _doctype_error(data: bytes, pos: int, source: str) -> None:
    line = data.count(b"\n", 0, pos) + 1
    raise XmlInputError("a document type declaration is not allowed in a SOAP message "
                        "(entities and DTDs are never processed)", path=source, line=line, rule=RULE_DTD)


def _syntax_error(exc: etree.XMLSyntaxError, source: str, data: bytes) -> XmlInputError:
    msg = str(exc.msg or exc).strip()
    msg = re.sub(r",? line \d+, column \d+$", "", msg)  # the location is reported separately
    line = exc.lineno if exc.lineno and exc.lineno > 0 else None
    if "Excessive depth" in msg:
        return XmlInputError(f"element nesting is deeper than {MAX_DEPTH} levels (stopped at the parser's hard limit)",
                             path=source, line=line, rule=RULE_DEPTH)
    if "Resource limit exceeded" in msg or "huge" in msg.lower():
        return XmlInputError("a text or attribute value is over the parser's 10 MB limit (a large attachment "
                             "belongs in the file store)", path=source, line=line, rule=RULE_SIZE)
    if "Document is empty" in msg or "Start tag expected" in msg:
        if not data.lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"<") and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return XmlInputError("not XML: the content does not start with markup (binary or text data)",
                                 path=source, line=line, rule=RULE_WELLFORMED)
        return XmlInputError("document has no root element", path=source, line=line, rule=RULE_WELLFORMED)
    encoding = _encoding_mismatch(data)
    if encoding is not None:
        return XmlInputError(encoding[1], path=source, line=encoding[0], rule=RULE_WELLFORMED)
    return XmlInputError(f"not well-formed XML: {msg}", path=source, line=line, rule=RULE_WELLFORMED)


_DECLARED_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _encoding_mismatch(data: bytes) -> tuple[int | None, str] | None:
    """(line, message) when the bytes cannot be in the encoding the document declares (or UTF-8, declaring none):
    the usual cause of a parse failure in real captures, which the parser's own words hide."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2] in (b"<\x00", b"\x00<"):
        return None  # UTF-16 bytes: the parser judged them in their own encoding
    found = _DECLARED_ENCODING.match(data)
    declared = found.group(1).decode("ascii").lower() if found else None
    if declared in ("utf-16", "utf16", "utf-16le", "utf-16be", "ucs-2", "iso-10646-ucs-2"):
        return 1, (f'the XML declaration says encoding="{found.group(1).decode("ascii")}" but the bytes are '
                   "single-byte text (UTF-8 or an 8-bit code page): the declaration names the encoding of a string "
                   "the writer held, not of the bytes it sent")
    if declared in (None, "utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            said = "declares UTF-8" if declared else "declares no encoding (so UTF-8)"
            return line, (f"the document {said}, but byte {exc.start} (0x{data[exc.start]:02x}) is not UTF-8: "
                          'text in windows-1251 needs <?xml version="1.0" encoding="windows-1251"?>')
    return None
