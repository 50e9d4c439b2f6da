"""Finding signed elements by their `Id`, the way a careful verifier must: every match, not the first one."""

from __future__ import annotations

from lxml import etree

from conformance.xmldsig.constants import ID_ATTRIBUTE


def elements_with_id(root: etree._Element, value: str) -> list[etree._Element]:
    """Every element of the document under `root` whose `Id` attribute equals `value` (document order)."""
    return [element for element in root.iter() if isinstance(element.tag, str) and element.get(ID_ATTRIBUTE) == value]


def _id_like(name: str) -> bool:
    """An attribute a lax verifier would take for an id (`{ns}Id`, `wsu:Id`, `ID`, `id`, `xml:id`), but not SMEV's
    unqualified `Id`."""
    return name != ID_ATTRIBUTE and name.rpartition("}")[2].lower() == "id"


def other_id_attribute(element: etree._Element, value: str) -> str | None:
    """The name of an id-like attribute of `element` (`_id_like`) whose value is `value`, or None."""
    return next((name for name, found in element.attrib.items() if found == value and _id_like(name)), None)


class IdIndex:
    """Every element of a document by its `Id`, and by any other id-like attribute (`other_id_attribute`): built in
    one pass, so that resolving the references of many signatures stays linear in the document. With `wanted`,
    only those values are kept (the references of the signatures at hand)."""

    def __init__(self, root: etree._Element, wanted: set[str] | None = None) -> None:
        self._ids: dict[str, list[etree._Element]] = {}
        self._foreign: dict[str, list[etree._Element]] = {}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for name, value in element.attrib.items():
                if wanted is not None and value not in wanted:
                    continue
                if name == ID_ATTRIBUTE:
                    self._ids.setdefault(value, []).append(element)
                elif _id_like(name):
                    found = self._foreign.setdefault(value, [])
                    if not found or found[-1] is not element:
                        found.append(element)

    def with_id(self, value: str) -> list[etree._Element]:
        """`elements_with_id`, from the index."""
        return list(self._ids.get(value, ()))

    def with_foreign_id(self, value: str) -> list[etree._Element]:
        """Every element carrying `value` in an id-like attribute other than the unqualified `Id` (document order):
        SMEV resolves only `Id`, so such an element is an ambiguity another verifier may resolve differently."""
        return list(self._foreign.get(value, ()))


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
