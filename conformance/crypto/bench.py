"""Throughput of the crypto backends, in the figure format of `tests/bench/run.py` (`run(quick) -> figures`).

Figures per available backend: Streebog-256 MiB/s, GOST R 34.10-2012 256 verifications and signatures per second
(one core); the native ones carry the pure figure of the same run as their baseline and the ratio to it.
Run alone: `python -m conformance.crypto.bench [--quick]`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from conformance.crypto import available_backends, generate_private_key, get_backend


def _rate(action: Callable[[], object], budget_s: float, minimum: int = 3) -> float:
    """Calls per second of `action`, measured for about `budget_s` seconds."""
    count = 0
    started = time.perf_counter()
    while True:
        action()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= budget_s and count >= minimum:
            return count / elapsed


def measure(backend_name: str, quick: bool = False) -> dict[str, float]:

    backend = get_backend(backend_name)
    budget = 0.3 if quick else 2.0
    key = generate_private_key(seed="bench")
    data = os.urandom(1 << 16 if backend_name == "pure" else 1 << 20)
    digest = backend.digest(b"bench")
    signature = backend.sign(key, digest)
    public = key.public_key
    hashing = _rate(lambda: backend.digest(data), budget) * len(data) / (1 << 20)
    return {
        "streebog256_mib_s": hashing,
        "verify_per_s": _rate(lambda: backend.verify(public, digest, signature), budget),
        "sign_per_s": _rate(lambda: backend.sign(key, digest), budget),
    }


def run(quick: bool = False) -> dict[str, Any]:

    units = {"streebog256_mib_s": "MiB/s", "verify_per_s": "1/s", "sign_per_s": "1/s"}
    results = {name: measure(name, quick) for name in available_backends()}
    figures: dict[str, Any] = {}
    for backend_name, measured in results.items():
        for figure, value in measured.items():
            entry: dict[str, Any] = {"value": round(value, 2), "unit": units[figure]}
            if backend_name != "pure" and "pure" in results:
                entry["baseline"] = round(results["pure"][figure], 2)
                entry["ratio"] = round(value / results["pure"][figure], 1)
            figures[f"{backend_name}_{figure}"] = entry
    return figures


if __name__ == "__main__":

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
