"""Small tree helpers the rule families share (SMEV elements are matched by local name in any SMEV namespace,
so a rule also reads a message whose namespaces mix versions; MSG-NS-VERSION reports that separately)."""

from __future__ import annotations

import heapq

from lxml import etree

from conformance.protocol.facts import smev_local_of_tag, smev_name


class ElementIndex:
    """The SMEV elements of one subtree (its root included) by local name, in document order.

    Built with one walk, so that rules asking for elements by name do not each walk the tree; `named` gives what
    `elements_named` gives on the same root. The tree must not change after the index is built (checks only read).
    """

    def __init__(self, root: etree._Element) -> None:
        by_name: dict[str, list[tuple[int, etree._Element]]] = {}
        for position, element in enumerate(root.iter()):
            tag = element.tag
            if isinstance(tag, str):
                local = smev_local_of_tag(tag)
                if local is not None:
                    by_name.setdefault(local, []).append((position, element))
        self._by_name = by_name

    def named(self, *names: str) -> list[etree._Element]:
        """Every indexed element whose local name is one of `names`, in document order (a fresh list)."""
        lists = [self._by_name[name] for name in dict.fromkeys(names) if name in self._by_name]
        if not lists:
            return []
        if len(lists) == 1:
            return [element for _, element in lists[0]]
        return [element for _, element in heapq.merge(*lists, key=lambda pair: pair[0])]


def elements_named(root: etree._Element, *names: str) -> list[etree._Element]:
    """Every SMEV element under (and including) `root` whose local name is one of `names`, in document order.

    Walks the tree; a rule asks `CheckContext.elements_named` instead, which answers from the context's index."""
    wanted = set(names)
    return [e for e in root.iter() if isinstance(e.tag, str) and smev_local_of_tag(e.tag) in wanted]


def child_named(element: etree._Element, name: str) -> etree._Element | None:
    """The first SMEV child of `element` with local name `name`."""
    return next((c for c in element if smev_name(c) == name), None)


def text_of(element: etree._Element | None) -> str:
    """The element's text content ('' for None); values are compared without their surrounding whitespace by callers."""
    if element is None:
        return ""
    return "".join(element.itertext())


def holds_xop_include(element: etree._Element | None) -> bool:
    """Whether `element` is an MTOM `xop:Include` as the sole content of its parent, or holds one so: base64 content
    moved to a MIME part. An Include beside text or other children is no XOP package (XOP 1.0 §3.1: the bus refuses
    it while resolving), so it is not excused here."""
    if element is None or not isinstance(element.tag, str):
        return False
    if element.tag == _XOP_INCLUDE:
        parent = element.getparent()
        return parent is not None and _sole_include(parent)
    return _sole_include(element)


def _sole_include(element: etree._Element) -> bool:
    children = list(element)
    return (len(children) == 1 and children[0].tag == _XOP_INCLUDE and not (element.text or "").strip()
            and not (children[0].tail or "").strip())


_XOP_INCLUDE = "{http://www.w3.org/2004/08/xop/include}Include"
