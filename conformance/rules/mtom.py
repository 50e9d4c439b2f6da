"""Family `MSG-MTOM-…`: an MTOM message is judged with its MIME parts put back, as the bus judges it.

`check` and `verify` read a multipart capture (see `conformance.rules.messagefile`) and replace every `xop:Include`
by its part's base64 before anything else looks at the envelope. A bare XML file that still holds includes lacks
those parts: the content behind them cannot be judged, so it gets one finding here instead of a schema error per
include (MSG-SCHEMA-ENVELOPE leaves the includes to this rule), and signatures over that content fail by SIG-DIGEST.
"""

from __future__ import annotations

from collections.abc import Iterator

from conformance.findings import Severity
from conformance.rules import recipes as ex
from conformance.rules.catalogue import declare, examples, rule
from conformance.rules.context import CheckContext, Violation
from conformance.rules.messagefile import RULE_MTOM_PACKAGE

_MTOM = "SOAP MTOM/XOP (W3C XOP 1.0, SOAP 1.1 binding); SMEV 3 protocol: Transport (MTOM for attachments)"
_XOP_NS = "http://www.w3.org/2004/08/xop/include"

declare(RULE_MTOM_PACKAGE, "A multipart (MTOM) capture is well framed and every xop:Include names one of its parts",
        Severity.ERROR, _MTOM,
        "Judged while the file is read: the boundary and closing delimiter, the root part (application/xop+xml), "
        "each part's transfer encoding, and that every cid: reference names a part the message carries.",
        module=__name__, held_when_parsed=True,
        bad=[ex.shown("a multipart capture whose xop:Include names a part the capture does not carry",
                      ex.mtom_capture_without_its_part)],
        good=[ex.valid("send_request")])


@examples(bad=[ex.broken("a Content holding an xop:Include whose MIME part is not in the file", "send_request",
                         ex.unresolved_include)],
          good=[ex.valid("send_request")])
@rule("MSG-MTOM-UNRESOLVED", "The message holds no unresolved xop:Include (its MIME parts are present)",
      Severity.WARNING, _MTOM,
      "A warning, not a failure: an include is how MTOM carries base64 content, so the message itself may be right; "
      "but this file lacks the MIME parts, so what they hold is not judged here and a signature over it cannot "
      "verify. Check the multipart capture instead (a .mime/.http file, or --content-type).")
def unresolved(ctx: CheckContext) -> Iterator[Violation]:
    includes = [e for e in ctx.root.iter(f"{{{_XOP_NS}}}Include")]
    if includes:
        refs = ", ".join(sorted({e.get("href") or "(no href)" for e in includes}))
        yield Violation(f"{len(includes)} xop:Include element(s) refer to MIME parts that are not in this file "
                        f"({refs}); the content behind them is not judged and signatures over it cannot verify: "
                        "check the multipart capture (with its Content-Type) instead", includes[0])
