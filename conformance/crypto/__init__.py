"""GOST cryptography for SMEV 3: Streebog, GOST R 34.10-2012, keys, certificates, CRLs, CMS and a test PKI.

Wire conventions (the facts page, "Signatures"), which every function here follows unless it says otherwise:

- a signature is `s‖r`, each `bits/8` bytes big-endian (64 bytes for 256-bit keys, 128 for 512);
- GOST R 34.10 reads the digest as a **little-endian** integer (the digest bytes are passed as the hash function
  printed them, e.g. as `openssl dgst -md_gost12_256` shows them);
- a public key in a certificate is an OCTET STRING X‖Y, each coordinate little-endian.

Two backends compute the same things: "pure" (the `gostcrypto` package, everywhere) and "native" (OpenSSL's GOST
provider and engine from Debian's `libengine-gost-openssl`, in process through ctypes). `get_backend()` picks native
when it is present, else pure; the module-level functions below use that default.

Structures: X.509, CRLs, CMS, PKCS#8 and PEM through `asn1crypto`; the GOST key structures it lacks in `gostasn1`,
the strict DER gate (asn1crypto also reads BER) and a raw element view in `der`. The import graph has no cycles:
der, oids ← curves ← points, gostasn1 ← keys ← gost3410 ← backends ← keyformats, signed ← certificates ← crl, cms
← issue ← testpki.

Public API (stable; other packages import only from here):

    streebog256(data) -> bytes;  streebog512(data) -> bytes
    get_backend(name=None) -> Backend;  available_backends() -> list[str];  reproducible(backend) -> Backend
    resolve_backend(backend) -> Backend: None -> the automatic choice; the one place a missing backend is defaulted
    Backend.name, .digest(data, bits=256), .sign(key, data_digest), .verify(public_key, data_digest, signature)
    Backend.digest_gost94(data): GOST R 34.11-94 (CryptoPro), only to verify withdrawn GOST R 34.10-2001 signatures,
        whose keys load as PublicKey(legacy=True) on the CryptoPro curves (conformance.crypto.gost341194: pure)
    verify_with_conventions(public_key, digest, signature, *, order="sr", digest_endianness="le",
                            key_endianness="le") -> bool
    PublicKey, PrivateKey, generate_private_key(parameter_set=..., seed=None)
    load_private_key(data, password=None, backend=None) -> PrivateKey: encrypted PKCS#8 needs a password and the
        native backend (Backend.decrypt_pkcs8; KeyPasswordError: none or a wrong one);  load_public_key(data) ->
        PublicKey (SPKI DER/PEM)
    Private key files as commands read them (--key-password-file/--key-password-env): conformance.crypto.keyfile
    Certificate, load_certificate(data) -> Certificate;  verify_certificate(cert, issuer_cert, backend=None) -> bool
    Crl, RevokedCertificate, load_crl(data) -> Crl;  verify_crl(crl, issuer_cert, backend=None) -> bool
    test_credentials() -> (PrivateKey, Certificate, ca_certificate);  bus_credentials() (the bus's, same CA)
    conformance.crypto.testdata: read_testdata(name), test_crl()  (the shipped PKI, valid 2020-2045)
    CMS for attachments: conformance.crypto.cms (sign_detached, verify_detached -> CmsVerification)
    Test PKI: conformance.crypto.testpki (build_pki, write_pki); issuing: conformance.crypto.issue
    Throughput: python -m conformance.crypto.bench
"""

from __future__ import annotations

from conformance.crypto.backends import Backend, available_backends, get_backend, reproducible, resolve_backend
from conformance.crypto.certificates import Certificate, load_certificate, verify_certificate
from conformance.crypto.crl import Crl, RevokedCertificate, load_crl, verify_crl
from conformance.crypto.gost3410 import verify_with_conventions
from conformance.crypto.keyformats import generate_private_key, load_private_key, load_public_key
from conformance.crypto.keys import PrivateKey, PublicKey
from conformance.crypto.testdata import bus_credentials, test_credentials

__all__ = [
    "Backend",
    "Certificate",
    "Crl",
    "PrivateKey",
    "PublicKey",
    "RevokedCertificate",
    "available_backends",
    "bus_credentials",
    "generate_private_key",
    "get_backend",
    "reproducible",
    "resolve_backend",
    "load_certificate",
    "load_crl",
    "load_private_key",
    "load_public_key",
    "streebog256",
    "streebog512",
    "test_credentials",
    "verify_certificate",
    "verify_crl",
    "verify_with_conventions",
]


def streebog256(data: bytes) -> bytes:
    """Streebog-256 (GOST R 34.11-2012) of `data`, 32 bytes in the standard output order, by the default backend."""
    return get_backend().digest(data, 256)


def streebog512(data: bytes) -> bytes:
    """Streebog-512 (GOST R 34.11-2012) of `data`, 64 bytes in the standard output order, by the default backend."""
    return get_backend().digest(data, 512)
