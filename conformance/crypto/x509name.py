"""X.501 distinguished names: reading them as readable strings (Cyrillic kept) and writing them."""

from __future__ import annotations

from conformance.crypto import der, oids

_SHORT_TO_OID = {short: oid for oid, short in oids.NAME_ATTRIBUTES.items()}
_PRINTABLE = {"C", "serialNumber", "OGRN", "SNILS", "OGRNIP", "INN", "INNLE"}
_NUMERIC = {"OGRN", "SNILS", "OGRNIP", "INN", "INNLE"}


def render_name(name: der.Element) -> str:
    """"CN=..., O=..., C=RU" in the order the certificate stores them (RFC 4514 order reversed, like OpenSSL)."""
    parts = []
    for rdn in name.expect(der.SEQUENCE, "Name").children():
        for attribute in rdn.expect(der.SET, "RelativeDistinguishedName").children():
            kind, value = attribute.children()[:2]
            oid = kind.oid()
            parts.append(f"{oids.NAME_ATTRIBUTES.get(oid, oid)}={value.text()}")
    return ", ".join(parts)


def name_attributes(name: der.Element) -> list[tuple[str, str]]:
    """(short name or OID, value) pairs of a Name, in order."""
    pairs = []
    for rdn in name.children():
        for attribute in rdn.children():
            kind, value = attribute.children()[:2]
            oid = kind.oid()
            pairs.append((oids.NAME_ATTRIBUTES.get(oid, oid), value.text()))
    return pairs


def encode_name(attributes: list[tuple[str, str]]) -> bytes:
    """A Name with one attribute per RDN; keys are short names (CN, O, C, OGRN, INN, ...) or dotted OIDs."""
    rdns = []
    for key, value in attributes:
        oid = _SHORT_TO_OID.get(key, key)
        if key in _NUMERIC:
            encoded = der.encode(der.NUMERIC_STRING, value.encode("ascii")) if key == "SNILS" else der.printable(value)
        elif key in _PRINTABLE:
            encoded = der.printable(value)
        elif key == "emailAddress":
            encoded = der.encode(der.IA5_STRING, value.encode("ascii"))
        else:
            encoded = der.utf8(value)
        rdns.append(der.set_of(der.sequence(der.oid(oid), encoded)))
    return der.sequence(*rdns)
