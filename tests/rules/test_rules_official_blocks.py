"""MSG-BLOCKS-DESCRIBED against the official XSDs: every element a parent may hold there, and every attribute, is
described by the rule (the rule's table is hand-written; this keeps it from refusing what the operator's schemas
allow, as it did with 1.1's MessageBroker and Cancel or 1.3's routing blocks), and the official XSDs' any-content and
signature wrappers are the rule's."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from conformance.rules import structure

OFFICIAL = Path(__file__).resolve().parents[1] / "vectors" / "official-xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"


def _schemas(version: str) -> list[etree._ElementTree]:
    return [etree.parse(str(p)) for p in sorted((OFFICIAL / version).glob("*.xsd"))]


def _named_types(docs) -> dict[str, etree._Element]:
    return {t.get("name"): t for d in docs for t in d.getroot().iter(f"{XS}complexType") if t.get("name")}


def _local(qname: str | None) -> str:
    return (qname or "").split(":")[-1]


def _own(node: etree._Element, owner: etree._Element) -> bool:
    """Whether `node` belongs to `owner`'s own content model, not to a nested element declaration's."""
    parent = node.getparent()
    while parent is not None and parent is not owner and parent.tag != f"{XS}element":
        parent = parent.getparent()
    return parent is owner


def _content(owner: etree._Element, types: dict[str, etree._Element], seen: frozenset[str] = frozenset()):
    """(child element names, attribute names, holds xs:any) of a complexType or element, extensions followed."""
    children, attributes, any_content = set(), set(), False
    for node in owner.iter(f"{XS}element", f"{XS}attribute", f"{XS}any", f"{XS}extension"):
        if node is owner or not _own(node, owner):
            continue
        if node.tag == f"{XS}element":
            children.add(node.get("name") or _local(node.get("ref")))
        elif node.tag == f"{XS}attribute":
            attributes.add(node.get("name") or _local(node.get("ref")))
        elif node.tag == f"{XS}any":
            any_content = True
        elif _local(node.get("base")) in types and _local(node.get("base")) not in seen:
            base = _local(node.get("base"))
            more = _content(types[base], types, seen | {base})
            children |= more[0]
            attributes |= more[1]
            any_content |= more[2]
    return children, attributes, any_content


def _declared(version: str):
    """element name -> (children, attributes, any, type name) for every element declaration of the official set."""
    docs = _schemas(version)
    types = _named_types(docs)
    found = {}
    for doc in docs:
        for element in doc.getroot().iter(f"{XS}element"):
            name = element.get("name")
            if not name:
                continue
            inline = element.find(f"{XS}complexType")
            owner = inline if inline is not None else types.get(_local(element.get("type")))
            if owner is None:
                continue
            children, attributes, any_content = _content(owner, types)
            found.setdefault(name, []).append((children, attributes, any_content, _local(element.get("type"))))
    return found


FAULT_DETAILS = {"AttachmentSizeLimitExceeded", "BusinessDataTypeIsNotSupported", "DestinationOverflow",
                 "InvalidContent", "QuoteLimitExceeded", "SignatureVerificationFault", "TransactionCodeInvalid",
                 "EndOfLifeReached", "PersonalAccessDenied"}
"""Fault details: judged by the schema in soap:Fault/detail (MSG-BLOCKS-DESCRIBED leaves faults to it) and, as
xsi:type extensions of SmevFault, through SmevFault's row."""


@pytest.mark.parametrize("version", ["1.1", "1.3"])
def test_every_official_child_and_attribute_is_described(version):
    missing = []
    for name, declarations in _declared(version).items():
        if name in FAULT_DETAILS:
            continue
        for children, attributes, any_content, type_name in declarations:
            if type_name == "XMLDSigSignatureType":
                assert name in structure._SIGNATURE_WRAPPERS, name
                continue
            if any_content:
                assert name in structure._ANY_CONTENT, f"{name} holds xs:any"
                continue
            allowed = structure._CHILDREN.get(name, frozenset())
            missing += [f"{name}/{child}" for child in sorted(children - allowed)]
            allowed_attributes = structure._ATTRIBUTES.get(name, frozenset({"Id"}))
            missing += [f"{name}/@{attribute}" for attribute in sorted(attributes - allowed_attributes)]
    assert missing == []


@pytest.mark.parametrize("version", ["1.1", "1.3"])
def test_every_fault_extension_of_smev_fault_is_described(version):
    declared = _declared(version)
    added = set()
    for name in FAULT_DETAILS & set(declared):
        for children, _, _, _ in declared[name]:
            added |= children
    assert added <= structure._CHILDREN["SmevFault"]
