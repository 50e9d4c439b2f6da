"""Readable XPaths of elements, for finding locations.

One convention everywhere: the namespaces of SOAP, SMEV 3 and XML signatures get the fixed prefixes of
`PREFIXES` (whatever prefixes the document itself used); an element of any other namespace is written in Clark
notation `{uri}local`; an element without a namespace by its local name. A position `[n]` (1-based) is added only
when the parent has several children of the same name.
"""

from __future__ import annotations

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
SMEV_BASE = "urn://x-artefacts-smev-gov-ru/services/message-exchange"

PREFIX_URIS: dict[str, str] = {"soap": SOAP_NS, "ds": DS_NS, "xop": XOP_NS}
"""Fixed prefixes of namespaces that do not depend on the SMEV version."""

_SMEV_KINDS = {"types": "smev", "types/basic": "basic", "types/faults": "faults", "types/routing": "routing",
               "types/directive": "directive"}


def prefix_of(uri: str) -> str | None:
    """The fixed prefix of a namespace URI, or None when the namespace is not one of SOAP, SMEV 3 or XMLDSig."""
    for prefix, known in PREFIX_URIS.items():
        if uri == known:
            return prefix
    if uri.startswith(SMEV_BASE + "/"):
        rest = uri[len(SMEV_BASE) + 1:]
        kind, _, _version = rest.rpartition("/")
        if kind in _SMEV_KINDS:
            return _SMEV_KINDS[kind]
        if not kind:  # the WSDL namespace itself
            return "wsdl"
    return None


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
        base = xpath_of(parent) if parent is not None else ""
        return f"{base}/node()"
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = step_name(node)
        parent = node.getparent()
        if parent is not None:
            same = [child for child in parent if child.tag == node.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))
