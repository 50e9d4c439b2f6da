"""Family `MSG-XML-…`: the document is usable XML. The hardened parser (`conformance.xmlsafe`) decides these rules;
a document that reaches the other rules has passed all of them."""

from functools import partial

from conformance import xmlsafe
from conformance.findings import Severity
from conformance.rules import recipes as ex
from conformance.rules.catalogue import declare as _declare

declare = partial(_declare, module=__name__, held_when_parsed=True, good=[ex.valid("send_request")])

_SOAP = "SOAP 1.1 §3 (no DTD in a message) and the harness's hostile-input policy"

declare(xmlsafe.RULE_EMPTY, "The document is not empty", Severity.ERROR, "SMEV 3 protocol: Transport (SOAP 1.1 body)",
        "A file of zero bytes, or only whitespace or byte-order marks, is no message.",
        bad=[ex.shown("a file of a newline and spaces", lambda: b"  \n")])
declare(xmlsafe.RULE_SIZE, f"The document is within the size bounds: {xmlsafe.MAX_BYTES // (1024 * 1024)} MiB, "
        f"{xmlsafe.MAX_ELEMENTS:,} elements, {xmlsafe.MAX_ATTRIBUTES} attributes per element, "
        f"{xmlsafe.MAX_NODES:,} nodes, {xmlsafe.MAX_SIGNATURES} signatures, 10 MB per text or attribute value", Severity.ERROR,
        "SMEV 3 protocol: Attachments (files above 5 MiB go to the file store); harness hostile-input policy",
        "The size is checked before the file is read; the counts while parsing (attributes per element include "
        "namespace declarations; nodes are elements, attributes, namespace declarations, comments, processing "
        "instructions and CDATA sections), so a refused document is dropped before its tree is built and every rule "
        "run on an accepted one stays linear in bounded numbers.",
        bad=[ex.shown("the valid SendRequest checked with a 512-byte limit", ex.message("send_request"),
                      max_bytes=512)])
declare(xmlsafe.RULE_DTD, "The document has no DTD and declares no entities", Severity.ERROR, _SOAP,
        "Refused outright: DTDs carry entity bombs and external entities; SOAP 1.1 forbids them in a message.",
        bad=[ex.shown("the SendRequest with an internal DTD declaring an entity", ex.with_doctype)])
declare(xmlsafe.RULE_DEPTH, f"Elements nest at most {xmlsafe.MAX_DEPTH} levels deep", Severity.ERROR,
        "Harness hostile-input policy (697 §6л: block messages of non-matching structure)",
        "A SMEV envelope with its payload rarely exceeds 30 levels; deeper nesting is an attack on the parser.",
        bad=[ex.broken("200 nested elements inside the business element", "send_request", ex.deep_payload)])
declare(xmlsafe.RULE_WELLFORMED, "The document is well-formed XML in a declared or detectable encoding",
        Severity.ERROR, "XML 1.0 §2.1, §4.3.3 (well-formedness, character encoding)",
        "Syntax errors, truncation, binary junk and bytes that do not match the declared encoding.",
        bad=[ex.shown("the SendRequest cut 40 bytes short", lambda: ex.envelope("send_request")[:-40])])

