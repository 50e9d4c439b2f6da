"""Create and inspect a test PKI for SMEV 3 conformance work: GOST R 34.10-2012 256 keys and certificates.

`pki init DIR` writes a test certification authority (root certificate and key), N participant keys and
certificates (CryptoPro-XchA parameters, like real SMEV certificates), one expired and one revoked participant,
a CRL listing the revoked one, all as PEM (certificates and CRL also as DER), and README.txt listing the files.
With --seed (and --start) the output is byte-for-byte reproducible.

`pki issue DIR NAME` has the CA in DIR certify a new key (or yours, with --key) as NAME; `pki revoke DIR CERT`
adds a certificate to the CA's CRL (ca.crl.pem/.der rewritten with the next CRL number).

`pki show FILE` prints what a certificate, CRL or private key file holds; with --ca it also checks the
certificate's or CRL's signature against that CA.

An encrypted private key (`issue --key`, `show`) opens with --key-password-file FILE (its first line) or
--key-password-env VAR, never with the password on the command line; decrypting needs the native backend.

Exit codes: 0 done (show: the checks hold), 1 show: a check failed, 2 unusable arguments or files.

Examples (in an empty folder, in this order; a test runs them):
  smev-conformance pki init pki/ --seed 7
  smev-conformance pki issue pki/ my-system
  smev-conformance pki revoke pki/ pki/my-system.cert.pem
  smev-conformance pki show pki/my-system.cert.pem --ca pki/ca.cert.pem
  smev-conformance pki show pki/ca.crl.pem --ca pki/ca.cert.pem
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from conformance.cli.check import parse_instant
from conformance.crypto import oids
from conformance.crypto.certificates import load_certificate, verify_certificate
from conformance.crypto.crl import load_crl, verify_crl
from conformance.crypto.keyfile import add_key_password_options, decode_private_key, key_password, read_private_key
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.crypto.pem import pem_blocks
from conformance.crypto.testpki import build_pki, issue_into, revoke_in, write_pki
from conformance.errors import ConformanceError, InputError, UsageError

HELP = "a test PKI: init (CA, participants, expired, revoked, CRL), issue, revoke; show a certificate, CRL or key"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="pki_command", required=True, metavar="ACTION")
    init = sub.add_parser("init", help="write a test CA, participants and a CRL into DIR")
    init.add_argument("directory", metavar="DIR", help="output directory (created if missing)")
    init.add_argument("--validity", type=int, default=365, metavar="DAYS",
                      help="validity of the participant certificates in days (default: 365)")
    init.add_argument("--participants", type=int, default=2, metavar="N",
                      help="number of valid participants (default: 2)")
    init.add_argument("--seed", metavar="S", help="derive every key, serial and signature from S (reproducible)")
    init.add_argument("--start", metavar="DATE",
                      help="start of validity, YYYY-MM-DD or ISO 8601 with a zone (default: today 00:00 UTC)")
    init.add_argument("--force", action="store_true", help="overwrite an existing PKI in DIR")
    issue = sub.add_parser("issue", help="have the CA in DIR certify a new key (or --key KEY) as NAME")
    issue.add_argument("directory", metavar="DIR", help="a directory made by `pki init`")
    issue.add_argument("name", metavar="NAME", help="base name of the files written (NAME.cert.pem, ...)")
    issue.add_argument("--key", metavar="KEY.pem", help="certify this private key instead of generating one")
    add_key_password_options(issue)
    issue.add_argument("--cn", metavar="TEXT", help="subject common name (default: Тестовая ИС NAME)")
    issue.add_argument("--org", metavar="TEXT", help="subject organisation")
    issue.add_argument("--validity", type=int, default=365, metavar="DAYS", help="validity in days (default: 365)")
    issue.add_argument("--start", metavar="DATE", help="start of validity (default: today 00:00 UTC)")
    issue.add_argument("--seed", metavar="S", help="derive the key, serial and signature from S")
    revoke = sub.add_parser("revoke", help="add a certificate to the CRL of the CA in DIR")
    revoke.add_argument("directory", metavar="DIR", help="a directory made by `pki init`")
    revoke.add_argument("certificate", metavar="CERT", help="the certificate to revoke (PEM or DER)")
    revoke.add_argument("--at", metavar="TIMESTAMP", help="revocation time (default: now)")
    show = sub.add_parser("show", help="describe a certificate, CRL or private key file")
    show.add_argument("file", metavar="FILE", help="PEM or DER file")
    show.add_argument("--ca", metavar="CA.pem", help="verify the certificate's or CRL's signature by this CA")
    add_key_password_options(show, "FILE when it is a private key")
    for action in (init, issue, revoke, show):
        add_crypto_option(action)


def _parse_start(text: str | None, option: str = "--start") -> dt.datetime | None:
    return None if text is None else parse_instant(text, option)


def _init(args: argparse.Namespace) -> int:
    if not 1 <= args.participants <= 1000:
        raise UsageError("--participants must be between 1 and 1000")
    if not 1 <= args.validity <= 36500:
        raise UsageError("--validity must be between 1 and 36500 days")
    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise InputError("exists and is not a directory", path=str(directory))
    if (directory / "ca.cert.pem").exists() and not args.force:
        raise UsageError(f"{directory} already holds a PKI (ca.cert.pem); use --force to overwrite it")
    pki = build_pki(participants=args.participants, validity_days=args.validity, start=_parse_start(args.start),
                    seed=args.seed, backend=chosen_backend(args))
    try:
        written = write_pki(pki, directory)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(exc.filename or directory)) from None
    print(f"test PKI written to {directory} ({len(written)} files, see README.txt)")
    for credential in (pki.ca, *pki.participants):
        cert = credential.certificate
        print(f"  {credential.name:16} serial {cert.serial:x}  {cert.not_before:%Y-%m-%d} .. {cert.not_after:%Y-%m-%d}"
              f"  {credential.note}")
    return 0


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None


def _issue(args: argparse.Namespace) -> int:
    if not 1 <= args.validity <= 36500:
        raise UsageError("--validity must be between 1 and 36500 days")
    if not args.name or "/" in args.name or args.name.startswith(".") or args.name == "ca":
        raise UsageError(f"NAME {args.name!r}: a plain file base name other than 'ca' is needed")
    backend = chosen_backend(args)
    password = key_password(args, key_given=bool(args.key))
    key = read_private_key(args.key, password, backend) if args.key else None
    written = issue_into(Path(args.directory), args.name, key=key, common_name=args.cn, organisation=args.org,
                         validity_days=args.validity, start=_parse_start(args.start), seed=args.seed,
                         backend=backend)
    print("written: " + ", ".join(str(path) for path in written))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    try:
        certificate = load_certificate(_read(args.certificate))
    except InputError:
        raise
    except ConformanceError as exc:
        raise InputError(str(exc), path=args.certificate) from None
    crl = revoke_in(Path(args.directory), certificate, _parse_start(args.at, "--at") if args.at else None,
                    chosen_backend(args))
    print(f"revoked serial {certificate.serial:x}; CRL number {crl.number} lists {len(crl.revoked)} certificate(s)")
    return 0


def _show(args: argparse.Namespace) -> int:
    password = key_password(args, key_given=True, key_option="FILE")
    data = _read(args.file)
    labels = {label for label, _ in pem_blocks(data)} if data.lstrip().startswith(b"-----") else set()
    ca = None
    if args.ca:
        try:
            ca = load_certificate(_read(args.ca))
        except ConformanceError as exc:
            raise InputError(str(exc), path=args.ca) from None
    try:
        if "X509 CRL" in labels:
            item = load_crl(data)
        elif labels & {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}:
            item = decode_private_key(data, args.file, password, chosen_backend(args))
        else:
            try:
                item = load_certificate(data)
            except ConformanceError:
                item = load_crl(data)
    except InputError:
        raise
    except ConformanceError as exc:
        raise InputError(f"neither a certificate, a CRL nor a private key: {exc}", path=args.file) from None
    status = 0
    if hasattr(item, "subject"):
        key = item.public_key
        print(f"certificate\n  subject:   {item.subject}\n  issuer:    {item.issuer}\n  serial:    {item.serial:x}")
        print(f"  validity:  {item.not_before.isoformat()} .. {item.not_after.isoformat()}")
        print(f"  algorithm: {item.signature_algorithm_name}\n  CA:        {'yes' if item.is_ca else 'no'}")
        print(f"  key:       {oids.name_of(key.parameter_set) if key else item.key_error}")
        if ca is not None:
            ok = verify_certificate(item, ca, chosen_backend(args))
            print(f"  signed by {ca.subject}: {'yes' if ok else 'NO'}")
            status = 0 if ok else 1
    elif hasattr(item, "revoked"):
        print(f"CRL\n  issuer:      {item.issuer}\n  this update: {item.this_update.isoformat()}")
        print(f"  next update: {item.next_update.isoformat() if item.next_update else '-'}")
        for entry in item.revoked:
            print(f"  revoked:     {entry.serial:x} at {entry.revoked_at.isoformat()}")
        if ca is not None:
            ok = verify_crl(item, ca, chosen_backend(args))
            print(f"  signed by {ca.subject}: {'yes' if ok else 'NO'}")
            status = 0 if ok else 1
    else:
        print(f"private key\n  parameter set: {oids.name_of(item.parameter_set)} ({item.parameter_set})")
        print(f"  public key:    {item.public_key.to_bytes().hex()} (X‖Y little-endian)")
    return status


def run(args: argparse.Namespace) -> int:
    actions = {"init": _init, "issue": _issue, "revoke": _revoke, "show": _show}
    return actions[args.pki_command](args)
