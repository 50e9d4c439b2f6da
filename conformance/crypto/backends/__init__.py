"""The two implementations of Streebog and GOST R 34.10-2012 behind one interface, and the choice between them.

"pure": the `gostcrypto` package, available everywhere, slow (~45 ms per verification).
"native": OpenSSL's GOST provider and engine (Debian package `libengine-gost-openssl`) in process through ctypes.
"""

from __future__ import annotations

from conformance.crypto.backends.base import Backend, BackendUnavailable, ReproducibleBackend
from conformance.crypto.backends.native import NativeBackend
from conformance.crypto.backends.pure import PureBackend
from conformance.errors import ConformanceError, UsageError

__all__ = ["BACKEND_NAMES", "Backend", "BackendUnavailable", "ReproducibleBackend", "available_backends",
           "get_backend", "reproducible", "resolve_backend"]

BACKEND_NAMES = ("native", "pure")


_cache: dict[str, Backend] = {}


def _create(name: str) -> Backend:
    if name == "pure":
        return PureBackend()
    if name == "native":
        return NativeBackend()
    raise UsageError(f"unknown crypto backend {name!r}: choose one of {', '.join(BACKEND_NAMES)}")


def get_backend(name: str | None = None) -> Backend:
    """The backend called `name`; None means native when it is available, else pure.

    Forcing "native" where OpenSSL's GOST provider is missing raises `BackendUnavailable` (a `UsageError`, exit 2)
    naming the package to install.
    """
    key = name or "auto"
    if key in _cache:
        return _cache[key]
    if name is None:
        try:
            backend = _create("native")
        except BackendUnavailable:
            backend = _create("pure")
    else:
        backend = _create(name)
    _cache[key] = backend
    return backend


def available_backends() -> list[str]:
    """Names of the backends that work on this machine, fastest first."""
    names = []
    for name in BACKEND_NAMES:
        try:
            get_backend(name)
        except ConformanceError:
            continue
        names.append(name)
    return names


def resolve_backend(backend: Backend | None) -> Backend:
    """`backend`, or the automatic choice when None: the one place the library defaults a backend.

    Commands choose theirs once (`--crypto`) and pass it down; the public entry points of `conformance.crypto` and
    `conformance.xmldsig` accept None for callers that have no preference and resolve it here, at their top, and
    hand the resolved backend to everything below them.
    """
    return get_backend() if backend is None else backend


def reproducible(backend: Backend | None = None) -> Backend:
    """`backend` (default: the automatic choice) with reproducible signatures: see `ReproducibleBackend`."""
    return ReproducibleBackend(resolve_backend(backend))
