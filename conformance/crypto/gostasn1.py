"""The GOST key structures asn1crypto has no spec for (RFC 4491, RFC 9215), declared on asn1crypto's core types.

asn1crypto reads X.509, CRLs and CMS but not GOST key algorithm parameters: its `PublicKeyInfo` refuses the GOST
OIDs. These classes fill that gap and nothing more; the key conventions (X‖Y and d little-endian) stay here too.
This module knows no key objects (`conformance.crypto.keys` builds on it), so it takes and gives plain values.
"""

from __future__ import annotations

from asn1crypto import core

from conformance.crypto import curves, der, oids
from conformance.errors import ConformanceError


class KeyFormatError(ConformanceError):
    """A key cannot be read: the message says what is wrong with it."""


class KeyPasswordError(KeyFormatError):
    """An encrypted private key (PKCS#8 EncryptedPrivateKeyInfo) was given no password, or one that does not open
    it; the message never holds the password."""


class GostKeyParameters(core.Sequence):
    """GostR3410-2012-PublicKeyParameters: the parameter set, then the digest (absent for 512-bit TC26 sets)."""

    _fields = [
        ("public_key_param_set", core.ObjectIdentifier),
        ("digest_param_set", core.ObjectIdentifier, {"optional": True}),
        ("encryption_param_set", core.ObjectIdentifier, {"optional": True}),
    ]


class GostAlgorithmIdentifier(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class GostPublicKeyInfo(core.Sequence):
    """SubjectPublicKeyInfo with a GOST key: BIT STRING holding OCTET STRING(X‖Y, little-endian)."""

    _fields = [("algorithm", GostAlgorithmIdentifier), ("public_key", core.OctetBitString)]


class GostPrivateKeyInfo(core.Sequence):
    """PKCS#8 PrivateKeyInfo (RFC 5208) with a GOST algorithm; the PrivateKey octets are read by `keyformats`."""

    _fields = [
        ("version", core.Integer),
        ("private_key_algorithm", GostAlgorithmIdentifier),
        ("private_key", core.OctetString),
        ("attributes", core.Any, {"implicit": 0, "optional": True}),
    ]


KEY_ALGORITHMS = {oids.KEY_GOST2012_256: 256, oids.KEY_GOST2012_512: 512}
# GOST R 34.10-2001 keys live on the CryptoPro curves only (RFC 4357), all of which 2012's 256-bit keys share.
_GOST2001_PARAMETER_SETS = frozenset({oids.CRYPTOPRO_A, oids.CRYPTOPRO_B, oids.CRYPTOPRO_C, oids.CRYPTOPRO_XCHA,
                                      oids.CRYPTOPRO_XCHB})


def algorithm_identifier(algorithm: str, parameter_set: str, digest: str | None) -> GostAlgorithmIdentifier:
    """The AlgorithmIdentifier of a GOST key: the key algorithm with its parameter set and digest."""
    parameters = {"public_key_param_set": parameter_set}
    if digest is not None:
        parameters["digest_param_set"] = digest
    return GostAlgorithmIdentifier({"algorithm": algorithm,
                                    "parameters": core.Any.load(GostKeyParameters(parameters).dump())})


def spki_der(algorithm: str, parameter_set: str, digest: str | None, point_le: bytes) -> bytes:
    """SubjectPublicKeyInfo: the GOST algorithm identifier and BIT STRING(OCTET STRING(X‖Y little-endian))."""
    return GostPublicKeyInfo({"algorithm": algorithm_identifier(algorithm, parameter_set, digest),
                              "public_key": core.OctetString(point_le).dump()}).dump()


def pkcs8_der(algorithm: str, parameter_set: str, digest: str | None, scalar_le: bytes) -> bytes:
    """PrivateKeyInfo{0, algorithm, OCTET STRING(d little-endian)}: the layout of OpenSSL's GOST engine 3.x."""
    return GostPrivateKeyInfo({"version": 0,
                               "private_key_algorithm": algorithm_identifier(algorithm, parameter_set, digest),
                               "private_key": scalar_le}).dump()


def key_parameters(identifier: GostAlgorithmIdentifier, what: str) -> tuple[str, str, int, str | None]:
    """(algorithm OID, parameter set OID, bits, digest OID or None) of a GOST key's AlgorithmIdentifier; raises
    `KeyFormatError` naming `what` when the algorithm is not GOST or its parameters do not fit it."""
    algorithm = identifier["algorithm"].dotted
    if algorithm not in KEY_ALGORITHMS and algorithm != oids.KEY_GOST2001:
        raise KeyFormatError(f"{what}: key algorithm {oids.name_of(algorithm)} ({algorithm}) is not GOST R 34.10-2012")
    raw = identifier["parameters"]
    if raw.contents is None or der.encoded(raw)[:1] != b"\x30":  # absent, or not a SEQUENCE
        raise KeyFormatError(f"{what}: the GOST key parameters (parameter set OID) are missing")
    parameters = GostKeyParameters.load(der.encoded(raw))
    if not len(parameters.contents or b""):
        raise KeyFormatError(f"{what}: the GOST key parameters (parameter set OID) are missing")
    parameter_set = parameters["public_key_param_set"].dotted
    if algorithm == oids.KEY_GOST2001 and parameter_set not in _GOST2001_PARAMETER_SETS:
        raise KeyFormatError(f"{what}: parameter set {oids.name_of(parameter_set)} is not a GOST R 34.10-2001 "
                             "(CryptoPro) curve")
    bits = KEY_ALGORITHMS.get(algorithm, 256)
    try:
        if curves.bits_of(parameter_set) != bits:
            raise KeyFormatError(f"{what}: parameter set {oids.name_of(parameter_set)} does not fit a {bits}-bit key")
    except curves.UnknownParameterSet as exc:
        raise KeyFormatError(f"{what}: {exc}") from None
    digest = parameters["digest_param_set"]
    return algorithm, parameter_set, bits, None if digest.native is None else digest.dotted
