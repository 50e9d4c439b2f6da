"""`python -m conformance.reference provider|consumer|variants`: run the reference participant or a broken twin.

    provider --bus URL [--state FILE] [--variant NAME] [--once | --for SECONDS]
        poll GetRequest and answer; --once: until the queue is empty; --for: that long; else until interrupted.
    consumer --bus URL [--type NAME ...] [--seed N] [--test-message] [--state FILE] [--variant NAME]
             [--once | --no-wait | --for SECONDS] [--serve-trigger HOST:PORT]
        send one request of each type (default: every sample type) and wait for the final answers (--once, the
        default); --no-wait: only send (a harness's trigger command); --for: keep polling GetResponse that long.
        --serve-trigger: poll GetResponse until stopped (or --for) and send a request on each
        POST http://HOST:PORT/send?type=NAME (a harness's HTTP trigger); --type requests go out at start.
    variants
        the broken twins: name, mistake, the finding a suite must report.

Exit codes: 0 done (consumer: every request got a final answer), 1 not (a request was refused or unanswered),
2 bad command line or input.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import tempfile
from pathlib import Path

from conformance.bus.process import RUN_DIRECTORY_ENV
from conformance.commandline import stop_on_signals
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.errors import ConformanceError, UsageError
from conformance.reference.common import Crash, Settings
from conformance.reference.consumer import Consumer
from conformance.reference.provider import Provider, crash_exit
from conformance.reference.trigger import serve_trigger
from conformance.reference.variants import VARIANTS, variant


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bus", required=True, metavar="URL", help="the bus's SOAP endpoint")
    parser.add_argument("--state", metavar="FILE",
                        help="SQLite file of the participant's durable state (default: a file in the temporary "
                             "directory named after the role, the variant and the bus URL; `:memory:`: none)")
    parser.add_argument("--variant", default="reference", metavar="NAME", help="a broken twin (see `variants`)")
    parser.add_argument("--version", dest="smev_version", default="1.3", choices=("1.1", "1.2", "1.3"))
    parser.add_argument("--registry", metavar="FILE", help="message-type registry (default: the shipped one)")
    parser.add_argument("--no-signatures", action="store_true",
                        help="for a bus double run without signatures: name yourself in X-SMEV-Sender")
    parser.add_argument("--mnemonic", help="the name sent in X-SMEV-Sender with --no-signatures")
    parser.add_argument("--crash-after-ack", action="store_true",
                        help="test hook: exit at once (code 70) right after the first Ack")
    add_crypto_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--once", action="store_true")
    how.add_argument("--for", dest="duration", type=float, metavar="SECONDS")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m conformance.reference", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="role", required=True)
    _common(sub.add_parser("provider", help="run the reference provider"))
    consumer = sub.add_parser("consumer", help="run the reference consumer")
    _common(consumer)
    consumer.add_argument("--type", dest="types", action="append", metavar="NAME",
                          help="a message type to request (repeatable; default: every sample type)")
    consumer.add_argument("--seed", type=int, default=0, help="seed of the fake request (default 0)")
    consumer.add_argument("--test-message", action="store_true", help="mark the requests as TestMessage")
    consumer.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each final answer")
    consumer.add_argument("--no-wait", action="store_true", help="only send the requests, do not wait for answers")
    consumer.add_argument("--serve-trigger", metavar="HOST:PORT",
                          help="serve the HTTP trigger endpoint (port 0: any free port, printed)")
    sub.add_parser("variants", help="list the broken twins")
    return top


def _settings(args: argparse.Namespace):
    return Settings(bus_url=args.bus, state=args.state or default_state(args.role, args.variant, args.bus), variant=variant(args.variant), version=args.smev_version,
                    mnemonic=args.mnemonic, signatures=not args.no_signatures, registry=args.registry,
                    crash_after_ack=args.crash_after_ack, backend=chosen_backend(args))


def default_state(role: str, variant_name: str, bus_url: str) -> str:
    """The state file used without --state: one per role, variant and bus, so a restart finds its journal; under a
    run of the suite engine (RUN_DIRECTORY_ENV set) it lives in that run's directory, so earlier runs leak nothing."""
    tag = hashlib.sha256(bus_url.encode()).hexdigest()[:10]
    directory = os.environ.get(RUN_DIRECTORY_ENV) or tempfile.gettempdir()
    return str(Path(directory) / f"smev-reference-{role}-{variant_name}-{tag}.sqlite")


def _variants() -> int:
    for v in VARIANTS.values():
        print(f"{v.name:22} [{', '.join(v.roles)}] {v.mistake}")
        for role in v.roles:
            print(f"{'':22} {role} suite: {v.finding_for(role)}")
    return 0


def _provider(args: argparse.Namespace) -> int:
    provider = Provider(_settings(args))
    try:
        provider.run(once=args.once, duration=args.duration)
    except Crash:
        crash_exit()
    finally:
        provider.close()
    return 0


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--serve-trigger {text!r}: expected HOST:PORT, e.g. 127.0.0.1:0 (0: any free port)")
    return host, int(port)


def _consumer(args: argparse.Namespace) -> int:
    consumer = Consumer(_settings(args))
    serving = args.serve_trigger is not None
    types = args.types or ([] if serving else [t.name for t in consumer.registry.types if t.sample])
    waiting = not (serving or args.no_wait or args.duration is not None)
    failed = 0
    try:
        for name in types:
            consumer.registry.by_name(name)
        server = serve_trigger(consumer, *_address(args.serve_trigger)) if serving else None
        if server is not None:  # port 0 picks a free port: say which
            print(f"trigger endpoint: {server.url}", flush=True)
        for name in types:
            sent = consumer.send(name, seed=args.seed, test_message=args.test_message)
            if sent.message_id is None:
                print(f"{name}: refused after {len(sent.attempts)} attempt(s): {sent.fault}")
                failed += 1
            elif not waiting:
                print(f"{name}: sent {sent.message_id}")
            else:
                got = consumer.await_final(sent.message_id, args.timeout)
                print(f"{name}: {sent.message_id} -> {got.kind + ' ' + got.detail if got else 'no final answer'}")
                failed += got is None
        if serving or args.duration is not None:
            consumer.run(duration=args.duration)
        if server is not None:
            server.shutdown()
    except Crash:
        crash_exit()
    finally:
        consumer.close()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.role == "variants":
        return _variants()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        with stop_on_signals():
            return _provider(args) if args.role == "provider" else _consumer(args)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except ConformanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
