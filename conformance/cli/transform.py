"""Print the SMEV transform (urn://smev-gov-ru/xmldsig/transform) of an element: the exact bytes a SMEV signature's
reference digests (exclusive c14n, then the transform). The element is the one whose Id attribute is given, or the
document's root. `--octets` instead applies the transform alone to the file's bytes as they stand, as SMEV's
transform class does when called directly: comments then split texts and CDATA sections are written back.

The output is the raw UTF-8 bytes with no trailing newline (a newline is added only when writing to a terminal), so
that it can be piped into a hash tool. Exit codes: 0 printed, 2 unusable file, no such Id, an Id used twice, or an
input SMEV's transform throws on (an element in no namespace, an `xml:*` attribute: SMEV-TRANSFORM-UNSUPPORTED).

Examples (in an empty folder, in this order; a test runs them):
  smev-conformance sample --output signed.xml
  smev-conformance transform signed.xml --id SIGNED_BY_CONSUMER
  smev-conformance transform signed.xml --id SIGNED_BY_CONSUMER --escaping plain > plain.bin
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.errors import InputError, UsageError
from conformance.output import write_output
from conformance.xmldsig.ids import elements_with_id
from conformance.xmldsig.transform import smev_transform
from conformance.xmlsafe import parse_file

HELP = "print the SMEV transform of an element (by Id, default: the root)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the XML document")
    parser.add_argument("--id", metavar="ID", help="transform the element with this Id attribute (default: the root)")
    parser.add_argument("--escaping", choices=("woodstox", "plain"), default="woodstox",
                        help="character escaping of the transform's writer (default: woodstox, what the bus runs)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the bytes to FILE instead of standard output")
    parser.add_argument("--octets", action="store_true",
                        help="apply the transform alone to the file's bytes, without exclusive c14n before it "
                             "(comments and CDATA then reach it); not with --id")


def run(args: argparse.Namespace) -> int:
    if args.octets:
        if args.id is not None:
            raise UsageError("--octets transforms the whole file; it cannot be combined with --id")
        parse_file(args.file)  # the file's size, readability and well-formedness, with the usual errors
        data = smev_transform(Path(args.file).read_bytes(), escaping=args.escaping, path=args.file)
        return _write(data, args)
    tree = parse_file(args.file)
    element = tree.getroot()
    if args.id is not None:
        found = elements_with_id(element, args.id)
        if not found:
            raise InputError(f"no element has Id={args.id!r}", path=args.file, rule="SIG-REF-RESOLVES")
        if len(found) > 1:
            lines = ", ".join(str(e.sourceline) for e in found)
            raise InputError(f"Id={args.id!r} is carried by {len(found)} elements (lines {lines}); "
                             "a signed element must be unique", path=args.file, line=found[1].sourceline,
                             rule="SIG-REF-UNIQUE")
        element = found[0]
    return _write(smev_transform(element, escaping=args.escaping, path=args.file), args)


def _write(data: bytes, args: argparse.Namespace) -> int:
    if args.output:
        write_output(data, args.output, what="the transform")
        return 0
    sys.stdout.buffer.write(data)
    if sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    return 0
