"""GOST R 34.10-2012 signature mathematics in pure Python, with SMEV's wire conventions.

Conventions: the digest is read as a little-endian integer, the signature is s‖r with big-endian halves, and the
certificate keeps X‖Y little-endian (`PublicKey` holds the integers). The curve arithmetic is our own
(`conformance.crypto.points`), cross-checked in the tests against both `gostcrypto`'s GOST R 34.10 and OpenSSL's
GOST engine.
`verify_with_conventions` lets diagnostics try the other conventions to name an integrator's mistake.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.crypto.points import affine, multiply_two, public_point
from conformance.errors import ConformanceError


class SignatureInputError(ConformanceError):
    """A digest or signature of the wrong length for the key."""


def check_digest(digest: bytes, bits: int) -> None:
    """Raise `SignatureInputError` unless `digest` has the length a `bits`-bit key signs."""
    if len(digest) != bits // 8:
        raise SignatureInputError(f"a {bits}-bit GOST key signs a {bits // 8}-byte digest, got {len(digest)} bytes")


def deterministic_nonce(key: PrivateKey, digest: bytes) -> int:
    """A nonce derived from the key and the digest (RFC 6979 in spirit), for reproducible signatures."""
    size = key.bits // 8
    material = hmac.new(key.d.to_bytes(size, "big"), digest, hashlib.sha512).digest()
    if size == 64:
        material += hmac.new(key.d.to_bytes(size, "big"), b"\x01" + digest, hashlib.sha512).digest()
    return int.from_bytes(material, "big") % (key.curve.q - 1) + 1


def _digest_integer(digest: bytes, q: int, endianness: Literal["little", "big"] = "little") -> int:
    e = int.from_bytes(digest, endianness) % q
    return e or 1


def sign_digest(key: PrivateKey, digest: bytes, *, nonce: int | None = None) -> bytes:
    """s‖r (big-endian halves) over `digest` read little-endian. Without `nonce`, a fresh random one."""
    check_digest(digest, key.bits)
    curve = key.curve
    q, size = curve.q, key.bits // 8
    if nonce is not None and not 0 < nonce < q:
        raise SignatureInputError("the nonce must lie in 1..q-1")
    e = _digest_integer(digest, q)
    while True:
        k = nonce if nonce is not None else secrets.randbelow(q - 1) + 1
        r = public_point(curve, k)[0] % q
        s = (r * key.d + k * e) % q
        if r and s:
            return s.to_bytes(size, "big") + r.to_bytes(size, "big")
        if nonce is not None:
            raise SignatureInputError("this nonce gives a degenerate signature; choose another")


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
    first, second = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    s, r = (first, second) if order == "sr" else (second, first)
    key = public_key
    if key_endianness == "be":
        key = PublicKey.from_bytes(public_key.to_bytes("little"), public_key.parameter_set, "big")
    curve = key.curve
    q = curve.q
    if not (0 < r < q and 0 < s < q) or not curve.contains(key.x, key.y):
        return False
    e = _digest_integer(digest, q, "little" if digest_endianness == "le" else "big")
    v = pow(e, -1, q)
    z1, z2 = s * v % q, (q - r) * v % q
    point = multiply_two(curve, z1, (curve.x, curve.y, 1), z2, (key.x, key.y, 1))
    if not point[2]:
        return False
    return affine(curve, point)[0] % q == r


def verify_digest(public_key: PublicKey, digest: bytes, signature: bytes) -> bool:
    """Verify s‖r over `digest` read little-endian (SMEV's conventions)."""
    check_digest(digest, public_key.bits)
    return verify_with_conventions(public_key, digest, signature)
