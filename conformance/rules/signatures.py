"""Family `MSG-SIGNATURE-…`: the signatures the real bus requires are present (their cryptographic verification is
the `SIG-…`/`CERT-…` families' job)."""

from __future__ import annotations

from collections.abc import Iterator

from conformance.protocol.namespaces import XMLDSIG
from conformance.protocol.operations import SIGNATURES, locate
from conformance.rules.catalogue import rule
from conformance.rules.context import CheckContext, NotApplicable, Violation
from conformance.rules.model import Severity


@rule("MSG-SIGNATURE-REQUIRED", "The caller system's signature is present over the element the protocol names",
      Severity.ERROR, "697 §11и (participants sign every message with a qualified electronic signature); "
      "SMEV 3 protocol: Operations (element the caller signs), Signatures; fault SignatureVerificationFault "
      "(NoSignatureFound)",
      "The schemas make the signature optional only for emulators; the real bus rejects a message without it.")
def signature_required(ctx: CheckContext) -> Iterator[Violation]:
    body, operation = ctx.body, ctx.operation
    required = [spec for spec in SIGNATURES.get(operation, ()) if spec.required]
    if not required:
        raise NotApplicable(f"{operation.value} carries no signature the bus requires")
    for spec in required:
        wrapper = locate(body, spec.wrapper_path)
        if wrapper is None:
            yield Violation(f"{body.tag.rpartition('}')[2]} has no {spec.wrapper}: the {spec.signer.value} system's "
                            f"signature over {spec.signed} is required", body)
        elif wrapper.find(f"{{{XMLDSIG}}}Signature") is None:
            yield Violation(f"{spec.wrapper} holds no ds:Signature", wrapper)
