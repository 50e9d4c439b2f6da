"""Reports of findings, one entry point for every command (`check`, `verify`, the live suites).

    from conformance.report import render, exit_code
    render(results, "junit", "reports/check.xml", meta={"at": "2026-11-22T12:00:00+00:00"})
    return exit_code(results, fail_on="error")

Formats: `text` (a rich table and a summary), `json` (documented in `conformance.report.jsonreport`), `junit`
(one testcase per rule per file), `html` (one self-contained file).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from conformance.errors import UsageError
from conformance.findings import FileResult
from conformance.output import open_output, write_output
from conformance.report import html, jsonreport, junit, text
from conformance.report.summary import FAIL_ON, Summary, exit_code, printable, summarize, verdict, verdict_of

FORMATS = ("text", "json", "junit", "html")

__all__ = ["FAIL_ON", "FORMATS", "FileResult", "Summary", "exit_code", "printable", "render", "render_iter",
           "render_string", "summarize", "verdict"]

_RENDERERS = {"text": text.render, "json": jsonreport.render, "junit": junit.render, "html": html.render}


def render_string(results: Sequence[FileResult], fmt: str, *, meta: Mapping[str, Any] | None = None,
                  verbose: bool = False, fail_on: str = "error") -> str:
    """The report as a string (the text format without colours)."""
    if fmt not in _RENDERERS:
        raise UsageError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return _RENDERERS[fmt](results, meta=dict(meta or {}), verbose=verbose, fail_on=fail_on)


def render(results: Sequence[FileResult], fmt: str = "text", output: str | os.PathLike[str] | None = None, *,
           meta: Mapping[str, Any] | None = None, verbose: bool = False, fail_on: str = "error") -> None:
    """Write the report to `output` (a file, created with its directories) or, when None or `-`, standard output
    (the text format in colour when standard output is a terminal)."""
    if output is None or str(output) == "-":
        if fmt == "text":
            text.write(results, sys.stdout, meta=dict(meta or {}), verbose=verbose,
                       color=None if sys.stdout.isatty() else False, fail_on=fail_on)
        else:
            sys.stdout.write(render_string(results, fmt, meta=meta, verbose=verbose, fail_on=fail_on))
        return
    content = render_string(results, fmt, meta=meta, verbose=verbose, fail_on=fail_on)
    write_output(content.encode("utf-8"), output, what="the report")


def render_iter(results: Iterable[FileResult], fmt: str = "text", output: str | os.PathLike[str] | None = None, *,
                meta: Mapping[str, Any] | None = None, verbose: bool = False, fail_on: str = "error") -> int:
    """`render` for results that arrive one at a time (e.g. `iter_check_paths`); returns the exit code. Formats
    that can stream (json) hold one file's findings at a time; the others collect the results first."""
    if fmt != "json":
        collected = list(results)
        render(collected, fmt, output, meta=meta, verbose=verbose, fail_on=fail_on)
        return exit_code(collected, fail_on)
    with open_output(output, what="the report") as out:
        summary = jsonreport.stream(results, out, meta=dict(meta or {}), fail_on=fail_on)
    return 1 if verdict_of(summary, fail_on) == "fail" else 0
