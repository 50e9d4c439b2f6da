"""What a document is when it is no SMEV 3 message: named once, so no SMEV 3 rule misjudges it.

`detect` (in `operations`) says *that* a document is not an SMEV 3 message; `identify_foreign` says *what* it is,
for the one finding `check` and `verify` give instead of a cascade of schema and signature failures:

- an SMEV 2 message (elements of an `http://smev.gosuslugi.ru/rev…` namespace, WS-Security signature in the header);
- a SOAP 1.2 envelope (SMEV 3 speaks SOAP 1.1);
- a plain SOAP 1.1 fault without SMEV detail: the bus's own answer to a call it could not process (soap:Server),
  carrying no version and no signature: legitimate, judged by nothing else;
- a SOAP 1.1 message of another service (its body element in no SMEV namespace).

One walk over the document (linear in its size).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from conformance.protocol.namespaces import SOAP_ENV, classify, split_qname

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
_SMEV2_NS = re.compile(r"^https?://smev\.gosuslugi\.ru/rev\d+/?$")
_SMEV3_PREFIX = "urn://x-artefacts-smev-gov-ru/services/message-exchange/"


class ForeignKind(StrEnum):
    SMEV2 = "SMEV 2 message"
    SOAP12 = "SOAP 1.2 envelope"
    PLAIN_FAULT = "plain SOAP fault"
    OTHER_SOAP = "SOAP message of another service"


@dataclass(frozen=True)
class Foreign:
    """A document that is not an SMEV 3 message: its kind, a one-line description, the element that shows it."""

    kind: ForeignKind
    description: str
    element: etree._Element

    @property
    def legitimate(self) -> bool:
        """True for what an SMEV 3 exchange itself carries (the bus's plain fault): nothing to fail."""
        return self.kind is ForeignKind.PLAIN_FAULT


def identify_foreign(tree: etree._ElementTree | etree._Element) -> Foreign | None:
    """The kind of a document that `detect` refused, or None when it is none of the known foreign kinds."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    smev2 = next((e for e in root.iter() if isinstance(e.tag, str) and _SMEV2_NS.match(split_qname(e.tag)[0] or "")),
                 None)
    if smev2 is not None:
        uri = split_qname(smev2.tag)[0]
        return Foreign(ForeignKind.SMEV2, f"this is an SMEV 2 message (namespace {uri}), not an SMEV 3 one: SMEV 2 "
                       "envelopes (WS-Security signature in the SOAP header, smev:Message/MessageData) are judged by "
                       "no SMEV 3 rule", smev2)
    if root.tag == f"{{{SOAP12_ENV}}}Envelope":
        return Foreign(ForeignKind.SOAP12, f"this is a SOAP 1.2 envelope ({SOAP12_ENV}); SMEV 3 speaks SOAP 1.1 "
                       f"({SOAP_ENV}) only", root)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        return None
    bodies = [c for c in root if c.tag == f"{{{SOAP_ENV}}}Body"]
    children = [c for c in bodies[0] if isinstance(c.tag, str)] if len(bodies) == 1 else []
    if len(children) != 1:
        return None
    body = children[0]
    if body.tag == f"{{{SOAP_ENV}}}Fault":
        if any(classify(split_qname(e.tag)[0]) is not None for e in body.iter() if isinstance(e.tag, str)):
            return None  # an SMEV fault that detection refused for another reason
        code = _child_text(body, "faultcode")
        text = _child_text(body, "faultstring")
        return Foreign(ForeignKind.PLAIN_FAULT, f"a plain SOAP 1.1 fault without SMEV detail (faultcode {code!r}, "
                       f"faultstring {text[:120]!r}): the bus's answer to a call it could not process; it carries no "
                       "SMEV version and no signature, so no SMEV 3 rule judges it", body)
    uri, local = split_qname(body.tag)
    if any(_smev3_like(split_qname(e.tag)[0]) for e in body.iter() if isinstance(e.tag, str)):
        return None  # SMEV 3 elements inside (or a version not known here): for the SMEV rules to explain
    return Foreign(ForeignKind.OTHER_SOAP, f"this is a SOAP message of another service (body element "
                   f"{'{' + uri + '}' if uri else ''}{local}), not an SMEV 3 one: no SMEV 3 rule judges it", body)


def _smev3_like(uri: str | None) -> bool:
    return classify(uri) is not None or (uri or "").startswith(_SMEV3_PREFIX)


def _child_text(element: etree._Element, local: str) -> str:
    for child in element:
        if isinstance(child.tag, str) and split_qname(child.tag)[1] == local:
            return " ".join("".join(child.itertext()).split())
    return ""
