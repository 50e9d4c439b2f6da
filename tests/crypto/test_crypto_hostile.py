"""Hostile bytes: every reader either parses or raises its own explained error; nothing else escapes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.crypto import load_certificate, load_crl, load_private_key, test_credentials
from conformance.crypto.cms import sign_detached, verify_detached
from conformance.crypto.testdata import test_crl
from conformance.errors import ConformanceError

KEY, CERT, CA = test_credentials()
CMS = sign_detached(b"content", KEY, CERT)


def _mutate(data: bytes, position: int, value: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([value]) + data[position + 1:]


@pytest.mark.slow  # measured: 6 s on a loaded 2-core machine
@settings(max_examples=300, deadline=None)
@given(position=st.integers(0, 10**6), value=st.integers(0, 255))
def test_mutated_certificates(position, value):
    try:
        load_certificate(_mutate(CERT.der, position, value))
    except ConformanceError as exc:
        assert str(exc)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, 10**6), value=st.integers(0, 255))
def test_mutated_crls(position, value):
    try:
        load_crl(_mutate(test_crl().der, position, value))
    except ConformanceError as exc:
        assert str(exc)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, 10**6), value=st.integers(0, 255))
def test_mutated_private_keys(position, value):
    try:
        load_private_key(_mutate(KEY.pkcs8_der(), position, value))
    except ConformanceError as exc:
        assert str(exc)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(0, 10**6), value=st.integers(0, 255))
def test_mutated_cms_never_raises_and_never_passes_a_change(position, value):
    mutated = _mutate(CMS, position, value)
    result = verify_detached(mutated, b"content")
    if mutated != CMS and result.ok:
        # Only bytes outside what is signed may change harmlessly: the embedded certificate's own signature
        # or unsigned framing that still parses to the same signer.
        assert result.signer is not None and result.signer.public_key == CERT.public_key


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(data):
    for reader in (load_certificate, load_crl, load_private_key):
        with contextlib.suppress(ConformanceError):
            reader(data)
    assert not verify_detached(data, b"x").ok
