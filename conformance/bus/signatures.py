"""Who calls the bus double: decided once, here, from the signature that verified, never from what the sender claims.

`caller_identifier(credentials, backend)` gives the function the double runs on every call, whatever its operation. It
verifies every signature of the call with the signature engineer's verifier (`conformance.xmldsig`) at the bus's
clock (receipt time, never a time the message carries), then:

1. the call must carry exactly one ds:Signature in its caller wrapper (`CallerInformationSystemSignature`);
2. any failed signature rule refuses the call with `SignatureVerificationFault` and the reason of the table below,
   certificate time, chain and revocation excepted (step 4);
3. the caller is the holder of the key that verified that signature: the certificate on the passed SIG-VALUE
   outcome (the only one KeyInfo may hold) must be the registered certificate of exactly one participant, else
   `SenderIsNotRegistered`;
4. that certificate must be valid at receipt, chain to the bus's CA and not be revoked, else
   `SignatureVerificationFault` (CertificateIsExpired / CertificateIsNotFound).

The identity returned is the one every operation then acts as (queues read, acks, answers, sends). A call refused
with SignatureVerificationFault is journalled under the participant its one presented certificate names
(`BusFault.claimed_caller`), so that a suite finds its own failed calls; nothing else uses that name.

| failed rule                                                        | reason                   |
|--------------------------------------------------------------------|--------------------------|
| SIG-PRESENT                                                        | NoSignatureFound         |
| SIG-POSITION, SIG-STRUCTURE, SIG-C14N, SIG-ALG, SIG-TRANSFORMS, SIG-LAYOUT | PoorSOAPEnvelopeFormat |
| SIG-ALG-CURRENT (warned: GOST R 34.10-2001 / 34.11-94)             | PoorSOAPEnvelopeFormat   |
| SIG-REF-RESOLVES, SIG-REF-TARGET                                   | IncorrectSignatureTarget |
| SIG-DIGEST, SIG-VALUE                                              | SignatureIsInvalid       |
| CERT-PRESENT (none, unreadable, or more than one), CERT-CHAIN      | CertificateIsNotFound    |
| CERT-VALIDITY, CERT-REVOCATION                                     | CertificateIsExpired     |

Warnings do not refuse the call, except the withdrawn GOST R 34.10-2001 / 34.11-94: `verify` judges old traffic
with it, but SMEV has refused it for signing since 2020 and the double judges at receipt, now.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from lxml import etree

from conformance.bus.credentials import BusCredentials
from conformance.bus.faults import BusFault
from conformance.crypto import load_certificate
from conformance.errors import ConformanceError
from conformance.findings import Status
from conformance.protocol.codes import FaultName
from conformance.protocol.codes import SignatureVerificationReason as Reason
from conformance.protocol.operations import SIGNING, Operation, detect
from conformance.xmldsig.signedfields import locate_signed
from conformance.xmldsig.verifier import VerifyOptions, verify_tree

if TYPE_CHECKING:
    from conformance.crypto import Backend

REASONS: dict[str, Reason] = {
    "SIG-PRESENT": Reason.NO_SIGNATURE_FOUND,
    "SIG-POSITION": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-STRUCTURE": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-C14N": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-ALG": Reason.POOR_SOAP_ENVELOPE_FORMAT,
    "SIG-ALG-CURRENT": Reason.POOR_SOAP_ENVELOPE_FORMAT,
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
# Judged after the signer is known: a registered participant hears that its certificate expired, anyone else that
# it is not registered.
_CERTIFICATE_STANDING = ("CERT-CHAIN", "CERT-VALIDITY", "CERT-REVOCATION")

# Warnings that refuse a call all the same (see the module docstring).
_REFUSED_WARNINGS = frozenset({"SIG-ALG-CURRENT"})

_DS = "{http://www.w3.org/2000/09/xmldsig#}"

Identifier = Callable[[etree._ElementTree, Operation, datetime], str]
"""(call's tree, its operation, the bus's clock at receipt) -> the caller's mnemonic, or raises `BusFault`."""


def _refuse(rule_id: str, message: str) -> BusFault:
    return BusFault(FaultName.SIGNATURE_VERIFICATION_FAULT, f"[{rule_id}] {message}", reason=REASONS[rule_id])


def _first_failure(failed: list, rules: tuple[str, ...]) -> BusFault | None:
    for rule_id in rules:
        for outcome in failed:
            if outcome.rule_id == rule_id:
                return _refuse(rule_id, outcome.message)
    return None


def caller_identifier(credentials: BusCredentials, backend: Backend) -> Identifier:
    """The function identifying a call's caller by the signature that verified (see the module docstring), with
    the bus's one GOST `backend`."""

    trust = (credentials.ca,) if credentials.ca is not None else ()
    crls = (credentials.crl,) if credentials.crl is not None else ()

    def identify(tree: etree._ElementTree, operation: Operation, at: datetime) -> str:
        try:
            return _identify(tree, operation, at)
        except BusFault as fault:
            if fault.name is FaultName.SIGNATURE_VERIFICATION_FAULT:
                fault.claimed_caller = _claimed(tree, operation, credentials)
            raise

    def _identify(tree: etree._ElementTree, operation: Operation, at: datetime) -> str:
        spec = SIGNING[operation]
        wrapper = locate_signed(detect(tree).body, spec.wrapper_path)
        signatures = [] if wrapper.element is None else wrapper.element.findall(f"{_DS}Signature")
        if not signatures:
            raise _refuse("SIG-PRESENT", f"{operation.value} carries no caller signature "
                                         f"({spec.wrapper}/ds:Signature)")
        if len(signatures) > 1 or wrapper.ambiguity:
            raise _refuse("SIG-STRUCTURE", wrapper.ambiguity or f"{spec.wrapper} holds {len(signatures)} "
                                           "ds:Signature elements; the caller signs once")
        caller_signature = signatures[0]
        options = VerifyOptions(trust=trust, crls=crls, at=at, diagnose=False, backend=backend)  # type: ignore[arg-type]
        options.at_source = "receipt by the bus"
        outcomes = verify_tree(tree, options)
        failed = [o for o in outcomes if o.status is Status.FAIL
                  or (o.status is Status.WARN and o.rule_id in _REFUSED_WARNINGS)]
        standing = [o for o in failed if o.rule_id in _CERTIFICATE_STANDING]
        fault = _first_failure([o for o in failed if o not in standing], _ORDER)
        if fault is not None:
            raise fault
        if len(standing) != len(failed):  # a failed rule outside the table (none today): refuse all the same
            other = next(o for o in failed if o not in standing)
            raise BusFault(FaultName.SIGNATURE_VERIFICATION_FAULT, f"[{other.rule_id}] {other.message}",
                           reason=Reason.SIGNATURE_IS_INVALID)
        value = caller_signature.find(f"{_DS}SignatureValue")
        verified = next((o.certificate for o in outcomes if o.rule_id == "SIG-VALUE" and o.status is Status.PASS
                         and o.element is value and o.certificate is not None), None)
        if verified is None:
            raise _refuse("SIG-VALUE", "the caller's signature value was not verified with a certificate")
        mnemonic = credentials.mnemonic_of(verified.der)  # type: ignore[attr-defined]
        if mnemonic is None:
            raise BusFault(FaultName.SENDER_IS_NOT_REGISTERED, f"the certificate that verified the signature "
                           f"({verified.subject}, serial {verified.serial:x}) is not the registered certificate of "  # type: ignore[attr-defined]
                           "any participant (register it in the --keys directory as "
                           "participants/<MNEMONIC>.cert.pem)")
        fault = _first_failure(standing, _CERTIFICATE_STANDING)
        if fault is not None:
            raise fault
        return mnemonic

    return identify


def _claimed(tree: etree._ElementTree, operation: Operation, credentials: BusCredentials) -> str | None:
    """Whom a refused call claims to be: the participant registered with the one certificate its caller signature
    presents. Never an identity the bus acts on; the journal records it so that a participant's failed calls are
    found under its name (a suite names the failure)."""
    wrapper = locate_signed(detect(tree).body, SIGNING[operation].wrapper_path).element
    nodes = [] if wrapper is None else list(wrapper.iter(f"{_DS}X509Certificate"))
    if len(nodes) != 1:
        return None
    try:
        certificate = load_certificate(base64.b64decode("".join((nodes[0].text or "").split()), validate=True))
    except (binascii.Error, ValueError, ConformanceError):
        return None
    return credentials.mnemonic_of(certificate.der)
