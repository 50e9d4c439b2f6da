"""Run a live conformance suite against a participant.

`--suite` takes a suite file or the name of a shipped suite (provider, consumer). `--participant` names the
participant.yaml that says how the participant plugs in. The harness serves the bus double at the participant's
bus URL (a loopback address and port), starts the participant when participant.yaml has `start:` (and can then
crash and restart it), plays every case, and reports one finding per assertion: <FAMILY>-LIVE-<CHECK> (FLOW-LIVE-ACKED,
TIME-LIVE-WITHIN, ...; `smev-conformance rules --select FLOW-LIVE` lists them), or the catalogue rule that failed
for structure and signature checks. Exit 0 when every check holds, 1 when one failed,
2 when the files or the command line are unusable.

`--variants` measures the suite itself (its mutation score): it runs the suite against the reference participant
and every one of its deliberately broken variants of the suite's role (in process, in parallel, each on its own bus
and free ports; `--participant` is not needed), and writes mutation.json, mutation.txt and mutation.html (every
run's findings, the score in the header) into `--output` (a directory, default `mutation-report`). Per variant:
caught (some check failed), named (the failed finding is the one the variants table expects), and which finding
it was. Exit 0 when the reference passes and every variant is caught and named, 1 otherwise. Negative deliveries
are off here unless `--negative` asks (the provider suite's 13 runs take about 1.5 min without, 6 min with 15).

A provider suite ends with deliveries from the negative catalogue (`--negative N|all`; default 15 for the shipped
provider suite, none for a suite file; 0: none): spoiled
requests the provider must refuse (Ack accepted=false for a broken sender signature or certificate,
RequestRejected for content its type does not describe), one finding FLOW-LIVE-REFUSES-NEGATIVE each.

`--dry-run` checks exactly what the run will need, and runs nothing: both files (every key, every step, every
reference between steps, every file they name exists), their fit (role, version, the participant's types and its
mnemonic in the registry: `--registry`, else the one participant.yaml names under `registry:`, else the shipped
one), the bus double's --keys DIR (its smev.key.pem opened, with --key-password-file or --key-password-env when it
is encrypted), and the bus port (in range and free; `--port` overrides bus.url's, 0 picks a free one). Exit 0 when
they are runnable, 2 with every problem as FILE:LINE: path: what is wrong.

A run that takes more than a few seconds shows its progress on standard error: a bar on a terminal, a plain
line every 10 s in a log (SMEV_PROGRESS=off turns it off).

Examples:
  smev-conformance run --suite provider --participant conformance/reference/participants/reference.provider.yaml --dry-run
  smev-conformance run --suite provider --participant conformance/reference/participants/reference.provider.yaml --port 0 --negative 0 --report-dir reports/live/provider
  smev-conformance run --suite consumer --variants --output reports/mutation
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance.bus.capture import capture_stem, write_capture
from conformance.bus.credentials import load_credentials
from conformance.commandline import seed
from conformance.crypto.keyfile import add_key_password_options, key_password
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.errors import UsageError
from conformance.findings import FileResult
from conformance.progress import Progress
from conformance.reference import mutation  # through the module: a test replaces mutation_score
from conformance.reference.participant_files import REGISTRY_FILE
from conformance.reference.variants import VARIANTS
from conformance.report import exit_code, render
from conformance.report.option import add_report_options
from conformance.suites import lint
from conformance.suites.engine import RunSettings, planned, run_suite
from conformance.suites.negative import negative_count
from conformance.suites.participant import load_participant
from conformance.yamlnodes import Problem, SchemaErrors

HELP = "run a live suite against a participant (--dry-run: only lint the suite and participant.yaml)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", required=True, metavar="FILE|provider|consumer",
                        help="a suite YAML file or a shipped suite's name")
    parser.add_argument("--participant", metavar="FILE", help="participant.yaml (required unless --variants)")
    parser.add_argument("--registry", metavar="FILE",
                        help="message-type registry (default: the one participant.yaml names, else the shipped one)")
    parser.add_argument("--port", type=int, metavar="N",
                        help="serve the bus double on this port instead of bus.url's (0: any free port)")
    parser.add_argument("--no-signatures", action="store_true",
                        help="run without signatures (the participant's certificate is then not required)")
    parser.add_argument("--dry-run", action="store_true", help="only check the files; run nothing")
    parser.add_argument("--keys", metavar="DIR", help="the bus double's keys (default: the shipped test PKI)")
    add_key_password_options(parser, "--keys DIR's smev.key.pem")
    parser.add_argument("--seed", type=seed, default=0, help="seed of every fake payload (default 0)")
    add_crypto_option(parser)
    add_report_options(parser, failures="failed errors")
    parser.add_argument("--capture", metavar="DIR", help="write every HTTP exchange of the run, raw, into DIR")
    parser.add_argument("--report-dir", metavar="DIR",
                        help="also write report.json, report.junit.xml, report.html and the raw exchanges (capture/) of "
                             "this one run into DIR, for CI to publish")
    parser.add_argument("--negative", metavar="N|all",
                        help="negative catalogue deliveries after a provider suite (default: 15 for the shipped "
                             "provider suite, 0 for a suite file; all: every one)")
    parser.add_argument("--variants", action="store_true",
                        help="score the suite: run it against the reference participant and each broken variant of its "
                             "role; reports go to --output DIR (default mutation-report)")


def run(args: argparse.Namespace) -> int:
    if args.variants:
        return _run_variants(args)
    if not args.participant:
        raise UsageError("--participant is required (unless --variants)")
    problems: list[Problem] = []
    suite = participant = None
    try:
        suite = lint.load(args.suite)
    except SchemaErrors as exc:
        problems += exc.problems
    try:
        participant = load_participant(args.participant)
    except SchemaErrors as exc:
        problems += exc.problems
    if suite is not None and participant is not None:
        problems += lint.fit(suite, participant, registry=args.registry, port=args.port,
                             signatures=not args.no_signatures)
    lint.raise_problems(problems)
    assert suite is not None and participant is not None

    backend = chosen_backend(args)
    password = key_password(args, key_given=args.keys is not None, key_option="--keys")
    credentials = load_credentials(args.keys, password=password, backend=backend) if args.keys else None
    settings = RunSettings(signatures=not args.no_signatures, seed=args.seed, backend=backend,
                           registry_path=lint.registry_for(participant, args.registry),
                           negative=negative_count(args.negative, args.suite))
    plan = planned(suite, participant, settings)
    negatives = sum(1 for item in plan if item.negative is not None)
    # A real run's report may go to standard output (json, junit): the preamble then goes to standard error.
    out = sys.stdout if args.dry_run else sys.stderr
    print(f"suite {suite.name} ({suite.path}): {len(plan)} cases to run ({len(plan) - negatives} from "
          f"{len(suite.cases)} suite cases, {negatives} negative deliveries)", file=out)
    print(f"participant {participant.mnemonic} ({participant.path}): {participant.role.value}, version "
          f"{participant.version}, types {', '.join(t.name for t in participant.types)}, bus {participant.bus_url}"
          + (f" (served on port {args.port})" if args.port is not None else ""), file=out)
    print(f"registry {settings.registry_path or 'the shipped one'}", file=out)
    if args.dry_run:
        print("dry run: both files are valid, fit together and the registry; the bus port is free; nothing was run")
        return 0

    with Progress(f"run {suite.name}", total=len(plan), unit="case") as progress:
        live = run_suite(suite, participant, settings=settings, credentials=credentials, port=args.port,
                         on_result=lambda result: progress.advance(note=result.path))

    meta = {"suite": suite.name, "participant": participant.mnemonic, "seed": args.seed, "bus": live.bus_url}
    if args.capture:
        write_capture(live.exchanges, args.capture)
        meta["capture"] = str(args.capture)
    if args.report_dir:
        folder = Path(args.report_dir)
        write_capture(live.exchanges, folder / "capture")
        links = capture_links(live.results, live.exchanges, "capture")
        for fmt, name in (("json", "report.json"), ("junit", "report.junit.xml"), ("html", "report.html")):
            render(live.results, fmt, folder / name, meta={**meta, "capture": "capture"}, fail_on=args.fail_on,
                   unit="case", links=links)
    render(live.results, args.format, args.output, meta=meta, fail_on=args.fail_on, unit="case")
    return exit_code(live.results, fail_on=args.fail_on)


def capture_links(results: list, exchanges: list, folder: str) -> dict[str, list[tuple[str, str]]]:
    """Each case's captured exchanges (those the bus served while the case ran) as (label, href) under `folder`."""
    links: dict[str, list[tuple[str, str]]] = {}
    ordered = sorted(exchanges, key=lambda e: e.at)
    for result in results:
        if result.started is None or result.duration is None:
            continue
        end = result.started + result.duration
        links[result.path] = [(f"#{e.id} {e.rpc or 'call'} {e.http_status}",
                               f"{folder}/{capture_stem(e)}.request.http") for e in ordered
                              if result.started <= e.at <= end]
    return links


def _run_variants(args: argparse.Namespace) -> int:
    """`--variants`: the mutation score of the suite, written as JSON, text and HTML."""
    if args.participant or args.dry_run or args.capture:
        raise UsageError("--variants runs the shipped reference participant and its variants: it takes no "
                         "--participant, --dry-run or --capture")
    suite = lint.load(args.suite)  # SchemaErrors: exit 2 with every problem
    settings = RunSettings(signatures=not args.no_signatures, seed=args.seed, backend=chosen_backend(args),
                           registry_path=args.registry or str(REGISTRY_FILE),
                           negative=negative_count(args.negative))  # none unless asked: 13 runs x 15 take minutes
    for key, attr in (("deadline_scale", "deadline_scale"), ("realtime_limit", "realtime_limit"),
                      ("poll_interval", "poll"), ("ack_timeout", "ack_timeout")):
        if key in suite.settings:
            setattr(settings, attr, float(suite.settings[key]))

    runs_planned = 1 + sum(1 for v in VARIANTS.values() if suite.role.value in v.roles)
    with Progress(f"run {suite.name} --variants", total=runs_planned, unit="run") as progress:
        report, runs = mutation.mutation_score(suite.role.value, suite, settings,
                                      on_run=lambda name: progress.advance(note=name))
    out = Path(args.output or "mutation-report")
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "mutation.json").write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
        (out / "mutation.txt").write_text(report.text(), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the mutation report into {out}: {exc.strerror or exc}") from None
    results = [FileResult(f"{name}/{r.path}", r.operation, r.version, r.findings) for name, rs in runs.items()
               for r in rs]
    render(results, "html", out / "mutation.html", meta={"suite": suite.name, "seed": args.seed, **report.meta()},
           unit="case", headline=report.headline())
    print(report.text(), end="")
    print(f"reports: {out / 'mutation.json'}, {out / 'mutation.txt'}, {out / 'mutation.html'}")
    return 0 if report.holds else 1
