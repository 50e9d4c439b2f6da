"""The interface both backends implement, and the reproducible wrapper around either."""

from __future__ import annotations

from abc import ABC, abstractmethod

from conformance.crypto.gost3410 import deterministic_nonce, sign_digest
from conformance.crypto.gost341194 import gost341194
from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.errors import UsageError


class BackendUnavailable(UsageError):
    """The requested backend cannot run here; the message says what to install."""


NATIVE_INSTALL_HINT = "install the Debian/Ubuntu package libengine-gost-openssl (OpenSSL 3 GOST engine and provider)"


class Backend(ABC):
    """Streebog and GOST R 34.10-2012 with SMEV's wire conventions (see `conformance.crypto`)."""

    name: str

    @abstractmethod
    def digest(self, data: bytes, bits: int = 256) -> bytes:
        """Streebog-256 or -512 of `data`, in the standard output byte order."""

    @abstractmethod
    def sign(self, key: PrivateKey, data_digest: bytes) -> bytes:
        """s‖r (each big-endian) over `data_digest` read as a little-endian integer; a fresh random nonce."""

    @abstractmethod
    def verify(self, public_key: PublicKey, data_digest: bytes, signature: bytes) -> bool:
        """True when `signature` (s‖r) is valid over `data_digest` (read little-endian) for `public_key`."""

    def digest_gost94(self, data: bytes) -> bytes:
        """GOST R 34.11-94 (CryptoPro parameters) of `data`, the hash of withdrawn GOST R 34.10-2001 signatures;
        the pure implementation unless a backend offers its own."""
        return gost341194(data)

    def decrypt_pkcs8(self, der_bytes: bytes, password: bytes) -> bytes:
        """The PrivateKeyInfo DER inside an EncryptedPrivateKeyInfo (PBES2); raises `KeyPasswordError` when
        `password` does not open it. Only the native backend decrypts (through OpenSSL, which knows PBES2's
        ciphers, GOST 28147-89 and Kuznyechik included); the others raise `BackendUnavailable`."""
        raise BackendUnavailable(f"decrypting an encrypted private key needs the native GOST backend (OpenSSL), and "
                                 f"this run uses the {self.name} one: do not choose --crypto pure, and where OpenSSL's "
                                 f"GOST engine is missing {NATIVE_INSTALL_HINT}")

    def __repr__(self) -> str:
        return f"<{self.name} GOST backend>"


class ReproducibleBackend(Backend):
    """Another backend whose signatures take their nonce from the key and the digest instead of chance.

    For seeded artefacts (samples, a seeded test PKI) that must come out byte for byte the same; never for real keys
    in production, where a fresh nonce is the norm. Digests and verification are the inner backend's.
    """

    def __init__(self, inner: Backend):
        self.inner = inner
        self.name = f"{inner.name}+reproducible"

    def digest(self, data: bytes, bits: int = 256) -> bytes:
        return self.inner.digest(data, bits)

    def digest_gost94(self, data: bytes) -> bytes:
        return self.inner.digest_gost94(data)

    def decrypt_pkcs8(self, der_bytes: bytes, password: bytes) -> bytes:
        return self.inner.decrypt_pkcs8(der_bytes, password)

    def sign(self, key: PrivateKey, data_digest: bytes) -> bytes:
        return sign_digest(key, data_digest, nonce=deterministic_nonce(key, data_digest))

    def verify(self, public_key: PublicKey, data_digest: bytes, signature: bytes) -> bool:
        return self.inner.verify(public_key, data_digest, signature)
