"""Finding signed elements by their `Id`, the way a careful verifier must: every match, not the first one."""

from __future__ import annotations

from lxml import etree

from conformance.xmldsig.constants import ID_ATTRIBUTE


def elements_with_id(root: etree._Element, value: str) -> list[etree._Element]:
    """Every element of the document under `root` whose `Id` attribute equals `value` (document order)."""
    return [element for element in root.iter() if isinstance(element.tag, str) and element.get(ID_ATTRIBUTE) == value]


def other_id_attribute(element: etree._Element, value: str) -> str | None:
    """The name of an attribute of `element` that is not the unqualified `Id` but would pass for an id with `value`
    in a lax verifier (`{ns}Id`, `wsu:Id`, `ID`, `id`, `xml:id`), or None."""
    for name, attribute_value in element.attrib.items():
        if attribute_value != value or name == ID_ATTRIBUTE:
            continue
        local = name.rpartition("}")[2] if name.startswith("{") else name
        if local.lower() == "id":
            return name
    return None


def elements_with_foreign_id(root: etree._Element, value: str) -> list[etree._Element]:
    """Every element carrying `value` in an id-like attribute other than the unqualified `Id` (document order):
    SMEV resolves only `Id`, so such an element is an ambiguity another verifier may resolve differently."""
    return [element for element in root.iter()
            if isinstance(element.tag, str) and other_id_attribute(element, value) is not None]


def duplicate_ids(root: etree._Element) -> dict[str, list[etree._Element]]:
    """Id values carried by more than one element, with those elements (a signature-wrapping symptom)."""
    seen: dict[str, list[etree._Element]] = {}
    for element in root.iter():
        if isinstance(element.tag, str):
            value = element.get(ID_ATTRIBUTE)
            if value is not None:
                seen.setdefault(value, []).append(element)
    return {value: elements for value, elements in seen.items() if len(elements) > 1}


def reference_id(uri: str | None) -> str | None:
    """The Id a same-document reference `#Id` names; None for any other URI (empty, external, XPointer)."""
    if not uri or not uri.startswith("#") or len(uri) == 1 or uri.startswith("#xpointer("):
        return None
    return uri[1:]
