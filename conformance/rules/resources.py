"""Loading what `check` judges against: the message-type registry and the XSD directory (adapters over the
protocol engineer's `conformance.registry` and `conformance.schemas`)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from conformance.errors import UsageError
from conformance.protocol.namespaces import Version
from conformance.registry import loader as registry_loader
from conformance.schemas.validation import SchemaSetError, envelope_schema


def schema_directory(path: str | None) -> Path | None:
    """`--schemas DIR` as a checked directory; None means the project's own XSDs."""
    if path is None:
        return None
    directory = Path(path)
    if not directory.is_dir():
        raise UsageError(f"--schemas {path}: no such directory")
    if not any(directory.rglob("*.xsd")):
        raise UsageError(f"--schemas {path}: the directory holds no *.xsd file")

    problems = []
    for version in Version:
        try:
            envelope_schema(version, directory)
        except SchemaSetError as exc:
            problems.append(str(exc))
    if len(problems) == len(Version):
        # Some versions may be missing from a user's set (their messages then skip MSG-SCHEMA-ENVELOPE, saying so);
        # a set that serves no version at all is a mistake on the command line.
        raise UsageError(f"--schemas {path}: no usable envelope schema for any version: {problems[-1]}")
    return directory


def load_registry(path: str | None) -> Any:
    """The message-type registry: the shipped one, or the YAML file `path` (a bad file raises `InputError`, exit 2)."""
    if path is None:
        return _shipped()
    return registry_loader.load_registry(path)


@functools.cache
def _shipped() -> Any:
    """The shipped registry, read once (it is immutable)."""
    return registry_loader.load_registry(None)
