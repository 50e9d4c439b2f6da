"""Where a command's result goes: a file (its directories created) or standard output."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from conformance.errors import UsageError


def write_output(data: bytes, output: str | os.PathLike[str] | None, *, what: str = "the output") -> None:
    """Write `data` to the file `output`, or to standard output when `output` is None or `-`.

    An unwritable path is a `UsageError` (exit 2) that names it, never a traceback.
    """
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None


@contextmanager
def open_output(output: str | os.PathLike[str] | None, *, what: str = "the output") -> Iterator[IO[str]]:
    """A UTF-8 text stream to the file `output` (its directories created), or standard output when None or `-`:
    for writers that stream. An unwritable path is a `UsageError` (exit 2) that names it."""
    if output is None or str(output) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(output)
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = partial.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None
    try:
        with handle:
            yield handle
        os.replace(partial, path)  # the file appears whole or not at all
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
