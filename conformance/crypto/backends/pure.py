"""The pure-Python backend: `gostcrypto` for Streebog and GOST R 34.10-2012."""

from __future__ import annotations

from gostcrypto import gosthash

from conformance.crypto.backends.base import Backend
from conformance.crypto.gost3410 import sign_digest, verify_digest
from conformance.crypto.keys import PrivateKey, PublicKey


class PureBackend(Backend):
    name = "pure"

    def digest(self, data: bytes, bits: int = 256) -> bytes:
        if bits not in (256, 512):
            raise ValueError(f"Streebog has 256 and 512 bit variants, not {bits}")
        hasher = gosthash.new(f"streebog{bits}", data=bytearray(data))
        return bytes(hasher.digest())

    def sign(self, key: PrivateKey, data_digest: bytes) -> bytes:
        return sign_digest(key, data_digest)

    def verify(self, public_key: PublicKey, data_digest: bytes, signature: bytes) -> bool:
        return verify_digest(public_key, data_digest, signature)
