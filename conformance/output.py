"""Where a command's result goes: a file (its directories created) or standard output."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
