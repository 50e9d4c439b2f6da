"""Object identifiers of GOST cryptography and of the X.509 / CMS structures the package reads and writes."""

from __future__ import annotations

# Public key algorithms (GOST R 34.10-2012; 2001 only to verify old signatures, never to sign).
KEY_GOST2012_256 = "1.2.643.7.1.1.1.1"
KEY_GOST2012_512 = "1.2.643.7.1.1.1.2"
KEY_GOST2001 = "1.2.643.2.2.19"

# Digests (GOST R 34.11-2012 "Streebog", and 34.11-94 recognised only to name it).
DIGEST_STREEBOG256 = "1.2.643.7.1.1.2.2"
DIGEST_STREEBOG512 = "1.2.643.7.1.1.2.3"
DIGEST_GOST94 = "1.2.643.2.2.9"

# Signature algorithms.
SIGNATURE_GOST2012_256 = "1.2.643.7.1.1.3.2"
SIGNATURE_GOST2012_512 = "1.2.643.7.1.1.3.3"
SIGNATURE_GOST2001 = "1.2.643.2.2.3"

# Parameter sets.
CRYPTOPRO_A = "1.2.643.2.2.35.1"
CRYPTOPRO_B = "1.2.643.2.2.35.2"
CRYPTOPRO_C = "1.2.643.2.2.35.3"
CRYPTOPRO_XCHA = "1.2.643.2.2.36.0"
CRYPTOPRO_XCHB = "1.2.643.2.2.36.1"
TC26_256_A = "1.2.643.7.1.2.1.1.1"
TC26_256_B = "1.2.643.7.1.2.1.1.2"
TC26_256_C = "1.2.643.7.1.2.1.1.3"
TC26_256_D = "1.2.643.7.1.2.1.1.4"
TC26_512_A = "1.2.643.7.1.2.1.2.1"
TC26_512_B = "1.2.643.7.1.2.1.2.2"
TC26_512_C = "1.2.643.7.1.2.1.2.3"

# X.509 / PKCS / CMS.
CONTENT_DATA = "1.2.840.113549.1.7.1"
CONTENT_SIGNED_DATA = "1.2.840.113549.1.7.2"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"
EXT_BASIC_CONSTRAINTS = "2.5.29.19"
EXT_KEY_USAGE = "2.5.29.15"
EXT_SUBJECT_KEY_ID = "2.5.29.14"
EXT_AUTHORITY_KEY_ID = "2.5.29.35"
EXT_CRL_NUMBER = "2.5.29.20"
PBES2 = "1.2.840.113549.1.5.13"

# Names of the attributes of a distinguished name, for readable subjects and issuers.
NAME_ATTRIBUTES: dict[str, str] = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.42": "GN",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.2.643.100.1": "OGRN",
    "1.2.643.100.3": "SNILS",
    "1.2.643.100.5": "OGRNIP",
    "1.2.643.3.131.1.1": "INN",
    "1.2.643.100.4": "INNLE",
}

NAMES: dict[str, str] = {
    KEY_GOST2012_256: "GOST R 34.10-2012 256",
    KEY_GOST2012_512: "GOST R 34.10-2012 512",
    KEY_GOST2001: "GOST R 34.10-2001",
    DIGEST_STREEBOG256: "Streebog-256",
    DIGEST_STREEBOG512: "Streebog-512",
    DIGEST_GOST94: "GOST R 34.11-94",
    SIGNATURE_GOST2012_256: "GOST R 34.10-2012 with Streebog-256",
    SIGNATURE_GOST2012_512: "GOST R 34.10-2012 with Streebog-512",
    SIGNATURE_GOST2001: "GOST R 34.10-2001 with GOST R 34.11-94",
    CRYPTOPRO_A: "CryptoPro-A",
    CRYPTOPRO_B: "CryptoPro-B",
    CRYPTOPRO_C: "CryptoPro-C",
    CRYPTOPRO_XCHA: "CryptoPro-XchA",
    CRYPTOPRO_XCHB: "CryptoPro-XchB",
    TC26_256_A: "tc26 256 paramSetA",
    TC26_256_B: "tc26 256 paramSetB",
    TC26_256_C: "tc26 256 paramSetC",
    TC26_256_D: "tc26 256 paramSetD",
    TC26_512_A: "tc26 512 paramSetA",
    TC26_512_B: "tc26 512 paramSetB",
    TC26_512_C: "tc26 512 paramSetC",
}


def name_of(oid: str) -> str:
    """A readable name of `oid`, or the dotted OID itself."""
    return NAMES.get(oid, oid)
