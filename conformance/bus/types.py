"""The message types the bus knows, as the bus needs them: lookups by name, by request and by response element.

A table over the registry's own model (`conformance.registry.model.MessageTypeSpec`: the business element of
request and response, providers, the consumers the access matrix admits, real-time or not). The bus routes a
request to the type's first provider and refuses a caller the matrix does not list.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.registry.model import MessageTypeSpec


class TypeTable:
    """Lookups by name, by request element and by response element."""

    def __init__(self, types: Iterable[MessageTypeSpec]):
        self.types = tuple(types)
        self._by_name = {t.name: t for t in self.types}
        self._by_request = {t.request.key: t for t in self.types}
        self._by_response = {t.response.key: t for t in self.types}

    def by_name(self, name: str) -> MessageTypeSpec | None:
        return self._by_name.get(name)

    def by_request(self, namespace: str | None, root: str) -> MessageTypeSpec | None:
        return self._by_request.get((namespace or "", root))

    def by_response(self, namespace: str | None, root: str) -> MessageTypeSpec | None:
        return self._by_response.get((namespace or "", root))

    def by_any(self, namespace: str | None, root: str) -> MessageTypeSpec | None:
        """The type whose request or response element this is (a queue selector may name either)."""
        return self.by_request(namespace, root) or self.by_response(namespace, root)

    def participants(self) -> set[str]:
        """Every mnemonic the registry names as provider or consumer."""
        return {m for t in self.types for m in (*t.providers, *t.consumers)}

    def names(self) -> set[str]:
        return set(self._by_name)
