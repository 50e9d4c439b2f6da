"""GOST R 34.10-2012 signature mathematics in pure Python (over `gostcrypto`), with SMEV's wire conventions.

`gostcrypto` takes a big-endian digest, a big-endian X‖Y key and returns r‖s; SMEV reads the digest little-endian,
keeps the key little-endian in the certificate and writes s‖r. The conversions live here and nowhere else.
`verify_with_conventions` lets diagnostics try the other conventions to name an integrator's mistake.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from conformance.crypto.curves import Curve, gostcrypto_curve
from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.errors import ConformanceError


class SignatureInputError(ConformanceError):
    """A digest or signature of the wrong length for the key."""


def _engine(parameter_set: str, bits: int):
    from gostcrypto.gostsignature import gost_34_10_2012 as g

    return g.new(g.MODE_256 if bits == 256 else g.MODE_512, gostcrypto_curve(parameter_set))


def public_point(curve: Curve, d: int) -> tuple[int, int]:
    """d·P on `curve` (affine coordinates), in Jacobian coordinates for speed."""
    return _affine(curve, _multiply(curve, d, (curve.x, curve.y, 1)))


def _double(c: Curve, point: tuple[int, int, int]) -> tuple[int, int, int]:
    x, y, z = point
    p = c.p
    if not y or not z:
        return (1, 1, 0)
    yy = y * y % p
    s = 4 * x * yy % p
    zz = z * z % p
    m = (3 * x * x + c.a * zz * zz) % p
    nx = (m * m - 2 * s) % p
    ny = (m * (s - nx) - 8 * yy * yy) % p
    nz = 2 * y * z % p
    return (nx, ny, nz)


def _add(c: Curve, p1: tuple[int, int, int], p2: tuple[int, int, int]) -> tuple[int, int, int]:
    if not p1[2]:
        return p2
    if not p2[2]:
        return p1
    p = c.p
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    if u1 == u2:
        return _double(c, p1) if s1 == s2 else (1, 1, 0)
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    nx = (r * r - hhh - 2 * v) % p
    ny = (r * (v - nx) - s1 * hhh) % p
    nz = h * z1 * z2 % p
    return (nx, ny, nz)


def _multiply(c: Curve, k: int, point: tuple[int, int, int]) -> tuple[int, int, int]:
    result = (1, 1, 0)
    for bit in bin(k)[2:]:
        result = _double(c, result)
        if bit == "1":
            result = _add(c, result, point)
    return result


def _affine(c: Curve, point: tuple[int, int, int]) -> tuple[int, int]:
    x, y, z = point
    if not z:
        raise ArithmeticError("point at infinity")
    zinv = pow(z, -1, c.p)
    zinv2 = zinv * zinv % c.p
    return x * zinv2 % c.p, y * zinv2 * zinv % c.p


def _check_digest(digest: bytes, bits: int) -> None:
    if len(digest) != bits // 8:
        raise SignatureInputError(f"a {bits}-bit GOST key signs a {bits // 8}-byte digest, got {len(digest)} bytes")


def deterministic_nonce(key: PrivateKey, digest: bytes, counter: int = 0) -> int:
    """A nonce derived from the key and the digest (RFC 6979 in spirit), for reproducible signatures."""
    size = key.bits // 8
    material = hmac.new(key.d.to_bytes(size, "big"), digest + counter.to_bytes(4, "big"), hashlib.sha512).digest()
    if size == 64:
        material += hmac.new(key.d.to_bytes(size, "big"), b"\x01" + digest, hashlib.sha512).digest()
    return int.from_bytes(material, "big") % (key.curve.q - 1) + 1


def sign_digest(key: PrivateKey, digest: bytes, *, nonce: int | None = None) -> bytes:
    """s‖r (big-endian halves) over `digest` read little-endian. Without `nonce`, a fresh random one."""
    _check_digest(digest, key.bits)
    size = key.bits // 8
    if nonce is not None and not 0 < nonce < key.curve.q:
        raise SignatureInputError("the nonce must lie in 1..q-1")
    kwargs = {} if nonce is None else {"rand_k": bytearray(nonce.to_bytes(size, "big"))}
    r_s = _engine(key.parameter_set, key.bits).sign(bytearray(key.d.to_bytes(size, "big")),
                                                     bytearray(digest[::-1]), **kwargs)
    return bytes(r_s[size:] + r_s[:size])


def verify_with_conventions(
    public_key: PublicKey,
    digest: bytes,
    signature: bytes,
    *,
    order: Literal["sr", "rs"] = "sr",
    digest_endianness: Literal["le", "be"] = "le",
    key_endianness: Literal["le", "be"] = "le",
) -> bool:
    """Verify under stated conventions; the defaults are SMEV's.

    `order`: how the signature bytes are laid out ("sr": s then r, the SMEV and X.509 form; "rs": r then s).
    `digest_endianness`: how GOST's integer e is read from the digest bytes ("le": SMEV's; "be": a library that
    forgot to reverse). `key_endianness`: how the certificate's X‖Y coordinates are read ("le": correct; "be": a
    signer that produced its key big-endian, i.e. the certificate bytes read the wrong way round).
    """
    size = public_key.bits // 8
    if len(signature) != 2 * size or len(digest) != size:
        return False
    r_s = signature[size:] + signature[:size] if order == "sr" else signature
    key = public_key
    if key_endianness == "be":
        key = PublicKey.from_bytes(public_key.to_bytes("little"), public_key.parameter_set, "big")
    be_digest = digest[::-1] if digest_endianness == "le" else digest
    from gostcrypto.gostsignature.gost_34_10_2012 import GOSTSignatureError

    try:
        return bool(_engine(key.parameter_set, key.bits).verify(
            bytearray(key.to_bytes("big")), bytearray(be_digest), bytearray(r_s)))
    except (GOSTSignatureError, ZeroDivisionError, ValueError):
        return False


def verify_digest(public_key: PublicKey, digest: bytes, signature: bytes) -> bool:
    """Verify s‖r over `digest` read little-endian (SMEV's conventions)."""
    _check_digest(digest, public_key.bits)
    return verify_with_conventions(public_key, digest, signature)
