"""The text report: a `rich` table of findings (rule, status, message, location) per file, then a summary.

Failures and warnings are listed; passes and skips are counted (all rows with `verbose`). Every cell is plain
`Text`, never markup, so that a message quoting `[bold]` or a terminal escape from a hostile file shows as written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import StringIO
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from conformance.findings import FileResult, Status
from conformance.report.summary import by_rule, printable, summarize, verdict

_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.WARN: "yellow", Status.SKIP: "dim"}


def write(results: Sequence[FileResult], stream: IO[str], *, meta: Mapping[str, Any], verbose: bool,
          color: bool | None, fail_on: str = "error") -> None:
    console = Console(file=stream, force_terminal=color, no_color=color is False, width=None if color else 160,
                      highlight=False, soft_wrap=False)
    for result in results:
        _file(console, result, verbose)
    tallies = by_rule(results)
    if len(results) > 1 and tallies:
        table = Table(title="rules that failed or warned", show_header=True, header_style="bold")
        for column in ("rule", "fail", "warn", "files"):
            table.add_column(column, no_wrap=True, justify="left" if column == "rule" else "right")
        for row in tallies:
            table.add_row(Text(row.rule_id), Text(str(row.failed)), Text(str(row.warned)), Text(str(row.files)))
        console.print(table)
    summary = summarize(results)
    outcome = verdict(results, fail_on)
    line = Text()
    line.append(f"{outcome.upper()}", style="bold green" if outcome == "pass" else "bold red")
    line.append(f": {summary.files} file(s), {summary.files_failed} failed; findings: {summary.passed} pass, "
                f"{summary.failed} fail, {summary.warned} warn, {summary.skipped} skip")
    if meta.get("at"):
        line.append(f" (judged at {meta['at']})", style="dim")
    console.print(line)


def _file(console: Console, result: FileResult, verbose: bool) -> None:
    shown = [f for f in result.findings if verbose or f.status in (Status.FAIL, Status.WARN)]
    kind = " ".join(part for part in (result.operation, result.version) if part) or "unrecognised"
    head = Text()
    head.append(printable(result.path), style="bold")
    head.append(f"  {kind}  ")
    head.append(f"{result.count(Status.PASS)} pass, {result.count(Status.FAIL)} fail, "
                f"{result.count(Status.WARN)} warn, {result.count(Status.SKIP)} skip",
                style="red" if result.failed else "green")
    console.print(head)
    if not shown:
        return
    table = Table(show_header=True, header_style="bold", show_lines=False, expand=False)
    table.add_column("rule", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("message", overflow="fold")
    table.add_column("location", overflow="fold")
    for finding in shown:
        where = ""
        if finding.location.line is not None:
            where = f"line {finding.location.line}"
        if finding.location.xpath:
            where = f"{where} {finding.location.xpath}".strip()
        table.add_row(Text(finding.rule_id), Text(finding.status.value, style=_STYLE[finding.status]),
                      Text(printable(finding.message)), Text(printable(where)))
    console.print(table)


def render(results: Sequence[FileResult], *, meta: Mapping[str, Any], verbose: bool = False,
           fail_on: str = "error") -> str:
    buffer = StringIO()
    write(results, buffer, meta=meta, verbose=verbose, color=False, fail_on=fail_on)
    return buffer.getvalue()
