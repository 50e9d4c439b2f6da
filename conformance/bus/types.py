"""The message types the bus knows, as the bus needs them: queue keys and the access matrix.

A thin view over the message-type registry (`conformance.registry`): for each type, the (namespace, root element)
of its request and of its response, the provider(s), the consumers the access matrix admits, and whether it is
real-time. The bus routes a request to the type's provider and refuses a caller the matrix does not list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BusType:
    name: str
    request: tuple[str, str]
    """(namespace, root local name) of the business element of a request."""
    response: tuple[str, str]
    providers: tuple[str, ...]
    consumers: tuple[str, ...]
    """Mnemonics the access matrix lets send requests of this type; `*` admits every registered participant."""
    realtime: bool = False
    request_xsd: Path | None = None
    response_xsd: Path | None = None

    def may_consume(self, mnemonic: str) -> bool:
        return "*" in self.consumers or mnemonic in self.consumers

    def provided_by(self, mnemonic: str) -> bool:
        return mnemonic in self.providers


class TypeTable:
    """Lookups by name, by request element and by response element."""

    def __init__(self, types: list[BusType] | tuple[BusType, ...]):
        self.types = tuple(types)
        self._by_name = {t.name: t for t in self.types}
        self._by_request = {t.request: t for t in self.types}
        self._by_response = {t.response: t for t in self.types}

    def by_name(self, name: str) -> BusType | None:
        return self._by_name.get(name)

    def by_request(self, namespace: str | None, root: str) -> BusType | None:
        return self._by_request.get((namespace or "", root))

    def by_response(self, namespace: str | None, root: str) -> BusType | None:
        return self._by_response.get((namespace or "", root))

    def by_any(self, namespace: str | None, root: str) -> BusType | None:
        """The type whose request or response element this is (a queue selector may name either)."""
        return self.by_request(namespace, root) or self.by_response(namespace, root)

    def participants(self) -> set[str]:
        """Every mnemonic the registry names as provider or consumer."""
        return {m for t in self.types for m in (*t.providers, *t.consumers) if m != "*"}

    def names(self) -> set[str]:
        return set(self._by_name)
