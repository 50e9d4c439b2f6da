"""The SMEV 3 protocol core: versions and namespaces, operations, vocabularies, identifiers, the message model,
building and parsing envelopes.

Stable entry points (others import these):
- `conformance.protocol.namespaces`: `Version`, `ns(version)`, `classify(uri)`, `SOAP_ENV`, `XMLDSIG`.
- `conformance.protocol.operations`: `Operation`, `Rpc`, `detect(tree)`, `SIGNING`, `SIGNATURES`, `locate`,
  `FAULTS`, `faults_for`, `ProtocolError`.
- `conformance.protocol.codes`: `MessageType`, `StatusCategory`, `RejectionReasonCode`, `FaultName`,
  `SignatureVerificationReason`.
- `conformance.protocol.ids`: `new_message_id`, `is_lower_uuid1`, `check_message_id`, `uuid1_time`, chain helpers.
- `conformance.protocol.model`: the frozen message dataclasses (`SendRequestRequest`, ..., `SoapFault`).
- `conformance.protocol.builder`: `build(message, version, sign=None) -> bytes`, `build_element`, `build_body`,
  `place_signature`.
- `conformance.protocol.reader`: `parse(bytes | tree) -> ParsedMessage(operation, version, message, envelope)`.
- `conformance.protocol.facts`: `envelope_facts(tree)` / `read_facts(element)` -> `Facts`: the lenient, one way to read
  a message's ids, times, parties, signed parts and attachment ids (SMEV namespaces only; never raises).
- `conformance.protocol.schemafacts`: what the shipped XSDs declare: `fault_shape(name, version)` (a basic:Void
  fault carries nothing), `status_categories(version)`, `nearest_status`, `interaction_types`.
- `conformance.protocol.samples`: `sample_message(operation, version, variant=, spec=, seed=, at=)`,
  `sample_envelope(..., sign=)`, `iter_samples(...)`: valid, seeded samples of every operation x version.
"""

from conformance.protocol.builder import build, build_element, place_signature
from conformance.protocol.codes import (
    FaultName,
    MessageType,
    RejectionReasonCode,
    SignatureVerificationReason,
    StatusCategory,
)
from conformance.protocol.namespaces import Version, ns
from conformance.protocol.operations import SIGNATURES, SIGNING, Operation, ProtocolError, Rpc, SigningSpec, detect
from conformance.protocol.reader import ParsedMessage, parse
from conformance.protocol.xmlfragment import XmlFragment

__all__ = [
    "SIGNATURES",
    "SIGNING",
    "FaultName",
    "MessageType",
    "Operation",
    "ParsedMessage",
    "ProtocolError",
    "RejectionReasonCode",
    "Rpc",
    "SignatureVerificationReason",
    "SigningSpec",
    "StatusCategory",
    "Version",
    "XmlFragment",
    "build",
    "build_element",
    "detect",
    "ns",
    "parse",
    "place_signature",
]
