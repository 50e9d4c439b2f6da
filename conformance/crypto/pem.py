"""PEM armour, and the base64 bodies found in XML (`ds:X509Certificate`, `SignaturePKCS7`)."""

from __future__ import annotations

import base64
import binascii
import re

from asn1crypto import pem

from conformance.errors import ConformanceError

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.S)


class PemError(ConformanceError):
    """The data is neither DER, PEM of the expected kind, nor a base64 DER body."""


def pem_encode(der: bytes, label: str) -> bytes:
    """`der` armoured as PEM with `label`, 64 base64 characters a line (RFC 7468)."""
    return pem.armor(label, der)


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """Every PEM block in `data` as (label, DER).

    Read here rather than by asn1crypto's `pem.unarmor`, which decodes base64 leniently (stray characters are
    dropped), so that a damaged body is reported as such, not as a puzzling DER error further on.
    """
    blocks = []
    for match in _BLOCK.finditer(data):
        label = match.group(1).decode("ascii")
        body = match.group(2)
        if b":" in body:  # RFC 1421 headers (legacy encrypted PEM): keep only the base64 after the blank line
            body = body.split(b"\n\n", 1)[-1]
        try:
            blocks.append((label, base64.b64decode(b"".join(body.split()), validate=True)))
        except binascii.Error:
            raise PemError(f"PEM block {label!r} has a malformed base64 body") from None
    return blocks


def to_der(data: bytes | str, labels: tuple[str, ...], what: str) -> tuple[str | None, bytes]:
    """DER bytes from DER, PEM with one of `labels`, or a bare base64 body; returns (PEM label or None, DER)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    stripped = data.strip()
    if not stripped:
        raise PemError(f"{what}: the data is empty")
    if stripped.startswith(b"-----BEGIN"):
        for label, der in pem_blocks(stripped):
            if label in labels:
                return label, der
        found = ", ".join(label for label, _ in pem_blocks(stripped)) or "none readable"
        raise PemError(f"no PEM block of {what} ({' or '.join(labels)}) found; blocks present: {found}")
    if stripped[:1] == b"\x30":
        return None, bytes(data)
    try:
        der = base64.b64decode(b"".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError):
        raise PemError(f"{what}: neither DER, PEM nor base64") from None
    if der[:1] != b"\x30":
        raise PemError(f"{what}: the base64 body does not decode to a DER SEQUENCE")
    return None, der
