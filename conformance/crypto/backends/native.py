"""The native backend: OpenSSL's GOST provider (Debian `libengine-gost-openssl`) in process through ctypes."""

from __future__ import annotations

from conformance.crypto.backends import Backend, BackendUnavailable


class NativeBackend(Backend):
    name = "native"

    def __init__(self) -> None:
        raise BackendUnavailable("native GOST backend: not built yet; install libengine-gost-openssl")

    def digest(self, data: bytes, bits: int = 256) -> bytes:
        raise NotImplementedError

    def sign(self, key, data_digest):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def verify(self, public_key, data_digest, signature):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def decrypt_pkcs8(der_bytes: bytes, password: bytes | str) -> bytes:
    raise BackendUnavailable("encrypted PKCS#8 keys need the native backend (libengine-gost-openssl)")
