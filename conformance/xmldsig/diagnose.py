"""Why a digest or a signature value does not match: reproduce the usual mistakes and name the one that fits.

Each candidate recomputes the value the way a signer that made one well-known mistake would have, and compares
it with what the message carries. A match turns "invalid" into a precise instruction for the integrator.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from conformance.crypto import Backend, PublicKey
from conformance.xmldsig import constants as c
from conformance.xmldsig.c14n import exc_c14n, inclusive_c14n, signed_info_c14n
from conformance.xmldsig.escaping import Escaping
from conformance.xmldsig.pipeline import apply_transforms
from conformance.xmldsig.transform import SmevTransformError, smev_transform

_WHITESPACE = "".join(chr(i) for i in range(0x21))


@dataclass(frozen=True)
class Diagnosis:
    """`cause` names the mistake that reproduces the sender's value (None: none of those tried); `tried` lists them."""

    cause: str | None
    tried: tuple[str, ...]

    def explain(self) -> str:
        if self.cause:
            return f"the sender's value is reproduced by: {self.cause}"
        return ("none of the usual mistakes reproduces the sender's value (tried: " + "; ".join(self.tried) + ")")


def digest_candidates(element: etree._Element, *, escaping: Escaping,
                      signature: etree._Element | None) -> list[tuple[str, Callable[[], bytes]]]:
    """Named ways a signer may have produced the signed bytes instead of exc-c14n + the SMEV transform."""
    other: Escaping = "plain" if escaping == "woodstox" else "woodstox"
    candidates: list[tuple[str, Callable[[], bytes]]] = [
        ("no SMEV transform (exclusive c14n only)", lambda: exc_c14n(element)),
        ("inclusive instead of exclusive c14n, and no SMEV transform", lambda: inclusive_c14n(element)),
        (f"the other escaping mode of the SMEV transform ({other})",
         lambda: smev_transform(element, escaping=other)),
        ("whitespace-only text left in (step 2 of the SMEV transform skipped)",
         lambda: smev_transform(element, escaping=escaping, keep_whitespace=True)),
        ("exclusive c14n with comments, and no SMEV transform", lambda: exc_c14n(element, with_comments=True)),
    ]
    if any(True for _ in element.iter(f"{{{c.DS_NS}}}Signature")):
        candidates.append((
            "an enveloped-signature transform added, removing the ds:Signature inside the signed element",
            lambda: apply_transforms(element, (c.ENVELOPED, *c.SMEV_TRANSFORMS), escaping=escaping,
                                     signature=signature, enveloped_removes_all=True)))
    return candidates


def diagnose_digest(element: etree._Element, declared: bytes, digest: Callable[[bytes], bytes], *,
                    computed: bytes, escaping: Escaping = "woodstox", signature: etree._Element | None = None,
                    declared_transforms: tuple[str, ...] = c.SMEV_TRANSFORMS) -> Diagnosis:
    """Which mistake makes `digest(...)` equal the `declared` DigestValue; `computed` is the correct digest."""
    tried: list[str] = []
    if len(declared) != len(computed):
        return Diagnosis(f"a {len(declared) * 8}-bit digest where DigestMethod names a {len(computed) * 8}-bit one: "
                         "the digest algorithm used is not the one declared", ("digest length",))
    if computed[::-1] == declared:
        return Diagnosis("the digest bytes written in reverse order", ("reversed digest bytes",))
    tried.append("reversed digest bytes")
    if declared_transforms != c.SMEV_TRANSFORMS:
        name = "the standard transforms (exc-c14n, then the SMEV transform): the Transforms list does not say what was done"
        tried.append(name)
        try:
            standard = smev_transform(element, escaping=escaping)
        except SmevTransformError:  # SMEV could not have produced it either
            standard = None
        if standard is not None and digest(standard) == declared:
            return Diagnosis(name, tuple(tried))
    for name, produce in digest_candidates(element, escaping=escaping, signature=signature):
        tried.append(name)
        try:
            data = produce()
        except Exception:  # a candidate that cannot even be computed simply does not match
            continue
        if digest(data) == declared:
            return Diagnosis(name, tuple(tried))
    return Diagnosis(None, tuple(tried))


CONVENTIONS: tuple[tuple[str, str, str], ...] = tuple(
    (order, digest_end, key_end) for order in ("sr", "rs") for digest_end in ("le", "be") for key_end in ("le", "be"))
"""(signature layout, digest byte order, key byte order); the first is SMEV's."""


def convention_name(order: str, digest_end: str, key_end: str) -> str:
    parts = []
    if order == "rs":
        parts.append("r‖s instead of s‖r")
    if digest_end == "be":
        parts.append("the digest read as a big-endian integer (not reversed)")
    if key_end == "be":
        parts.append("the public key's X and Y big-endian")
    return " and ".join(parts) or "SMEV's conventions (s‖r, little-endian digest and key)"


def verify_with(backend: Backend, public_key: PublicKey, digest: bytes, signature: bytes,
                conventions: tuple[str, str, str] = ("sr", "le", "le")) -> bool:
    """Verify under the given conventions with any backend (which itself speaks SMEV's)."""
    order, digest_end, key_end = conventions
    size = public_key.bits // 8
    if len(signature) != 2 * size or len(digest) != size:
        return False
    if order == "rs":
        signature = signature[size:] + signature[:size]
    if digest_end == "be":
        digest = digest[::-1]
    key = public_key
    if key_end == "be":
        key = PublicKey.from_bytes(public_key.to_bytes("little"), public_key.parameter_set, "big",
                                   public_key.digest_oid)
    try:
        return bool(backend.verify(key, digest, signature))
    except Exception:  # e.g. a point off the curve under the wrong reading: simply not this convention
        return False


def _has_layout_whitespace(element: etree._Element) -> bool:
    for node in element.iter():
        for text in (node.text, node.tail if node is not element else None):
            if text and not text.strip(_WHITESPACE):
                return True
    return False


def _without_layout_whitespace(element: etree._Element) -> etree._Element:
    clone = copy.deepcopy(element)
    for node in clone.iter():
        if node.text and not node.text.strip(_WHITESPACE) and len(node):
            node.text = None
        if node is not clone and node.tail and not node.tail.strip(_WHITESPACE):
            node.tail = None
    return clone


def _indented(element: etree._Element, space: str, level: int) -> etree._Element:
    clone = copy.deepcopy(element)
    etree.indent(clone, space=space, level=level)
    return clone


def diagnose_signature(signed_info: etree._Element, signature: bytes, public_key: PublicKey, backend: Backend,
                       bits: int, hash_function: Callable[[bytes], bytes] | None = None) -> Diagnosis:
    """Which convention or SignedInfo form makes the signature value verify with the certificate's key.

    `hash_function` is the signature's hash (default Streebog of `bits`; GOST R 34.11-94 for a 2001 signature)."""
    tried: list[str] = []
    if hash_function is None:
        def hash_function(data: bytes) -> bytes:
            return backend.digest(data, bits)
    digest = hash_function(signed_info_c14n(signed_info))
    for conventions in CONVENTIONS[1:]:
        name = convention_name(*conventions)
        tried.append(name)
        if verify_with(backend, public_key, digest, signature, conventions):
            return Diagnosis(name, tuple(tried))
    variants: list[tuple[str, Callable[[], bytes]]] = []
    if _has_layout_whitespace(signed_info):
        variants.append(("SignedInfo was indented after signing (the signature holds for its un-indented form)",
                         lambda: exc_c14n(_without_layout_whitespace(signed_info))))
    else:
        depth = sum(1 for _ in signed_info.iterancestors())
        for space, label in (("  ", "2 spaces"), ("    ", "4 spaces"), ("\t", "tabs")):
            for level in sorted({depth, 0, 1}):
                variants.append((f"an indented SignedInfo was signed ({label}, level {level}) and the indentation "
                                 "was removed afterwards; never indent SignedInfo",
                                 lambda space=space, level=level: exc_c14n(_indented(signed_info, space, level))))
    variants.append(("SignedInfo canonicalised with inclusive instead of exclusive c14n",
                     lambda: inclusive_c14n(signed_info)))
    for name, produce in variants:
        tried.append(name)
        if verify_with(backend, public_key, hash_function(produce()), signature):
            return Diagnosis(name, tuple(tried))
    return Diagnosis(None, tuple(tried))
