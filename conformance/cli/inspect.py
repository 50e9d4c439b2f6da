"""Show what a message file carries, as JSON: its version and operation, each business element with its registered
message type and XSD and, with --data, the business payload and the whole envelope decoded to data by their XSDs.

The payload is decoded against its registered type's XSD, the envelope against the shipped SMEV XSDs of its
version (xmlschema: repeated elements become lists, attributes `@name`, values stay the text written). Where the
message departs from a schema, `errors` names the element by its path and line and says what the schema expected
there; `check` judges the message, `inspect` only shows it. An MTOM capture is read with its parts put back, as
`check` reads it.
Exit 0: the file was read; 2: it is not a readable SMEV message, or the command line is unusable.

Examples (in an empty folder, in this order; a test runs them):
  smev-conformance sample --all --output messages/
  smev-conformance inspect messages/1.3-SendRequestRequest.xml
  smev-conformance inspect messages/1.1-GetResponseResponse.xml --data --output reports/inspect.json
"""

from __future__ import annotations

import argparse
import json

from lxml import etree

from conformance.output import write_output
from conformance.protocol.namespaces import ns
from conformance.protocol.operations import detect
from conformance.registry.loader import load_registry
from conformance.registry.model import Registry
from conformance.rules.messagefile import read_message_file
from conformance.schemas.decode import Decoded, decode_envelope, decode_payload

HELP = "show a message's type and, with --data, its payload and envelope decoded by their XSDs (JSON)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="FILE", help="message file (XML, or an MTOM capture)")
    parser.add_argument("--data", action="store_true",
                        help="decode the business payload (by its registered XSD) and the envelope to data")
    parser.add_argument("--registry", metavar="FILE", help="message-type registry YAML (default: the shipped one)")
    parser.add_argument("--content-type", metavar="TYPE",
                        help="the HTTP Content-Type of the file when it is an MTOM body without headers")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the JSON to FILE (default: standard output)")


def run(args: argparse.Namespace) -> int:
    message = read_message_file(args.path, content_type=args.content_type)
    report = describe(message.tree, load_registry(args.registry), data=args.data)
    text = json.dumps({"file": args.path, **report}, ensure_ascii=False, indent=2) + "\n"
    write_output(text.encode("utf-8"), args.output, what="the inspection")
    return 0


def describe(tree: etree._ElementTree, registry: Registry, *, data: bool = False) -> dict:
    """The version, operation and business elements of an SMEV message; with `data`, their decoded data."""
    detection = detect(tree)
    content_tag = f"{{{ns(detection.version).basic}}}MessagePrimaryContent"
    payloads = []
    for content in tree.getroot().iter(content_tag):
        for element in content:
            if isinstance(element.tag, str):
                payloads.append(_payload(element, registry, data))
    report: dict = {"version": detection.version.value, "operation": detection.operation.value,
                    "payloads": payloads}
    if data:
        report["envelope"] = _decoded(decode_envelope(tree, detection.version))
    return report


def _payload(element: etree._Element, registry: Registry, data: bool) -> dict:
    match = registry.by_element(element)
    xsd = match.payload.xsd if match is not None else None
    entry: dict = {"element": etree.QName(element).text, "line": element.sourceline,
                   "message_type": match.spec.name if match is not None else None,
                   "side": match.side.value if match is not None else None,
                   "xsd": xsd.name if xsd is not None else None}
    if data:
        if xsd is None:
            entry.update(data=None, errors=[], note="no registered XSD for this element: see the envelope's data")
        else:
            entry.update(_decoded(decode_payload(element, xsd)))
    return entry


def _decoded(decoded: Decoded) -> dict:
    return {"data": decoded.data,
            "errors": [{"path": e.path, "line": e.line, "reason": e.reason, "expected": list(e.expected)}
                       for e in decoded.errors]}
