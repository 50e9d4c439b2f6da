"""List every rule of the catalogue: id, severity, title and source (the decree clause or protocol section).

Examples:
  smev-conformance rules
  smev-conformance rules --select MSG-ID,TIME --format json
"""

from __future__ import annotations

import argparse

HELP = "list the rule catalogue"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--select", action="append", metavar="CODES", help="only these ids or family prefixes")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="leave out these ids or prefixes")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from rich.table import Table
    from rich.text import Text

    from conformance.console import make_console
    from conformance.findings import FAMILIES
    from conformance.rules import catalogue

    entries = [entry.rule for entry in catalogue.select(args.select, args.ignore)]
    if args.format == "json":
        data = {"families": FAMILIES, "rules": [catalogue.describe(rule) for rule in entries]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    console = make_console()
    table = Table(show_header=True, header_style="bold")
    for column in ("id", "severity", "title", "source"):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "severity"))
    for rule in entries:
        table.add_row(Text(rule.id), Text(rule.severity.value), Text(rule.title), Text(rule.source))
    console.print(table)
    console.print(Text(f"{len(entries)} rule(s)"))
    return 0
