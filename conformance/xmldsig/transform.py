"""The SMEV transform `urn://smev-gov-ru/xmldsig/transform` (docs/smev-protocol.md, "The SMEV transform").

The reference implementation (SMEV's `SmevTransformSpi`) is a StAX loop over Woodstox: it reads its input octets
event by event and writes a new document through Woodstox's writer. What counts is its event model:
- every characters event (text, CDATA, whitespace) is written as it is, or dropped when `trim()` leaves nothing;
  text on either side of a processing instruction or a comment is a separate event, judged on its own;
- a CDATA event is written back as a CDATA section;
- comments, processing instructions and the prolog are not written;
- an element in no namespace, or any name in the `xml:` namespace, makes its writer throw: SMEV cannot compute
  the digest at all (`SmevTransformError`, rule `SMEV-TRANSFORM-UNSUPPORTED`);
- the input is read as UTF-8 whatever the declaration says.

Two entry points, one writer:
- an element (a node set): what a SMEV reference digests, i.e. the transform of the element's exclusive c14n.
  C14n drops comments (their neighbouring texts merge) and turns CDATA into text, but keeps processing
  instructions, so the lxml tree is walked directly with exactly those rules, without serialising and re-parsing
  (a property test holds it equal to the bytes path over `exc_c14n(element)`);
- bytes: the transform applied to these octets as they are (what `SmevTransformSpi` does when called alone),
  comments and CDATA included. The octets are vetted by the hardened parser first (size, depth, no DTD), then
  read as events by expat, which reports CDATA sections, comments and processing instructions as they stand.

The differential tests hold both against the real thing (Woodstox under a JDK) and an independent model.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from conformance.errors import InputError
from conformance.xmldsig.constants import XML_NS
from conformance.xmldsig.escaping import Escaping, escape_attribute, escape_text
from conformance.xmlsafe import parse_bytes

RULE_UNSUPPORTED = "SMEV-TRANSFORM-UNSUPPORTED"
"""The finding of an input SMEV's transform throws on: SMEV cannot verify a signature over it."""

_WHITESPACE = "".join(chr(c) for c in range(0x21))
"""Step 2 strips every character up to U+0020, as Java's `String.trim()` does."""

_NS_SEPARATOR = "\x1f"  # cannot occur in an XML name or a well-formed document


class SmevTransformError(InputError):
    """An input SMEV's transform cannot process (its Woodstox writer or reader throws)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message, path=path, line=line, rule=RULE_UNSUPPORTED)


def smev_transform(source: etree._Element | bytes, *, escaping: Escaping = "woodstox",
                   keep_whitespace: bool = False, path: str | None = None) -> bytes:
    """Apply the SMEV transform to an element (as its reference digests it) or to octets (as they stand).

    Raises `SmevTransformError` where SMEV's implementation fails. `keep_whitespace` skips step 2
    (whitespace-only texts stay): not the transform, but a mistake the diagnostics reproduce. `path` names the
    source in errors.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        path = path or "<transform input>"
        return _TransformWriter(escaping, keep_whitespace, path).write_events(_octet_events(bytes(source), path))
    writer = _TransformWriter(escaping, keep_whitespace, path)
    if not isinstance(source, etree._Element) or not isinstance(source.tag, str):
        raise TypeError("smev_transform takes an element or the bytes of an XML document")
    return writer.write_tree(source)


@lru_cache(maxsize=4096)
def _split(qname: str) -> tuple[str, str]:
    if qname[0] == "{":
        uri, _, local = qname[1:].partition("}")
        return uri, local
    return "", qname


def _utf16_key(text: str) -> bytes:
    """Java compares strings by UTF-16 code units; that differs from code points only above U+FFFF."""
    return text.encode("utf-16-be", "surrogatepass")


def _attribute_key(item: tuple[str, str, str]) -> tuple[bytes, bytes]:
    return _utf16_key(item[0]), _utf16_key(item[1])


# -- the octets path: expat events -----------------------------------------------------------------------------

_Event = tuple  # ("start", uri, local, [(uri, local, value)], line) | ("end",) | ("text", str) | ("cdata", str)


def _octet_events(data: bytes, path: str) -> Iterator[_Event]:
    """The StAX events of `data`: elements, one characters event per text run between any two other events."""
    parse_bytes(data, source=path)  # size, depth, DTD and well-formedness, with the harness's errors
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        raise SmevTransformError(f"byte {exc.start} is not UTF-8: SMEV's transform reads its input as UTF-8 "
                                 "whatever the XML declaration says", path=path, line=line) from None
    parser = xml.parsers.expat.ParserCreate("UTF-8", _NS_SEPARATOR)
    parser.ordered_attributes = True
    events: list[_Event] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            events.append(("text", "".join(run)))
            run.clear()

    def start(name: str, attributes: list[str]) -> None:
        flush()
        uri, local = _expat_name(name)
        pairs = [(*_expat_name(attributes[i]), attributes[i + 1]) for i in range(0, len(attributes), 2)]
        events.append(("start", uri, local, pairs, parser.CurrentLineNumber))

    def end(_name: str) -> None:
        flush()
        events.append(("end",))

    def cdata_end() -> None:
        events.append(("cdata", "".join(run)))
        run.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = run.append
    parser.StartCdataSectionHandler = flush
    parser.EndCdataSectionHandler = cdata_end
    parser.CommentHandler = lambda _text: flush()
    parser.ProcessingInstructionHandler = lambda _target, _data: flush()
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:  # the hardened parser accepted it: a limit of expat, not of the input
        raise InputError(f"cannot read the document as events: {exc}", path=path, line=exc.lineno) from None
    flush()
    return iter(events)


def _expat_name(name: str) -> tuple[str, str]:
    uri, sep, local = name.partition(_NS_SEPARATOR)
    return (uri, local) if sep else ("", name)


# -- the writer ------------------------------------------------------------------------------------------------

class _TransformWriter:
    __slots__ = ("escaping", "keep_whitespace", "path", "out", "counter", "in_scope", "open")

    def __init__(self, escaping: Escaping, keep_whitespace: bool, path: str | None) -> None:
        if escaping not in ("woodstox", "plain"):
            raise ValueError(f"unknown escaping mode {escaping!r}; expected woodstox or plain")
        self.escaping: Escaping = escaping
        self.keep_whitespace = keep_whitespace
        self.path = path
        self.out: list[str] = []
        self.counter = 0
        self.in_scope: dict[str, str] = {}  # namespace URI -> prefix, for the open elements
        self.open: list[tuple[str, list[str]]] = []  # per open element: its written name, the URIs it declared

    def write_tree(self, root: etree._Element) -> bytes:
        """The element as its exclusive c14n reads: comments vanish (texts merge), PIs split texts."""
        # lxml's iterwalk walks the tree in C. `pending` is the text of the current characters event.
        pending = ""
        depth = 0
        for event, node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
            if event == "start":
                self._text(pending)
                depth += 1
                uri, local = _split(node.tag)
                self._start(uri, local, node.attrib.items(), node.sourceline)
                pending = node.text or ""
            elif event == "end":
                self._text(pending)
                self._end()
                depth -= 1
                pending = (node.tail or "") if depth else ""
            elif event == "pi":
                self._text(pending)
                pending = node.tail or ""
            else:  # a comment: exclusive c14n has removed it, the texts around it are one
                pending += node.tail or ""
        return "".join(self.out).encode("utf-8")

    def write_events(self, events: Iterator[_Event]) -> bytes:
        for event in events:
            kind = event[0]
            if kind == "text":
                self._text(event[1])
            elif kind == "start":
                _, uri, local, attributes, line = event
                self._start(uri, local, [(f"{{{a_uri}}}{a_local}" if a_uri else a_local, value)
                                         for a_uri, a_local, value in attributes], line)
            elif kind == "end":
                self._end()
            elif event[1] and (self.keep_whitespace or event[1].strip(_WHITESPACE)):
                self.out.append(f"<![CDATA[{event[1]}]]>")
        return "".join(self.out).encode("utf-8")

    def _text(self, text: str) -> None:
        if text and (self.keep_whitespace or text.strip(_WHITESPACE)):
            self.out.append(escape_text(text, self.escaping))

    def _refuse(self, what: str, line: int | None) -> None:
        raise SmevTransformError(f"{what}: SMEV's transform (Woodstox) throws on it, so SMEV cannot verify a "
                                 "signature over this element", path=self.path, line=line)

    def _prefix(self, uri: str, declarations: list[tuple[str, str]]) -> str:
        prefix = self.in_scope.get(uri)
        if prefix is None:
            self.counter += 1
            prefix = f"ns{self.counter}"
            self.in_scope[uri] = prefix
            declarations.append((prefix, uri))
        return prefix

    def _start(self, uri: str, local: str, attrib, line: int | None) -> None:
        if not uri:
            self._refuse(f"element <{local}> is in no namespace", line)
        if uri == XML_NS:
            self._refuse(f"element xml:{local} is in the xml: namespace", line)
        declarations: list[tuple[str, str]] = []
        name = f"{self._prefix(uri, declarations)}:{local}"
        qualified: list[tuple[str, str, str]] = []
        unqualified: list[tuple[str, str]] = []
        for key, value in attrib:
            if key[0] == "{":
                a_uri, a_local = _split(key)
                if a_uri == XML_NS:
                    self._refuse(f"attribute xml:{a_local} of <{local}> is in the xml: namespace", line)
                qualified.append((a_uri, a_local, value))
            else:
                unqualified.append((key, value))
        escaping = self.escaping
        parts = [f"<{name}"]
        attributes: list[str] = []
        if qualified:
            qualified.sort(key=_attribute_key)
            for a_uri, a_local, value in qualified:
                prefix = self._prefix(a_uri, declarations)
                attributes.append(f' {prefix}:{a_local}="{escape_attribute(value, escaping)}"')
        if unqualified:
            unqualified.sort(key=lambda item: _utf16_key(item[0]))
            attributes.extend(f' {key}="{escape_attribute(value, escaping)}"' for key, value in unqualified)
        parts.extend(f' xmlns:{prefix}="{escape_attribute(ns, escaping)}"' for prefix, ns in declarations)
        parts.extend(attributes)
        parts.append(">")
        self.out.append("".join(parts))
        self.open.append((name, [ns for _, ns in declarations]))

    def _end(self) -> None:
        name, declared = self.open.pop()
        self.out.append(f"</{name}>")
        for uri in declared:
            del self.in_scope[uri]
