"""Readable XPaths of elements, for finding locations.

One convention everywhere: the namespaces of SOAP, SMEV 3 and XML signatures get the fixed prefixes `soap`,
`smev` (types), `basic`, `faults`, `routing`, `directive`, `wsdl`, `ds`, `xop` (whatever prefixes the document itself
used; the version is the message's); an element of any other namespace (a business payload) is written in Clark
notation `{uri}local`; an element without a namespace by its local name. A position `[n]` (1-based) is added only
when the parent has several children written the same way (so a path names one element even when a message mixes
SMEV versions; the report gives the message's version).
"""

from __future__ import annotations

from lxml import etree

from conformance.protocol.namespaces import SOAP_ENV, XMLDSIG, XOP, Role, classify

_FIXED = {SOAP_ENV: "soap", XMLDSIG: "ds", XOP: "xop"}
_ROLE_PREFIX = {Role.TYPES: "smev", Role.BASIC: "basic", Role.FAULTS: "faults", Role.WSDL: "wsdl",
                Role.ROUTING: "routing", Role.DIRECTIVE: "directive"}


def prefix_of(uri: str) -> str | None:
    """The fixed prefix of a namespace URI, or None when the namespace is not one of SOAP, SMEV 3 or XMLDSig."""
    if uri in _FIXED:
        return _FIXED[uri]
    known = classify(uri)
    return _ROLE_PREFIX[known[1]] if known else None


def step_name(element: etree._Element) -> str:
    qname = etree.QName(element)
    if qname.namespace is None:
        return qname.localname
    prefix = prefix_of(qname.namespace)
    return f"{prefix}:{qname.localname}" if prefix else f"{{{qname.namespace}}}{qname.localname}"


def xpath_of(element: etree._Element) -> str:
    """The readable absolute path of `element` (see the module docstring for the convention)."""
    return PathNamer()(element)


class PathNamer:
    """`xpath_of` for many elements of one unchanging tree: the children of a parent are named once, so naming k
    elements costs the size of their parents plus k times the depth, not k times the siblings (linear, where a
    thousand violations among a hundred thousand siblings would otherwise be quadratic)."""

    def __init__(self) -> None:
        self._steps: dict[etree._Element, dict[etree._Element, str]] = {}

    def __call__(self, element: etree._Element) -> str:
        if not isinstance(element.tag, str):  # comment or processing instruction
            parent = element.getparent()
            return f"{self(parent) if parent is not None else ''}/node()"
        steps: list[str] = []
        node: etree._Element | None = element
        while node is not None:
            parent = node.getparent()
            steps.append(step_name(node) if parent is None else self._children(parent)[node])
            node = parent
        return "/" + "/".join(reversed(steps))

    def _children(self, parent: etree._Element) -> dict[etree._Element, str]:
        found = self._steps.get(parent)
        if found is None:
            children = [(child, step_name(child)) for child in parent if isinstance(child.tag, str)]
            totals: dict[str, int] = {}
            for _, name in children:
                totals[name] = totals.get(name, 0) + 1
            seen: dict[str, int] = {}
            found = {}
            for child, name in children:
                seen[name] = seen.get(name, 0) + 1
                found[child] = f"{name}[{seen[name]}]" if totals[name] > 1 else name
            self._steps[parent] = found
        return found
