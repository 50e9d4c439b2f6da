"""Verifying a caller's signature as the bus does, through the signature engineer's verifier (`conformance.xmldsig`).

Every signature rule that fails maps to the reason a `SignatureVerificationFault` carries:

| failed rule                                                        | reason                   |
|--------------------------------------------------------------------|--------------------------|
| SIG-PRESENT                                                        | NoSignatureFound         |
| SIG-POSITION, SIG-STRUCTURE, SIG-C14N, SIG-ALG, SIG-TRANSFORMS, SIG-LAYOUT | PoorSOAPEnvelopeFormat |
| SIG-REF-RESOLVES, SIG-REF-TARGET                                   | IncorrectSignatureTarget |
| SIG-DIGEST, SIG-VALUE                                              | SignatureIsInvalid       |
| CERT-PRESENT, CERT-CHAIN                                           | CertificateIsNotFound    |
| CERT-VALIDITY, CERT-REVOCATION                                     | CertificateIsExpired     |

Warnings (an obsolete 2001 algorithm) do not refuse the call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lxml import etree

from conformance.bus.credentials import BusCredentials
from conformance.protocol.codes import SignatureVerificationReason as Reason
from conformance.protocol.operations import Operation
from conformance.rules.model import Status

REASONS: dict[str, Reason] = {
    "SIG-PRESENT": Reason.NO_SIGNATURE_FOUND,
    "SIG-POSITION": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-STRUCTURE": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-C14N": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-ALG": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-TRANSFORMS": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-LAYOUT": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-REF-RESOLVES": Reason.INCORRECT_SIGNATURE_TARGET,
    "SIG-REF-TARGET": Reason.INCORRECT_SIGNATURE_TARGET,
    "SIG-DIGEST": Reason.SIGNATURE_IS_INVALID,
    "SIG-VALUE": Reason.SIGNATURE_IS_INVALID,
    "CERT-PRESENT": Reason.CERTIFICATE_IS_NOT_FOUND,
    "CERT-CHAIN": Reason.CERTIFICATE_IS_NOT_FOUND,
    "CERT-VALIDITY": Reason.CERTIFICATE_IS_EXPIRED,
    "CERT-REVOCATION": Reason.CERTIFICATE_IS_EXPIRED,
}
# Checked in this order, so the most basic problem is the one reported.
_ORDER = tuple(REASONS)

Verifier = Callable[[etree._ElementTree, Operation, datetime], "tuple[Reason, str] | None"]


def caller_signature_verifier(credentials: BusCredentials) -> Verifier:
    """A function judging a call's signatures at the bus's time: None when they hold, else (reason, text)."""
    from conformance.xmldsig.verifier import VerifyOptions, verify_tree

    trust = (credentials.ca,) if credentials.ca is not None else ()
    crls = (credentials.crl,) if credentials.crl is not None else ()

    def verify(tree: etree._ElementTree, operation: Operation, at: datetime) -> tuple[Reason, str] | None:
        options = VerifyOptions(trust=trust, crls=crls, at=at, diagnose=False)  # type: ignore[arg-type]
        failed = [o for o in verify_tree(tree, options) if o.status is Status.FAIL]
        for rule_id in _ORDER:
            for outcome in failed:
                if outcome.rule_id == rule_id:
                    return REASONS[rule_id], f"[{rule_id}] {outcome.message}"
        if failed:
            first = failed[0]
            return Reason.SIGNATURE_IS_INVALID, f"[{first.rule_id}] {first.message}"
        return None

    return verify
