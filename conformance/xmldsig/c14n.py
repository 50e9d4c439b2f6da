"""Canonical XML through lxml (libxml2's c14n): exclusive by default, inclusive for diagnostics."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

_XML_ATTR = "{http://www.w3.org/XML/1998/namespace}"


def exc_c14n(element: etree._Element, *, with_comments: bool = False,
             inclusive_prefixes: Iterable[str] | None = None) -> bytes:
    """Exclusive XML Canonicalization 1.0 of `element` and its subtree (its tail excluded)."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=with_comments,
                          inclusive_ns_prefixes=list(inclusive_prefixes) if inclusive_prefixes else None)


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
        return etree.tostring(element, method="c14n", exclusive=False, with_comments=with_comments)
    try:
        for key, value in inherited.items():
            element.set(key, value)
        return etree.tostring(element, method="c14n", exclusive=False, with_comments=with_comments)
    finally:
        for key in inherited:
            del element.attrib[key]
