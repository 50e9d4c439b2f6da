"""Resend captured SMEV 3 calls and show the new answer beside the captured one.

CAPTURE is what `run --capture DIR` wrote (a directory of NNNN-<Rpc>-<status>.request.http/.response.http files,
one such file, or their common stem) or the bus double's state file (`serve --state FILE`; its journal). The
captured calls are the participant's calls to the bus; each is resent byte for byte (body, Content-Type with any
MTOM boundary, SOAPAction, X-SMEV-Sender) to:

  --to URL                  a bus you run (`serve`, a test SMEV) or any SOAP endpoint;
  --participant FILE        a bus double started here the way `run` starts it for that participant.yaml (its
                            certificate registered, so its signatures are verified as in the run); the participant
                            itself need not run: what is replayed is its own call;
  (neither)                 a bus double started here with the shipped test PKI and registry.

From a directory or a state file only the calls whose captured answer failed (HTTP 400 or more) are
resent, unless --all or --exchange N; faults a suite armed on purpose (marked by the double's X-SMEV-Double-Forced
header, e.g. the SMEVFailure after which a participant must resend) are not failures and are left out.
For each call it prints the captured and the new answer (HTTP status, fault and reason, answer element), what
differs (status, fault, element paths of the answer's structure), and a verdict: reproduced (fails the same way),
fails-differently, now-fails, no-longer-fails, still-succeeds. An answer fails when it is a SOAP fault, an HTTP
error or no answer. Calls that depend on the bus's state (an Ack, a SendResponse to a request the fresh double never
saw) or on time (a MessageID more than 24 h old is stale) can fail differently against a fresh double.

Exit 0: every replayed call now succeeds; 1: some replayed call fails (the failure reproduces, or another);
2: unusable capture, target or command line.

Examples:
  smev-conformance run --suite provider --participant p.yaml --capture reports/capture
  smev-conformance replay reports/capture --participant p.yaml
  smev-conformance replay reports/capture/0007-SendResponse-500.request.http --to http://127.0.0.1:8088/smev
  smev-conformance replay bus-state.sqlite --exchange 12 --to http://127.0.0.1:8088/smev --format json
"""

from __future__ import annotations

import argparse

HELP = "resend captured calls to a bus and compare the answers (reproduce a failed case)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", metavar="CAPTURE", help="capture directory, .request.http file, or bus state file")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--to", metavar="URL", help="SOAP endpoint to resend to (default: a bus double started here)")
    target.add_argument("--participant", metavar="FILE",
                        help="participant.yaml: start the double as `run` does for this participant")
    parser.add_argument("--exchange", type=int, metavar="N", help="only the captured exchange numbered N")
    parser.add_argument("--all", action="store_true", help="resend every call of a directory, not only failed ones")
    parser.add_argument("--registry", metavar="FILE", help="registry of the double started here (default: shipped)")
    parser.add_argument("--keys", metavar="DIR", help="keys of the double started here (default: shipped test PKI)")
    parser.add_argument("--no-signatures", action="store_true",
                        help="the double started here identifies callers by X-SMEV-Sender and checks no signature")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each answer (default 30)")
    parser.add_argument("--format", default="text", choices=("text", "json"), help="output format (default text)")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from contextlib import ExitStack
    from urllib.parse import urlsplit

    from conformance.bus.replay import holds_many, load_captures, replay
    from conformance.errors import UsageError

    calls = load_captures(args.capture, exchange=args.exchange)
    if not args.all and args.exchange is None and holds_many(args.capture):
        calls = [c for c in calls if c.failed and not c.forced]
        if not calls:
            print(f"{args.capture}: no captured call failed; nothing to reproduce (--all resends every call)",
                  file=sys.stderr)
            return 0
    if args.to is not None and urlsplit(args.to).scheme not in ("http", "https"):
        raise UsageError(f"--to {args.to!r} is not an http(s) URL")
    with ExitStack() as stack:
        url = args.to or stack.enter_context(_double(args))
        results = [replay(call, url, timeout=args.timeout) for call in calls]
    unreachable = [r for r in results if r.answer.status is None]
    if args.to is not None and unreachable and len(unreachable) == len(results):
        raise UsageError(f"cannot reach {args.to}: {unreachable[0].answer.error}")
    if args.format == "json":
        print(json.dumps([_as_json(r) for r in results], indent=2))
    else:
        _print_text(results, url if args.to else "a bus double started here")
    return 1 if any(r.verdict.fails for r in results) else 0


def _double(args: argparse.Namespace):  # -> context manager yielding the double's URL
    from contextlib import contextmanager

    from conformance.bus.credentials import load_certificate_file, load_credentials
    from conformance.bus.server import start
    from conformance.bus.service import Bus, BusConfig
    from conformance.bus.types import load_types
    from conformance.errors import UsageError

    credentials = load_credentials(args.keys)
    registry = args.registry
    if args.participant is not None:
        from conformance.suites.participant import load_participant
        from conformance.suites.yamlnodes import SchemaErrors

        try:
            participant = load_participant(args.participant)
        except SchemaErrors as exc:
            from conformance.suites import lint

            lint.raise_problems(exc.problems)
            raise
        if not args.no_signatures:
            if participant.certificate is None:
                raise UsageError(f"{participant.path}: keys.certificate is needed to verify the participant's "
                                 "signatures (or replay with --no-signatures)")
            credentials = credentials.with_participant(participant.mnemonic,
                                                       load_certificate_file(participant.certificate))
    bus = Bus(load_types(registry), config=BusConfig(signatures=not args.no_signatures), credentials=credentials)

    @contextmanager
    def serving():
        running = start(bus)
        try:
            yield running.url
        finally:
            running.close()
            bus.store.close()

    return serving()


def _print_text(results: list, target: str) -> None:
    print(f"replayed {len(results)} call(s) against {target}")
    for result in results:
        print(f"\n{result.call.name}  ({result.call.source})")
        forced = " (armed by the test, not caused by the call)" if result.call.forced else ""
        print(f"  captured: {result.captured.describe() if result.captured else 'not captured'}{forced}")
        print(f"  now:      {result.answer.describe()}")
        for line in result.differences:
            print(f"  differs:  {line}")
        print(f"  verdict:  {result.verdict.value}")
    failing = sum(r.verdict.fails for r in results)
    print(f"\n{failing} of {len(results)} replayed call(s) fail now")


def _as_json(result) -> dict:
    def summary(s):
        if s is None:
            return None
        return {"status": s.status, "fault": s.fault, "reason": s.reason, "answer": s.operation, "error": s.error,
                "fails": s.fails}

    return {"call": result.call.name, "source": result.call.source, "captured": summary(result.captured),
            "captured_fault_forced": result.call.forced,
            "now": summary(result.answer), "differences": list(result.differences),
            "verdict": result.verdict.value}
