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

With --participant FILE --redeliver the replay is against the participant itself (a provider): the double is
served at the participant's bus URL, the participant is started as participant.yaml says (or must already poll that
URL), each request the capture shows delivered to it is delivered again (same sender, content and version, a fresh
MessageID), and its reactions (Ack, SendResponse, with the bus's answers, until its response or --timeout) are shown
beside the captured ones; no response counts as a failure. By default only the deliveries whose captured reactions
failed are redelivered.

From a directory or a state file only the calls whose captured answer failed (HTTP 400 or more) are
resent, unless --all or --exchange N; faults a suite armed on purpose (marked by the double's X-SMEV-Double-Forced
header, e.g. the SMEVFailure after which a participant must resend) are not failures and are left out.
For each call it prints the captured and the new answer (HTTP status, fault and reason, answer element), what
differs (status, fault, element paths of the answer's structure), and a verdict: reproduced (fails the same way),
fails-differently, now-fails, no-longer-fails, still-succeeds. An answer fails when it is a SOAP fault, an HTTP
error or no answer. Calls that depend on the bus's state (an Ack, a SendResponse to a request the fresh double never
saw) or on time (a MessageID more than 24 h old is stale) can fail differently against a fresh double. The double
started here accepts captured polls whatever their signed Timestamp (no --poll-window); a `serve` double refuses
those older than its window unless started with --poll-window off.

Exit 0: every replayed call (every redelivered request's reaction) now succeeds; 1: some fails (the failure
reproduces, or another); 2: unusable capture, target or command line. The text ends with a PASS or FAIL line that
says the same.

Against a bus you run yourself, name it: `replay reports/capture/0007-SendResponse-500.request.http --to URL`, or
`replay bus-state.sqlite --exchange 12 --to URL --format json` for a call from a `serve --state` journal.

Examples (in an empty folder, in this order; a test runs them; a broken twin of the reference, so they exit 1):
  cp conformance/reference/participants/no-to.provider.yaml p.yaml
  smev-conformance run --suite provider --participant p.yaml --negative 0 --capture reports/capture  # exits 1
  smev-conformance replay reports/capture --participant p.yaml  # exits 1
  smev-conformance replay reports/capture --participant p.yaml --redeliver  # exits 1
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

from conformance.bus.credentials import BusCredentials, load_certificate_file, load_credentials
from conformance.bus.registry_view import load_types
from conformance.bus.replay import holds_many, load_captures, replay, replay_config
from conformance.bus.server import start
from conformance.bus.service import Bus
from conformance.commandline import count, positive_number
from conformance.crypto.keyfile import add_key_password_options, key_password
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.errors import UsageError
from conformance.suites import lint
from conformance.suites.lint import registry_for
from conformance.suites.participant import load_participant
from conformance.suites.redelivery import deliveries, redeliver, related_failures
from conformance.yamlnodes import SchemaErrors

HELP = "resend captured calls to a bus and compare the answers (reproduce a failed case)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("capture", metavar="CAPTURE", help="capture directory, .request.http file, or bus state file")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--to", metavar="URL", help="SOAP endpoint to resend to (default: a bus double started here)")
    target.add_argument("--participant", metavar="FILE",
                        help="participant.yaml: start the double as `run` does for this participant")
    parser.add_argument("--exchange", type=count(0), metavar="N", help="only the captured exchange numbered N")
    parser.add_argument("--all", action="store_true", help="resend every call of a directory, not only failed ones")
    parser.add_argument("--redeliver", action="store_true",
                        help="with --participant: deliver the captured requests to the participant again and compare "
                             "its reactions")
    parser.add_argument("--registry", metavar="FILE", help="registry of the double started here (default: the one participant.yaml names, else the shipped one)")
    parser.add_argument("--keys", metavar="DIR", help="keys of the double started here (default: shipped test PKI)")
    add_key_password_options(parser, "--keys DIR's smev.key.pem")
    parser.add_argument("--no-signatures", action="store_true",
                        help="the double started here identifies callers by X-SMEV-Sender and checks no signature")
    add_crypto_option(parser)
    parser.add_argument("--timeout", type=positive_number, default=30.0, help="seconds to wait for each answer (default 30)")
    parser.add_argument("--format", default="text", choices=("text", "json"), help="output format (default text)")


def run(args: argparse.Namespace) -> int:
    calls = load_captures(args.capture, exchange=args.exchange if not args.redeliver else None)
    if args.redeliver:
        return _redeliver(args, calls)
    if not args.all and args.exchange is None and holds_many(args.capture):
        calls = [c for c in calls if c.failed and not c.forced]
        if not calls:
            return _nothing(args, "no captured call failed; nothing to reproduce (--all resends every call)")
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


def _load_participant(path: str):  # -> Participant

    try:
        return load_participant(path)
    except SchemaErrors as exc:
        lint.raise_problems(exc.problems)
        raise


def _redeliver(args: argparse.Namespace, calls: list) -> int:
    if args.participant is None:
        raise UsageError("--redeliver replays against the participant: name its participant.yaml with --participant")
    participant = _load_participant(args.participant)
    if args.exchange is not None:
        chosen = [d for d in deliveries(calls) if d.call.name.startswith(f"{args.exchange:04d}-")
                  or d.call.name == f"journal #{args.exchange}"]
    else:
        chosen = deliveries(calls) if args.all else related_failures(calls)
    if not chosen:
        what = f"exchange {args.exchange} delivered no request" if args.exchange is not None else \
            "no delivery to redeliver (--all takes every delivered request)"
        if args.exchange is not None:
            raise UsageError(f"{args.capture}: {what}")
        return _nothing(args, what)

    results = redeliver(chosen, calls, participant, registry=registry_for(participant, args.registry),
                        credentials=_credentials(args), signatures=not args.no_signatures, timeout=args.timeout,
                        backend=chosen_backend(args))
    if args.format == "json":
        print(json.dumps([{"delivery": r.delivery.call.name, "captured_message_id": r.delivery.message_id,
                           "message_id": r.message_id, "captured": [x.describe() for x in r.captured],
                           "now": [x.describe() for x in r.now], "skipped": r.skipped,
                           "verdict": r.verdict.value} for r in results],
                         indent=2))
    else:
        print(f"redelivered {len(results)} request(s) to {participant.mnemonic} at {participant.bus_url}")
        for r in results:
            again = f"delivered again as {r.message_id}" if r.message_id else "not delivered again"
            print(f"\n{r.delivery.call.name}: request {r.delivery.message_id} from {r.delivery.sender}, {again}")
            for label, reactions in (("captured", r.captured), ("now", r.now)):
                text = "; ".join(x.describe() for x in reactions) or "no Ack, no response"
                if label == "now" and r.skipped:
                    text = r.skipped
                print(f"  {label + ':':10}{text}")
            print(f"  verdict:  {r.verdict.value}")
        print(f"\n{_headline(sum(r.verdict.fails for r in results), len(results), 'redelivered request')}")
    return 1 if any(r.verdict.fails for r in results) else 0


def _credentials(args: argparse.Namespace) -> BusCredentials:
    """The keys of the double started here: --keys DIR (its key opened with the password options), else shipped."""
    password = key_password(args, key_given=args.keys is not None, key_option="--keys")
    return load_credentials(args.keys, password=password, backend=chosen_backend(args))


def _double(args: argparse.Namespace):  # -> context manager yielding the double's URL
    credentials = _credentials(args)
    registry = args.registry
    if args.participant is not None:
        participant = _load_participant(args.participant)
        registry = registry_for(participant, args.registry)
        if not args.no_signatures:
            if participant.certificate is None:
                raise UsageError(f"{participant.path}: keys.certificate is needed to verify the participant's "
                                 "signatures (or replay with --no-signatures)")
            credentials = credentials.with_participant(participant.mnemonic,
                                                       load_certificate_file(participant.certificate))
    config = replay_config(signatures=not args.no_signatures, backend=chosen_backend(args))
    bus = Bus(load_types(registry), config=config, credentials=credentials)

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
    print(f"\n{_headline(sum(r.verdict.fails for r in results), len(results), 'replayed call')}")


def _nothing(args: argparse.Namespace, why: str) -> int:
    """Nothing to resend: exit 0, said as every report says it (a PASS headline; an empty list in JSON)."""
    print("[]" if args.format == "json" else f"PASS: {args.capture}: {why}")
    return 0


def _headline(failing: int, total: int, what: str) -> str:
    """The verdict line the exit code gives: FAIL (exit 1) when some call fails now, else PASS (exit 0)."""
    return f"{'FAIL' if failing else 'PASS'}: {failing} of {total} {what}{'' if total == 1 else 's'} fail now"


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
