"""Namespaces and algorithm URIs of SMEV XML signatures (docs/smev-protocol.md, "Signatures")."""

from __future__ import annotations

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XML_NS = "http://www.w3.org/XML/1998/namespace"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SMEV_TRANSFORM = "urn://smev-gov-ru/xmldsig/transform"

SIG_GOST2012_256 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
SIG_GOST2012_512 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512"
DIGEST_GOST2012_256 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
DIGEST_GOST2012_512 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512"
SIG_GOST2001 = "http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411"
DIGEST_GOST94 = "http://www.w3.org/2001/04/xmldsig-more#gostr3411"

# Signature algorithm -> (the digest algorithm it pairs with, Streebog size in bits or None for GOST R 34.11-94).
SIGNATURE_ALGORITHMS: dict[str, tuple[str, int | None]] = {
    SIG_GOST2012_256: (DIGEST_GOST2012_256, 256),
    SIG_GOST2012_512: (DIGEST_GOST2012_512, 512),
    SIG_GOST2001: (DIGEST_GOST94, None),
}
DIGEST_ALGORITHMS: dict[str, int | None] = {
    DIGEST_GOST2012_256: 256,
    DIGEST_GOST2012_512: 512,
    DIGEST_GOST94: None,
}
OBSOLETE_ALGORITHMS = frozenset({SIG_GOST2001, DIGEST_GOST94})

SMEV_TRANSFORMS: tuple[str, str] = (EXC_C14N, SMEV_TRANSFORM)
"""The reference transforms SMEV requires, in this order."""

ID_ATTRIBUTE = "Id"
"""SMEV envelopes name the signed element by an unqualified `Id` attribute."""
