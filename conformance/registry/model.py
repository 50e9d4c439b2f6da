"""The message-type registry's model: a type's payloads, providers, permitted consumers, and lookups."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lxml import etree


class Side(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True)
class PayloadSpec:
    """The business element of one side of a type: namespace, root local name, the XSD (None when none is known)."""

    namespace: str
    root: str
    xsd: Path | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(namespace, root local name): how the bus files a message of this side."""
        return self.namespace, self.root

    @property
    def qname(self) -> str:
        """Clark notation, as lxml spells element names."""
        return f"{{{self.namespace}}}{self.root}"


@dataclass(frozen=True)
class MessageTypeSpec:
    """One message type ("вид сведений"): the one model of a type, for the registry, the rules and the bus double
    (which routes a request to the first provider and refuses a caller `may_consume` does not admit)."""

    name: str
    request: PayloadSpec
    response: PayloadSpec
    providers: tuple[str, ...]
    consumers: tuple[str, ...]
    """Mnemonics the access matrix lets send requests of this type."""
    realtime: bool = False
    title: str = ""
    description: str = ""
    sample: str | None = None

    def payload(self, side: Side) -> PayloadSpec:
        return self.request if Side(side) is Side.REQUEST else self.response

    def may_consume(self, mnemonic: str) -> bool:
        """Whether the access matrix lets the system `mnemonic` request this type."""
        return mnemonic in self.consumers

    def is_provider(self, mnemonic: str) -> bool:
        return mnemonic in self.providers


@dataclass(frozen=True)
class PayloadMatch:
    """A business element recognised by the registry: its type and which side it is."""

    spec: MessageTypeSpec
    side: Side

    @property
    def payload(self) -> PayloadSpec:
        return self.spec.payload(self.side)


@dataclass(frozen=True)
class Registry:
    """Registered types in file order. `source` is the registry file."""

    types: tuple[MessageTypeSpec, ...]
    source: Path | None = None

    def __post_init__(self) -> None:
        by_root: dict[tuple[str, str], PayloadMatch] = {}
        for spec in self.types:
            for side in Side:
                payload = spec.payload(side)
                by_root.setdefault((payload.namespace, payload.root), PayloadMatch(spec, side))
        object.__setattr__(self, "_by_root", by_root)
        object.__setattr__(self, "_by_name", {spec.name: spec for spec in self.types})

    @property
    def first(self) -> MessageTypeSpec:
        return self.types[0]

    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.types)

    def find(self, name: str) -> MessageTypeSpec | None:
        return self._by_name.get(name)  # type: ignore[attr-defined]

    def by_name(self, name: str) -> MessageTypeSpec:
        """The type called `name`; raises `KeyError` whose message lists the registered names."""
        spec = self.find(name)
        if spec is None:
            raise KeyError(f"unknown message type {name!r}; registered: {', '.join(self.names())}")
        return spec

    def by_root(self, namespace: str | None, local_name: str) -> PayloadMatch | None:
        """The type whose request or response business element is `{namespace}local_name`, or None."""
        return self._by_root.get((namespace or "", local_name))  # type: ignore[attr-defined]

    def by_element(self, element: etree._Element) -> PayloadMatch | None:
        """`by_root` for an lxml element (e.g. the child of MessagePrimaryContent)."""
        qname = etree.QName(element)
        return self.by_root(qname.namespace, qname.localname)

    def for_provider(self, mnemonic: str) -> tuple[MessageTypeSpec, ...]:
        return tuple(spec for spec in self.types if spec.is_provider(mnemonic))
