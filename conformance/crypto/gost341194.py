"""GOST R 34.11-94 in pure Python, with the CryptoPro S-box (1.2.643.2.2.30.1), as XMLDSig's `gostr3411` uses it.

The hash of GOST R 34.10-2001 signatures, withdrawn since 2019 but still found in captured SMEV traffic. It is the
standard's construction written out: a GOST 28147-89 encryption of each quarter of the state under four keys derived
from the state and the message block (transforms A and P), then the linear shuffle ψ; after the last block, the
length in bits and the 256-bit sum of the blocks are compressed in. Numbers are little-endian throughout, as in the
CryptoPro and OpenSSL implementations, and the output is the state's 32 bytes little-endian (what OpenSSL's
`md_gost94` prints). About 3 ms per 32-byte block: fine for SignedInfo and message parts, not for bulk data.
The native backend offers the engine's `md_gost94` instead; the tests cross-check the two.
"""

from __future__ import annotations

_MASK32 = 0xFFFFFFFF
_MASK256 = (1 << 256) - 1

# id-GostR3411-94-CryptoProParamSet: row i substitutes the i-th 4-bit nibble of a 32-bit word (row 0: lowest).
_SBOX = (
    (0xA, 0x4, 0x5, 0x6, 0x8, 0x1, 0x3, 0x7, 0xD, 0xC, 0xE, 0x0, 0x9, 0x2, 0xB, 0xF),
    (0x5, 0xF, 0x4, 0x0, 0x2, 0xD, 0xB, 0x9, 0x1, 0x7, 0x6, 0x3, 0xC, 0xE, 0xA, 0x8),
    (0x7, 0xF, 0xC, 0xE, 0x9, 0x4, 0x1, 0x0, 0x3, 0xB, 0x5, 0x2, 0x6, 0xA, 0x8, 0xD),
    (0x4, 0xA, 0x7, 0xC, 0x0, 0xF, 0x2, 0x8, 0xE, 0x1, 0x6, 0x5, 0xD, 0xB, 0x9, 0x3),
    (0x7, 0x6, 0x4, 0xB, 0x9, 0xC, 0x2, 0xA, 0x1, 0x8, 0x0, 0xE, 0xF, 0xD, 0x3, 0x5),
    (0x7, 0x6, 0x2, 0x4, 0xD, 0x9, 0xF, 0x0, 0xA, 0x1, 0x5, 0xB, 0x8, 0xE, 0xC, 0x3),
    (0xD, 0xE, 0x4, 0x1, 0x7, 0x0, 0x5, 0xA, 0x3, 0xC, 0x8, 0xF, 0x6, 0x2, 0x9, 0xB),
    (0x1, 0x3, 0xA, 0x9, 0x5, 0xB, 0x4, 0xF, 0x8, 0x6, 0x7, 0xE, 0xD, 0x0, 0x2, 0xC),
)
# Two nibble rows merged into one byte table each: 4 look-ups per round instead of 8.
_SBOX8 = tuple(tuple(_SBOX[2 * i][b & 0xF] | (_SBOX[2 * i + 1][b >> 4] << 4) for b in range(256)) for i in range(4))

_C3 = 0xFF00FFFF000000FFFF0000FF00FFFF0000FF00FF00FF00FFFF00FF00FF00FF00
# P: byte i + 1 + 4(k - 1) of the result is byte 8i + k of the input (1-based, i = 0..3, k = 1..8).
_P = tuple(8 * i + k - 1 for k in range(1, 9) for i in range(4))


def _round_function(x: int) -> int:
    x = (_SBOX8[0][x & 0xFF] | (_SBOX8[1][(x >> 8) & 0xFF] << 8) | (_SBOX8[2][(x >> 16) & 0xFF] << 16)
         | (_SBOX8[3][x >> 24] << 24))
    return ((x << 11) | (x >> 21)) & _MASK32


def _encrypt(key: int, block: int) -> int:
    """GOST 28147-89 simple replacement (ECB) of a 64-bit block under a 256-bit key."""
    k = [(key >> (32 * i)) & _MASK32 for i in range(8)]
    schedule = k * 3 + k[::-1]
    n1, n2 = block & _MASK32, block >> 32
    for subkey in schedule:
        n1, n2 = n2 ^ _round_function((n1 + subkey) & _MASK32), n1
    return (n1 << 32) | n2


def _a(y: int) -> int:
    y1, y2 = y & 0xFFFFFFFFFFFFFFFF, (y >> 64) & 0xFFFFFFFFFFFFFFFF
    return (y >> 64) | ((y1 ^ y2) << 192)


def _p(y: int) -> int:
    data = y.to_bytes(32, "little")
    return int.from_bytes(bytes(data[_P[j]] for j in range(32)), "little")


def _psi(y: int) -> int:
    w = [(y >> (16 * i)) & 0xFFFF for i in range(16)]
    top = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[12] ^ w[15]
    return (y >> 16) | (top << 240)


def _psi_n(y: int, n: int) -> int:
    for _ in range(n):
        y = _psi(y)
    return y


def _step(h: int, m: int) -> int:
    """The compression function f(H, M)."""
    u, v = h, m
    keys = [_p(u ^ v)]
    for constant in (0, _C3, 0):
        u = _a(u) ^ constant
        v = _a(_a(v))
        keys.append(_p(u ^ v))
    s = 0
    for i, key in enumerate(keys):
        s |= _encrypt(key, (h >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) << (64 * i)
    return _psi_n(h ^ _psi(m ^ _psi_n(s, 12)), 61)


def gost341194(data: bytes) -> bytes:
    """The GOST R 34.11-94 digest of `data` (32 bytes, CryptoPro parameters, starting vector zero)."""
    h = total = 0
    view = memoryview(bytes(data))
    full = len(view) - len(view) % 32
    for offset in range(0, full, 32):
        block = int.from_bytes(view[offset:offset + 32], "little")
        h = _step(h, block)
        total = (total + block) & _MASK256
    if full < len(view):
        block = int.from_bytes(view[full:], "little")
        h = _step(h, block)
        total = (total + block) & _MASK256
    h = _step(h, (len(view) * 8) & _MASK256)
    h = _step(h, total)
    return h.to_bytes(32, "little")
