"""Facts read from the envelope XSDs the project ships (official 1.1/1.3, the project's 1.2), not copied by hand.

- `fault_shape(name, version)`: what the `detail` element of an SMEV fault may carry. A fault typed `basic:Void`
  carries nothing; one typed `basic:SmevFault` carries `basic:Code?` and `basic:Description?`; an extension of
  `basic:SmevFault` adds its own elements (faults namespace), e.g. `InvalidContent/ValidationError+`.
- `status_categories(version)`: the values of `basic:InteractionStatusType` (1.1 has `responseIsDelivered` and no
  `responseIsQueued`).
- `base64_elements(version)`: the local names of the SMEV elements typed `xs:base64Binary` (`Content`,
  `SignaturePKCS7`): the only SMEV elements MTOM may move to a MIME part (an `xop:Include` anywhere else is no XOP).

The XSDs are parsed once per version and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lxml import etree

from conformance.protocol.codes import FaultName, StatusCategory
from conformance.protocol.namespaces import Version, ns
from conformance.xsdfiles import ENVELOPE_SCHEMA_DIR, namespace_index, xsd_parser

_XS = "http://www.w3.org/2001/XMLSchema"


@dataclass(frozen=True)
class FaultField:
    """One element an extension of `basic:SmevFault` adds (faults namespace), in schema order."""

    name: str
    required: bool
    repeated: bool


@dataclass(frozen=True)
class FaultShape:
    """The content of one SMEV fault element in one version."""

    name: FaultName
    version: Version
    smev_fault: bool
    """True when typed `basic:SmevFault` or an extension of it (`Code?`, `Description?`); False for `basic:Void`."""
    fields: tuple[FaultField, ...] = ()
    """The extension's own elements, after `Code` and `Description`."""
    named_type: bool = False
    """The faults namespace declares a complex type of this name, usable as `xsi:type` of an async `SmevFault`."""

    @property
    def void(self) -> bool:
        return not self.smev_fault


class SchemaFactError(LookupError):
    """The shipped XSDs do not declare what was asked (a fault of another version, say)."""


def fault_shape(name: FaultName | str, version: Version | str) -> FaultShape:
    """The shape of fault `name` in `version`; raises `SchemaFactError` when the version does not declare it."""
    shapes = fault_shapes(Version(version))
    key = FaultName(name)
    if key not in shapes:
        raise SchemaFactError(f"fault {key.value} does not exist in version {Version(version).value}")
    return shapes[key]


def fault_shapes(version: Version) -> dict[FaultName, FaultShape]:
    """Every fault element the version's faults XSD declares that the project knows by name."""
    return _fault_shapes(Version(version))


def declared_fault_names(version: Version | str) -> frozenset[str]:
    """The local names of every top-level element of the version's faults XSD (known to `FaultName` or not)."""
    root = _schema_root(Version(version), "faults")
    return frozenset(e.get("name") for e in root.findall(f"{{{_XS}}}element"))


def status_categories(version: Version | str) -> frozenset[StatusCategory]:
    """The `basic:InteractionStatusType` values of `version`, as `StatusCategory` members."""
    return _status_categories(Version(version))


def interaction_types(version: Version | str) -> frozenset[str]:
    """1.1's `basic:InteractionTypeType` values (`SupplementaryData/InteractionType`); empty in later versions."""
    return _enumeration(Version(version), "basic", "InteractionTypeType")


def base64_elements(version: Version | str) -> frozenset[str]:
    """Local names of the elements the version's types and basic XSDs type `xs:base64Binary`."""
    return _base64_elements(Version(version))


# --- internals --------------------------------------------------------------------------------------------------

@cache
def _base64_elements(version: Version) -> frozenset[str]:
    return frozenset(element.get("name") for role in ("types", "basic")
                     for element in _schema_root(version, role).iter(f"{{{_XS}}}element")
                     if element.get("name") and _local(element.get("type")) == "base64Binary"
                     and (element.get("type") or "").startswith(("xs:", "xsd:")))


@cache
def _schema_root(version: Version, role: str) -> etree._Element:
    uri = getattr(ns(version), role)
    index = namespace_index(ENVELOPE_SCHEMA_DIR)
    if uri not in index:
        raise SchemaFactError(f"no shipped XSD declares {uri}")
    return etree.parse(str(index[uri]), xsd_parser()).getroot()


def _local(qname: str | None) -> str:
    return (qname or "").rpartition(":")[2]


@cache
def _fault_shapes(version: Version) -> dict[FaultName, FaultShape]:
    root = _schema_root(version, "faults")
    types = {t.get("name"): t for t in root.findall(f"{{{_XS}}}complexType")}
    shapes: dict[FaultName, FaultShape] = {}
    for element in root.findall(f"{{{_XS}}}element"):
        try:
            name = FaultName(element.get("name"))
        except ValueError:
            continue
        type_name = _local(element.get("type"))
        if type_name == "Void":
            shapes[name] = FaultShape(name, version, smev_fault=False)
        elif type_name == "SmevFault":
            shapes[name] = FaultShape(name, version, smev_fault=True)
        elif type_name in types:
            extension = types[type_name].find(f"{{{_XS}}}complexContent/{{{_XS}}}extension")
            if extension is None or _local(extension.get("base")) != "SmevFault":
                raise SchemaFactError(f"fault type {type_name} of {version.value} does not extend basic:SmevFault")
            fields = tuple(
                FaultField(child.get("name"), child.get("minOccurs", "1") != "0",
                           child.get("maxOccurs", "1") != "1")
                for child in extension.iterfind(f"{{{_XS}}}sequence/{{{_XS}}}element"))
            shapes[name] = FaultShape(name, version, smev_fault=True, fields=fields, named_type=True)
        else:
            raise SchemaFactError(f"fault {name.value} of {version.value} has an unknown type {type_name!r}")
    return shapes


@cache
def _enumeration(version: Version, role: str, type_name: str) -> frozenset[str]:
    root = _schema_root(version, role)
    for simple in root.findall(f"{{{_XS}}}simpleType"):
        if simple.get("name") == type_name:
            return frozenset(e.get("value") for e in simple.iterfind(f"{{{_XS}}}restriction/{{{_XS}}}enumeration"))
    return frozenset()


@cache
def _status_categories(version: Version) -> frozenset[StatusCategory]:
    values = _enumeration(version, "basic", "InteractionStatusType")
    if not values:
        raise SchemaFactError(f"the basic XSD of {version.value} declares no InteractionStatusType")
    return frozenset(StatusCategory(v) for v in values)


_NEAREST_1_1: dict[StatusCategory, StatusCategory] = {
    StatusCategory.RESPONSE_IS_QUEUED: StatusCategory.RESPONSE_IS_ACCEPTED_BY_SMEV,
    StatusCategory.RESPONSE_IS_REJECTED_BY_SMEV: StatusCategory.REQUEST_IS_REJECTED_BY_SMEV,
    StatusCategory.REQUEST_IS_PROCESSED: StatusCategory.RESPONSE_IS_DELIVERED,
    StatusCategory.RESPONSE_IS_PROCESSED: StatusCategory.RESPONSE_IS_DELIVERED,
    StatusCategory.MESSAGE_IS_DELIVERED: StatusCategory.RESPONSE_IS_DELIVERED,
    StatusCategory.MESSAGE_IS_ARCHIVED: StatusCategory.DOES_NOT_EXIST,
}
"""1.1 has a shorter status list. Real 1.1 traffic writes `responseIsDelivered` on a delivered message (request or
response), so every 'delivered'/'processed' status maps to it; a queued response is accepted by the bus; an
archived message no longer exists for the caller."""

_NEAREST_LATER: dict[StatusCategory, StatusCategory] = {
    StatusCategory.RESPONSE_IS_DELIVERED: StatusCategory.MESSAGE_IS_DELIVERED,
}


def nearest_status(category: StatusCategory, version: Version | str) -> StatusCategory:
    """`category` when `version` has it, else the status of that version that means the same to the caller."""
    version = Version(version)
    if category in status_categories(version):
        return category
    table = _NEAREST_1_1 if version is Version.V1_1 else _NEAREST_LATER
    found = table.get(category)
    if found is None or found not in status_categories(version):
        raise SchemaFactError(f"status {category.value} has no equivalent in version {version.value}")
    return found
