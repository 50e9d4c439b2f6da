"""GOST primitives per backend: Streebog throughput, signatures and verifications per second (see conformance.crypto.bench)."""

from conformance.crypto.bench import run as _run


def run(quick: bool = False) -> dict:
    return _run(quick=quick)
