"""What kind of SMEV 3 message a parsed document is: the body element, its operation and its schema version.

Read straight from the tree, so that every rule can rely on it even when the document breaks the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from conformance.rules.xpaths import SMEV_BASE, SOAP_NS

VERSIONS = ("1.1", "1.2", "1.3")

OPERATIONS = ("SendRequest", "SendResponse", "GetRequest", "GetResponse", "Ack", "GetStatus",
              "GetIncomingQueueStatistics")


@dataclass(frozen=True)
class Envelope:
    """The SOAP envelope's shape. `body_element` is the first element of `soap:Body` (None if there is none)."""

    body_element: etree._Element | None
    version: str | None
    operation: str | None
    """The operation, e.g. `SendRequest`, or `Fault` for a SOAP fault; None when unknown."""
    direction: str | None
    """`request` (what a client sends), `response` (what the bus answers) or `fault`."""

    @property
    def label(self) -> str | None:
        """The body element's name as reports show it, e.g. `SendRequestRequest`."""
        if self.body_element is None:
            return None
        return etree.QName(self.body_element).localname


def namespace(kind: str, version: str) -> str:
    """The SMEV namespace of `kind` (`types`, `types/basic`, `types/faults`, ...) for `version`."""
    return f"{SMEV_BASE}/{kind}/{version}"


def version_of(uri: str | None) -> str | None:
    """The SMEV schema version of a namespace URI, or None when the URI is not a SMEV 3 one."""
    if not uri or not uri.startswith(SMEV_BASE + "/"):
        return None
    version = uri.rsplit("/", 1)[-1]
    return version if version in VERSIONS else None


def read(root: etree._Element) -> Envelope:
    """The envelope's body element, version, operation and direction; parts it cannot tell are None."""
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        return Envelope(None, None, None, None)
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        return Envelope(None, None, None, None)
    element = next((child for child in body if isinstance(child.tag, str)), None)
    if element is None:
        return Envelope(None, None, None, None)
    qname = etree.QName(element)
    if qname.namespace == SOAP_NS and qname.localname == "Fault":
        version = None
        for node in element.iter():
            if isinstance(node.tag, str):
                version = version_of(etree.QName(node).namespace)
                if version:
                    break
        return Envelope(element, version, "Fault", "fault")
    version = version_of(qname.namespace)
    if version is None or qname.namespace != namespace("types", version):
        return Envelope(element, version, None, None)
    for suffix, direction in (("Request", "request"), ("Response", "response")):
        if qname.localname.endswith(suffix):
            operation = qname.localname[: -len(suffix)]
            if operation in OPERATIONS and not (operation == "GetIncomingQueueStatistics" and version != "1.1"):
                return Envelope(element, version, operation, direction)
    return Envelope(element, version, None, None)
