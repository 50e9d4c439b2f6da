"""The protocol words a suite may use, taken from the protocol core (`conformance.protocol`): one list of each."""

from __future__ import annotations

from conformance.protocol.codes import FaultName, RejectionReasonCode, SignatureVerificationReason, StatusCategory
from conformance.protocol.namespaces import LATEST, SOAP_ENV, XMLDSIG, Version, ns
from conformance.protocol.operations import FAULTS as RPC_FAULTS
from conformance.protocol.operations import Rpc

VERSIONS: tuple[str, ...] = tuple(v.value for v in Version)
OPERATIONS: tuple[str, ...] = tuple(r.value for r in Rpc)
"""RPC names as a suite writes them (`SendResponse`, `Ack`, …)."""
FAULTS: tuple[str, ...] = tuple(f.value for f in FaultName)
FAULTS_BY_OPERATION: dict[str, tuple[str, ...]] = {
    rpc.value: tuple(sorted(f.value for f in faults)) for rpc, faults in RPC_FAULTS.items()}
REJECTION_CODES: tuple[str, ...] = tuple(c.value for c in RejectionReasonCode)
STATUS_CATEGORIES: tuple[str, ...] = tuple(c.value for c in StatusCategory)
SIGNATURE_FAULT_REASONS: tuple[str, ...] = tuple(r.value for r in SignatureVerificationReason)

XPATH_PREFIXES: dict[str, str] = {"soap": SOAP_ENV, "ds": XMLDSIG, "tns": ns(LATEST).types, "basic": ns(LATEST).basic}
"""Prefixes an XPath in a suite may use; a run rebinds `tns` and `basic` to the namespaces of its version."""
