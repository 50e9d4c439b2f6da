"""Run the SMEV 3 bus test double on a local port, for manual integration work.

It speaks the SMEV 3 SOAP API of versions 1.1, 1.2 and 1.3 (SendRequest, GetRequest, Ack, SendResponse,
GetResponse, GetStatus; GetIncomingQueueStatistics in 1.1), with per-type queues, acks and redelivery, statuses,
the protocol's faults, the registry's access matrix and the rule catalogue. It signs what it delivers and verifies
callers' signatures (participants are known by their certificates in --keys DIR/participants/<MNEMONIC>.cert.pem
or --participant MNEMONIC=CERT; an encrypted smev.key.pem opens with --key-password-file or --key-password-env).
With the shipped test PKI (no --keys) it also knows the shipped test key that `smev-conformance sample` signs with,
as EPGU (a consumer of every shipped type), so the project's own samples are accepted out of the box; the banner says so (--no-default-participants: know only those given). With --no-signatures
a caller names itself in the X-SMEV-Sender header. With --state FILE its queues survive a restart (each call is
synced to disk before it is answered; --fast-state syncs at checkpoints only), and its journal of raw calls can be
replayed
(`smev-conformance replay FILE`). Every POST needs the SOAPAction header (SOAP 1.1 §6.1.1). A test can arm a fault
for the next call with POST /_double/faults; that answer carries the header X-SMEV-Double-Forced. GET
/_double/journal lists the calls. A signed poll must carry a Timestamp within --poll-window (default 5m) of the
double's clock, so that a captured poll cannot be replayed later. It binds to the loopback interface only.
Ctrl-C stops it.

Examples (a test starts each and stops it with Ctrl-C):
  smev-conformance serve --port 0
  smev-conformance serve --port 0 --state bus.sqlite --ack-timeout 30s
  smev-conformance serve --port 0 --no-signatures --verbose
"""

from __future__ import annotations

import argparse
import ipaddress
import sys

from conformance.bus import server as http_server  # through the module: a test replaces make_server
from conformance.bus.credentials import load_certificate_file, load_credentials
from conformance.bus.registry_view import load_types
from conformance.bus.service import Bus, BusConfig
from conformance.bus.store import BusStore
from conformance.commandline import stop_on_signals
from conformance.crypto.keyfile import add_key_password_options, key_password
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.crypto.testdata import test_credentials
from conformance.errors import UsageError
from conformance.yamlnodes import parse_duration

HELP = "run the SMEV 3 bus test double on a local port"
SAMPLE_SENDER = "EPGU"
"""The mnemonic the shipped sample key is known by on the double (the shipped registry lets it consume every type)."""


def default_participants(keys: str | None) -> dict[str, object]:
    """Who the double knows without being told: with the shipped test PKI, the shipped sample key as `SAMPLE_SENDER`."""
    if keys is not None:
        return {}

    return {SAMPLE_SENDER: test_credentials()[1]}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    parser.add_argument("--registry", metavar="FILE", help="message-type registry (default: the shipped one)")
    parser.add_argument("--keys", metavar="DIR", help="smev.key.pem, smev.cert.pem, ca.cert.pem, participants/ "
                                                      "(default: the shipped test PKI)")
    add_key_password_options(parser, "--keys DIR's smev.key.pem")
    parser.add_argument("--participant", action="append", default=[], metavar="MNEMONIC=CERT",
                        help="register a participant's certificate (repeatable)")
    parser.add_argument("--no-default-participants", action="store_true",
                        help="do not register the shipped sample key (as EPGU) when running on the shipped test PKI")
    parser.add_argument("--state", metavar="FILE", help="SQLite file for the bus's state (default: in memory)")
    parser.add_argument("--fast-state", action="store_true",
                        help="with --state: sync the file at checkpoints only, not at every call (faster; survives "
                             "the bus being killed, but an OS crash may lose the last calls answered)")
    parser.add_argument("--ack-timeout", default="60s", metavar="DURATION",
                        help="redeliver a message not acked within this time (default 60s)")
    parser.add_argument("--no-signatures", action="store_true",
                        help="neither verify callers' signatures nor sign deliveries; callers name themselves in "
                             "the X-SMEV-Sender header")
    parser.add_argument("--poll-window", default="5m", metavar="DURATION|off",
                        help="refuse (InvalidContent) a signed GetRequest, GetResponse, GetStatus or "
                             "GetIncomingQueueStatistics whose signed Timestamp is further than this from the "
                             "double's clock, before or after: a captured poll replayed later reads nothing "
                             "(default 5m; off: no window, e.g. to replay captured polls)")
    add_crypto_option(parser)
    parser.add_argument("--no-rules", action="store_true", help="do not run the rule catalogue on what callers send")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to standard error")


def run(args: argparse.Namespace) -> int:
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            raise UsageError(f"--host {args.host} is not a loopback address: the double has no authentication "
                             "and binds to the local machine only")
    except ValueError:
        if args.host != "localhost":
            raise UsageError(f"--host {args.host!r} is not an IP address") from None
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a TCP port (0-65535)")
    try:
        ack_timeout = parse_duration(args.ack_timeout)
    except ValueError as exc:
        raise UsageError(f"--ack-timeout: {exc}") from None
    if ack_timeout < 0:
        raise UsageError(f"--ack-timeout {args.ack_timeout!r}: must not be negative")
    try:
        poll_window = None if args.poll_window.strip() == "off" else parse_duration(args.poll_window)
    except ValueError as exc:
        raise UsageError(f"--poll-window: {exc} (or off)") from None
    if poll_window is not None and not 0 < poll_window < float("inf"):
        raise UsageError(f"--poll-window {args.poll_window!r}: must be more than 0 s (or off)")
    types = load_types(args.registry)
    backend = chosen_backend(args)
    credentials = load_credentials(args.keys, password=key_password(args, key_given=args.keys is not None,
                                                                     key_option="--keys"), backend=backend)
    defaults = {} if args.no_default_participants else default_participants(args.keys)
    for mnemonic, certificate in defaults.items():
        credentials = credentials.with_participant(mnemonic, certificate)
    for item in args.participant:
        mnemonic, sep, cert_path = item.partition("=")
        if not sep or not mnemonic or not cert_path:
            raise UsageError(f"--participant {item!r}: write MNEMONIC=CERTIFICATE.pem")
        credentials = credentials.with_participant(mnemonic, load_certificate_file(cert_path))
    if args.fast_state and not args.state:
        raise UsageError("--fast-state applies to a --state FILE; the in-memory state is lost at exit anyway")
    store = BusStore(args.state or ":memory:", durability="normal" if args.fast_state else "full")
    config = BusConfig(ack_timeout=ack_timeout, signatures=not args.no_signatures, run_rules=not args.no_rules,
                       poll_window=poll_window, backend=backend)
    bus = Bus(types, store=store, config=config, credentials=credentials)
    try:
        server = http_server.make_server(bus, args.host, args.port, verbose=args.verbose)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    host, port = server.server_address[:2]
    mode = "signatures on" if config.signatures else "signatures off (X-SMEV-Sender names the caller)"

    try:  # from the first line printed on, Ctrl-C (or SIGTERM) is a clean stop
        with stop_on_signals():
            print(f"SMEV 3 bus double listening on http://{host}:{port}/smev", flush=True)
            print(f"versions 1.1, 1.2, 1.3; {len(types.types)} message types; {mode}; "
                  f"state {args.state or 'in memory'}; Ctrl-C stops", flush=True)
            known = [f"{m} (the shipped sample key `smev-conformance sample` signs with)" if m in defaults else m
                     for m in sorted(credentials.participants)]
            print(f"participants known by certificate: {', '.join(known) or 'none'}", flush=True)
            server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr, flush=True)
    finally:
        server.server_close()
        store.close()
    return 0
