"""Detached XMLDSig signatures the way SMEV expects them (docs/smev-protocol.md, "Signatures").

SignedInfo is built exactly as the facts page says: exclusive c14n as the canonicalization method, the GOST
2012 algorithm pair of the key's size, one Reference to `#Id` with the transforms exclusive c14n then the SMEV
transform, and `KeyInfo/X509Data/X509Certificate`. Nothing is ever indented.
"""

from __future__ import annotations

import base64
from enum import Enum
from typing import TYPE_CHECKING

from lxml import etree

from conformance.crypto import resolve_backend
from conformance.errors import InputError
from conformance.protocol.builder import place_signature
from conformance.protocol.operations import SIGNATURES, Operation, Signer, SigningSpec, detect, locate
from conformance.xmldsig import constants as c
from conformance.xmldsig.attachments import sign_attachments
from conformance.xmldsig.c14n import exc_c14n
from conformance.xmldsig.transform import smev_transform

if TYPE_CHECKING:
    from datetime import datetime

    from conformance.crypto import Backend, Certificate, PrivateKey
    from conformance.protocol.namespaces import Version

_ALGORITHMS = {256: (c.SIG_GOST2012_256, c.DIGEST_GOST2012_256), 512: (c.SIG_GOST2012_512, c.DIGEST_GOST2012_512)}


def _ds(parent: etree._Element, name: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{c.DS_NS}}}{name}", attributes)


def build_signature(target: etree._Element, key: PrivateKey, certificate: Certificate, *,
                    backend: Backend | None = None, source: str | None = None) -> etree._Element:
    """A `ds:Signature` over `target` (which must carry its `Id`), not yet placed anywhere.

    The digest is taken over `target` where it stands; the signature value over the exclusive c14n of SignedInfo,
    which depends on no context outside the `ds:Signature` element. A target SMEV's transform throws on (an element
    in no namespace, an `xml:*` attribute) raises `SmevTransformError` (`source` names the file): SMEV could never
    verify a digest written over it.
    """
    backend = resolve_backend(backend)
    target_id = target.get(c.ID_ATTRIBUTE)
    if not target_id:
        raise ValueError("the signed element needs an Id attribute before it can be referenced")
    signature_uri, digest_uri = _ALGORITHMS[key.bits]
    signature = etree.Element(f"{{{c.DS_NS}}}Signature", nsmap={"ds": c.DS_NS})
    signed_info = _ds(signature, "SignedInfo")
    _ds(signed_info, "CanonicalizationMethod", Algorithm=c.EXC_C14N)
    _ds(signed_info, "SignatureMethod", Algorithm=signature_uri)
    reference = _ds(signed_info, "Reference", URI=f"#{target_id}")
    transforms = _ds(reference, "Transforms")
    for uri in c.SMEV_TRANSFORMS:
        _ds(transforms, "Transform", Algorithm=uri)
    _ds(reference, "DigestMethod", Algorithm=digest_uri)
    digest = backend.digest(smev_transform(target, path=source), key.bits)
    _ds(reference, "DigestValue").text = base64.b64encode(digest).decode("ascii")
    value = backend.sign(key, backend.digest(exc_c14n(signed_info), key.bits))
    _ds(signature, "SignatureValue").text = base64.b64encode(value).decode("ascii")
    x509 = _ds(_ds(signature, "KeyInfo"), "X509Data")
    _ds(x509, "X509Certificate").text = base64.b64encode(certificate.der).decode("ascii")
    return signature


def sign_element(target: etree._Element, wrapper: etree._Element, key: PrivateKey, certificate: Certificate, *,
                 element_id: str | None = None, backend: Backend | None = None) -> etree._Element:
    """Sign `target` into `wrapper` (replacing a ds:Signature already there); returns the new ds:Signature.

    `element_id` sets the target's Id; without it the target's own Id is used and must exist.
    """
    if element_id is not None:
        target.set(c.ID_ATTRIBUTE, element_id)
    signature = build_signature(target, key, certificate, backend=backend)
    for old in wrapper.findall(f"{{{c.DS_NS}}}Signature"):
        wrapper.remove(old)
    wrapper.append(signature)
    return signature


def signing_spec(operation: Operation, *, personal: bool = False) -> SigningSpec:
    """The signature a signer of `operation` adds: the first of the operation's table (the caller's for what a client
    sends, the bus's for what it answers), or the personal signature of the business element."""
    specs = SIGNATURES.get(operation, ())
    if personal:
        specs = tuple(spec for spec in specs if spec.signer is Signer.PERSON)
    if not specs:
        kind = "a personal signature" if personal else "a signature"
        raise InputError(f"{operation.value} carries no {kind} (docs/smev-protocol.md, Operations)",
                         rule="SIG-PRESENT")
    return specs[0]


def sign_message(tree: etree._ElementTree | etree._Element, operation: Operation | str | None, key: PrivateKey,
                 certificate: Certificate, *, personal: bool = False, element_id: str | None = None,
                 backend: Backend | None = None, source: str | None = None,
                 spec: SigningSpec | None = None) -> etree._Element:
    """Add the detached signature `operation` calls for to an envelope, in place; returns the ds:Signature.

    `operation` (an `Operation`, or a name `Operation.parse` reads such as "SendRequest") None means what the
    envelope is; `spec` (one of `SIGNATURES[operation]`) picks another signature
    of the operation than its first, e.g. the sender's signature inside a delivered Request. The signed element keeps its Id, gets `element_id` when given, or
    the Id real traffic uses (`SIGNED_BY_CONSUMER`, ...) when it has none. Sign the personal signature first: the
    caller's signature covers it.
    """
    detection = detect(tree, source=source)
    if isinstance(operation, str) and not isinstance(operation, Enum):
        operation = Operation.parse(operation)
    operation = operation or detection.operation
    spec = spec or signing_spec(operation, personal=personal)
    where = source or "<input>"
    target = locate(detection.body, spec.signed_path)
    if target is None:
        raise InputError(f"{operation.value} has no {'/'.join(spec.signed_path)} to sign", path=where,
                         line=detection.body.sourceline, rule="SIG-REF-TARGET")
    if element_id is not None:
        target.set(c.ID_ATTRIBUTE, element_id)
    elif not target.get(c.ID_ATTRIBUTE):
        target.set(c.ID_ATTRIBUTE, spec.default_id or f"SIGNED_{spec.signed.upper()}")
    signature = build_signature(target, key, certificate, backend=backend, source=where)
    place_signature(detection.body, spec, signature)
    return signature


def signing_hook(key: PrivateKey, certificate: Certificate, *, personal: bool = False,
                 backend: Backend | None = None):
    """A `conformance.protocol.builder.Sign` hook: `build(message, version, sign=signing_hook(key, cert))`."""

    def sign(envelope: etree._Element, operation: Operation, version: Version) -> None:
        if personal:
            sign_message(envelope, operation, key, certificate, personal=True, backend=backend)
        sign_message(envelope, operation, key, certificate, backend=backend)

    return sign


# Who signs last covers the others: a personal signature sits inside the sender's signed block, the sender's inside
# the Request or Response the bus signs.
_SIGNING_ORDER = {"person": 0, "sender": 1, "caller": 2, "smev": 3}


def sign_as_in_traffic(envelope: etree._ElementTree | etree._Element, operation: Operation, *,
                       participant: tuple[PrivateKey, Certificate], bus: tuple[PrivateKey, Certificate],
                       personal: bool = False, backend: Backend | None = None,
                       signing_time: datetime | None = None) -> int:
    """Add every signature a message of `operation` carries in real traffic, each by whoever puts it there.

    Attachments first (their headers are inside signed blocks), then, innermost first: the personal signature (only
    with `personal`), the original sender's, then the caller's or the bus's. The participant signs as person, sender
    and caller; the bus signs as SMEV. `signing_time` goes into the attachments' CMS (default now). Returns the
    number of XML signatures added.
    """
    root = envelope.getroot() if isinstance(envelope, etree._ElementTree) else envelope
    sign_attachments(root, *participant, backend=backend, signing_time=signing_time)
    body = root.find("{*}Body")
    added = 0
    for spec in sorted(SIGNATURES.get(operation, ()), key=lambda s: _SIGNING_ORDER[s.signer.value]):
        if spec.signer.value == "person" and not personal:
            continue
        if body is None or len(body) == 0 or locate(body[0], spec.signed_path) is None:
            continue  # an optional block this message does not have (e.g. an empty GetResponseResponse)
        key, certificate = bus if spec.signer.value == "smev" else participant
        sign_message(root, operation, key, certificate, spec=spec, backend=backend)
        added += 1
    return added


def traffic_signing_hook(participant: tuple[PrivateKey, Certificate], bus: tuple[PrivateKey, Certificate], *,
                         personal: bool = False, backend: Backend | None = None,
                         signing_time: datetime | None = None):
    """A builder `sign` hook applying `sign_as_in_traffic`: `build(message, version, sign=traffic_signing_hook(...))`."""

    def sign(envelope: etree._Element, operation: Operation, version: Version) -> None:
        sign_as_in_traffic(envelope, operation, participant=participant, bus=bus, personal=personal, backend=backend,
                           signing_time=signing_time)

    return sign
