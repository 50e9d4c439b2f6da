"""Streebog (GOST R 34.11-2012) against the standard's examples, and the two backends against each other."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.crypto import streebog256, streebog512

# GOST R 34.11-2012, appendix A: M1 and M2, with the hashes in the order `openssl dgst` prints them.
M1 = b"012345678901234567890123456789012345678901234567890123456789012"
M2 = "Се ветри, Стрибожи внуци, веютъ с моря стрелами на храбрыя плъкы Игоревы".encode("cp1251")
VECTORS = [
    (M1, 256, "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"),
    (M1, 512, "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa"
              "00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"),
    (M2, 256, "9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50"),
    (M2, 512, "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376"
              "035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28"),
]


def test_m2_is_the_standard_byte_string():
    assert M2.hex().startswith("d1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20")
    assert len(M2) == 72


@pytest.mark.parametrize(("message", "bits", "expected"), VECTORS)
def test_pure_matches_the_standard(pure, message, bits, expected):
    assert pure.digest(message, bits).hex() == expected


@pytest.mark.native
@pytest.mark.parametrize(("message", "bits", "expected"), VECTORS)
def test_native_matches_the_standard(native, message, bits, expected):
    assert native.digest(message, bits).hex() == expected


def test_module_functions_use_the_default_backend():
    assert streebog256(M1).hex() == VECTORS[0][2]
    assert streebog512(M1).hex() == VECTORS[1][2]


def test_unknown_size_is_refused(pure):
    with pytest.raises(ValueError, match="256 and 512"):
        pure.digest(b"x", 384)


@pytest.mark.native
@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=300), bits=st.sampled_from([256, 512]))
def test_pure_and_native_agree(pure, native, data, bits):
    assert pure.digest(data, bits) == native.digest(data, bits)


@pytest.mark.native
def test_openssl_dgst_agrees_on_block_boundaries(pure, openssl_gost):
    for size in (0, 63, 64, 65, 128, 1000):
        data = bytes(i % 251 for i in range(size))
        printed = openssl_gost("dgst", "-engine", "gost", "-md_gost12_256", "-r", input=data).split()[0].decode()
        assert printed == pure.digest(data).hex(), size
