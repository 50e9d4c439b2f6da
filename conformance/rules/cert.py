"""`CERT-…` rules: the certificate of each XML signature.

Each rule is declared once, with its examples, in `conformance.xmldsig.ruleset` and checked by the verifier; this
module registers them in the catalogue with a check that reads the verifier's outcomes (`conformance.rules.signatures`).
"""

from __future__ import annotations

from conformance.rules.catalogue import register
from conformance.rules.signatures import check_of
from conformance.xmldsig.ruleset import CERT_RULES

for _entry in CERT_RULES:
    register(_entry, check_of(_entry.id))
