"""List the rule catalogue (id, severity, title, source), or print one rule's whole page.

A rule's page gives its title, family, severity, source clause, rationale, where its check lives, and its
examples: each bad example with what it changes in the good one (a diff of the two messages) and the other rules
it breaks too, then the good example. The examples are the rule's tests (`tests/rules/test_rules_examples.py`).
A live assertion's examples are a suite case and what the participant does in it (`FLOW-LIVE-ACKED`); they are
played through the suite engine as tests (`tests/suites/test_suites_assertion_examples.py`).

Examples:
  smev-conformance rules
  smev-conformance rules --select MSG-ID,TIME --format json
  smev-conformance rules MSG-ID-UUID1
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys

from rich.table import Table
from rich.text import Text

from conformance.console import make_console
from conformance.errors import UsageError
from conformance.findings import FAMILIES, LiveExample
from conformance.rules import catalogue
from conformance.rules.live import unit_of
from conformance.yamlnodes import did_you_mean

HELP = "list the rule catalogue, or print one rule's page with its examples"

MAX_DIFF_LINES = 40
"""Lines of diff shown per bad example (a change that rewrites more is summarised by its count)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_id", nargs="?", metavar="RULE-ID", help="print this rule's page instead of the list")
    parser.add_argument("--select", action="append", metavar="CODES", help="only these ids or family prefixes")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="leave out these ids or prefixes")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    if args.rule_id:
        return _page(args.rule_id, args.format)
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


def _page(rule_id: str, output_format: str) -> int:
    wanted = rule_id.strip().upper()
    entry = next((e for e in catalogue.registered() if e.rule.id == wanted), None)
    if entry is None:
        known = [e.rule.id for e in catalogue.registered()]
        raise UsageError(f"unknown rule id {rule_id!r}{did_you_mean(wanted, known)} (see `smev-conformance rules`)")
    if output_format == "json":
        data = catalogue.describe(entry.rule) | {
            "check": _where(entry),
            "bad": [_example_data(example) for example in entry.rule.bad],
            "good": [_example_data(example) for example in entry.rule.good],
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    sys.stdout.write(render_page(entry))
    return 0


def render_page(entry) -> str:
    """A rule's page as plain text (see the module docstring)."""

    rule = entry.rule
    lines = [f"{rule.id}: {rule.title}", "",
             f"family    {rule.family} ({FAMILIES.get(rule.family, '?')})",
             f"severity  {rule.severity.value}",
             f"source    {rule.source}",
             f"check     {_where(entry)}", ""]
    if rule.rationale:
        lines += ["Rationale", f"  {rule.rationale}", ""]
    if rule.bad and isinstance(rule.bad[0], LiveExample):
        return "\n".join(lines + _live_examples(rule)) + "\n"
    good = rule.good[0].build() if rule.good else None
    for index, example in enumerate(rule.bad, 1):
        lines.append(f"Bad example {index}: {example.summary}")
        lines += [f"  {line}" for line in _settings_lines(example)]
        if example.also:
            lines.append(f"  also breaks: {', '.join(example.also)}")
        lines += [f"  {line}" for line in _diff(good, example.build())]
        lines.append("")
    for index, example in enumerate(rule.good, 1):
        lines.append(f"Good example {index}: {example.summary}")
        lines += [f"  {line}" for line in _settings_lines(example)]
        lines.append("")
    return "\n".join(lines)


def _live_examples(rule) -> list[str]:
    """A live assertion's examples: the suite case the engine plays, and what the scripted participant does."""
    lines = []
    for kind, examples in (("Bad", rule.bad), ("Good", rule.good)):
        for index, example in enumerate(examples, 1):
            lines.append(f"{kind} example {index}: {example.summary}")
            lines.append(f"  the participant: {', '.join(example.moves)}"
                         + (" (signing its calls)" if example.signatures else ""))
            if kind == "Bad":
                lines.append(f"  fails: {', '.join(example.fails or (rule.id,))}")
            lines += ["  the case's steps:", *(f"    {line}" for line in example.case.splitlines()), ""]
    return lines


def _where(entry) -> str:

    unit = unit_of(entry.rule.id)
    if unit is not None:
        return f"{type(unit).__module__}.{type(unit).__qualname__}.judge (reported by a live run)"
    if entry.check is not None:
        return f"{entry.module}.{entry.check.__qualname__}"
    if entry.held_when_parsed:
        return f"{entry.module} (decided while the file is read: conformance.xmlsafe / conformance.rules.messagefile)"
    return f"{entry.module} (reported by a live run, not by a static check)"


def _settings_lines(example) -> list[str]:
    settings = example.settings()
    out = []
    if "at" in settings:
        out.append(f"judged at {settings['at'].isoformat()}")
    for key, value in settings.items():
        if key == "at":
            continue
        if key == "options":
            named = ", ".join(f"{name}: {len(items)}" for name, items in value.items())
            out.append(f"with {named}" if named else "")
        elif key == "corpus":
            out.append(f"checked beside {sum(map(len, value.sent.values()))} other sent message(s)")
        else:
            out.append(f"{key} = {value!r}")
    return [line for line in out if line]


def _diff(good: bytes | None, bad: bytes) -> list[str]:
    def lines(data: bytes) -> list[str]:
        return data.decode("utf-8", errors="replace").replace("><", ">\n<").splitlines()

    if b"<" not in bad:
        return [f"the file, whole: {bad[:200]!r}"]
    if good is None:
        return lines(bad)[:MAX_DIFF_LINES]
    diff = [line.rstrip("\n") for line in difflib.unified_diff(lines(good), lines(bad), "good", "bad", n=1)]
    if not diff:
        return ["(the message is the good example's; the settings above make the difference)"]
    if len(diff) > MAX_DIFF_LINES >= len(lines(bad)):
        return ["the message, whole:", *lines(bad)]
    if len(diff) > MAX_DIFF_LINES:
        return [*diff[:MAX_DIFF_LINES], f"... {len(diff) - MAX_DIFF_LINES} more diff line(s)"]
    return diff


def _example_data(example) -> dict:

    if isinstance(example, LiveExample):
        return {"summary": example.summary, "case": example.case, "moves": list(example.moves),
                "fails": list(example.fails), "signatures": example.signatures}
    return {"summary": example.summary, "also": list(example.also)}
