"""The message-type registry (`conformance.registry`) seen as the bus's `TypeTable`."""

from __future__ import annotations

from pathlib import Path

from conformance.bus.types import TypeTable
from conformance.registry.loader import load_registry
from conformance.registry.model import Registry


class RegistryTypeTable(TypeTable):
    """A `TypeTable` that keeps the registry it came from (the rule catalogue wants the registry itself)."""

    def __init__(self, registry: Registry):
        super().__init__(registry.types)
        self.registry = registry


def table_from_registry(path: str | Path | None = None) -> RegistryTypeTable:

    return RegistryTypeTable(load_registry(path))


def load_types(path: str | Path | None = None) -> TypeTable:
    """The registry at `path` (default: the shipped one) as a `TypeTable`."""
    return table_from_registry(path)


def registered_type_names(path: str | Path | None = None) -> set[str] | None:
    """Names of the registered types, or None when the registry package is not part of this build."""
    try:
        return load_types(path).names()
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("conformance.registry"):
            return None
        raise
