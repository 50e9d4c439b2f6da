"""CMS SignedData (RFC 5652) with GOST R 34.10-2012 for attachment signatures (`SignaturePKCS7`).

As SMEV clients write them: detached; signed attributes contentType (id-data), signingTime and messageDigest =
Streebog-256 of the file as the hash prints it (no byte reversal); the signature is over the DER SET of the signed
attributes, its digest read little-endian, s‖r. Verification reports every problem as a structured reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import cms, core, x509

from conformance.crypto import der, oids
from conformance.crypto.backends import Backend, resolve_backend
from conformance.crypto.certificates import Certificate, CertificateError, parse_certificate, time_of
from conformance.crypto.keys import PrivateKey
from conformance.crypto.pem import to_der
from conformance.errors import ConformanceError

_DIGEST_BITS = {oids.DIGEST_STREEBOG256: 256, oids.DIGEST_STREEBOG512: 512, oids.DIGEST_GOST94: 256}
_SIGNATURE_ALGORITHMS = {oids.KEY_GOST2012_256, oids.KEY_GOST2012_512,
                         oids.SIGNATURE_GOST2012_256, oids.SIGNATURE_GOST2012_512,
                         oids.KEY_GOST2001, oids.SIGNATURE_GOST2001}  # 2001: verified (old archives), never made
_LEGACY_SIGNATURES = {oids.KEY_GOST2001, oids.SIGNATURE_GOST2001}

# Reason codes of CmsProblem.
MALFORMED = "malformed"
UNSUPPORTED_ALGORITHM = "unsupported-algorithm"
CERTIFICATE_MISSING = "certificate-missing"
DIGEST_MISMATCH = "digest-mismatch"
SIGNATURE_INVALID = "signature-invalid"
CONTENT_TYPE = "content-type"
NO_SIGNER = "no-signer"


class CmsError(ConformanceError):
    """A CMS structure cannot be built from the inputs given."""


@dataclass(frozen=True)
class CmsProblem:
    code: str  # one of the reason codes above
    message: str


@dataclass(frozen=True)
class CmsVerification:
    """The outcome of verifying a detached CMS signature over some content."""

    problems: tuple[CmsProblem, ...]
    signer: Certificate | None = None
    certificates: tuple[Certificate, ...] = ()
    signing_time: dt.datetime | None = None
    expected_digest: bytes | None = field(default=None, repr=False)  # the messageDigest attribute
    actual_digest: bytes | None = field(default=None, repr=False)  # Streebog of the content

    @property
    def ok(self) -> bool:
        return not self.problems

    def codes(self) -> set[str]:
        return {problem.code for problem in self.problems}


def sign_detached(
    content: bytes,
    key: PrivateKey,
    certificate: Certificate,
    *,
    signing_time: dt.datetime | None = None,
    include_certificate: bool = True,
    backend: Backend | None = None,
) -> bytes:
    """The DER ContentInfo of a detached SignedData over `content`, signed by `key` for `certificate`.
    `backend` None: the automatic choice (`backends.resolve_backend`)."""
    backend = resolve_backend(backend)
    if certificate.public_key != key.public_key and (
            certificate.public_key is None or certificate.public_key.to_bytes() != key.public_key.to_bytes()):
        raise CmsError("the private key does not belong to the certificate")
    bits = key.bits
    when = (signing_time or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    digest_algorithm = {"algorithm": oids.DIGEST_STREEBOG256 if bits == 256 else oids.DIGEST_STREEBOG512}
    attributes = cms.CMSAttributes([
        {"type": oids.ATTR_CONTENT_TYPE, "values": [oids.CONTENT_DATA]},
        {"type": oids.ATTR_SIGNING_TIME,
         "values": [cms.Time(name="utc_time" if der.utc_time_fits(when) else "generalized_time", value=when)]},
        {"type": oids.ATTR_MESSAGE_DIGEST, "values": [backend.digest(content, bits)]},
    ])
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value={
            "issuer": der.verbatim(x509.Name, certificate.issuer_der), "serial_number": certificate.serial}),
        "digest_algorithm": digest_algorithm,
        "signed_attrs": attributes,  # signed as the DER SET OF, sent as [0] IMPLICIT (RFC 5652 §5.4)
        "signature_algorithm": {"algorithm": key.public_key.algorithm},
        "signature": backend.sign(key, backend.digest(attributes.dump(), bits)),
    })
    signed_data = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [digest_algorithm],
        "encap_content_info": {"content_type": oids.CONTENT_DATA},
        "certificates": [der.verbatim(x509.Certificate, certificate.der)] if include_certificate else None,
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": oids.CONTENT_SIGNED_DATA, "content": signed_data}).dump()


@dataclass(frozen=True)
class _SignerInfo:
    issuer_der: bytes
    serial: int
    digest_algorithm: str
    signed_attributes: cms.CMSAttributes | None
    signature_algorithm: str
    signature: bytes


def _parse(data: bytes) -> tuple[list[Certificate], list[_SignerInfo], bytes | None]:
    """Certificates, signer infos and the encapsulated content (None when detached)."""
    der.require_der(data, "CMS")
    info = cms.ContentInfo.load(data, strict=True)
    if info["content_type"].dotted != oids.CONTENT_SIGNED_DATA:
        raise der.DerError(f"ContentInfo type is {info['content_type'].dotted}, not signedData")
    signed_data = info["content"]
    content = signed_data["encap_content_info"]["content"].native
    certificates = [parse_certificate(der.encoded(choice.chosen)) for choice in signed_data["certificates"]
                    if choice.name == "certificate"]
    signers = []
    for signer in signed_data["signer_infos"]:
        sid = signer["sid"]
        if sid.name != "issuer_and_serial_number":
            raise der.DerError("only IssuerAndSerialNumber signer identifiers are supported")
        attributes = signer["signed_attrs"]
        signers.append(_SignerInfo(der.encoded(sid.chosen["issuer"]), sid.chosen["serial_number"].native,
                                   signer["digest_algorithm"]["algorithm"].dotted,
                                   None if isinstance(attributes, core.Void) else attributes,
                                   signer["signature_algorithm"]["algorithm"].dotted, signer["signature"].native))
    return certificates, signers, content


def _attributes(attributes: cms.CMSAttributes) -> dict[str, core.Asn1Value]:
    """The first value of each signed attribute, by OID."""
    return {attribute["type"].dotted: attribute["values"][0] for attribute in attributes}


def verify_detached(
    signature: bytes | str,
    content: bytes | None,
    *,
    certificate: Certificate | None = None,
    backend: Backend | None = None,
) -> CmsVerification:
    """Verify a CMS SignedData (DER, PEM or base64) over `content` (None: use the encapsulated content).

    The signer's certificate is taken from the CMS or, when absent there, from `certificate`. `backend` None: the
    automatic choice (`backends.resolve_backend`).
    """
    backend = resolve_backend(backend)
    try:
        _, body = to_der(signature, ("CMS", "PKCS7", "PKCS #7 SIGNED DATA"), "a CMS signature")
        certificates, signers, encapsulated = _parse(body)
    except (ConformanceError, *der.MALFORMED) as exc:
        if isinstance(exc, CertificateError):
            message = f"a certificate inside the CMS is unreadable: {exc}"
        else:
            message = f"not a readable CMS SignedData: {exc}"
        return CmsVerification((CmsProblem(MALFORMED, message),))
    if content is None:
        content = encapsulated
    if not signers:
        return CmsVerification((CmsProblem(NO_SIGNER, "the SignedData has no SignerInfo"),), None, tuple(certificates))
    signer_info = signers[0]
    problems: list[CmsProblem] = []
    candidates = [*certificates, *([certificate] if certificate is not None else [])]
    signer = next((c for c in candidates
                   if c.issuer_der == signer_info.issuer_der and c.serial == signer_info.serial), None)
    if signer is None:
        problems.append(CmsProblem(CERTIFICATE_MISSING,
                                   f"the signer's certificate (serial {signer_info.serial:x}) is neither in the CMS "
                                   "nor given"))
    bits = _DIGEST_BITS.get(signer_info.digest_algorithm)
    legacy = signer_info.digest_algorithm == oids.DIGEST_GOST94
    if (bits is None or signer_info.signature_algorithm not in _SIGNATURE_ALGORITHMS
            or legacy != (signer_info.signature_algorithm in _LEGACY_SIGNATURES)):
        problems.append(CmsProblem(UNSUPPORTED_ALGORITHM,
                                   f"digest {oids.name_of(signer_info.digest_algorithm)} / signature "
                                   f"{oids.name_of(signer_info.signature_algorithm)}: only GOST 2012 (or the "
                                   "withdrawn GOST 2001 with GOST R 34.11-94, as a pair) is accepted"))
        return CmsVerification(tuple(problems), signer, tuple(certificates))

    def digest(data: bytes) -> bytes:
        return backend.digest_gost94(data) if legacy else backend.digest(data, bits)

    hash_name = "GOST R 34.11-94" if legacy else f"Streebog-{bits}"
    if content is None:
        problems.append(CmsProblem(MALFORMED, "the signature is detached and no content was given"))
        return CmsVerification(tuple(problems), signer, tuple(certificates))
    actual = digest(content)
    expected = signing_time = None
    if signer_info.signed_attributes is not None:
        try:
            attributes = _attributes(signer_info.signed_attributes)
            if oids.ATTR_MESSAGE_DIGEST not in attributes:
                problems.append(CmsProblem(MALFORMED, "the signed attributes lack messageDigest"))
            else:
                expected = attributes[oids.ATTR_MESSAGE_DIGEST].native
            content_type = attributes.get(oids.ATTR_CONTENT_TYPE)
            if content_type is None or content_type.dotted != oids.CONTENT_DATA:
                problems.append(CmsProblem(CONTENT_TYPE, "the contentType signed attribute is missing or not id-data"))
            if oids.ATTR_SIGNING_TIME in attributes:
                signing_time = time_of(attributes[oids.ATTR_SIGNING_TIME])
        except der.MALFORMED as exc:
            problems.append(CmsProblem(MALFORMED, f"unreadable signed attributes: {exc}"))
        if expected is not None and expected != actual:
            hint = " (it equals the digest byte-reversed)" if expected == actual[::-1] else ""
            problems.append(CmsProblem(DIGEST_MISMATCH,
                                       f"messageDigest {expected.hex()} differs from {hash_name} of the content "
                                       f"{actual.hex()}{hint}"))
        signed_bytes = b"\x31" + der.encoded(signer_info.signed_attributes)[1:]  # signed as a SET OF (RFC 5652 §5.4)
        signed_digest = digest(signed_bytes)
    else:
        signed_digest = actual
    if signer is not None:
        key = signer.public_key
        if (key is None or key.bits != bits or key.legacy != legacy
                or not backend.verify(key, signed_digest, signer_info.signature)):
            problems.append(CmsProblem(SIGNATURE_INVALID,
                                       "the signature value does not verify with the signer certificate's key"
                                       + (f" ({signer.key_error})" if key is None else "")))
    return CmsVerification(tuple(problems), signer, tuple(certificates), signing_time, expected, actual)
