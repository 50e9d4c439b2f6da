"""Loading what `check` judges against: the message-type registry and the XSD directory (adapters over the
protocol engineer's `conformance.registry` and `conformance.schemas`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.errors import UsageError


def schema_directory(path: str | None) -> Path | None:
    """`--schemas DIR` as a checked directory; None means the project's own XSDs."""
    if path is None:
        return None
    directory = Path(path)
    if not directory.is_dir():
        raise UsageError(f"--schemas {path}: no such directory")
    if not any(directory.rglob("*.xsd")):
        raise UsageError(f"--schemas {path}: the directory holds no *.xsd file")
    return directory


def load_registry(path: str | None) -> Any:
    """The message-type registry: the shipped one, or the YAML file `path`. None when the registry package is
    not installed (rules that need it then skip, saying so)."""
    try:
        import conformance.registry as registry
    except ModuleNotFoundError as exc:
        if exc.name != "conformance.registry":
            raise
        if path is not None:
            raise UsageError("--registry: this build has no message-type registry support") from None
        return None
    return registry.load(path) if path is not None else registry.load()
