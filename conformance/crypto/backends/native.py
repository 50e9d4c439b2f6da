"""The native backend: OpenSSL 3 with Debian's `libengine-gost-openssl`, in process through ctypes.

Streebog comes from the `gostprov` provider, loaded into a private OSSL_LIB_CTX so that the process's default
context (Python's `hashlib`, `ssl`) is untouched. GOST R 34.10-2012 comes from the `gost` engine, registered only
for its own key types. The engine's conventions are SMEV's: it reads the digest little-endian and writes s‖r
big-endian, so no byte shuffling happens here — the cross-check tests prove it.
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict

from conformance.crypto.backends.base import NATIVE_INSTALL_HINT, Backend, BackendUnavailable
from conformance.crypto.gost3410 import check_digest
from conformance.crypto.gostasn1 import KeyFormatError, KeyPasswordError
from conformance.crypto.keys import PrivateKey, PublicKey

_ENGINE_METHOD_PKEY_METHS = 0x0200
_ENGINE_METHOD_PKEY_ASN1_METHS = 0x0400
_KEY_CACHE_SIZE = 256

_vp = ctypes.c_void_p
_char_pp = ctypes.POINTER(ctypes.c_char_p)


def _declare(lib: ctypes.CDLL) -> None:
    signatures = {
        "ENGINE_by_id": (_vp, [ctypes.c_char_p]),
        "ENGINE_init": (ctypes.c_int, [_vp]),
        "ENGINE_set_default": (ctypes.c_int, [_vp, ctypes.c_uint]),
        "OSSL_LIB_CTX_new": (_vp, []),
        "OSSL_PROVIDER_load": (_vp, [_vp, ctypes.c_char_p]),
        "EVP_MD_fetch": (_vp, [_vp, ctypes.c_char_p, ctypes.c_char_p]),
        "EVP_Digest": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                      ctypes.POINTER(ctypes.c_uint), _vp, _vp]),
        "d2i_PUBKEY": (_vp, [_vp, _char_pp, ctypes.c_long]),
        "d2i_AutoPrivateKey": (_vp, [_vp, _char_pp, ctypes.c_long]),
        "EVP_PKEY_free": (None, [_vp]),
        "EVP_PKEY_CTX_new": (_vp, [_vp, _vp]),
        "EVP_PKEY_CTX_free": (None, [_vp]),
        "EVP_PKEY_sign_init": (ctypes.c_int, [_vp]),
        "EVP_PKEY_sign": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t),
                                         ctypes.c_char_p, ctypes.c_size_t]),
        "EVP_PKEY_verify_init": (ctypes.c_int, [_vp]),
        "EVP_PKEY_verify": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]),
        "ERR_clear_error": (None, []),
        "d2i_X509_SIG": (_vp, [_vp, _char_pp, ctypes.c_long]),
        "X509_SIG_free": (None, [_vp]),
        "PKCS8_decrypt": (_vp, [_vp, ctypes.c_char_p, ctypes.c_int]),
        "i2d_PKCS8_PRIV_KEY_INFO": (ctypes.c_int, [_vp, ctypes.POINTER(ctypes.c_void_p)]),
        "PKCS8_PRIV_KEY_INFO_free": (None, [_vp]),
        "CRYPTO_free": (None, [_vp, ctypes.c_char_p, ctypes.c_int]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


class _OpenSSL:
    """The loaded library, engine and digests; created once per process."""

    def __init__(self) -> None:
        try:
            self.lib = ctypes.CDLL("libcrypto.so.3")
            _declare(self.lib)
        except (OSError, AttributeError) as exc:
            raise BackendUnavailable(f"native GOST backend: OpenSSL 3 libcrypto not usable ({exc}); {NATIVE_INSTALL_HINT}") from None
        lib = self.lib
        self.engine = lib.ENGINE_by_id(b"gost")
        if not self.engine or lib.ENGINE_init(self.engine) != 1:
            lib.ERR_clear_error()
            raise BackendUnavailable(f"native GOST backend: OpenSSL's 'gost' engine is missing; {NATIVE_INSTALL_HINT}")
        lib.ENGINE_set_default(self.engine, _ENGINE_METHOD_PKEY_METHS | _ENGINE_METHOD_PKEY_ASN1_METHS)
        self.libctx = lib.OSSL_LIB_CTX_new()
        if not self.libctx or not lib.OSSL_PROVIDER_load(self.libctx, b"gostprov"):
            lib.ERR_clear_error()
            raise BackendUnavailable(f"native GOST backend: OpenSSL's 'gostprov' provider is missing; {NATIVE_INSTALL_HINT}")
        self.digests = {bits: lib.EVP_MD_fetch(self.libctx, f"md_gost12_{bits}".encode(), None) for bits in (256, 512)}
        if not all(self.digests.values()):
            lib.ERR_clear_error()
            raise BackendUnavailable(f"native GOST backend: Streebog is not offered by 'gostprov'; {NATIVE_INSTALL_HINT}")
        # GOST R 34.11-94 (withdrawn; only to verify old GOST R 34.10-2001 signatures): None when not offered.
        self.gost94 = lib.EVP_MD_fetch(self.libctx, b"md_gost94", None) or None
        lib.ERR_clear_error()


_openssl: _OpenSSL | None = None
_openssl_lock = threading.Lock()


def _load() -> _OpenSSL:
    global _openssl
    with _openssl_lock:
        if _openssl is None:
            _openssl = _OpenSSL()
        return _openssl


class _PkeyCache:
    """EVP_PKEYs of recently used keys (decoding one costs more than a verification)."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        self.items: OrderedDict[object, int] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, cache_key: object, der: bytes, private: bool) -> int:
        with self.lock:
            pkey = self.items.get(cache_key)
            if pkey is not None:
                self.items.move_to_end(cache_key)
                return pkey
            pointer = ctypes.c_char_p(der)
            decode = self.lib.d2i_AutoPrivateKey if private else self.lib.d2i_PUBKEY
            pkey = decode(None, ctypes.byref(pointer), len(der))
            if not pkey:
                self.lib.ERR_clear_error()
                raise ValueError("OpenSSL's GOST engine could not decode the key")
            self.items[cache_key] = pkey
            while len(self.items) > _KEY_CACHE_SIZE:
                _, old = self.items.popitem(last=False)
                self.lib.EVP_PKEY_free(old)
            return pkey


class NativeBackend(Backend):
    name = "native"

    def __init__(self) -> None:
        self._ssl = _load()
        self._keys = _PkeyCache(self._ssl.lib)

    def digest(self, data: bytes, bits: int = 256) -> bytes:
        md = self._ssl.digests.get(bits)
        if md is None:
            raise ValueError(f"Streebog has 256 and 512 bit variants, not {bits}")
        return self._evp_digest(md, data)

    def digest_gost94(self, data: bytes) -> bytes:
        """The provider's `md_gost94`; the pure implementation where this OpenSSL build lacks it."""
        if self._ssl.gost94 is None:
            return super().digest_gost94(data)
        return self._evp_digest(self._ssl.gost94, data)

    def _evp_digest(self, md: int, data: bytes) -> bytes:
        out = ctypes.create_string_buffer(64)
        size = ctypes.c_uint()
        if self._ssl.lib.EVP_Digest(bytes(data), len(data), out, ctypes.byref(size), md, None) != 1:
            self._ssl.lib.ERR_clear_error()
            raise RuntimeError("OpenSSL EVP_Digest failed")
        return out.raw[:size.value]

    def sign(self, key: PrivateKey, data_digest: bytes) -> bytes:
        check_digest(data_digest, key.bits)
        lib = self._ssl.lib
        pkey = self._keys.get(("private", key.parameter_set, key.d), key.pkcs8_der(), private=True)
        ctx = lib.EVP_PKEY_CTX_new(pkey, self._ssl.engine)
        try:
            out = ctypes.create_string_buffer(128)
            size = ctypes.c_size_t(128)
            if lib.EVP_PKEY_sign_init(ctx) != 1 or lib.EVP_PKEY_sign(
                    ctx, out, ctypes.byref(size), bytes(data_digest), len(data_digest)) != 1:
                lib.ERR_clear_error()
                raise RuntimeError("OpenSSL's GOST engine failed to sign")
            return out.raw[:size.value]
        finally:
            lib.EVP_PKEY_CTX_free(ctx)

    def verify(self, public_key: PublicKey, data_digest: bytes, signature: bytes) -> bool:
        check_digest(data_digest, public_key.bits)
        if len(signature) != public_key.bits // 4:
            return False
        lib = self._ssl.lib
        try:
            pkey = self._keys.get(("public", public_key.parameter_set, public_key.x, public_key.y),
                                  public_key.spki_der(), private=False)
        except ValueError:
            return False
        ctx = lib.EVP_PKEY_CTX_new(pkey, self._ssl.engine)
        try:
            ok = lib.EVP_PKEY_verify_init(ctx) == 1 and lib.EVP_PKEY_verify(
                ctx, bytes(signature), len(signature), bytes(data_digest), len(data_digest)) == 1
            if not ok:
                lib.ERR_clear_error()
            return ok
        finally:
            lib.EVP_PKEY_CTX_free(ctx)

    def decrypt_pkcs8(self, der_bytes: bytes, password: bytes) -> bytes:
        lib = self._ssl.lib
        secret = bytes(password)
        pointer = ctypes.c_char_p(der_bytes)
        sig = lib.d2i_X509_SIG(None, ctypes.byref(pointer), len(der_bytes))
        if not sig:
            lib.ERR_clear_error()
            raise KeyFormatError("private key: malformed EncryptedPrivateKeyInfo")
        try:
            info = lib.PKCS8_decrypt(sig, secret, len(secret))
            if not info:
                lib.ERR_clear_error()
                raise KeyPasswordError("cannot decrypt the encrypted private key with the password given: a wrong "
                                       "password (or a cipher this OpenSSL does not offer)")
            try:
                buffer = ctypes.c_void_p()
                size = lib.i2d_PKCS8_PRIV_KEY_INFO(info, ctypes.byref(buffer))
                if size <= 0:
                    lib.ERR_clear_error()
                    raise KeyFormatError("private key: decrypted PKCS#8 could not be re-encoded")
                try:
                    return ctypes.string_at(buffer, size)
                finally:
                    lib.CRYPTO_free(buffer, None, 0)
            finally:
                lib.PKCS8_PRIV_KEY_INFO_free(info)
        finally:
            lib.X509_SIG_free(sig)
