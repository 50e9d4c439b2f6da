"""Small tree helpers the rule families share (SMEV elements are matched by local name in any SMEV namespace,
so a rule also reads a message whose namespaces mix versions; MSG-NS-VERSION reports that separately)."""

from __future__ import annotations

from lxml import etree

from conformance.protocol.namespaces import classify, split_qname


def smev_local(element: etree._Element | None) -> str | None:
    """The local name of an element of an SMEV namespace; None for any other element (or None)."""
    if element is None or not isinstance(element.tag, str):
        return None
    uri, local = split_qname(element.tag)
    return local if classify(uri) is not None else None


def elements_named(root: etree._Element, *names: str) -> list[etree._Element]:
    """Every SMEV element under (and including) `root` whose local name is one of `names`, in document order."""
    wanted = set(names)
    return [e for e in root.iter() if isinstance(e.tag, str) and smev_local(e) in wanted]


def child_named(element: etree._Element, name: str) -> etree._Element | None:
    """The first SMEV child of `element` with local name `name`."""
    return next((c for c in element if smev_local(c) == name), None)


def text_of(element: etree._Element | None) -> str:
    """The element's text content ('' for None); values are compared without their surrounding whitespace by callers."""
    if element is None:
        return ""
    return "".join(element.itertext())
