"""GOST R 34.10-2012 keys: the public point and the private scalar, with their parameter set.

Wire forms: the certificate carries the public key as an OCTET STRING X‖Y, each coordinate little-endian;
OpenSSL's GOST engine writes the private key in PKCS#8 as an OCTET STRING of the scalar, little-endian.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from conformance.crypto import curves, gostasn1, oids
from conformance.crypto.pem import pem_encode
from conformance.crypto.points import public_point


def _digest_of(bits: int) -> str:
    """The Streebog that goes with a `bits`-bit key, as its AlgorithmIdentifier names it."""
    return oids.DIGEST_STREEBOG256 if bits == 256 else oids.DIGEST_STREEBOG512


@dataclass(frozen=True)
class PublicKey:
    """A GOST R 34.10-2012 public key: the point (x, y) on the curve of `parameter_set`."""

    parameter_set: str  # OID of the parameter set, e.g. 1.2.643.2.2.36.0 (CryptoPro-XchA)
    x: int
    y: int
    bits: int = 256  # 256 or 512
    # The digest parameter of the certificate's key, when present: metadata, not part of the key's identity.
    digest_oid: str | None = field(default=None, compare=False)
    # A GOST R 34.10-2001 key (withdrawn): the same curves and verification equation as a 256-bit 2012 key, only
    # the hash differs (GOST R 34.11-94). Kept only to verify old signatures; nothing here signs with one.
    legacy: bool = field(default=False, compare=False)

    @property
    def algorithm(self) -> str:
        """The key algorithm OID (1.2.643.7.1.1.1.1 or .2; 1.2.643.2.2.19 for a GOST R 34.10-2001 key)."""
        if self.legacy:
            return oids.KEY_GOST2001
        return oids.KEY_GOST2012_256 if self.bits == 256 else oids.KEY_GOST2012_512

    @property
    def curve(self) -> curves.Curve:
        return curves.curve(self.parameter_set)

    def to_bytes(self, endianness: Literal["little", "big"] = "little") -> bytes:
        """X‖Y, each coordinate `bits/8` bytes in `endianness` ("little" is the certificate's form)."""
        size = self.bits // 8
        return self.x.to_bytes(size, endianness) + self.y.to_bytes(size, endianness)

    @classmethod
    def from_bytes(cls, data: bytes, parameter_set: str, endianness: Literal["little", "big"] = "little",
                   digest_oid: str | None = None) -> PublicKey:
        """The inverse of `to_bytes`."""
        half = len(data) // 2
        x, y = int.from_bytes(data[:half], endianness), int.from_bytes(data[half:], endianness)
        return cls(parameter_set, x, y, half * 8, digest_oid)

    def is_on_curve(self) -> bool:
        return self.curve.contains(self.x, self.y)

    def spki_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo, as in a certificate (always a 2012 algorithm identifier)."""
        algorithm = oids.KEY_GOST2012_256 if self.bits == 256 else oids.KEY_GOST2012_512
        return gostasn1.spki_der(algorithm, self.parameter_set, _digest_of(self.bits), self.to_bytes("little"))


@dataclass(frozen=True)
class PrivateKey:
    """A GOST R 34.10-2012 private key: the scalar `d` (1 ≤ d < q) on the curve of `parameter_set`."""

    parameter_set: str
    d: int = field(repr=False)
    bits: int = 256

    @property
    def curve(self) -> curves.Curve:
        return curves.curve(self.parameter_set)

    @cached_property
    def public_key(self) -> PublicKey:
        x, y = public_point(self.curve, self.d)
        return PublicKey(self.parameter_set, x, y, self.bits, _digest_of(self.bits))

    def pkcs8_der(self) -> bytes:
        """Unencrypted PKCS#8 PrivateKeyInfo in the layout OpenSSL's GOST engine writes."""
        algorithm = oids.KEY_GOST2012_256 if self.bits == 256 else oids.KEY_GOST2012_512
        return gostasn1.pkcs8_der(algorithm, self.parameter_set, _digest_of(self.bits),
                                  self.d.to_bytes(self.bits // 8, "little"))

    def pkcs8_pem(self) -> bytes:
        return pem_encode(self.pkcs8_der(), "PRIVATE KEY")
