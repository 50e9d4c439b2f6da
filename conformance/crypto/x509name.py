"""X.501 distinguished names: reading them as readable strings (Cyrillic kept) and writing them, on asn1crypto.

The Russian attributes (OGRN, SNILS, INN, …) are named from `oids.NAME_ATTRIBUTES`; asn1crypto's own names
(`common_name`, …) are not used, so that the strings read like OpenSSL's ("CN=…, O=…, C=RU").
"""

from __future__ import annotations

from asn1crypto import core, x509

from conformance.crypto import der, oids


class _Attribute(core.Sequence):
    """AttributeTypeAndValue with the value kept as written (asn1crypto's `NameTypeAndValue` fixes a type per OID)."""

    _fields = [("type", core.ObjectIdentifier), ("value", core.Any)]


class _Rdn(core.SetOf):
    _child_spec = _Attribute


class _RdnSequence(core.SequenceOf):
    _child_spec = _Rdn


_SHORT_TO_OID = {short: oid for oid, short in oids.NAME_ATTRIBUTES.items()}
_PRINTABLE = {"C", "serialNumber", "OGRN", "SNILS", "OGRNIP", "INN", "INNLE"}
_NUMERIC = {"OGRN", "SNILS", "OGRNIP", "INN", "INNLE"}


def name_attributes(name: x509.Name) -> list[tuple[str, str]]:
    """(short name or OID, value) pairs of a Name, in the order the certificate stores them."""
    pairs = []
    for rdn in name.chosen:
        for attribute in rdn:
            oid = attribute["type"].dotted
            # The value's own bytes, read leniently: a name is for display, a bad string must not stop the check.
            pairs.append((oids.NAME_ATTRIBUTES.get(oid, oid), der.read(der.encoded(attribute["value"])).text()))
    return pairs


def render_name(name: x509.Name) -> str:
    """"CN=..., O=..., C=RU" in the order the certificate stores them (RFC 4514 order reversed, like OpenSSL)."""
    return ", ".join(f"{kind}={value}" for kind, value in name_attributes(name))


def encode_name(attributes: list[tuple[str, str]]) -> bytes:
    """A Name with one attribute per RDN; keys are short names (CN, O, C, OGRN, INN, ...) or dotted OIDs."""
    rdns = []
    for key, value in attributes:
        if key == "SNILS":
            encoded: core.Asn1Value = core.NumericString(value)
        elif key in _NUMERIC or key in _PRINTABLE:
            encoded = core.PrintableString(value)
        elif key == "emailAddress":
            encoded = core.IA5String(value)
        else:
            encoded = core.UTF8String(value)
        rdns.append(_Rdn([_Attribute({"type": _SHORT_TO_OID.get(key, key), "value": core.Any.load(encoded.dump())})]))
    return _RdnSequence(rdns).dump()
