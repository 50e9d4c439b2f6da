"""How the reference participant writes what it sends: MessageIDs, the caller's signature, and the broken twins'
deviations on the wire (each applied here, at the one place the mistake is made).

`message_id(style)` makes a MessageID; `signing_hook(behaviour, key, cert)` is the
`conformance.protocol.builder.Sign` hook every call goes through. The reference signs as the facts page says
(`conformance.xmldsig.signer.build_signature`); a variant's flaw is applied to the signature of the messages that
carry data (SendRequest, SendResponse), so polls and acks still work and the flaw shows where a suite looks.
An expired certificate is the exception: it signs every call, as it would in a real system.
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING

from lxml import etree

from conformance.crypto import resolve_backend
from conformance.protocol import ids
from conformance.protocol.builder import Sign, place_signature
from conformance.protocol.operations import SIGNING, Operation, detect, locate
from conformance.reference.variants import Behaviour, IdStyle, SignatureFlaw
from conformance.xmldsig import constants as c
from conformance.xmldsig.c14n import inclusive_c14n
from conformance.xmldsig.signer import build_signature

if TYPE_CHECKING:
    from conformance.crypto import Backend, Certificate, PrivateKey
    from conformance.protocol.namespaces import Version

DATA_OPERATIONS = frozenset({Operation.SEND_REQUEST, Operation.SEND_RESPONSE})
_DS = f"{{{c.DS_NS}}}"


def message_id(style: IdStyle = IdStyle.UUID1) -> str:
    """A new MessageID: a lower-case version-1 UUID, or one of the broken styles."""
    if style is IdStyle.UUID4:
        return str(uuid.uuid4())
    fresh = ids.new_message_id()
    return fresh.upper() if style is IdStyle.UPPER else fresh


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _drop_to(body: etree._Element) -> None:
    """The `no-to` twin: SenderProvidedResponseData without its To."""
    data = locate(body, ("SenderProvidedResponseData",))
    if data is not None:
        for child in data:
            if isinstance(child.tag, str) and _local(child) == "To":
                data.remove(child)


def _resign_signed_info(signature: etree._Element, key: PrivateKey, canonical: bytes, backend: Backend) -> None:
    value = backend.sign(key, backend.digest(canonical, key.bits))
    signature.find(f"{_DS}SignatureValue").text = base64.b64encode(value).decode("ascii")


def _apply_flaw(flaw: SignatureFlaw, signature: etree._Element, key: PrivateKey, backend: Backend) -> None:
    """Spoil a placed signature the way the flaw says (after placement: c14n sees the final ancestors)."""
    if flaw is SignatureFlaw.RS_ORDER:
        value = signature.find(f"{_DS}SignatureValue")
        raw = base64.b64decode(value.text)
        half = len(raw) // 2
        value.text = base64.b64encode(raw[half:] + raw[:half]).decode("ascii")
    elif flaw is SignatureFlaw.INCLUSIVE_C14N:

        _resign_signed_info(signature, key, inclusive_c14n(signature.find(f"{_DS}SignedInfo")), backend)


def sign_envelope(envelope: etree._Element, operation: Operation, key: PrivateKey, certificate: Certificate,
                  behaviour: Behaviour | None = None, backend: Backend | None = None) -> etree._Element:
    """Add the caller's signature of `operation` to `envelope` in place, with `behaviour`'s deviations, signing with
    `backend` (None: the automatic choice, resolved here once)."""

    backend = resolve_backend(backend)
    behaviour = behaviour or Behaviour()
    body = detect(envelope).body
    data_message = operation in DATA_OPERATIONS
    if data_message and not behaviour.copy_reply_to:
        _drop_to(body)
    spec = SIGNING[operation]
    target = locate(body, spec.signed_path)
    if target is None:
        raise ValueError(f"{operation.value} has no {'/'.join(spec.signed_path)} to sign")
    if not target.get(c.ID_ATTRIBUTE):
        target.set(c.ID_ATTRIBUTE, spec.default_id or "SIGNED_BY_CALLER")
    flaw = behaviour.signature if data_message else SignatureFlaw.NONE
    referenced = target
    if flaw is SignatureFlaw.WRONG_TARGET:  # the WS-Security habit: sign the SOAP Body
        referenced = body.getparent()
        referenced.set(c.ID_ATTRIBUTE, "SIGNED_BODY")
    signature = build_signature(referenced, key, certificate, backend=backend)
    place_signature(body, spec, signature)
    _apply_flaw(flaw, signature, key, backend)
    if flaw is SignatureFlaw.INDENTED_SIGNED_INFO:
        etree.indent(envelope, space="  ")
    return signature


def signing_hook(behaviour: Behaviour, key: PrivateKey, certificate: Certificate,
                 backend: Backend | None = None) -> Sign:
    """The hook `BusClient(sign=...)` applies to every envelope the participant sends."""

    def sign(envelope: etree._Element, operation: Operation, version: Version) -> None:
        sign_envelope(envelope, operation, key, certificate, behaviour, backend)

    return sign
