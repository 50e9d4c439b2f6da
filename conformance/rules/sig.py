"""`SIG-…` rules: the XML signatures of a message (checked by `conformance.xmldsig.verifier`)."""

from __future__ import annotations

from conformance.rules.catalogue import rule
from conformance.rules.context import CheckContext
from conformance.rules.model import Severity
from conformance.xmldsig import verifier as v
from conformance.xmldsig.checks import attachment_violations, violations

_SIGNATURES = "SMEV 3 protocol: Signatures"


@rule(v.SIG_PRESENT, "The message carries the signatures its operation requires", Severity.ERROR,
      f"{_SIGNATURES}; 697 §11и (participants sign every message with a qualified electronic signature); "
      "SignatureVerificationFault NoSignatureFound",
      "The schemas make the signature optional only for emulators; the real bus rejects a message without it.")
def signature_present(ctx: CheckContext):
    yield from violations(ctx, v.SIG_PRESENT)


@rule(v.SIG_POSITION, "Each ds:Signature is detached, in a wrapper its operation defines", Severity.ERROR,
      _SIGNATURES)
def signature_position(ctx: CheckContext):
    yield from violations(ctx, v.SIG_POSITION)


@rule(v.SIG_STRUCTURE, "SignedInfo has one canonicalization and signature method and exactly one Reference",
      Severity.ERROR, _SIGNATURES)
def signature_structure(ctx: CheckContext):
    """A malformed signature is refused as PoorSOAPEnvelopeFormat."""
    yield from violations(ctx, v.SIG_STRUCTURE)


@rule(v.SIG_C14N, "SignedInfo is canonicalised with exclusive c14n", Severity.ERROR, _SIGNATURES)
def signature_c14n(ctx: CheckContext):
    yield from violations(ctx, v.SIG_C14N)


@rule(v.SIG_ALG, "Signature and digest algorithms are a GOST pair SMEV accepts", Severity.ERROR,
      f"{_SIGNATURES}: Algorithms")
def signature_algorithms(ctx: CheckContext):
    yield from violations(ctx, v.SIG_ALG)


@rule(v.SIG_ALG_CURRENT, "Algorithms are GOST R 34.10/34.11-2012, not the 2001 ones withdrawn in 2019",
      Severity.WARNING, f"{_SIGNATURES}: Algorithms",
      "A warning, not a failure: GOST R 34.10-2001 / 34.11-94 signatures are still met in captured traffic and in "
      "archives of older systems, and they are verified in full (digest by GOST R 34.11-94, value on the CryptoPro "
      "curves, pure or with OpenSSL's md_gost94), so an old message is judged on its merits; a new message signed "
      "this way must be re-signed with GOST R 34.10-2012, which SIG-ALG-CURRENT says.")
def signature_algorithms_current(ctx: CheckContext):
    yield from violations(ctx, v.SIG_ALG_CURRENT)


@rule(v.SIG_REF_RESOLVES, "The Reference resolves to exactly one element", Severity.ERROR,
      f"{_SIGNATURES} (duplicate Ids: signature wrapping)")
def reference_resolves(ctx: CheckContext):
    yield from violations(ctx, v.SIG_REF_RESOLVES)


@rule(v.SIG_REF_TARGET, "The signature signs the element its operation requires", Severity.ERROR,
      "SMEV 3 protocol: Operations (element the caller signs); SignatureVerificationFault IncorrectSignatureTarget")
def reference_target(ctx: CheckContext):
    yield from violations(ctx, v.SIG_REF_TARGET)


@rule(v.SIG_TRANSFORMS, "The Reference's transforms are exclusive c14n, then the SMEV transform", Severity.ERROR,
      f"{_SIGNATURES}; SMEV 3 protocol: The SMEV transform")
def reference_transforms(ctx: CheckContext):
    yield from violations(ctx, v.SIG_TRANSFORMS)


@rule(v.SIG_DIGEST, "The DigestValue matches the signed element", Severity.ERROR,
      f"{_SIGNATURES} (1); 697 §6н (SMEV verifies signatures and blocks failures)")
def reference_digest(ctx: CheckContext):
    """On a mismatch the finding shows the transformed bytes and names the signer's mistake when it is a usual one."""
    yield from violations(ctx, v.SIG_DIGEST)


@rule(v.SIG_VALUE, "The SignatureValue verifies with the certificate's key", Severity.ERROR,
      f"{_SIGNATURES} (2-4); 697 §6н")
def signature_value(ctx: CheckContext):
    """On a mismatch the finding names the convention (r‖s, byte order, indented SignedInfo) that matches."""
    yield from violations(ctx, v.SIG_VALUE)


@rule(v.SIG_LAYOUT, "SignedInfo is not indented", Severity.WARNING, f"{_SIGNATURES} (5)")
def signature_layout(ctx: CheckContext):
    yield from violations(ctx, v.SIG_LAYOUT)


@rule("SIG-ATTACH-CMS", "Each attachment's SignaturePKCS7 verifies over the attachment's content", Severity.ERROR,
      "SMEV 3 protocol: Signatures (attachment signatures), Main structures (Attachments)")
def attachment_signature(ctx: CheckContext):
    """Detached CMS with contentType, signingTime and messageDigest = Streebog-256 of the file; file-store
    attachments are skipped (the file is not in the message)."""
    yield from attachment_violations(ctx)
