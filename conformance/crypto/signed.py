"""The signed envelope shared by certificates and CRLs: SEQUENCE { tbs, algorithm, BIT STRING signature }.

GOST in X.509 (RFC 4491 / RFC 9215): the signature BIT STRING holds s‖r big-endian, the digest of the DER `tbs`
is read little-endian — the same conventions as SMEV's XML signatures.
"""

from __future__ import annotations

from functools import lru_cache

from asn1crypto import algos, core

from conformance.crypto import der, oids
from conformance.crypto.backends import Backend, resolve_backend
from conformance.crypto.gost3410 import deterministic_nonce, sign_digest
from conformance.crypto.keys import PrivateKey, PublicKey

SIGNATURE_BITS = {oids.SIGNATURE_GOST2012_256: 256, oids.SIGNATURE_GOST2012_512: 512, oids.SIGNATURE_GOST2001: 256}
"""Key size of each signature algorithm; GOST R 34.10-2001 (with GOST R 34.11-94) is verified, never made."""


class _Signed(core.Sequence):
    """Certificate and CertificateList alike: the signed part as written, the algorithm, the signature."""

    _fields = [("tbs", core.Any), ("algorithm", algos.SignedDigestAlgorithm), ("signature", core.OctetBitString)]


def signature_value(value: core.OctetBitString, what: str) -> bytes:
    """The bytes of a signature BIT STRING, which must have no unused bits."""
    if value.unused_bits:
        raise der.DerError(f"{what}: the signature BIT STRING has unused bits")
    return value.native


def signature_algorithm_identifier(bits: int) -> bytes:
    algorithm = oids.SIGNATURE_GOST2012_256 if bits == 256 else oids.SIGNATURE_GOST2012_512
    return algos.SignedDigestAlgorithm({"algorithm": algorithm}).dump()


def verify_signed(tbs_der: bytes, algorithm: str, signature: bytes, issuer_key: PublicKey | None,
                  backend: Backend) -> bool:
    """True when `signature` by `issuer_key` over `tbs_der` holds under `algorithm` (GOST 2012; GOST 2001 with
    GOST R 34.11-94, to judge old certificates)."""
    bits = SIGNATURE_BITS.get(algorithm)
    if issuer_key is None or bits is None or bits != issuer_key.bits:
        return False
    legacy = algorithm == oids.SIGNATURE_GOST2001
    if issuer_key.legacy != legacy:  # a 2001 key signs only with the 2001 algorithm, a 2012 key never with it
        return False
    return _verified(bytes(tbs_der), bits, bytes(signature), issuer_key, backend, legacy)


@lru_cache(maxsize=1024)
def _verified(tbs_der: bytes, bits: int, signature: bytes, issuer_key: PublicKey, backend: Backend,
              legacy: bool = False) -> bool:
    """`verify_signed`'s verdict, remembered: certificates and CRLs recur in every message of a run, and the verdict
    is a pure function of these public bytes."""
    digest = backend.digest_gost94(tbs_der) if legacy else backend.digest(tbs_der, bits)
    return backend.verify(issuer_key, digest, signature)


def sign_tbs(tbs_der: bytes, key: PrivateKey, *, deterministic: bool = False, backend: Backend | None = None) -> bytes:
    """The complete signed object (certificate or CRL) over `tbs_der`, signed by `key`.

    `deterministic` derives the nonce from the key and the digest, so that a seeded test PKI is byte-reproducible.
    """
    backend = resolve_backend(backend)
    digest = backend.digest(tbs_der, key.bits)
    if deterministic:
        signature = sign_digest(key, digest, nonce=deterministic_nonce(key, digest))
    else:
        signature = backend.sign(key, digest)
    return _Signed({"tbs": der.verbatim(core.Any, tbs_der),
                    "algorithm": algos.SignedDigestAlgorithm.load(signature_algorithm_identifier(key.bits)),
                    "signature": signature}).dump()
