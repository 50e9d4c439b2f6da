"""The one way commands make a `rich` console for tables and verdicts."""

from __future__ import annotations

import sys
from typing import IO, Any

from rich.console import Console

PIPE_WIDTH = 160
"""Columns when the output is not a terminal (CI logs, pipes, files): wide enough that ids and metric names never wrap."""


def make_console(*, stderr: bool = False, file: IO[str] | None = None, **options: Any) -> Console:
    """A console on standard output (or standard error, or `file`): the terminal's own width on a terminal,
    `PIPE_WIDTH` columns elsewhere (rich would otherwise assume 80 and wrap names mid-word)."""
    stream = file or (sys.stderr if stderr else sys.stdout)
    width = None if stream.isatty() else PIPE_WIDTH
    options.setdefault("highlight", False)
    return Console(file=stream, width=width, **options)
