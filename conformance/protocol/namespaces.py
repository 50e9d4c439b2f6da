"""SMEV 3 schema versions and their XML namespaces.

`Version` is the one way to name a version across the project (the simulator imports it too).
Namespaces follow the protocol facts: with V the version,
`urn://x-artefacts-smev-gov-ru/services/message-exchange/types/V` (types), `.../types/basic/V` (basic),
`.../types/faults/V` (faults); 1.3 adds `.../types/routing/1.3` and `.../types/directive/1.3`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
"""SOAP 1.1 envelope namespace (SMEV 3 speaks SOAP 1.1 only)."""

XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"
XOP = "http://www.w3.org/2004/08/xop/include"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_BASE = "urn://x-artefacts-smev-gov-ru/services/message-exchange"


class Version(StrEnum):
    """A schema version of the SMEV 3 message exchange. The value is the version string, e.g. ``"1.3"``."""

    V1_1 = "1.1"
    V1_2 = "1.2"
    V1_3 = "1.3"

    @classmethod
    def parse(cls, text: str) -> Version:
        """`"1.3"`, `"v1.3"` or `"1_3"` -> `Version.V1_3`; raises `ValueError` listing the valid values."""
        cleaned = text.strip().lower().removeprefix("v").replace("_", ".")
        for version in cls:
            if version.value == cleaned:
                return version
        raise ValueError(f"unknown SMEV version {text!r}; valid: {', '.join(v.value for v in cls)}")


LATEST = Version.V1_3


@dataclass(frozen=True)
class Namespaces:
    """The namespaces of one version. `routing` and `directive` exist only in 1.3 (else `None`)."""

    version: Version
    types: str
    basic: str
    faults: str
    wsdl: str
    routing: str | None = None
    directive: str | None = None

    def t(self, local: str) -> str:
        """Clark name of `local` in the types namespace."""
        return f"{{{self.types}}}{local}"

    def b(self, local: str) -> str:
        """Clark name of `local` in the basic namespace."""
        return f"{{{self.basic}}}{local}"

    def f(self, local: str) -> str:
        """Clark name of `local` in the faults namespace."""
        return f"{{{self.faults}}}{local}"

    def smev(self) -> tuple[str, ...]:
        """Every SMEV namespace of this version (not SOAP or XMLDSig)."""
        extra = tuple(ns for ns in (self.routing, self.directive) if ns)
        return (self.types, self.basic, self.faults, *extra)

    def nsmap(self) -> dict[str | None, str]:
        """Prefixes used when the project writes an envelope of this version."""
        return {"soap": SOAP_ENV, "tns": self.types, "basic": self.basic, "faults": self.faults}


def _make(version: Version) -> Namespaces:
    v = version.value
    return Namespaces(
        version=version,
        types=f"{_BASE}/types/{v}",
        basic=f"{_BASE}/types/basic/{v}",
        faults=f"{_BASE}/types/faults/{v}",
        wsdl=f"{_BASE}/{v}",
        routing=f"{_BASE}/types/routing/{v}" if version is Version.V1_3 else None,
        directive=f"{_BASE}/types/directive/{v}" if version is Version.V1_3 else None,
    )


NAMESPACES: dict[Version, Namespaces] = {version: _make(version) for version in Version}
"""Version -> its namespaces."""


class Role(StrEnum):
    """What a namespace is within its version."""

    TYPES = "types"
    BASIC = "basic"
    FAULTS = "faults"
    WSDL = "wsdl"
    ROUTING = "routing"
    DIRECTIVE = "directive"


_BY_URI: dict[str, tuple[Version, Role]] = {}
for _ns in NAMESPACES.values():
    for _role in Role:
        _uri = getattr(_ns, _role.value)
        if _uri:
            _BY_URI[_uri] = (_ns.version, _role)


def ns(version: Version) -> Namespaces:
    """The namespaces of `version`."""
    return NAMESPACES[Version(version)]


def classify(uri: str | None) -> tuple[Version, Role] | None:
    """`(version, role)` of an SMEV namespace URI, or `None` when `uri` is not one of them."""
    if uri is None:
        return None
    return _BY_URI.get(uri)


def is_smev_namespace(uri: str | None) -> bool:
    return classify(uri) is not None


def qname(uri: str, local: str) -> str:
    """Clark notation `{uri}local`, as lxml spells element names."""
    return f"{{{uri}}}{local}"


def split_qname(tag: str) -> tuple[str | None, str]:
    """`{uri}local` -> `(uri, local)`; an unqualified tag gives `(None, local)`."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return None, tag
