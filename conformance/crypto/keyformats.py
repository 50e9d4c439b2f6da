"""Reading and writing GOST keys: SubjectPublicKeyInfo and PKCS#8, in DER or PEM, as OpenSSL's GOST engine does."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace

from asn1crypto import core

from conformance.crypto import curves, der, oids
from conformance.crypto.backends import Backend, resolve_backend
from conformance.crypto.gostasn1 import (
    GostPrivateKeyInfo,
    GostPublicKeyInfo,
    KeyFormatError,
    KeyPasswordError,
    key_parameters,
)
from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.crypto.pem import to_der

__all__ = ["KeyFormatError", "KeyPasswordError", "decode_spki", "encode_pkcs8", "encode_spki", "generate_private_key", "load_private_key",
           "load_public_key"]

def encode_spki(key: PublicKey) -> bytes:
    """SubjectPublicKeyInfo: the GOST algorithm identifier and BIT STRING(OCTET STRING(X‖Y little-endian))."""
    return key.spki_der()


def decode_spki(spki: bytes | der.Element, what: str = "public key") -> PublicKey:
    """The GOST public key of a DER SubjectPublicKeyInfo; raises `KeyFormatError` naming `what`."""
    raw = spki.raw if isinstance(spki, der.Element) else bytes(spki)
    try:
        der.require_der(raw, what)
        info = GostPublicKeyInfo.load(raw, strict=True)
        algorithm, parameter_set, bits, digest = key_parameters(info["algorithm"], what)
        bit_string = info["public_key"]
        if bit_string.unused_bits:
            raise der.DerError("the key BIT STRING has unused bits")
        point = core.OctetString.load(bit_string.native, strict=True).native
    except der.MALFORMED as exc:
        raise KeyFormatError(f"{what}: malformed SubjectPublicKeyInfo: {exc}") from None
    if len(point) != bits // 4:
        raise KeyFormatError(f"{what}: the key X‖Y is {len(point)} bytes, a {bits}-bit key needs {bits // 4}")
    key = PublicKey.from_bytes(point, parameter_set, "little", digest)
    if algorithm == oids.KEY_GOST2001:
        key = replace(key, legacy=True)
    if not key.is_on_curve():
        raise KeyFormatError(f"{what}: the point X‖Y (read little-endian) is not on the curve "
                             f"{oids.name_of(parameter_set)}")
    return key


def load_public_key(data: bytes) -> PublicKey:
    """A public key from a SubjectPublicKeyInfo in DER or PEM ("PUBLIC KEY")."""
    _, body = to_der(data, ("PUBLIC KEY",), "a public key")
    return decode_spki(body)


def encode_pkcs8(key: PrivateKey) -> bytes:
    """PrivateKeyInfo{0, algorithm, OCTET STRING(d little-endian)}: the layout of OpenSSL's GOST engine 3.x."""
    return key.pkcs8_der()


def _private_scalar(content: bytes, bits: int) -> int:
    """The scalar from the PrivateKey OCTET STRING content, in any of the layouts GOST tools have written."""
    size = bits // 8
    if len(content) == size:  # raw little-endian scalar (OpenSSL GOST engine 3.x)
        return int.from_bytes(content, "little")
    der.require_der(content, "private key value")
    inner = core.load(content, strict=True)
    if isinstance(inner, core.OctetString) and len(inner.native) == size:  # OCTET STRING(OCTET STRING(d le))
        return int.from_bytes(inner.native, "little")
    if isinstance(inner, core.Integer):  # OCTET STRING(INTEGER d): older engine versions
        return inner.native
    raise KeyFormatError(f"unsupported GOST private key layout (tag 0x{content[0]:02x}, {len(content)} bytes); "
                         "masked CryptoPro containers are not supported")


def load_private_key(data: bytes, password: bytes | str | None = None, backend: Backend | None = None) -> PrivateKey:
    """A private key from PKCS#8 PrivateKeyInfo in DER or PEM ("PRIVATE KEY").

    Encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY") is decrypted with `password` (str: UTF-8) by `backend` (None: the
    automatic choice), which must be the native one; no password, or a wrong one, raises `KeyPasswordError`, the
    pure backend `BackendUnavailable`. A password given for an unencrypted key is not needed and not used.
    """
    label, body = to_der(data, ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), "a private key")
    try:
        der.require_der(body, "private key")
        parts = core.load(body, strict=True)
        if not isinstance(parts, core.Sequence):
            raise der.DerError(f"PrivateKeyInfo: expected a SEQUENCE, found tag 0x{body[0]:02x} at offset 0")
        if label == "ENCRYPTED PRIVATE KEY" or (len(parts) == 2 and isinstance(parts[0], core.Sequence)):
            if password is None:
                raise KeyPasswordError("the private key is encrypted (PKCS#8 EncryptedPrivateKeyInfo); give its "
                                       "password")
            secret = password.encode("utf-8") if isinstance(password, str) else bytes(password)
            return load_private_key(resolve_backend(backend).decrypt_pkcs8(body, secret))
        if len(parts) < 3 or not isinstance(parts[0], core.Integer) or parts[0].native not in (0, 1):
            raise KeyFormatError("not a PKCS#8 PrivateKeyInfo (version, algorithm, key expected)")
        info = GostPrivateKeyInfo.load(body, strict=True)
        if info["private_key_algorithm"]["algorithm"].dotted == oids.KEY_GOST2001:
            raise KeyFormatError("private key: GOST R 34.10-2001 is withdrawn (since 2019); signing with it is not "
                                 "offered, only verifying old signatures")
        _, parameter_set, bits, _ = key_parameters(info["private_key_algorithm"], "private key")
        d = _private_scalar(info["private_key"].native, bits)
    except der.MALFORMED as exc:
        raise KeyFormatError(f"private key: malformed PKCS#8: {exc}") from None
    q = curves.curve(parameter_set).q
    if not 0 < d < q:
        raise KeyFormatError(f"private key: the scalar is out of range for {oids.name_of(parameter_set)}")
    return PrivateKey(parameter_set, d, bits)


def generate_private_key(parameter_set: str = oids.CRYPTOPRO_XCHA, seed: bytes | str | int | None = None) -> PrivateKey:
    """A new private key; with `seed`, the same seed always gives the same key (for reproducible test PKIs)."""
    bits = curves.bits_of(parameter_set)
    q = curves.curve(parameter_set).q
    counter = 0
    while True:
        if seed is None:
            candidate = secrets.randbelow(q)
        else:
            material = hmac.new(str(seed).encode() if not isinstance(seed, bytes) else seed,
                                f"{parameter_set}/{counter}".encode(), hashlib.sha512).digest()
            candidate = int.from_bytes(material, "big") % q
            counter += 1
        if candidate:
            return PrivateKey(parameter_set, candidate, bits)
