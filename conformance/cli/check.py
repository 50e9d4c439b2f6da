"""Check SMEV 3 message files against the rule catalogue.

Each PATH is a file, a directory (every *.xml, *.mime and *.http below it) or - (standard input). An MTOM capture
(multipart/related) is judged with its xop:Include parts put back, as the bus judges it (see --content-type). For each file: parse it with the
hardened parser, detect the operation and the schema version, validate the envelope schema, then the payload
against its registered message type, then every selected rule of the catalogue (`smev-conformance rules` lists
them). The files of one run are also compared with each other (a MessageID sent twice, a response of another type
than its request). A file that is not usable XML is a failed MSG-XML-... finding.
Exit 0: no check failed; 1: some check failed (or warned, with --fail-on warn); 2: unusable path or command line.

A check of many files shows its progress on standard error (a bar on a terminal, a line every 10 s in a log).
The text report lists the files with a failure or a warning and counts the rest (-v lists every file and rule).
JUnit has one testcase per rule that applies to a file (--junit-all keeps the others as skipped testcases).

Examples (in an empty folder, in this order; a test runs them):
  smev-conformance sample --all --output messages/
  smev-conformance check messages/ --format junit --output reports/check.xml
  smev-conformance check messages/1.3-SendRequestRequest.xml --select MSG --ignore TIME-ID-STALE
  smev-conformance sample --all --output old/ --at 2026-01-31T12:00:00Z
  smev-conformance check old/ --at 2026-01-31T12:00:00Z --format html --output reports/check.html
  smev-conformance sample | smev-conformance check -
"""

from __future__ import annotations

import argparse
import itertools
import sys
from datetime import UTC, datetime

from conformance import progress as progress_display  # through the module: a test replaces its Progress
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.errors import UsageError
from conformance.report import render_iter
from conformance.report.option import add_report_options
from conformance.rules import catalogue
from conformance.rules.engine import CheckSettings, check_bytes, expand_paths, iter_check_paths
from conformance.rules.resources import load_registry, schema_directory

HELP = "check message files against the rule catalogue"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="message file, directory of *.xml files, or - for standard input")
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="only these rule ids or family prefixes, comma-separated (repeatable), e.g. MSG,TIME")
    parser.add_argument("--ignore", action="append", metavar="CODES",
                        help="leave out these rule ids or prefixes (applied after --select)")
    parser.add_argument("--at", metavar="TIMESTAMP",
                        help="judge time-dependent rules at this ISO 8601 instant (default: now; no zone means UTC)")
    parser.add_argument("--schemas", metavar="DIR", help="validate envelopes against the XSDs in DIR instead")
    add_crypto_option(parser)
    parser.add_argument("--content-type", metavar="TYPE",
                        help="the HTTP Content-Type of the input(s) when they are MTOM bodies (multipart/related; "
                             "…): xop:Include is resolved before judging. A file with a header block or an HTTP "
                             "capture at its top, or a raw multipart starting with its boundary, needs no option")
    parser.add_argument("--registry", metavar="FILE", help="message-type registry (YAML) instead of the shipped one")
    add_report_options(parser)
    parser.add_argument("--junit-all", action="store_true",
                        help="junit format: keep a (skipped) testcase for every rule that does not apply, too")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="text format: list every file and the passed and not applicable rules too")


def parse_instant(text: str | None, option: str = "--at") -> datetime:
    """An instant given on the command line (`--at`, `--start`...): ISO 8601 (a trailing Z is accepted; without a
    zone, UTC), as UTC; None means now. The one parser of every command's instants: a text that is no instant, or
    one whose UTC time falls outside years 1-9999 (0001-01-01T00:00+01:00), is a UsageError naming `option`."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip())
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: astimezone() out of years 1-9999
        raise UsageError(f"{option} {text!r} is not an ISO 8601 timestamp of years 1-9999 in UTC "
                         "(e.g. 2026-01-31T12:00:00Z)") from None


def read_stdin(limit: int) -> bytes:
    """Standard input's bytes, reading at most `limit + 1` of them (more is refused by size, like a file)."""
    return sys.stdin.buffer.read(limit + 1)


def run(args: argparse.Namespace) -> int:
    at = parse_instant(args.at)
    rules = catalogue.select(args.select, args.ignore)
    settings = CheckSettings(rules=rules, at=at, registry=load_registry(args.registry),
                             schema_dir=schema_directory(args.schemas), content_type=args.content_type,
                             backend=chosen_backend(args))
    files = [path for path in args.paths if path != "-"]
    expand_paths(files)  # a missing path is an error before any report is started
    meta = {"at": at.isoformat(), "select": ",".join(args.select or []) or "all",
            "ignore": ",".join(args.ignore or []) or "none", "fail_on": args.fail_on}
    if args.schemas:
        meta["schemas"] = args.schemas
    if args.registry:
        meta["registry"] = args.registry
    with progress_display.Progress("check", unit="file") as progress:
        # One file's result at a time: the json report streams them; the other formats collect the (tree-free)
        # results.
        results = iter_check_paths(files, settings, on_start=progress.set_total,
                                   on_result=lambda result: progress.advance(note=result.path)) if files else iter(())
        if "-" in args.paths:
            results = itertools.chain(results, [check_bytes("<stdin>", read_stdin(settings.max_bytes), settings)])
        return render_iter(results, args.format, args.output, meta=meta, verbose=args.verbose, fail_on=args.fail_on,
                           include_na=args.junit_all)
