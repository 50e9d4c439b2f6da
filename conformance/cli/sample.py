"""Write a valid SMEV 3 envelope with a fake business payload of a registered message type.

Defaults: the registry's first type, SendRequest (its request side), version 1.3, standard output. The seed fixes
every random choice (ids, names, numbers); --at fixes the moment the message is made (default: now), so the same
--seed and --at give the same bytes. With --all, every operation x version x variant (requests, the bus's answers,
each kind of fault) goes into the directory given by --output, one file each, e.g. 1.3-SendRequestRequest.xml,
1.1-GetResponseResponse-rejected.xml, 1.2-Fault-InvalidContent.xml.

Samples are signed as in real traffic: the participant's signatures (caller, original sender, attachments' CMS)
with the shipped test participant's key, or --key/--cert (an encrypted --key opens with --key-password-file or
--key-password-env); the bus's with the shipped test bus key. --unsigned writes them without signatures (the real
bus refuses those: SIG-PRESENT fails, and GetStatusRequest fails its schema).

Examples:
  smev-conformance sample
  smev-conformance sample --type sfr-snils-check --operation SendResponse --variant rejected --version 1.1
  smev-conformance sample --operation Fault --variant SignatureVerificationFault
  smev-conformance sample --all --output samples/ --seed 7 --at 2026-11-22T12:00:00Z
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.cli.check import parse_instant
from conformance.commandline import seed
from conformance.crypto import bus_credentials, load_certificate, reproducible, test_credentials
from conformance.crypto.keyfile import add_key_password_options, key_password, read_private_key
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.errors import UsageError
from conformance.protocol.builder import build
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import Operation
from conformance.protocol.samples import SampleError, iter_samples, sample_message
from conformance.registry.loader import load_registry
from conformance.xmldsig.signer import traffic_signing_hook

HELP = "write a valid sample envelope with a fake payload"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", metavar="NAME", help="registered message type (default: the first one)")
    parser.add_argument("--registry", metavar="FILE", help="message-type registry YAML (default: the shipped one)")
    parser.add_argument("--operation", metavar="OP", default="SendRequest",
                        help="body kind: SendRequest (= SendRequestRequest), SendRequestResponse, GetRequestResponse,"
                             " Fault, ... (default: SendRequest)")
    parser.add_argument("--variant", metavar="VARIANT", default="default",
                        help="e.g. rejected, status, async-status, empty, attachments; for Fault the fault's name")
    parser.add_argument("--version", metavar="V", default="1.3", help="SMEV schema version: 1.1, 1.2, 1.3")
    parser.add_argument("--output", "-o", metavar="PATH", help="file to write (a directory with --all)")
    parser.add_argument("--all", action="store_true", help="every operation x version x variant into --output DIR")
    parser.add_argument("--seed", type=seed, default=0, metavar="N", help="random seed (default 0)")
    parser.add_argument("--at", metavar="TIMESTAMP", help="ISO 8601 moment the message is made (default: now)")
    parser.add_argument("--unsigned", action="store_true", help="write envelopes without signatures")
    parser.add_argument("--key", metavar="FILE", help="participant's private key, PEM or DER PKCS#8 (default: shipped test key)")
    add_key_password_options(parser)
    parser.add_argument("--cert", metavar="FILE", help="participant's certificate, PEM or DER (default: shipped test certificate)")
    parser.add_argument("--personal", action="store_true", help="add a personal signature over the business element")
    add_crypto_option(parser)


def run(args: argparse.Namespace) -> int:
    try:
        version = Version.parse(args.version)
    except ValueError as exc:
        raise UsageError(f"--version: {exc}") from None
    try:
        operation = Operation.parse(args.operation)
    except ValueError as exc:
        raise UsageError(f"--operation: {exc}") from None
    at = parse_instant(args.at if args.at and args.at != "now" else None)
    registry = load_registry(args.registry)
    spec = registry.first
    if args.type:
        spec = registry.find(args.type)
        if spec is None:
            raise UsageError(f"--type: unknown message type {args.type!r}; registered: {', '.join(registry.names())}")
    sign = _signing_hook(args, at)

    if args.all:
        if not args.output:
            raise UsageError("--all needs --output DIR")
        directory = Path(args.output)
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"--output: {directory} exists and is not a directory")
        count = 0
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for item in iter_samples(spec=spec, seed=args.seed, at=at):
                (directory / f"{item.name}.xml").write_bytes(build(item.message, item.version, sign=sign))
                count += 1
        except OSError as exc:
            raise UsageError(f"--output: cannot write to {directory}: {exc.strerror or exc}") from None
        print(f"wrote {count} sample envelopes of {spec.name} to {directory}", file=sys.stderr)
        return 0

    try:
        message = sample_message(operation, version, spec=spec, seed=args.seed, at=at, variant=args.variant)
    except SampleError as exc:
        raise UsageError(str(exc)) from None
    data = build(message, version, sign=sign)
    if sign is None and operation is Operation.GET_STATUS:
        print("note: GetStatusRequest requires CallerInformationSystemSignature; this unsigned sample fails the "
              "schema", file=sys.stderr)
    if args.output:
        target = Path(args.output)
        if target.is_dir():
            raise UsageError(f"--output: {target} is a directory; give a file name (or use --all)")
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise UsageError(f"--output: cannot write {target}: {exc.strerror or exc}") from None
    else:
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
    return 0


def _signing_hook(args: argparse.Namespace, at):
    """The `sign` callable handed to the builder, or None with --unsigned.

    Signatures take their nonce from the key and the digest, and CMS its signing time from --at, so that the same
    --seed and --at give the same bytes, signatures included."""
    if args.unsigned:
        if args.key or args.cert or args.personal:
            raise UsageError("--unsigned cannot go with --key, --cert or --personal")
        key_password(args, key_given=False)  # a password with no key to open: refused
        return None
    if bool(args.key) != bool(args.cert):
        raise UsageError("--key and --cert go together")
    backend = chosen_backend(args)
    password = key_password(args, key_given=bool(args.key))
    if args.key:
        key = read_private_key(args.key, password, backend)
        try:
            participant = (key, load_certificate(Path(args.cert).read_bytes()))
        except OSError as exc:
            raise UsageError(f"cannot read {exc.filename}: {exc.strerror}") from None
    else:
        participant = test_credentials()[:2]
    return traffic_signing_hook(participant, bus_credentials()[:2], personal=args.personal,
                                backend=reproducible(backend), signing_time=at)
