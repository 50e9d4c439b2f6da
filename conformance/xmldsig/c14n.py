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


_EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
_C14N_INCLUSIVE = ("http://www.w3.org/TR/2001/REC-xml-c14n-20010315", "http://www.w3.org/2006/12/xml-c14n11")


def inclusive_prefixes(method: etree._Element | None) -> list[str]:
    """The prefixes an exclusive-c14n `CanonicalizationMethod` or `Transform` names in its
    `ec:InclusiveNamespaces/@PrefixList` (XML-exc-C14N §3; WSS4J writes it), rendered as inclusive c14n would.
    `#default` is left out: libxml2 cannot render the default namespace that way."""
    if method is None:
        return []
    found = method.find(f"{{{_EXC_C14N_NS}}}InclusiveNamespaces")
    if found is None:
        return []
    return [p for p in (found.get("PrefixList") or "").split() if p != "#default"]


def signed_info_c14n(signed_info: etree._Element) -> bytes:
    """SignedInfo canonicalised by its own CanonicalizationMethod, as a verifier must: inclusive c14n 1.0/1.1 when it
    names one (diagnostics), else exclusive c14n with the InclusiveNamespaces it lists."""
    method = signed_info.find("{http://www.w3.org/2000/09/xmldsig#}CanonicalizationMethod")
    if method is not None and method.get("Algorithm") in _C14N_INCLUSIVE:
        return inclusive_c14n(signed_info)
    return exc_c14n(signed_info, inclusive_prefixes=inclusive_prefixes(method))
