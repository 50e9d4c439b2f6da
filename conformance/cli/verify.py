"""Verify the XML signatures of SMEV 3 messages, one finding per rule and signature, and say why one fails.

For every ds:Signature: its place (the wrapper its operation defines), SignedInfo's shape, exclusive c14n, the
algorithms (2012 pass; 2001 obsolete: a warning), that the reference resolves to exactly one element and that it is
the element the operation signs (else IncorrectSignatureTarget; duplicate Ids and copies outside the signed position
are signature wrapping), the transforms and their order, the digest, the signature value, and the certificate:
present, valid at the time, chained to --trust, not revoked by --crl.

On a digest mismatch the report shows the transformed bytes and names the usual mistake (no SMEV transform,
inclusive c14n, the other escaping mode, whitespace left in, an enveloped transform) that reproduces the sender's
digest; on a signature-value mismatch, the convention that matches (r‖s, a big-endian digest or key, an indented
SignedInfo).

Certificates are judged now by default: one that is not valid now fails, and the finding also names the message's
own time (which the sender chooses, so it never decides alone). `--at TIMESTAMP` judges at that instant;
`--at message` judges each signature at the time its signed element carries (a version 1 MessageID or MessageId,
SendingTimestamp, DeliveryTimestamp, Timestamp, the acked id of an Ack), naming the field, and warns when the
certificate is not valid now. Without --trust the chain is skipped (nothing to judge it against); without --crl, revocation is skipped.
Same report formats, rule ids and exit codes as `check`: 0 all hold, 1 some failed, 2 unusable input or arguments.

Examples (in an empty folder, in this order; a test runs them):
  smev-conformance pki init pki/
  smev-conformance sample --unsigned --output request.xml
  smev-conformance sign request.xml --key pki/participant-1.key.pem --cert pki/participant-1.cert.pem --output signed.xml
  smev-conformance verify signed.xml --trust pki/ca.cert.pem --crl pki/ca.crl.pem
  smev-conformance sample --all --output messages/
  smev-conformance verify messages/ --format json --output reports/verify.json
  smev-conformance verify signed.xml --at message       # each signature judged at the time its message carries
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from conformance import xmlsafe
from conformance.cli.check import parse_instant
from conformance.crypto import load_certificate, load_crl
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.crypto.pem import pem_blocks
from conformance.errors import ConformanceError, InputError, UsageError
from conformance.findings import FileResult, Finding, Location, Status
from conformance.progress import timed, track
from conformance.protocol.foreign import identify_foreign
from conformance.protocol.operations import detect
from conformance.protocol.xpaths import xpath_of
from conformance.report import exit_code, render
from conformance.report.option import add_report_options
from conformance.rules.engine import expand_paths
from conformance.rules.messagefile import read_message_file
from conformance.xmldsig.verifier import AT_MESSAGE, VerifyOptions, to_findings, verify_tree

HELP = "verify the XML signatures of messages, with diagnostics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="FILE", help="message file or directory of *.xml files")
    parser.add_argument("--content-type", metavar="TYPE",
                        help="the HTTP Content-Type of the input(s) when they are MTOM bodies (multipart/related; "
                             "…): xop:Include is resolved before judging. A file with a header block or an HTTP "
                             "capture at its top, or a raw multipart starting with its boundary, needs no option")
    parser.add_argument("--trust", action="append", metavar="CA.pem",
                        help="trust anchor certificate(s), PEM (several blocks allowed) or DER; repeatable")
    parser.add_argument("--crl", action="append", metavar="CRL", help="certificate revocation list; repeatable")
    parser.add_argument("--at", metavar="TIMESTAMP|message",
                        help="judge certificates at this ISO 8601 instant, or at each message's own time when "
                             "'message' (default: now)")
    add_crypto_option(parser)
    parser.add_argument("--escaping", choices=("woodstox", "plain"), default="woodstox",
                        help="escaping mode of the SMEV transform (default: woodstox, what the bus runs)")
    add_report_options(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="text format: list passed and skipped rules too")


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror or exc}", path=path) from None


def load_trust(paths: list[str] | None) -> list:
    """Every certificate of the given files (PEM with one or more blocks, or DER)."""
    anchors = []
    for path in paths or ():
        data = _read(path, "trust anchor")
        try:
            blocks = [der for label, der in pem_blocks(data) if "CERTIFICATE" in label] if b"-----BEGIN" in data \
                else [data]
            if not blocks:
                raise InputError("holds no CERTIFICATE block", path=path)
            anchors.extend(load_certificate(der) for der in blocks)
        except InputError:
            raise
        except ConformanceError as exc:
            raise InputError(f"not a usable certificate: {exc}", path=path) from None
    return anchors


def load_crls(paths: list[str] | None) -> list:
    crls = []
    for path in paths or ():
        try:
            crls.append(load_crl(_read(path, "CRL")))
        except InputError:
            raise
        except ConformanceError as exc:
            raise InputError(f"not a usable CRL: {exc}", path=path) from None
    return crls


def verify_file(path: str, options, content_type: str | None = None) -> object:
    """The `FileResult` of one file; a document the hardened parser refuses is a failed finding of its rule. An MTOM
    capture is verified with its xop:Include parts put back first (see `conformance.rules.messagefile`)."""
    try:
        tree = read_message_file(path, content_type=content_type).tree
    except xmlsafe.XmlInputError as exc:
        if exc.rule is None:
            raise
        return FileResult(path, None, None, (Finding(exc.rule, Status.FAIL, exc.detail, Location(path, exc.line)),))
    try:
        detection = detect(tree, source=path)
        operation, version = detection.operation.value, detection.version.value
    except InputError as exc:
        operation = version = None
        foreign = foreign_finding(path, tree, exc)
        if foreign is not None:
            return FileResult(path, "Fault" if foreign.status is Status.SKIP else None, None, (foreign,))
    outcomes = verify_tree(tree, options)
    return FileResult(path, operation, version, tuple(to_findings(path, outcomes)))


def foreign_finding(path: str, tree, error) -> object | None:
    """The one finding about a document that is no SMEV 3 message (SMEV 2, SOAP 1.2, another service's SOAP, a plain
    fault), instead of signature failures that would send the user after the wrong problem; None for other input."""
    foreign = identify_foreign(tree)
    if foreign is None:
        return None
    status = Status.SKIP if foreign.legitimate else Status.FAIL
    message = foreign.description + (": nothing to verify" if foreign.legitimate else "")
    return Finding(getattr(error, "rule", None) or "MSG-SOAP-OPERATION", status, message,
                   Location(path, foreign.element.sourceline, xpath_of(foreign.element)))


def _diagnostics(results) -> str:
    """The details of failed findings (transformed bytes, diagnoses), which the tabular text report leaves out."""
    lines = []
    for result in results:
        for finding in result.findings:
            if finding.status is Status.FAIL and len(finding.details) > 1:
                lines.append(f"{finding.location.file}:{finding.location.line or ''} {finding.rule_id}")
                for key, value in finding.details:
                    lines.append(f"  {key}: {value}")
    return "\n".join(lines) + ("\n" if lines else "")


def _judged_at(text: str | None):
    """`--at`: None (now), "message", or an ISO 8601 instant; anything else is a usage error (exit 2)."""
    if text is None:
        return None
    if text.strip() == AT_MESSAGE:
        return AT_MESSAGE
    try:
        return parse_instant(text)
    except (UsageError, OverflowError):  # OverflowError: an instant that is no UTC time (0001-01-01T00:00+01:00)
        raise UsageError(f"--at {text!r} is neither an ISO 8601 timestamp (e.g. 2026-01-31T12:00:00Z) nor "
                         f"{AT_MESSAGE!r} (each message's own time)") from None


def run(args: argparse.Namespace) -> int:


    at = _judged_at(args.at)
    base = VerifyOptions(trust=tuple(load_trust(args.trust)), crls=tuple(load_crls(args.crl)), at=at,
                         backend=chosen_backend(args), escaping=args.escaping)

    results = [timed(verify_file, str(path), replace(base), args.content_type)
               for path in track(expand_paths(args.paths), "verify", unit="file")]
    judged = ("each signature at the time its signed element carries (the sender's claim)" if at == AT_MESSAGE
              else at.isoformat() if at else "now")
    meta = {"at": judged, "fail_on": args.fail_on,
            "crypto": base.backend.name, "escaping": args.escaping}
    render(results, args.format, args.output, meta=meta, verbose=args.verbose, fail_on=args.fail_on)
    if args.format == "text" and not args.output:
        sys.stdout.write(_diagnostics(results))
    return exit_code(results, args.fail_on)
