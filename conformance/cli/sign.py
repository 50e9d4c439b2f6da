"""Sign an SMEV 3 message: add the detached XML signature its operation calls for, in the right wrapper.

What a client sends gets the caller system's signature (CallerInformationSystemSignature) over the element its
operation signs (SenderProvidedRequestData, MessageTypeSelector, ...); what the bus answers gets SMEVSignature.
--personal adds the personal signature (PersonalSignature) of the business element under MessagePrimaryContent
instead; sign personally first, then as the system, since the system's signature covers the personal one.

Attachments whose content is in the message get a detached CMS SignaturePKCS7 in their header first (unless
--no-attachments), since the headers lie inside the signed element.

The signature follows the facts page: exclusive c14n, GOST R 34.10-2012 with Streebog of the key's size,
transforms exclusive c14n then urn://smev-gov-ru/xmldsig/transform, the certificate in KeyInfo; never indented.

An encrypted key (PKCS#8 "ENCRYPTED PRIVATE KEY") opens with --key-password-file FILE (its first line) or
--key-password-env VAR, never with the password on the command line; decrypting needs the native backend.

Examples (in an empty folder, in this order; a test runs them):
  smev-conformance pki init pki/
  smev-conformance sample --unsigned --output request.xml
  smev-conformance sign request.xml --key pki/participant-1.key.pem --cert pki/participant-1.cert.pem --output signed.xml
  smev-conformance sign request.xml --key pki/participant-1.key.pem --cert pki/participant-1.cert.pem --personal | smev-conformance sign - --key pki/participant-1.key.pem --cert pki/participant-1.cert.pem --output both.xml
Exit codes: 0 signed, 2 unusable message, key, certificate or command line.
"""

from __future__ import annotations

import argparse
import sys

from lxml import etree

from conformance.crypto import load_certificate
from conformance.crypto.keyfile import add_key_password_options, key_password, read_private_key
from conformance.crypto.option import add_crypto_option, chosen_backend
from conformance.errors import ConformanceError, InputError
from conformance.output import write_output
from conformance.xmldsig.attachments import sign_attachments
from conformance.xmldsig.signer import sign_message
from conformance.xmlsafe import parse_bytes

HELP = "add the detached GOST signature an SMEV message's operation calls for"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the SOAP envelope to sign ('-': standard input)")
    parser.add_argument("--key", required=True, metavar="KEY",
                        help="private key, PKCS#8 PEM or DER (GOST 2012); encrypted: see --key-password-file")
    add_key_password_options(parser)
    parser.add_argument("--cert", required=True, metavar="CERT", help="the key's X.509 certificate, PEM or DER")
    parser.add_argument("--id", metavar="ID", help="Id to give the signed element (default: its own, else the one "
                        "real traffic uses, e.g. SIGNED_BY_CONSUMER)")
    parser.add_argument("--personal", action="store_true", help="add the personal signature of the business element")
    parser.add_argument("--no-attachments", action="store_true",
                        help="do not add SignaturePKCS7 (detached CMS) to attachment headers that lack one")
    add_crypto_option(parser)
    parser.add_argument("--output", "-o", metavar="FILE", help="write the signed message here (default: stdout)")


def _read(path: str, what: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror or exc}", path=path) from None


def run(args: argparse.Namespace) -> int:
    backend = chosen_backend(args)
    key = read_private_key(args.key, key_password(args, key_given=True), backend)
    try:
        certificate = load_certificate(_read(args.cert, "certificate"))
    except InputError:
        raise
    except ConformanceError as exc:
        raise InputError(f"not a usable certificate: {exc}", path=args.cert) from None
    if certificate.public_key is None or certificate.public_key.to_bytes() != key.public_key.to_bytes() \
            or certificate.public_key.parameter_set != key.parameter_set:
        raise InputError("the certificate does not hold the public key of --key", path=args.cert,
                         rule="CERT-PRESENT")
    source = "<stdin>" if args.file == "-" else args.file
    tree = parse_bytes(_read(args.file, "message"), source=source)
    if not args.personal and not args.no_attachments:
        sign_attachments(tree.getroot(), key, certificate, backend=backend)
    sign_message(tree, None, key, certificate, personal=args.personal, element_id=args.id, backend=backend,
                 source=source)
    write_output(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"), args.output, what="the signed message")
    return 0
