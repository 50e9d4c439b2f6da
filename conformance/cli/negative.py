"""Run the negative catalogue: spoiled SMEV 3 messages and the fault (or status, or refusal) each must get.

Every case starts from a valid, signed sample message, applies a named mutation (a broken signature, an expired
certificate, an upper-case MessageID, a past EOL, hostile XML, a dropped connection, ...) and checks that the bus
answers with the fault the protocol names, with its reason, in the caller's version. Without --bus the bus test
double runs in-process; with --bus URL the cases run against that bus, which must know the catalogue's
certificates (start the double with `smev-conformance serve --keys DIR` after `negative --write-keys DIR`).
Cases that force a fault need the double's control endpoint and are skipped elsewhere. Cases marked xfail in the
catalogue (known gaps of the double) are reported as warnings. Exit 0: every case answered as expected; 1: some
case was answered wrongly; 2: unusable catalogue, bus or command line.

Against a bus you run yourself: `negative --write-keys keys/`, then `serve --keys keys/ --port 0` in another
terminal (it prints the URL of the free port it took), then `negative --bus URL` with that URL.

Examples (in an empty folder; a test runs them):
  smev-conformance negative
  smev-conformance negative --list
  smev-conformance negative --select NEG-SIG,NEG-CERT --format junit --output reports/negative.xml
  smev-conformance negative --write-keys keys/
"""

from __future__ import annotations

import argparse
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text

from conformance.console import make_console
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.errors import UsageError
from conformance.negative.double import start_double
from conformance.negative.identities import write_bus_keys
from conformance.negative.loader import load_catalogue
from conformance.negative.runner import control_url, run_catalogue
from conformance.report import exit_code, render
from conformance.report.option import add_report_options

HELP = "run the negative catalogue (mutated messages -> expected faults) against a bus"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bus", metavar="URL", help="SOAP endpoint of the bus (default: start the double in-process)")
    parser.add_argument("--select", action="append", metavar="IDS",
                        help="only cases with these ids or id prefixes, comma-separated (repeatable), e.g. NEG-SIG")
    parser.add_argument("--catalogue", metavar="FILE", help="a catalogue YAML instead of the shipped one")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--write-keys", metavar="DIR",
                        help="write the bus keys the catalogue's callers need (serve --keys DIR) and exit")
    parser.add_argument("--seed", default="0", help="seed of every random choice (payloads, ids) (default 0)")
    add_report_options(parser, failures="wrongly answered cases", warnings="xfail cases")
    add_crypto_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="text format: list passed cases too")


def select_cases(cases: list, codes: list[str] | None) -> list:
    """Cases whose id is a code or starts with a code followed by `-`; a code matching nothing is a usage error."""
    wanted = [c.strip().upper() for item in codes or () for c in item.split(",") if c.strip()]
    if not wanted:
        return cases
    for code in wanted:
        if not any(case.id == code or case.id.startswith(code + "-") for case in cases):
            raise UsageError(f"--select {code!r} matches no case (see `smev-conformance negative --list`)")
    return [case for case in cases if any(case.id == code or case.id.startswith(code + "-") for code in wanted)]


def _list(cases: list) -> None:
    table = Table(show_header=True, header_style="bold")
    for column in ("id", "operation", "mutation", "expected", "rule", "note"):
        table.add_column(column, overflow="fold")
    for case in cases:
        mutation = ", ".join(step.name for step in case.mutations) or (
            f"signer {case.signer}" if case.signer not in ("caller",) else "")
        if case.transport.drop or case.transport.method != "POST" or case.transport.content_type \
                or case.transport.mime or case.transport.soap_action or case.transport.declared_length:
            mutation = (mutation + ", " if mutation else "") + "transport"
        note = f"xfail: {case.xfail}" if case.xfail else (f"forced: {case.force_reason}" if case.force else "")
        table.add_row(Text(case.id), Text(f"{case.rpc.value} {case.version.value}"), Text(mutation or "-"),
                      Text(case.expect.describe()), Text(case.expect.rule), Text(note))
    console = make_console()
    console.print(table)
    console.print(f"{len(cases)} case(s)")


def _probe(url: str) -> bool:
    """True when `url` is the bus double (its control endpoint answers); a bus that cannot be reached is an error."""
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--bus {url!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(control_url(url, "/_double/health"), timeout=10) as answer:  # noqa: S310
            return answer.status == 200
    except urllib.error.HTTPError:
        return False
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot reach the bus at {url}: {getattr(exc, 'reason', exc)}") from None


def run(args: argparse.Namespace) -> int:
    if args.write_keys:
        try:
            written = write_bus_keys(args.write_keys)
        except OSError as exc:
            raise UsageError(f"cannot write keys to {args.write_keys}: {exc.strerror or exc}") from None
        for path in written:
            print(path)
        return 0
    cases = select_cases(load_catalogue(args.catalogue), args.select)
    if args.list:
        _list(cases)
        return 0

    at = datetime.now(UTC).isoformat()
    backend = chosen_backend(args)
    if args.bus:
        control = _probe(args.bus)
        outcomes = run_catalogue(cases, args.bus, seed=args.seed, control=control, backend=backend)
        where = args.bus
    else:

        with start_double(backend=backend) as bus:
            outcomes = run_catalogue(cases, bus.url, seed=args.seed, backend=backend)
        where = "in-process bus double"

    results = [replace(outcome.result(), duration=outcome.seconds) for outcome in outcomes]
    meta = {"suite": "negative", "at": at, "bus": where, "seed": args.seed, "cases": len(cases),
            "catalogue": args.catalogue or "shipped", "fail_on": args.fail_on}
    render(results, args.format, args.output, meta=meta, verbose=args.verbose, fail_on=args.fail_on, unit="case")
    return exit_code(results, args.fail_on)
