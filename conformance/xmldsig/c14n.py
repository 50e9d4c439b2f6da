"""Canonical XML through lxml (libxml2's c14n): exclusive by default, inclusive for diagnostics."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

_XML_ATTR = "{http://www.w3.org/XML/1998/namespace}"


def exc_c14n(element: etree._Element, *, with_comments: bool = False,
             inclusive_prefixes: Iterable[str] | None = None) -> bytes:
    """Exclusive XML Canonicalization 1.0 of `element` and its subtree (its tail excluded)."""
    return _escape_namespace_values(etree.tostring(
        element, method="c14n", exclusive=True, with_comments=with_comments,
        inclusive_ns_prefixes=list(inclusive_prefixes) if inclusive_prefixes else None))


# libxml2 writes a namespace declaration's URI unescaped, where C14N escapes it as an attribute value. `&` is the
# only character concerned that libxml2 accepts in a namespace URI. Start tags are found outside comments and PIs;
# an attribute value never holds a raw `"` in c14n output, nor does a valid namespace URI.
_SUSPECT = re.compile(rb'xmlns(?::[^\s=]+)?="[^"]*&')
_MARKUP = re.compile(rb'<!--.*?-->|<\?.*?\?>|<[^\s>/!?][^\s>]*(?:\s[^\s=]+="[^"]*")*>', re.DOTALL)
_DECLARATION = re.compile(rb'(\sxmlns(?::[^\s=]+)?=")([^"]*)(")')


def _escape_namespace_values(data: bytes) -> bytes:
    if _SUSPECT.search(data) is None:
        return data

    def tag(match: re.Match[bytes]) -> bytes:
        text = match.group(0)
        if text.startswith((b"<!--", b"<?")):
            return text
        return _DECLARATION.sub(lambda m: m.group(1) + m.group(2).replace(b"&", b"&amp;") + m.group(3), text)

    return _MARKUP.sub(tag, data)


def inclusive_c14n(element: etree._Element, *, with_comments: bool = False) -> bytes:
    """Canonical XML 1.0 (inclusive) of a document subset: the ancestors' namespace declarations and their `xml:`
    attributes are pulled into the apex element (libxml2 does the first; the second is done here, by setting the
    inherited attributes on the element for the duration of the call)."""
    inherited: dict[str, str] = {}
    for ancestor in element.iterancestors():
        for key, value in ancestor.attrib.items():
            if key.startswith(_XML_ATTR) and key not in inherited and key not in element.attrib:
                inherited[key] = value
    if not inherited:
        return _escape_namespace_values(etree.tostring(element, method="c14n", exclusive=False,
                                                       with_comments=with_comments))
    try:
        for key, value in inherited.items():
            element.set(key, value)
        return _escape_namespace_values(etree.tostring(element, method="c14n", exclusive=False,
                                                       with_comments=with_comments))
    finally:
        for key in inherited:
            del element.attrib[key]
