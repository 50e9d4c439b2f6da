"""Fixtures of the crypto tests: the native backend and the `openssl` command with the GOST engine.

Both skip cleanly where the engine is missing, except with CI=true: there a missing engine FAILS the test, so the
pure/native cross-check never silently skips in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires the OpenSSL GOST engine (libengine-gost-openssl): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def native():
    from conformance.crypto import get_backend
    from conformance.errors import ConformanceError

    try:
        return get_backend("native")
    except ConformanceError as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def pure():
    from conformance.crypto import get_backend

    return get_backend("pure")


@pytest.fixture(scope="session")
def openssl_gost():
    """A function running `openssl` with the GOST engine (as `-engine gost` where a subcommand needs it)."""
    binary = shutil.which("openssl")
    if binary is None:
        _unavailable("the openssl command is not installed")
    probe = subprocess.run([binary, "engine", "gost"], capture_output=True, text=True)
    if probe.returncode != 0:
        _unavailable(f"openssl has no gost engine: {probe.stderr.strip()}")

    def run(*args: str | Path, input: bytes | None = None) -> bytes:
        result = subprocess.run([binary, *map(str, args)], input=input, capture_output=True)
        assert result.returncode == 0, f"openssl {' '.join(map(str, args))} failed: {result.stderr.decode()}"
        return result.stdout

    return run
