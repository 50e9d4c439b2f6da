"""An XML element kept opaque inside the immutable message model, compared by canonical bytes.

The business payload under `MessagePrimaryContent`, a `ds:Signature`, `BusinessProcessMetadata` content: the model
does not interpret them, but two messages are equal only when these are equal as XML, so a fragment compares by its
exclusive canonical form (namespace prefixes and in-scope declarations it does not use do not matter).
"""

from __future__ import annotations

import copy

from lxml import etree

from conformance.xmlsafe import parse_bytes


class XmlFragment:
    """An immutable copy of an element. `element()` gives a fresh, independent copy each time."""

    __slots__ = ("_canonical", "_element")

    def __init__(self, element: etree._Element):
        if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
            raise TypeError("XmlFragment wraps an lxml element")
        self._element = copy.deepcopy(element)
        self._element.tail = None
        self._canonical = etree.tostring(self._element, method="c14n", exclusive=True, with_comments=False)

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "<fragment>") -> XmlFragment:
        """Parse `data` with the hardened parser."""
        return cls(parse_bytes(data, source=source).getroot())

    def element(self) -> etree._Element:
        return copy.deepcopy(self._element)

    @property
    def tag(self) -> str:
        """Clark-notation tag of the element, e.g. `{urn:...}Request`."""
        return self._element.tag

    @property
    def namespace(self) -> str | None:
        return etree.QName(self._element).namespace

    @property
    def local_name(self) -> str:
        return etree.QName(self._element).localname

    @property
    def canonical(self) -> bytes:
        """Exclusive c14n of the element, without comments: what equality compares."""
        return self._canonical

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, XmlFragment):
            return NotImplemented
        return self._canonical == other._canonical

    def __hash__(self) -> int:
        return hash(self._canonical)

    def __repr__(self) -> str:
        text = self._canonical.decode("utf-8", "replace")
        return f"XmlFragment({text[:80]}{'…' if len(text) > 80 else ''})"

    def __copy__(self) -> XmlFragment:
        return self

    def __deepcopy__(self, memo: dict) -> XmlFragment:
        return self
