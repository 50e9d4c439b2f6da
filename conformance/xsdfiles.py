"""The XSD files the project ships, and the index of a directory of XSDs by `targetNamespace`.

On the ground floor so that both `protocol` (its schema facts read the shipped envelope XSDs) and `schemas` (which
compiles them, and needs protocol's namespaces) stand on it. Nothing here compiles a schema.
"""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from conformance.errors import InputError

ENVELOPE_SCHEMA_DIR = Path(__file__).parent / "schemas" / "envelope"
"""The project's own XSDs of the SOAP envelope and of SMEV 1.1, 1.2 and 1.3."""
PAYLOAD_SCHEMA_DIR = Path(__file__).parent / "schemas" / "payloads"
"""Payload XSDs of the message types the registry ships."""

RULE_SCHEMA_SET = "MSG-SCHEMA-SET"
"""Rule id of errors in a schema directory or payload XSD (the schemas, not the message, are unusable)."""

XSD = "http://www.w3.org/2001/XMLSchema"


class SchemaSetError(InputError):
    """A schema directory or XSD file that cannot be used (exit 2)."""


def xsd_parser(resolver: etree.Resolver | None = None) -> etree.XMLParser:
    """The parser of XSD files: no entities, no DTD, no network; `resolver` serves imports and includes."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    if resolver is not None:
        parser.resolvers.add(resolver)
    return parser


def namespace_index(directory: str | os.PathLike[str]) -> dict[str, Path]:
    """targetNamespace -> XSD file, for every `*.xsd` directly in or below `directory` (first by sorted path).

    Raises `SchemaSetError` when `directory` is not a directory or holds an unreadable XSD."""
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise SchemaSetError("is not a directory of XSD files", path=str(directory), rule=RULE_SCHEMA_SET)
    index: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.xsd")):
        try:
            root = etree.parse(str(path), xsd_parser()).getroot()
        except (etree.XMLSyntaxError, OSError) as exc:
            raise SchemaSetError(f"not a readable XSD: {exc}", path=str(path), rule=RULE_SCHEMA_SET) from None
        if root.tag != f"{{{XSD}}}schema":
            continue
        index.setdefault(root.get("targetNamespace", ""), path)
    return index
