"""SMEV envelopes and business payloads decoded to data (dicts, lists, strings) by xmlschema, following their XSDs.

lxml (`validation.py`) stays the validator of record: on the 138 envelopes of `sample --all` and their payloads it
validates over 1000 times faster than xmlschema (2 ms against 2.4 s, schemas compiled; `tests/bench/bench_schemas.py`).
xmlschema does what lxml cannot: it turns an element into data shaped by its XSD (repeated elements as lists,
attributes as `@name`, text of mixed content as `$`), and its errors name the element by its path and the content the
schema expected there. Decimals and dates stay text as written (no rounding, no time zone arithmetic); integers,
doubles and booleans become JSON's numbers and booleans, so the data is JSON as is.

Schemas load from local files only (`allow="local"`: an import is never fetched over the network) and are parsed
defused; the instance is the already parsed (hardened) lxml tree, never re-read. Compiled schemas are cached for the
life of the process, like lxml's.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import xmlschema
from lxml import etree

from conformance.protocol.namespaces import SOAP_ENV, Version, ns
from conformance.xsdfiles import ENVELOPE_SCHEMA_DIR, RULE_SCHEMA_SET, SchemaSetError, namespace_index

_SCHEMA_OPTIONS = {"allow": "local", "defuse": "always"}
_DECODE_OPTIONS = {"validation": "lax", "decimal_type": str, "datetime_types": False, "process_skipped": True}


@dataclass(frozen=True)
class DecodeError:
    """One place where the instance departs from its XSD, as xmlschema sees it."""

    path: str
    """The element's local names from the decoded element down, e.g. `/INNByPassportRequest/Person/FirstName`."""
    line: int | None
    reason: str
    expected: tuple[str, ...] = ()
    """The local names the schema allowed at that place (a sequence or choice error), in schema order."""

    def __str__(self) -> str:
        where = f"line {self.line} " if self.line else ""
        return f"{where}{self.path}: {self.reason}"


@dataclass(frozen=True)
class Decoded:
    """The data of an element and the departures from its schema met on the way (empty when it is valid)."""

    data: object
    errors: tuple[DecodeError, ...]


def decode_payload(element: etree._Element, xsd_path: str | os.PathLike[str]) -> Decoded:
    """The business element (e.g. the child of `MessagePrimaryContent`) as data, by the XSD at `xsd_path`."""
    return _decode(payload_decoder(xsd_path), element)


def decode_envelope(tree: etree._ElementTree | etree._Element, version: Version | str) -> Decoded:
    """A whole SOAP envelope as data, by the shipped XSDs of `version` (SOAP 1.1 envelope, SMEV types, basic,
    faults and, for 1.3, routing and directive). The business payload inside sits in an `xs:any`: it is decoded
    untyped (text as written), skipped wildcard content included."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    return _decode(envelope_decoder(Version(version)), root)


def payload_decoder(xsd_path: str | os.PathLike[str]) -> xmlschema.XMLSchema:
    """The xmlschema schema of the payload XSD at `xsd_path` (cached per file and modification time)."""
    path = Path(xsd_path).resolve()
    if not path.is_file():
        raise SchemaSetError(f"payload schema {path} does not exist", path=str(path), rule=RULE_SCHEMA_SET)
    return _cached(("payload", str(path), path.stat().st_mtime_ns), [path], path)


def envelope_decoder(version: Version) -> xmlschema.XMLSchema:
    """The xmlschema schema of the shipped envelope XSDs of `version` (cached)."""
    index = namespace_index(ENVELOPE_SCHEMA_DIR)
    namespaces = ns(version)
    sources = [index[namespaces.types], index[SOAP_ENV],
               *(index[uri] for uri in namespaces.smev() if uri in index and uri != namespaces.types)]
    return _cached(("envelope", version.value), sources, ENVELOPE_SCHEMA_DIR)


# --- internals --------------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
_CACHE: dict[tuple, xmlschema.XMLSchema] = {}


def _cached(key: tuple, sources: list[Path], where: Path) -> xmlschema.XMLSchema:
    with _LOCK:
        schema = _CACHE.get(key)
        if schema is None:
            try:
                with warnings.catch_warnings():  # xmlschema warns of an import it could not make, and goes on
                    warnings.simplefilter("ignore", xmlschema.XMLSchemaImportWarning)
                    warnings.simplefilter("ignore", xmlschema.XMLSchemaIncludeWarning)
                    schema = xmlschema.XMLSchema([str(source) for source in sources], **_SCHEMA_OPTIONS)
                problem = schema.warnings[0] if schema.warnings else None
            except (xmlschema.XMLSchemaException, OSError, etree.XMLSyntaxError) as exc:
                problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if problem is not None:  # as lxml's loader: a schema missing a part is no schema
                raise SchemaSetError(f"the schema does not load in xmlschema: {problem}", path=str(where),
                                     rule=RULE_SCHEMA_SET)
            _CACHE[key] = schema
        return schema


def _decode(schema: xmlschema.XMLSchema, element: etree._Element) -> Decoded:
    resource = xmlschema.XMLResource(element, allow="none")
    try:
        data, errors = schema.to_dict(resource, **_DECODE_OPTIONS)
    except xmlschema.XMLSchemaException as exc:
        # Raised, not collected, when the instance names what the schema cannot resolve (an xsi:type of no
        # declared type, say): the data is then unknown, the reason is the one error.
        reason = getattr(exc, "reason", None) or str(exc).strip().splitlines()[0]
        where = getattr(exc, "elem", None)
        where = where if isinstance(where, etree._Element) else element
        return Decoded(None, (DecodeError(_path(where, element), where.sourceline, reason),))
    return Decoded(_jsonable(data), tuple(_error(error, element) for error in errors))


def _path(element: etree._Element, root: etree._Element) -> str:
    """Local names from `root` down to `element` (linear in the depth; the line tells same-named siblings apart)."""
    names = []
    node: etree._Element | None = element
    while node is not None:
        names.append(etree.QName(node).localname)
        if node is root:
            break
        node = node.getparent()
    return "/" + "/".join(reversed(names))


def _error(error: xmlschema.XMLSchemaValidationError, root: etree._Element) -> DecodeError:
    line = error.sourceline if isinstance(error.sourceline, int) else None
    where = error.elem if isinstance(error.elem, etree._Element) else None
    path = _path(where, root) if where is not None else (error.path or "/")
    child = getattr(error, "invalid_child", None)
    if isinstance(child, etree._Element) and child.sourceline is not None:
        line = child.sourceline  # an unexpected child: its own line (lxml's too), under its parent's path
    expected = getattr(error, "expected", None)
    if isinstance(error, xmlschema.XMLSchemaChildrenValidationError):
        names = tuple(_expected_name(component) for component in expected or ())
        names = tuple(name for name in names if name)
        if error.invalid_tag is None:
            reason = f"the content of {etree.QName(error.elem).localname} is incomplete"
        else:
            reason = f"unexpected child {etree.QName(error.invalid_tag).localname} at position {error.index + 1}"
        if names:
            reason += f"; expected {' or '.join(names)}"
        return DecodeError(path, line, reason, names)
    return DecodeError(path, line, (error.reason or error.msg or "invalid").strip())


def _expected_name(component: object) -> str:
    """A schema particle as a reader names it: an element by local name, a wildcard by its namespaces."""
    name = getattr(component, "local_name", None)
    if name:
        return name
    namespaces = getattr(component, "namespace", None)
    if namespaces:
        return "any element of " + ", ".join(sorted(str(uri) or "no namespace" for uri in namespaces))
    return ""


def _jsonable(value: object) -> object:
    """The decoded value with the non-finite doubles of XSD (`INF`, `-INF`, `NaN`) written back as their lexical
    form, which JSON has no number for; everything else xmlschema gives is already JSON's."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("INF" if value > 0 else "-INF")
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
