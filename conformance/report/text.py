"""The text report: a `rich` table of findings (rule, status, message, location) per file, then a summary.

Failures and warnings are listed; passes and rules that do not apply are only counted (every row and every file
with `verbose`): a run over hundreds of files that all pass prints one line for them, not one per file. Every cell is plain
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
from conformance.pages import printable
from conformance.report.summary import Headline, by_rule

_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.WARN: "yellow", Status.SKIP: "dim"}


def write(results: Sequence[FileResult], stream: IO[str], *, meta: Mapping[str, Any], verbose: bool,
          color: bool | None, headline: Headline, unit: str = "file", **_: Any) -> None:
    console = Console(file=stream, force_terminal=color, no_color=color is False, width=None if color else 160,
                      highlight=False, soft_wrap=False)
    quiet = 0
    for result in results:
        if verbose or len(results) == 1 or result.failed or result.count(Status.WARN):
            _file(console, result, verbose)
        else:
            quiet += 1
    if quiet:
        console.print(Text(f"{quiet:,} more {unit}{'' if quiet == 1 else 's'}: every applicable check holds "
                           "(-v lists them)", style="green"))
    tallies = by_rule(results)
    if len(results) > 1 and tallies:
        table = Table(title="rules that failed or warned", show_header=True, header_style="bold")
        for column in ("rule", "fail", "warn", "files"):
            table.add_column(column, no_wrap=True, justify="left" if column == "rule" else "right")
        for row in tallies:
            table.add_row(Text(row.rule_id), Text(str(row.failed)), Text(str(row.warned)), Text(str(row.files)))
        console.print(table)
    line = Text()
    word, rest = headline.text.split(":", 1)
    line.append(word, style="bold green" if headline.passed else "bold red")
    line.append(":" + rest)
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


def render(results: Sequence[FileResult], *, meta: Mapping[str, Any], verbose: bool = False, **options: Any) -> str:
    buffer = StringIO()
    write(results, buffer, meta=meta, verbose=verbose, color=False, **options)
    return buffer.getvalue()
