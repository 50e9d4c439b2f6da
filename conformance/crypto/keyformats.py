"""Reading and writing GOST keys: SubjectPublicKeyInfo and PKCS#8, in DER or PEM, as OpenSSL's GOST engine does."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import replace

from conformance.crypto import curves, der, oids
from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.crypto.pem import to_der
from conformance.errors import ConformanceError


class KeyFormatError(ConformanceError):
    """A key cannot be read: the message says what is wrong with it."""

_KEY_ALGORITHMS = {oids.KEY_GOST2012_256: 256, oids.KEY_GOST2012_512: 512}
# GOST R 34.10-2001 keys live on the CryptoPro curves only (RFC 4357), all of which 2012's 256-bit keys share.
_GOST2001_PARAMETER_SETS = frozenset({oids.CRYPTOPRO_A, oids.CRYPTOPRO_B, oids.CRYPTOPRO_C, oids.CRYPTOPRO_XCHA,
                                      oids.CRYPTOPRO_XCHB})


def _algorithm_parameters(key_algorithm: der.Element, what: str) -> tuple[str, int, str | None]:
    """(parameter set OID, bits, digest OID or None) from a GOST AlgorithmIdentifier."""
    parts = key_algorithm.expect(der.SEQUENCE, what).children()
    if not parts:
        raise KeyFormatError(f"{what}: the AlgorithmIdentifier is empty")
    algorithm = parts[0].oid()
    if algorithm not in _KEY_ALGORITHMS and algorithm != oids.KEY_GOST2001:
        raise KeyFormatError(f"{what}: key algorithm {oids.name_of(algorithm)} ({algorithm}) is not GOST R 34.10-2012")
    params = parts[1].children() if len(parts) > 1 and parts[1].tag == der.SEQUENCE else []
    if not params:
        raise KeyFormatError(f"{what}: the GOST key parameters (parameter set OID) are missing")
    parameter_set = params[0].oid()
    if algorithm == oids.KEY_GOST2001 and parameter_set not in _GOST2001_PARAMETER_SETS:
        raise KeyFormatError(f"{what}: parameter set {oids.name_of(parameter_set)} is not a GOST R 34.10-2001 "
                             "(CryptoPro) curve")
    bits = _KEY_ALGORITHMS.get(algorithm, 256)
    try:
        if curves.bits_of(parameter_set) != bits:
            raise KeyFormatError(f"{what}: parameter set {oids.name_of(parameter_set)} does not fit a {bits}-bit key")
    except curves.UnknownParameterSet as exc:
        raise KeyFormatError(f"{what}: {exc}") from None
    digest = params[1].oid() if len(params) > 1 and params[1].tag == der.OID else None
    return parameter_set, bits, digest


def _algorithm_identifier(parameter_set: str, bits: int) -> bytes:
    algorithm = oids.KEY_GOST2012_256 if bits == 256 else oids.KEY_GOST2012_512
    digest = oids.DIGEST_STREEBOG256 if bits == 256 else oids.DIGEST_STREEBOG512
    return der.sequence(der.oid(algorithm), der.sequence(der.oid(parameter_set), der.oid(digest)))


def encode_spki(key: PublicKey) -> bytes:
    """SubjectPublicKeyInfo: the GOST algorithm identifier and BIT STRING(OCTET STRING(X‖Y little-endian))."""
    return der.sequence(_algorithm_identifier(key.parameter_set, key.bits),
                        der.bit_string(der.octet_string(key.to_bytes("little"))))


def decode_spki(element: der.Element, what: str = "public key") -> PublicKey:
    try:
        algorithm, bitstring = element.expect(der.SEQUENCE, what).children()[:2]
        parameter_set, bits, digest = _algorithm_parameters(algorithm, what)
        point = der.read(bitstring.bits()).octets()
    except (der.DerError, IndexError, ValueError) as exc:
        raise KeyFormatError(f"{what}: malformed SubjectPublicKeyInfo: {exc}") from None
    if len(point) != bits // 4:
        raise KeyFormatError(f"{what}: the key X‖Y is {len(point)} bytes, a {bits}-bit key needs {bits // 4}")
    key = PublicKey.from_bytes(point, parameter_set, "little", digest)
    if algorithm.children()[0].oid() == oids.KEY_GOST2001:
        key = replace(key, legacy=True)
    if not key.is_on_curve():
        raise KeyFormatError(f"{what}: the point X‖Y (read little-endian) is not on the curve "
                             f"{oids.name_of(parameter_set)}")
    return key


def load_public_key(data: bytes) -> PublicKey:
    """A public key from a SubjectPublicKeyInfo in DER or PEM ("PUBLIC KEY")."""
    _, body = to_der(data, ("PUBLIC KEY",), "a public key")
    try:
        return decode_spki(der.read(body))
    except der.DerError as exc:
        raise KeyFormatError(f"public key: {exc}") from None


def encode_pkcs8(key: PrivateKey) -> bytes:
    """PrivateKeyInfo{0, algorithm, OCTET STRING(d little-endian)}: the layout of OpenSSL's GOST engine 3.x."""
    return der.sequence(der.integer(0), _algorithm_identifier(key.parameter_set, key.bits),
                        der.octet_string(key.d.to_bytes(key.bits // 8, "little")))


def _private_scalar(content: bytes, bits: int) -> int:
    """The scalar from the PrivateKey OCTET STRING content, in any of the layouts GOST tools have written."""
    size = bits // 8
    if len(content) == size:  # raw little-endian scalar (OpenSSL GOST engine 3.x)
        return int.from_bytes(content, "little")
    inner = der.read(content)
    if inner.tag == der.OCTET_STRING and len(inner.content) == size:  # OCTET STRING(OCTET STRING(d le))
        return int.from_bytes(inner.content, "little")
    if inner.tag == der.INTEGER:  # OCTET STRING(INTEGER d): older engine versions
        return inner.integer()
    raise KeyFormatError(f"unsupported GOST private key layout (tag 0x{inner.tag:02x}, {len(content)} bytes); "
                         "masked CryptoPro containers are not supported")


def load_private_key(data: bytes, password: bytes | str | None = None) -> PrivateKey:
    """A private key from PKCS#8 PrivateKeyInfo in DER or PEM ("PRIVATE KEY").

    Encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY") is decrypted through the native backend's OpenSSL when present.
    """
    label, body = to_der(data, ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"), "a private key")
    try:
        top = der.read(body).expect(der.SEQUENCE, "PrivateKeyInfo")
        parts = top.children()
        if label == "ENCRYPTED PRIVATE KEY" or (len(parts) == 2 and parts[0].tag == der.SEQUENCE):
            if password is None:
                raise KeyFormatError("the private key is encrypted (PKCS#8 EncryptedPrivateKeyInfo); give its password")
            from conformance.crypto.backends.native import decrypt_pkcs8

            return load_private_key(decrypt_pkcs8(body, password))
        if len(parts) < 3 or parts[0].integer() not in (0, 1):
            raise KeyFormatError("not a PKCS#8 PrivateKeyInfo (version, algorithm, key expected)")
        if parts[1].children() and parts[1].children()[0].oid() == oids.KEY_GOST2001:
            raise KeyFormatError("private key: GOST R 34.10-2001 is withdrawn (since 2019); signing with it is not "
                                 "offered, only verifying old signatures")
        parameter_set, bits, _ = _algorithm_parameters(parts[1], "private key")
        d = _private_scalar(parts[2].octets(), bits)
    except (der.DerError, IndexError, ValueError) as exc:
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
