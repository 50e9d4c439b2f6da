"""The elliptic curves of GOST R 34.10-2012, by the OID of their parameter set.

Several OIDs name one curve: CryptoPro-A, CryptoPro-XchA and tc26 256 paramSetB are the same curve, and so on.
Parameters come from `gostcrypto` (R 1323565.1.024-2019); twisted Edwards sets are given in Weierstrass form.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from gostcrypto.gostsignature import gost_34_10_2012

from conformance.crypto import oids
from conformance.errors import ConformanceError

# parameter-set OID -> (gostcrypto curve name, key size in bits)
_CURVE_NAMES: dict[str, tuple[str, int]] = {
    oids.CRYPTOPRO_A: ("id-tc26-gost-3410-2012-256-paramSetB", 256),
    oids.CRYPTOPRO_XCHA: ("id-tc26-gost-3410-2012-256-paramSetB", 256),
    oids.TC26_256_B: ("id-tc26-gost-3410-2012-256-paramSetB", 256),
    oids.CRYPTOPRO_B: ("id-tc26-gost-3410-2012-256-paramSetC", 256),
    oids.TC26_256_C: ("id-tc26-gost-3410-2012-256-paramSetC", 256),
    oids.CRYPTOPRO_C: ("id-tc26-gost-3410-2012-256-paramSetD", 256),
    oids.CRYPTOPRO_XCHB: ("id-tc26-gost-3410-2012-256-paramSetD", 256),
    oids.TC26_256_D: ("id-tc26-gost-3410-2012-256-paramSetD", 256),
    oids.TC26_256_A: ("id-tc26-gost-3410-2012-256-paramSetA", 256),
    oids.TC26_512_A: ("id-tc26-gost-3410-12-512-paramSetA", 512),
    oids.TC26_512_B: ("id-tc26-gost-3410-12-512-paramSetB", 512),
    oids.TC26_512_C: ("id-tc26-gost-3410-2012-512-paramSetC", 512),
}

PARAMETER_SETS_256 = tuple(oid for oid, (_, bits) in _CURVE_NAMES.items() if bits == 256)
PARAMETER_SETS_512 = tuple(oid for oid, (_, bits) in _CURVE_NAMES.items() if bits == 512)


class UnknownParameterSet(ConformanceError):
    """The OID does not name a GOST R 34.10-2012 parameter set this package knows."""


@dataclass(frozen=True)
class Curve:
    """A short Weierstrass curve y² = x³ + ax + b over GF(p) with base point (x, y) of prime order q."""

    name: str
    bits: int
    p: int
    a: int
    b: int
    q: int
    x: int
    y: int

    @property
    def size(self) -> int:
        """Bytes of one coordinate, of r and of s."""
        return self.bits // 8

    def contains(self, x: int, y: int) -> bool:
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - x * x * x - self.a * x - self.b) % self.p == 0


def gostcrypto_curve(parameter_set: str) -> dict:
    """The `gostcrypto` curve dictionary of a parameter set."""
    name, _ = _lookup(parameter_set)
    return gost_34_10_2012.CURVES_R_1323565_1_024_2019[name]


def _lookup(parameter_set: str) -> tuple[str, int]:
    try:
        return _CURVE_NAMES[parameter_set]
    except KeyError:
        raise UnknownParameterSet(
            f"unknown GOST R 34.10-2012 parameter set {parameter_set} "
            f"(known: {', '.join(oids.name_of(o) for o in _CURVE_NAMES)})"
        ) from None


def bits_of(parameter_set: str) -> int:
    """256 or 512: the key size a parameter set belongs to."""
    return _lookup(parameter_set)[1]


@cache
def curve(parameter_set: str) -> Curve:
    """The curve of a parameter set OID; raises `UnknownParameterSet`."""
    name, bits = _lookup(parameter_set)
    mode = gost_34_10_2012.MODE_256 if bits == 256 else gost_34_10_2012.MODE_512
    # gostcrypto converts the Edwards parameters of the twisted curves to Weierstrass form.
    engine = gost_34_10_2012.new(mode, gost_34_10_2012.CURVES_R_1323565_1_024_2019[name])
    return Curve(name, bits, engine._p, engine._a, engine._b, engine._q, engine._x, engine._y)
