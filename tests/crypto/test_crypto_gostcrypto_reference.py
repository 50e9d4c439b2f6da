"""Our GOST R 34.10-2012 arithmetic against `gostcrypto`'s independent implementation, on every parameter set.

`gostcrypto` reads the digest big-endian, takes X‖Y big-endian and writes r‖s: the conversions below are exactly
SMEV's conventions restated, so agreement here pins both the arithmetic and the conventions.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.crypto import generate_private_key, oids
from conformance.crypto.curves import PARAMETER_SETS_256, PARAMETER_SETS_512, curve, gostcrypto_curve
from conformance.crypto.gost3410 import public_point, sign_digest, verify_with_conventions

DISTINCT_CURVES = [oids.CRYPTOPRO_A, oids.CRYPTOPRO_B, oids.CRYPTOPRO_C, oids.TC26_256_A,
                   oids.TC26_512_A, oids.TC26_512_B, oids.TC26_512_C]


def _reference(parameter_set: str, bits: int):
    from gostcrypto.gostsignature import gost_34_10_2012 as g

    return g.new(g.MODE_256 if bits == 256 else g.MODE_512, gostcrypto_curve(parameter_set))


def test_every_parameter_set_is_known_and_sized():
    assert len(PARAMETER_SETS_256) == 9 and len(PARAMETER_SETS_512) == 3
    assert curve(oids.CRYPTOPRO_XCHA) == curve(oids.CRYPTOPRO_A) == curve(oids.TC26_256_B)
    assert curve(oids.CRYPTOPRO_XCHB) == curve(oids.CRYPTOPRO_C)
    for parameter_set in DISTINCT_CURVES:
        c = curve(parameter_set)
        assert c.contains(c.x, c.y)
        assert public_point(c, c.q - 1) == (c.x, (-c.y) % c.p)  # (q-1)·P = -P: q is the order of P


@pytest.mark.parametrize("parameter_set", DISTINCT_CURVES)
def test_public_keys_agree(parameter_set):
    key = generate_private_key(parameter_set, seed="reference")
    size = key.bits // 8
    expected = _reference(parameter_set, key.bits).public_key_generate(bytearray(key.d.to_bytes(size, "big")))
    assert key.public_key.to_bytes("big") == bytes(expected)


@pytest.mark.slow  # measured: over 10 s of the fast lane on a loaded 2-core machine
@settings(max_examples=8, deadline=None)
@given(parameter_set=st.sampled_from(DISTINCT_CURVES), seed=st.integers(0, 2**32), digest_seed=st.binary(min_size=1))
def test_signatures_agree_with_gostcrypto_both_ways(parameter_set, seed, digest_seed):
    key = generate_private_key(parameter_set, seed=seed)
    size = key.bits // 8
    digest = (digest_seed * size)[:size]
    reference = _reference(parameter_set, key.bits)
    public_be = bytearray(key.public_key.to_bytes("big"))
    ours = sign_digest(key, digest)
    assert reference.verify(public_be, bytearray(digest[::-1]), bytearray(ours[size:] + ours[:size]))
    theirs = bytes(reference.sign(bytearray(key.d.to_bytes(size, "big")), bytearray(digest[::-1])))
    assert verify_with_conventions(key.public_key, digest, theirs[size:] + theirs[:size])
    assert verify_with_conventions(key.public_key, digest, theirs, order="rs")
    nonce = 0x1234567
    fixed = bytes(reference.sign(bytearray(key.d.to_bytes(size, "big")), bytearray(digest[::-1]),
                                 bytearray(nonce.to_bytes(size, "big"))))
    assert sign_digest(key, digest, nonce=nonce) == fixed[size:] + fixed[:size]
