"""The double's service description, served as SMEV serves its own: `GET <endpoint>?wsdl` gives the message-exchange
WSDL of the endpoint's version (`/smev/1.1`, `/smev/1.2`, `/smev/1.3`; any other path: 1.3) with `soap:address`
rewritten to the address the client used, and `GET <endpoint directory>/<file>.xsd` the XSDs it imports, by the
relative `schemaLocation` the WSDL and the XSDs carry. The files are the shipped schema set (official 1.1 and 1.3,
the project's 1.2), unchanged but for the address.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from conformance.bus.service import _version_from_path
from conformance.protocol.namespaces import LATEST, Version
from conformance.schemas import ENVELOPE_SCHEMA_DIR

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
_WSDL_NAME = "smev-message-exchange-service-{version}.wsdl"


@cache
def _files() -> dict[str, Path]:
    """File name -> path of every WSDL and XSD of the shipped set (names carry their version, so they are unique)."""
    found: dict[str, Path] = {}
    for path in sorted(ENVELOPE_SCHEMA_DIR.rglob("*")):
        if path.suffix in (".wsdl", ".xsd") and path.name.startswith("smev-message-exchange-"):
            found.setdefault(path.name, path)
    return found


def wants_wsdl(query: str) -> bool:
    """`?wsdl` (any case, with or without a value), as SOAP stacks ask for a service description."""
    return any(part.split("=", 1)[0].lower() == "wsdl" for part in query.split("&") if part)


def endpoint_version(path: str) -> Version:
    """The version an endpoint path names (`/smev/1.2`, `/smev/v1.1`), as the double reads it for a SOAP call;
    the latest when it names none."""
    return _version_from_path(path) or LATEST


def wsdl(version: Version, address: str) -> bytes:
    """The service WSDL of `version` with every `soap:address/@location` set to `address`."""
    document = etree.parse(str(_files()[_WSDL_NAME.format(version=version.value)]),
                           etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    for element in document.iter(f"{{{WSDL_SOAP_NS}}}address"):
        element.set("location", address)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def schema_file(path: str) -> bytes | None:
    """The bytes of the shipped XSD or WSDL a GET path ends with (`.../smev-message-exchange-types-1.3.xsd`), or
    None when the path names none of them."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    found = _files().get(name)
    return found.read_bytes() if found is not None and name.endswith(".xsd") else None


def describe(path: str, query: str, address: str) -> tuple[str, bytes] | None:
    """What a GET of `path?query` answers (content type, body), or None when it is not a service description."""
    if wants_wsdl(query):
        return "text/xml; charset=utf-8", wsdl(endpoint_version(path), address)
    data = schema_file(path)
    if data is not None:
        return "text/xml; charset=utf-8", data
    return None
