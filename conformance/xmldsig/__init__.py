"""XMLDSig for SMEV 3: exclusive c14n, the SMEV transform, signing, verification and diagnostics.

Public API:

    exc_c14n(element) -> bytes;  inclusive_c14n(element) -> bytes
    smev_transform(element_or_bytes, *, escaping="woodstox"|"plain") -> bytes
    apply_transforms(element, transform_uris, *, escaping=..., signature=None) -> bytes
"""

from __future__ import annotations

from conformance.xmldsig.c14n import exc_c14n, inclusive_c14n
from conformance.xmldsig.escaping import ESCAPING_MODES, Escaping
from conformance.xmldsig.pipeline import UnsupportedTransform, apply_transforms
from conformance.xmldsig.transform import smev_transform

__all__ = [
    "ESCAPING_MODES",
    "Escaping",
    "UnsupportedTransform",
    "apply_transforms",
    "exc_c14n",
    "inclusive_c14n",
    "smev_transform",
]
