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
    if not isinstance(element.tag, str):  # comment or processing instruction
        parent = element.getparent()
        return f"{xpath_of(parent) if parent is not None else ''}/node()"
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = step_name(node)
        parent = node.getparent()
        if parent is not None:
            same = [child for child in parent if isinstance(child.tag, str) and step_name(child) == name]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))
