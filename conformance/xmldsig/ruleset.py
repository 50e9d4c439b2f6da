"""The `SIG-…` and `CERT-…` rules, each one unit: id, title, severity, source, rationale and examples.

Their logic is the verifier's (`conformance.xmldsig.verifier`, and `attachments` for SIG-ATTACH-CMS), which
defines each id next to the check that emits it; this module is the one place that describes them and the only
one the catalogue reads them from. Direction: `xmldsig` takes its types from the findings module
(`conformance.findings`) and never imports `conformance.rules`; the catalogue (`conformance.rules.sig`,
`conformance.rules.cert`) imports `SIG_RULES` and `CERT_RULES` from here and registers each with a check that reads
the verifier's outcomes.
"""

from __future__ import annotations

from conformance.findings import Example, Rule, Severity
from conformance.xmldsig import recipes as x
from conformance.xmldsig.attachments import SIG_ATTACH_CMS
from conformance.xmldsig.verifier import (
    CERT_CHAIN,
    CERT_PRESENT,
    CERT_REVOCATION,
    CERT_VALIDITY,
    SIG_ALG,
    SIG_ALG_CURRENT,
    SIG_C14N,
    SIG_DIGEST,
    SIG_LAYOUT,
    SIG_POSITION,
    SIG_PRESENT,
    SIG_REF_RESOLVES,
    SIG_REF_TARGET,
    SIG_STRUCTURE,
    SIG_TRANSFORMS,
    SIG_VALUE,
)

_SIGNATURES = "SMEV 3 protocol: Signatures"
_GOOD = (Example("a SendRequest with a signed attachment, signed by the participant's test certificate (issued by "
                 "the test CA, not revoked), judged with that CA and its CRL", x.signed, x.judged()),)


def _bad(summary: str, change: x.Change, *also: str, settings=None, signer: str = "participant") -> tuple[Example]:
    return (Example(summary, x.breaking(change, signer), settings or x.judged(), tuple(also)),)


SIG_RULES: tuple[Rule, ...] = (
    Rule(SIG_PRESENT, "The message carries the signatures its operation requires", Severity.ERROR,
         f"{_SIGNATURES}; 697 §11и (participants sign every message with a qualified electronic signature); "
         "SignatureVerificationFault NoSignatureFound",
         "The schemas make the signature optional only for emulators; the real bus rejects a message without it.",
         bad=_bad("the signed SendRequest without its CallerInformationSystemSignature", x.drop_signature),
         good=_GOOD),
    Rule(SIG_POSITION, "Each ds:Signature is detached, in a wrapper its operation defines", Severity.ERROR,
         _SIGNATURES,
         "The bus looks for each signature where the operation puts it; one elsewhere signs nothing the bus checks.",
         bad=_bad("the signature moved from CallerInformationSystemSignature into the SOAP Header",
                  x.move_signature_to_header, SIG_PRESENT),
         good=_GOOD),
    Rule(SIG_STRUCTURE, "SignedInfo has one canonicalization and signature method and exactly one Reference",
         Severity.ERROR, _SIGNATURES, "A malformed signature is refused as PoorSOAPEnvelopeFormat.",
         bad=_bad("a second ds:Reference in SignedInfo", x.second_reference), good=_GOOD),
    Rule(SIG_C14N, "SignedInfo is canonicalised with exclusive c14n", Severity.ERROR, _SIGNATURES,
         "Inclusive c14n pulls the envelope's namespaces into SignedInfo, so the bytes signed depend on the wrapper.",
         bad=_bad("CanonicalizationMethod changed to inclusive c14n 1.0", x.inclusive_c14n, SIG_VALUE), good=_GOOD),
    Rule(SIG_ALG, "Signature and digest algorithms are a GOST pair SMEV accepts", Severity.ERROR,
         f"{_SIGNATURES}: Algorithms", "SMEV accepts GOST R 34.10/34.11 signatures only, with matching digest.",
         bad=_bad("SignatureMethod changed to rsa-sha1", x.rsa_sha1), good=_GOOD),
    Rule(SIG_ALG_CURRENT, "Algorithms are GOST R 34.10/34.11-2012, not the 2001 ones withdrawn in 2019",
         Severity.WARNING, f"{_SIGNATURES}: Algorithms",
         "A warning, not a failure: GOST R 34.10-2001 / 34.11-94 signatures are still met in captured traffic and in "
         "archives of older systems, and they are verified in full (digest by GOST R 34.11-94, value on the "
         "CryptoPro curves, pure or with OpenSSL's md_gost94), so an old message is judged on its merits; a new "
         "message signed this way must be re-signed with GOST R 34.10-2012, which SIG-ALG-CURRENT says.",
         bad=_bad("SignatureMethod and DigestMethod changed to GOST R 34.10-2001 / 34.11-94", x.gost2001,
                  SIG_DIGEST, CERT_PRESENT),
         good=_GOOD),
    Rule(SIG_REF_RESOLVES, "The Reference resolves to exactly one element", Severity.ERROR,
         f"{_SIGNATURES} (duplicate Ids: signature wrapping)",
         "Two elements with the signed Id let a verifier check one and an application read the other.",
         bad=_bad("signature wrapping: a forged twin of the signed block, with the same Id, beside the original",
                  x.duplicate_signed_id, SIG_REF_TARGET, SIG_DIGEST),
         good=_GOOD),
    Rule(SIG_REF_TARGET, "The signature signs the element its operation requires", Severity.ERROR,
         "SMEV 3 protocol: Operations (element the caller signs); SignatureVerificationFault IncorrectSignatureTarget",
         "A valid signature over some other element (a copy in the Header) vouches for nothing the bus delivers.",
         bad=_bad("signature wrapping: the signed block moved into the Header, an unsigned one in its place",
                  x.signed_copy_in_header),
         good=_GOOD),
    Rule(SIG_TRANSFORMS, "The Reference's transforms are exclusive c14n, then the SMEV transform", Severity.ERROR,
         f"{_SIGNATURES}; SMEV 3 protocol: The SMEV transform",
         "The digest the bus recomputes follows that order; another order digests other bytes.",
         bad=_bad("the two transforms swapped", x.swap_transforms, SIG_VALUE), good=_GOOD),
    Rule(SIG_DIGEST, "The DigestValue matches the signed element", Severity.ERROR,
         f"{_SIGNATURES} (1); 697 §6н (SMEV verifies signatures and blocks failures)",
         "On a mismatch the finding shows the transformed bytes and names the signer's mistake when it is a usual "
         "one.",
         bad=_bad("one digit of the signed payload changed after signing", x.edit_signed_content), good=_GOOD),
    Rule(SIG_VALUE, "The SignatureValue verifies with the certificate's key", Severity.ERROR,
         f"{_SIGNATURES} (2-4); 697 §6н",
         "On a mismatch the finding names the convention (r‖s, byte order, indented SignedInfo) that matches.",
         bad=_bad("one bit of SignatureValue flipped", x.flip_signature_bit), good=_GOOD),
    Rule(SIG_LAYOUT, "SignedInfo is not indented", Severity.WARNING, f"{_SIGNATURES} (5)",
         "Whitespace inside SignedInfo is signed; a pretty-printer between signer and bus breaks the value.",
         bad=_bad("SignedInfo indented after signing", x.indent_signed_info, SIG_VALUE), good=_GOOD),
    Rule(SIG_ATTACH_CMS, "Each attachment's SignaturePKCS7 verifies over the attachment's content", Severity.ERROR,
         "SMEV 3 protocol: Signatures (attachment signatures), Main structures (Attachments)",
         "Detached CMS with contentType, signingTime and messageDigest = Streebog-256 of the file; file-store "
         "attachments are skipped (the file is not in the message).",
         bad=_bad("one byte appended to the attachment after signing", x.edit_attachment), good=_GOOD),
)

CERT_RULES: tuple[Rule, ...] = (
    Rule(CERT_PRESENT, "The signature carries a readable GOST 2012 certificate of the algorithm's size whose "
         "KeyUsage allows signing",
         Severity.ERROR, f"{_SIGNATURES}; SignatureVerificationFault CertificateIsNotFound",
         "The bus verifies with the certificate in KeyInfo and nothing else.",
         bad=_bad("X509Certificate replaced by bytes that are no certificate", x.garble_certificate), good=_GOOD),
    Rule(CERT_VALIDITY, "The certificate is valid at the time judged", Severity.ERROR,
         "SMEV 3 protocol: Faults (CertificateIsExpired); 63-FZ qualified signature",
         "Judged when the bus receives the message (`check --at`, default now), never at a time the message "
         "carries: the sender chooses that one.",
         bad=(Example("the signed SendRequest judged a day after the certificate expired", x.signed,
                      lambda: x.judged(x.after_expiry())(), (SIG_ATTACH_CMS, CERT_REVOCATION)),),
         good=_GOOD),
    Rule(CERT_CHAIN, "The certificate chains to a trust anchor valid at the time judged", Severity.ERROR,
         "697 §6н, §11 (qualified electronic signature)", "Skipped when no trust anchor is given.",
         bad=(Example("the signed SendRequest judged with the bus's certificate as the only trust anchor",
                      x.signed, x.judged(trust="smev")),),
         good=_GOOD),
    Rule(CERT_REVOCATION, "The certificate is not revoked, by a CRL current at the time judged", Severity.ERROR,
         "697 §6н, §11 (qualified electronic signature)",
         "Skipped when no CRL of the certificate's issuer is given.",
         bad=(Example("the SendRequest signed with a certificate the test CA's CRL revokes",
                      lambda: x.signed("revoked"), x.judged()),),
         good=_GOOD),
)
