"""Reports of findings, one entry point for every command (`check`, `verify`, the live suites).

    from conformance.report import render, exit_code
    render(results, "junit", "reports/check.xml", meta={"at": "2026-11-22T12:00:00+00:00"})
    return exit_code(results, fail_on="error")

Formats: `text` (a rich table and a summary), `json` (documented in `conformance.report.jsonreport`), `junit`
(one testcase per applicable rule per file, or per case of a live run), `html` (one self-contained file with
filters). Options every format takes:
- `unit`: `file` (check, verify) or `case` (a live run): what the headline and JUnit count;
- `headline`: a `Headline` that overrides the one computed from the results, for a command whose verdict is not
  "no finding failed" (`run --variants`: the variants' runs must fail); the exit code must be its outcome;
- `links`: result path -> [(label, relative href)], e.g. a live case's captured exchanges (HTML);
- `include_na`: JUnit keeps the testcases of rules that do not apply (all skipped) too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from conformance.errors import UsageError
from conformance.findings import FileResult
from conformance.output import open_output, write_output
from conformance.pages import printable
from conformance.report import html, jsonreport, junit, text
from conformance.report.summary import (
    FAIL_ON,
    Headline,
    Summary,
    exit_code,
    headline,
    summarize,
    verdict,
    verdict_of,
)

FORMATS = ("text", "json", "junit", "html")

__all__ = ["FAIL_ON", "FORMATS", "FileResult", "Headline", "Summary", "exit_code", "headline", "printable", "render",
           "render_iter",
           "render_string", "summarize", "verdict"]

_RENDERERS = {"text": text.render, "json": jsonreport.render, "junit": junit.render, "html": html.render}


def _options(results: Sequence[FileResult], fail_on: str, unit: str, given: Headline | None,
             options: dict[str, Any]) -> dict[str, Any]:
    return {**options, "fail_on": fail_on, "unit": unit,
            "headline": given if given is not None else headline(results, fail_on, unit)}


def render_string(results: Sequence[FileResult], fmt: str, *, meta: Mapping[str, Any] | None = None,
                  verbose: bool = False, fail_on: str = "error", unit: str = "file",
                  headline: Headline | None = None, **options: Any) -> str:
    """The report as a string (the text format without colours); `options`: see the module."""
    if fmt not in _RENDERERS:
        raise UsageError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return _RENDERERS[fmt](results, meta=dict(meta or {}), verbose=verbose,
                           **_options(results, fail_on, unit, headline, options))


def render(results: Sequence[FileResult], fmt: str = "text", output: str | os.PathLike[str] | None = None, *,
           meta: Mapping[str, Any] | None = None, verbose: bool = False, fail_on: str = "error", unit: str = "file",
           headline: Headline | None = None, **options: Any) -> None:
    """Write the report to `output` (a file, created with its directories) or, when None or `-`, standard output
    (the text format in colour when standard output is a terminal)."""
    if output is None or str(output) == "-":
        if fmt == "text":
            text.write(results, sys.stdout, meta=dict(meta or {}), verbose=verbose,
                       color=None if sys.stdout.isatty() else False,
                       **_options(results, fail_on, unit, headline, options))
        else:
            sys.stdout.write(render_string(results, fmt, meta=meta, verbose=verbose, fail_on=fail_on, unit=unit,
                                           headline=headline, **options))
        return
    content = render_string(results, fmt, meta=meta, verbose=verbose, fail_on=fail_on, unit=unit,
                            headline=headline, **options)
    write_output(content.encode("utf-8"), output, what="the report")


def render_iter(results: Iterable[FileResult], fmt: str = "text", output: str | os.PathLike[str] | None = None, *,
                meta: Mapping[str, Any] | None = None, verbose: bool = False, fail_on: str = "error",
                **options: Any) -> int:
    """`render` for results that arrive one at a time (e.g. `iter_check_paths`); returns the exit code. Formats
    that can stream (json) hold one file's findings at a time; the others collect the results first."""
    if fmt != "json":
        collected = list(results)
        render(collected, fmt, output, meta=meta, verbose=verbose, fail_on=fail_on, **options)
        return exit_code(collected, fail_on)
    with open_output(output, what="the report") as out:
        summary = jsonreport.stream(results, out, meta=dict(meta or {}), fail_on=fail_on)
    return 1 if verdict_of(summary, fail_on) == "fail" else 0
