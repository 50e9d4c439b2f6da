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

`--dry-run` only checks both files and their fit (every key, every step, every reference between steps, the
participant's types against the registry): exit 0 when they are runnable, 2 with every problem as
FILE:LINE: path: what is wrong.
"""

from __future__ import annotations

import argparse

HELP = "run a live suite against a participant (--dry-run: only lint the suite and participant.yaml)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", required=True, metavar="FILE|provider|consumer",
                        help="a suite YAML file or a shipped suite's name")
    parser.add_argument("--participant", metavar="FILE", help="participant.yaml (required unless --variants)")
    parser.add_argument("--registry", metavar="FILE", help="message-type registry (default: the shipped one)")
    parser.add_argument("--no-signatures", action="store_true",
                        help="run without signatures (the participant's certificate is then not required)")
    parser.add_argument("--dry-run", action="store_true", help="only check the files; run nothing")
    parser.add_argument("--keys", metavar="DIR", help="the bus double's keys (default: the shipped test PKI)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every fake payload (default 0)")
    parser.add_argument("--format", default="text", choices=("text", "json", "junit", "html"),
                        help="report format (default text)")
    parser.add_argument("--output", metavar="FILE", help="write the report here (default: standard output)")
    parser.add_argument("--fail-on", default="error", choices=("error", "warn"),
                        help="exit 1 on failed errors only (default) or on warnings too")
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


def negative_count(text: str | None, suite: str = "") -> int | None:
    """`--negative`: a count (0 and up), or None for `all`; not given: the default for `suite` (as --suite names it)."""
    from conformance.errors import UsageError
    from conformance.suites.negative import DEFAULT_LIMIT

    if text is None:
        return DEFAULT_LIMIT if suite == "provider" else 0
    if text.strip().lower() == "all":
        return None
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise UsageError(f"--negative {text!r}: give a count (0 and up) or 'all'")
    return count


def run(args: argparse.Namespace) -> int:
    import sys

    from conformance.bus.registry_view import registered_type_names
    from conformance.suites import lint
    from conformance.suites.participant import load_participant
    from conformance.yamlnodes import Problem, SchemaErrors

    if args.variants:
        return _run_variants(args)
    if not args.participant:
        from conformance.errors import UsageError

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
        found = lint.cross_check(suite, participant, registered_type_names(args.registry))
        if args.no_signatures:
            found = [p for p in found if p.path != "keys"]
        problems += found
    lint.raise_problems(problems)
    assert suite is not None and participant is not None
    steps = sum(len(case.steps) for case in suite.cases)
    # A real run's report may go to standard output (json, junit): the preamble then goes to standard error.
    out = sys.stdout if args.dry_run else sys.stderr
    print(f"suite {suite.name} ({suite.path}): {len(suite.cases)} cases, {steps} steps", file=out)
    print(f"participant {participant.mnemonic} ({participant.path}): {participant.role.value}, version "
          f"{participant.version}, types {', '.join(t.name for t in participant.types)}, bus {participant.bus_url}",
          file=out)
    if args.dry_run:
        print("dry run: both files are valid and fit together; nothing was run")
        return 0
    from conformance.report import exit_code, render
    from conformance.suites.engine import RunSettings, run_suite

    settings = RunSettings(signatures=not args.no_signatures, seed=args.seed, registry_path=args.registry,
                           negative=negative_count(args.negative, args.suite))
    live = run_suite(suite, participant, settings=settings, keys_dir=args.keys)
    from conformance.bus.capture import write_capture

    meta = {"suite": suite.name, "participant": participant.mnemonic, "seed": args.seed}
    if args.capture:
        write_capture(live.exchanges, args.capture)
    if args.report_dir:
        from pathlib import Path

        folder = Path(args.report_dir)
        for fmt, name in (("json", "report.json"), ("junit", "report.junit.xml"), ("html", "report.html")):
            render(live.results, fmt, folder / name, meta=meta, fail_on=args.fail_on)
        write_capture(live.exchanges, folder / "capture")
    render(live.results, args.format, args.output, meta=meta, fail_on=args.fail_on)
    return exit_code(live.results, fail_on=args.fail_on)


def _run_variants(args: argparse.Namespace) -> int:
    """`--variants`: the mutation score of the suite, written as JSON, text and HTML."""
    import json
    from pathlib import Path

    from conformance.errors import UsageError
    from conformance.findings import FileResult
    from conformance.reference.mutation import mutation_score
    from conformance.reference.participant_files import REGISTRY_FILE
    from conformance.report import render
    from conformance.suites import lint
    from conformance.suites.engine import RunSettings

    if args.participant or args.dry_run or args.capture:
        raise UsageError("--variants runs the shipped reference participant and its variants: it takes no "
                         "--participant, --dry-run or --capture")
    suite = lint.load(args.suite)  # SchemaErrors: exit 2 with every problem
    settings = RunSettings(signatures=not args.no_signatures, seed=args.seed,
                           registry_path=args.registry or str(REGISTRY_FILE),
                           negative=negative_count(args.negative))  # none unless asked: 13 runs x 15 take minutes
    for key, attr in (("deadline_scale", "deadline_scale"), ("realtime_limit", "realtime_limit"),
                      ("poll_interval", "poll"), ("ack_timeout", "ack_timeout")):
        if key in suite.settings:
            setattr(settings, attr, float(suite.settings[key]))
    report, runs = mutation_score(suite.role.value, suite, settings)
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
    render(results, "html", out / "mutation.html", meta={"suite": suite.name, "seed": args.seed, **report.meta()})
    print(report.text(), end="")
    print(f"reports: {out / 'mutation.json'}, {out / 'mutation.txt'}, {out / 'mutation.html'}")
    return 0 if report.holds else 1
