"""XMLDSig for SMEV 3: exclusive c14n, the SMEV transform, signing, verification and diagnostics.

Public API (import from the submodules named):

    c14n:        exc_c14n(element) -> bytes;  inclusive_c14n(element) -> bytes
    transform:   smev_transform(element_or_bytes, *, escaping="woodstox"|"plain", path=None) -> bytes
                 (an element: what its reference digests; bytes: the transform alone on those octets;
                 SmevTransformError, rule SMEV-TRANSFORM-UNSUPPORTED, where SMEV's own transform throws)
    pipeline:    apply_transforms(element, transform_uris, *, escaping=..., signature=None) -> bytes
    signer:      build_signature(target, key, cert, *, backend=None) -> ds:Signature
                 sign_element(target, wrapper, key, cert, *, element_id=None, backend=None) -> ds:Signature
                 sign_message(tree, operation_or_None, key, cert, *, personal=False, element_id=None,
                              backend=None, spec=None) -> ds:Signature
                 signing_hook(key, cert, *, personal=False, backend=None) -> conformance.protocol.builder.Sign
    attachments: sign_attachments(root, key, cert, *, backend=None) -> int;  attachment_outcomes(...)
    verifier:    verify_message(tree, *, trust=(), crl=(), at=None, backend=None, escaping=..., path=...)
                     -> list[Finding]      (at: None = now, an instant, or "message" = each signature's own time)
                 verify_tree(tree, VerifyOptions(...)) -> list[Outcome]   (outcomes point at elements; a passed
                     SIG-VALUE carries the certificate that verified it: the only source of a signer's identity)
    signedfields: locate_signed(body, path) -> Located(element, ambiguity);  hidden_nodes(element);
                 message_time(root) -> MessageTime(at, field) | None (the facts of the signed element)
    diagnose:    diagnose_digest(...), diagnose_signature(...) -> Diagnosis(cause, tried)
"""

from __future__ import annotations

from conformance.xmldsig.c14n import exc_c14n, inclusive_c14n
from conformance.xmldsig.escaping import ESCAPING_MODES, Escaping
from conformance.xmldsig.pipeline import UnsupportedTransform, apply_transforms
from conformance.xmldsig.transform import SmevTransformError, smev_transform

__all__ = [
    "ESCAPING_MODES",
    "Escaping",
    "SmevTransformError",
    "UnsupportedTransform",
    "apply_transforms",
    "exc_c14n",
    "inclusive_c14n",
    "smev_transform",
]
