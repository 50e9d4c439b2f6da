"""What the bus answers when it refuses a call: an SMEV fault, and the mapping of catalogue findings to faults."""

from __future__ import annotations

from collections.abc import Mapping

from conformance.findings import Finding
from conformance.protocol import model as m
from conformance.protocol.codes import FaultName, SignatureVerificationReason
from conformance.protocol.namespaces import SOAP_ENV, Version
from conformance.protocol.schemafacts import fault_shape

DOUBLE_FAULT_DETAILS: dict[str, str] = {
    "RootElementLocalName": "unknown",
    "RootElementNamespaceURI": "unknown",
    "PermittedTotalAttachmentSize": "5242880",
    "RealTotalAttachmentSize": "0",
    "RemainedTotalQuoteSize": "0",
    "MessageBrokerAddress": "smev-double",
    "DestinationName": "unknown",
}
"""What the double writes for an element a fault's XSD type requires when the cause did not supply it (a fault
armed by a test, say): the XSD decides which are required, these only fill them."""


class BusFault(Exception):
    """The bus refuses the call with the SMEV fault `name` (HTTP 500, `soap:Server`, as real SMEV does)."""

    def __init__(self, name: FaultName, description: str, *, reason: SignatureVerificationReason | None = None,
                 validation_errors: tuple[m.ValidationError, ...] = (), client: bool = False, http_status: int = 500,
                 details: Mapping[str, str] | None = None):
        super().__init__(f"{name.value}: {description}")
        self.name = FaultName(name)
        self.description = description
        self.reason = reason
        # Only InvalidContent carries ValidationError elements (faults schema).
        self.validation_errors = validation_errors if self.name is FaultName.INVALID_CONTENT else ()
        self.details = dict(details or {})
        """Values of the elements the fault's XSD type adds, by local name (e.g. RealTotalAttachmentSize)."""
        self.client = client
        self.http_status = http_status
        self.forced = False
        """Armed by a test (`Bus.force_fault`) rather than caused by the call."""
        self.claimed_caller: str | None = None
        """On a call refused before its caller was proven: whom its certificate names (for the journal only)."""

    def model(self, version: Version) -> m.SoapFault:
        """The fault as `version`'s faults XSD types it: a basic:Void fault carries nothing (its text is the
        faultstring); an SmevFault carries Code, Description and every element its type requires."""
        faultcode = (SOAP_ENV, "Client" if self.client else "Server")
        shape = fault_shape(self.name, version)
        if shape.void:
            return m.SoapFault(name=self.name, faultstring=self.description, faultcode=faultcode)
        fields = {f.name for f in shape.fields}
        reason = self.reason
        if "SignatureVerificationFault" in fields and reason is None:
            reason = SignatureVerificationReason.SIGNATURE_IS_INVALID
        errors: tuple[m.ValidationError, ...] = ()
        if "ValidationError" in fields:  # at least one: the description when the cause named no position
            errors = self.validation_errors or (m.ValidationError(self.description),)
        details = tuple((f.name, self.details.get(f.name) or DOUBLE_FAULT_DETAILS[f.name]) for f in shape.fields
                        if f.name not in ("SignatureVerificationFault", "ValidationError")
                        and (f.required or f.name in self.details))
        return m.SoapFault(name=self.name, faultstring=self.description, code=f"SMEV-DOUBLE-{self.name.value}",
                           description=self.description, reason=reason, validation_errors=errors,
                           faultcode=faultcode, details=details)


RULE_FAULTS: dict[str, FaultName] = {
    "MSG-CONTENT-REGISTERED": FaultName.BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED,
    "MSG-CONTENT-RESPONSE-TYPE": FaultName.INCORRECT_RESPONSE_CONTENT_TYPE,
    "MSG-SELECTOR-REGISTERED": FaultName.UNKNOWN_MESSAGE_TYPE,
    "MSG-FIELD-TRANSACTION-CODE": FaultName.TRANSACTION_CODE_INVALID,
    "MSG-ACCESS-MATRIX": FaultName.ACCESS_DENIED,
    "SIG-ATTACH-CMS": FaultName.SIGNATURE_VERIFICATION_FAULT,
    "MSG-ID-UUID1": FaultName.INVALID_MESSAGE_ID_FORMAT,
    "TIME-ID-STALE": FaultName.STALE_MESSAGE_ID,
    "TIME-EOL": FaultName.END_OF_LIFE_REACHED,
    "MSG-ATTACH-COORDINATED": FaultName.ATTACHMENT_CONTENT_MISCOORDINATION,
}
"""Catalogue rules whose failure the protocol answers with a fault of its own; every other failure of an error
rule is InvalidContent (697 §6л: the bus blocks a message whose structure does not match), and so is a mapped
failure whose fault the operation cannot answer with (e.g. a response element in a SendRequest)."""

RULES_THE_BUS_DECIDES_ITSELF = ("SIG-", "CERT-", "MSG-XML-", "TIME-ID-FUTURE")
"""Rules the bus does not take from the catalogue run: signatures are verified (or switched off) separately,
unusable XML never reaches the rules, and a MessageID from the future is the caller's clock, not its message."""


def fault_for_findings(failures: list[Finding], allowed: frozenset[FaultName] | None = None) -> BusFault | None:
    """The fault answering failed error findings (a specific fault first), or None when nothing failed.
    `allowed`: the faults the operation may answer with (`conformance.protocol.operations.faults_for`)."""
    if not failures:
        return None
    for finding in failures:
        name = RULE_FAULTS.get(finding.rule_id)
        if name is not None and (allowed is None or name in allowed):
            reason = SignatureVerificationReason.SIGNATURE_IS_INVALID \
                if name is FaultName.SIGNATURE_VERIFICATION_FAULT else None
            return BusFault(name, f"{finding.rule_id}: {finding.message}", reason=reason)
    return BusFault(FaultName.INVALID_CONTENT, f"{len(failures)} rule(s) failed: "
                    + "; ".join(f"{f.rule_id}: {f.message}" for f in failures[:5]),
                    validation_errors=tuple(_validation_error(f) for f in failures))


def _validation_error(finding: Finding) -> m.ValidationError:
    """`errorPosition` is an xs:int: the line (-1 when unknown, as real SMEV writes); the XPath goes in the text."""
    where = f" (at {finding.location.xpath})" if finding.location.xpath else ""
    line = finding.location.line
    return m.ValidationError(f"[{finding.rule_id}] {finding.message}{where}", error_position=-1 if line is None
                             else line)
