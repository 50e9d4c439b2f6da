"""`Outcome`: what one signature rule says about one signature. Below the verifier and the attachment checks, which
both produce it (so neither imports the other for it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from conformance.findings import Status

if TYPE_CHECKING:
    from conformance.crypto import Certificate


@dataclass(frozen=True)
class Outcome:
    """What one rule says about one signature (or the message, for SIG-PRESENT); `element` is where."""

    rule_id: str
    status: Status
    message: str
    element: etree._Element | None = None
    details: tuple[tuple[str, str], ...] = ()
    certificate: Certificate | None = field(default=None, compare=False, repr=False)
    """On a passed SIG-VALUE: the certificate whose key verified the signature (the signer's identity)."""
