"""What the hostile suites share: the one assertion that a call was refused with the fault (and reason) expected."""

from __future__ import annotations

from conformance.protocol.codes import FaultName, SignatureVerificationReason


def refused(reply, fault: FaultName, reason: SignatureVerificationReason | None = None):
    """The SOAP fault of `reply`, asserted to be `fault` (and `reason`, when given)."""
    assert reply.fault is not None, reply.body[:400]
    assert reply.fault.name is fault, (reply.fault.name, reply.fault.faultstring)
    if reason is not None:
        assert reply.fault.reason is reason, (reply.fault.reason, reply.fault.faultstring)
    return reply.fault
