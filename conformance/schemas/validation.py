"""Schema validation of SMEV envelopes and business payloads, with compiled schemas cached for reuse.

The envelope schema of a version is assembled from a directory of XSDs found by `targetNamespace` (the project's
own set by default, or a user's, e.g. the official set they downloaded): SOAP 1.1 envelope, SMEV types, basic,
faults (and 1.3's routing/directive when present). Schemas load with local resolution only: an import or include is
served from the same directory by file name, and nothing is ever fetched from the network.
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from lxml import etree

from conformance.protocol.namespaces import SOAP_ENV, Version, ns
from conformance.protocol.operations import detect
from conformance.xsdfiles import (
    ENVELOPE_SCHEMA_DIR,
    RULE_SCHEMA_SET,
    XSD,
    SchemaSetError,
    namespace_index,
    xsd_parser,
)


@dataclass(frozen=True)
class SchemaError:
    """One schema violation: the line, the XPath of the element, the validator's message."""

    line: int | None
    path: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "?"
        return f"{where} {self.path or ''}: {self.message}".replace("  ", " ")


def validate_envelope(tree: etree._ElementTree | etree._Element, version: Version | str | None = None,
                      schema_dir: str | os.PathLike[str] | None = None) -> list[SchemaError]:
    """Validate a whole SOAP envelope against the schemas of `version` (detected from the body when `None`).

    `schema_dir` replaces the project's XSDs with another set found there by targetNamespace; the SOAP envelope
    schema falls back to the project's when the directory has none. Returns the violations, empty when valid.
    Raises `ProtocolError` when `version` is None and the document is not an SMEV message, `SchemaSetError` when
    the schemas cannot be used.
    """
    if version is None:
        version = detect(tree).version
    schema = envelope_schema(Version(version), schema_dir)
    return _run(schema, tree)


def validate_payload(element: etree._Element, xsd_path: str | os.PathLike[str]) -> list[SchemaError]:
    """Validate a business element (e.g. the child of `MessagePrimaryContent`) against the XSD at `xsd_path`.

    Line numbers refer to the element's document; paths are relative to the business element.
    """
    return _run(payload_schema(xsd_path), element)


def envelope_schema(version: Version, schema_dir: str | os.PathLike[str] | None = None) -> etree.XMLSchema:
    """The compiled envelope schema of `version` (cached per version and directory for the life of the process)."""
    directory = Path(schema_dir).resolve() if schema_dir is not None else ENVELOPE_SCHEMA_DIR
    key = ("envelope", version.value, str(directory))
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is None:
            cached = _compile_envelope(version, directory)
            _CACHE[key] = cached
        return cached


def payload_schema(xsd_path: str | os.PathLike[str]) -> etree.XMLSchema:
    """The compiled payload schema at `xsd_path` (cached per file and modification time)."""
    path = Path(xsd_path).resolve()
    if not path.is_file():
        raise SchemaSetError(f"payload schema {path} does not exist", path=str(path), rule=RULE_SCHEMA_SET)
    key = ("payload", str(path), path.stat().st_mtime_ns)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is None:
            cached = _compile(_parse_xsd(path, namespace_index(path.parent)), path)
            _CACHE[key] = cached
        return cached


# --- internals --------------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
_CACHE: dict[tuple, etree.XMLSchema] = {}


class _LocalResolver(etree.Resolver):
    """Serves schema imports and includes from local files only, by file name; refuses anything else."""

    def __init__(self, by_name: dict[str, Path]):
        super().__init__()
        self.by_name = by_name

    def resolve(self, url: str, pubid: str | None, context: object):
        parsed = urlparse(url)
        name = Path(unquote(parsed.path)).name
        if parsed.scheme in ("", "file"):
            local = Path(unquote(parsed.path))
            if local.is_file():
                return self.resolve_filename(str(local), context)
        if name in self.by_name:
            return self.resolve_filename(str(self.by_name[name]), context)
        raise SchemaSetError(f"schema import {url!r} is not available locally (no network access is made)",
                             rule=RULE_SCHEMA_SET)


def _parse_xsd(path: Path, index: dict[str, Path]) -> etree._ElementTree:
    by_name = {p.name: p for p in index.values()}
    by_name.update({p.name: p for p in path.parent.glob("*.xsd")})
    try:
        return etree.parse(str(path), xsd_parser(_LocalResolver(by_name)))
    except (etree.XMLSyntaxError, OSError) as exc:
        raise SchemaSetError(f"not a readable XSD: {exc}", path=str(path), rule=RULE_SCHEMA_SET) from None


def _compile(document: etree._ElementTree, where: Path) -> etree.XMLSchema:
    try:
        return etree.XMLSchema(document)
    except SchemaSetError:
        raise
    except etree.XMLSchemaParseError as exc:
        hint = ""
        if "Failed to parse the XML resource" in str(exc) or "Failed to locate" in str(exc):
            hint = " (imports are served from local files only, by file name: put the XSD in the same directory)"
        raise SchemaSetError(f"the schema does not compile: {exc}{hint}", path=str(where),
                             rule=RULE_SCHEMA_SET) from None


def _compile_envelope(version: Version, directory: Path) -> etree.XMLSchema:
    index = namespace_index(directory)
    if SOAP_ENV not in index:
        index[SOAP_ENV] = ENVELOPE_SCHEMA_DIR / "soap-envelope-1.1.xsd"
    namespaces = ns(version)
    missing = [uri for uri in (namespaces.types, namespaces.basic, namespaces.faults) if uri not in index]
    if missing:
        raise SchemaSetError(f"no XSD with targetNamespace {', '.join(missing)} for version {version.value}",
                             path=str(directory), rule=RULE_SCHEMA_SET)
    wanted = [SOAP_ENV, *(uri for uri in namespaces.smev() if uri in index)]
    driver = etree.Element(f"{{{XSD}}}schema", nsmap={"xs": XSD})
    driver.set("targetNamespace", "urn:smev-tools:schema-driver")
    for uri in wanted:
        etree.SubElement(driver, f"{{{XSD}}}import", namespace=uri, schemaLocation=index[uri].as_uri())
    by_name = {p.name: p for p in index.values()}
    by_name.update({p.name: p for p in directory.rglob("*.xsd")})
    parser = xsd_parser(_LocalResolver(by_name))
    document = etree.ElementTree(etree.fromstring(etree.tostring(driver), parser, base_url=directory.as_uri() + "/"))
    return _compile(document, directory)


def _run(schema: etree.XMLSchema, target: etree._ElementTree | etree._Element) -> list[SchemaError]:
    if isinstance(target, etree._Element) and target.getparent() is not None:
        target = copy.deepcopy(target)  # validate the subtree alone; deepcopy keeps source lines
    if schema.validate(target):
        return []
    return [SchemaError(entry.line or None, entry.path or None, _clean(entry.message)) for entry in schema.error_log]


def _clean(message: str) -> str:
    """libxml2 writes element names as `{uri}local`; keep the message but drop the noisy "Element '...':" head."""
    return message.strip()
