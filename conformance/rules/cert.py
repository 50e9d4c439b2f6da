"""`CERT-…` rules: the certificate of each XML signature (checked by `conformance.xmldsig.verifier`)."""

from __future__ import annotations

from conformance.rules.catalogue import rule
from conformance.rules.context import CheckContext
from conformance.rules.model import Severity
from conformance.xmldsig import verifier as v
from conformance.xmldsig.checks import violations

_SIGNATURES = "SMEV 3 protocol: Signatures"


@rule(v.CERT_PRESENT, "The signature carries a readable GOST 2012 certificate of the algorithm's size whose "
      "KeyUsage allows signing",
      Severity.ERROR, f"{_SIGNATURES}; SignatureVerificationFault CertificateIsNotFound")
def certificate_present(ctx: CheckContext):
    yield from violations(ctx, v.CERT_PRESENT)


@rule(v.CERT_VALIDITY, "The certificate is valid at the time judged", Severity.ERROR,
      "SMEV 3 protocol: Faults (CertificateIsExpired); 63-FZ qualified signature")
def certificate_validity(ctx: CheckContext):
    yield from violations(ctx, v.CERT_VALIDITY)


@rule(v.CERT_CHAIN, "The certificate chains to a trust anchor valid at the time judged", Severity.ERROR,
      "697 §6н, §11 (qualified electronic signature)")
def certificate_chain(ctx: CheckContext):
    """Skipped when no trust anchor is given."""
    yield from violations(ctx, v.CERT_CHAIN)


@rule(v.CERT_REVOCATION, "The certificate is not revoked, by a CRL current at the time judged", Severity.ERROR,
      "697 §6н, §11 (qualified electronic signature)")
def certificate_revocation(ctx: CheckContext):
    """Skipped when no CRL of the certificate's issuer is given."""
    yield from violations(ctx, v.CERT_REVOCATION)
