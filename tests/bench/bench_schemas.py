"""The two XSD engines on the envelopes of `sample --all`: lxml (libxml2, the validator of record of `check`) against
xmlschema (which `inspect --data` decodes with), schemas compiled, every envelope and its registered payload.

- `lxml_ms` / `xmlschema_ms`: the best of a few passes over the whole corpus (validation only);
- `decode_ms`: xmlschema decoding the same envelopes and payloads to data (what `inspect --data` does);
- `ratio`: xmlschema_ms / lxml_ms (why lxml stays the validator of record).
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from pathlib import Path
from typing import Any


def run(quick: bool = False) -> dict[str, Any]:
    import xmlschema

    from conformance.cli import main
    from conformance.protocol.operations import detect
    from conformance.registry import load_registry
    from conformance.schemas import envelope_schema, payload_schema
    from conformance.schemas.decode import decode_envelope, decode_payload, envelope_decoder, payload_decoder
    from conformance.xmlsafe import parse_file

    registry = load_registry()
    corpus = []
    with tempfile.TemporaryDirectory(prefix="bench-schemas-") as folder, \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["sample", "--all", "--output", folder, "--seed", "7", "--at", "2026-11-22T12:00:00Z"])
        roots = [parse_file(path).getroot() for path in sorted(Path(folder).glob("*.xml"))]
    for root in roots:
        version = detect(root).version
        payloads = []
        for element in root.iter("{*}MessagePrimaryContent"):
            business = next(iter(element))
            match = registry.by_element(business)
            if match is not None and match.payload.xsd is not None:
                payloads.append((business, match.payload.xsd))
        corpus.append((version, root, payloads))

    def lxml_pass() -> int:
        return sum(not envelope_schema(v).validate(root) + sum(not payload_schema(x).validate(p) for p, x in ps)
                   for v, root, ps in corpus)

    def xmlschema_pass() -> int:
        return sum(not envelope_decoder(v).is_valid(xmlschema.XMLResource(root, allow="none"))
                   + sum(not payload_decoder(x).is_valid(xmlschema.XMLResource(p, allow="none")) for p, x in ps)
                   for v, root, ps in corpus)

    def decode_pass() -> int:
        return sum(len(decode_envelope(root, v).errors) + sum(len(decode_payload(p, x).errors) for p, x in ps)
                   for v, root, ps in corpus)

    def best(function, passes: int) -> float:
        function()  # compiles and caches the schemas
        times = []
        for _ in range(passes):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
        return min(times) * 1000

    passes = 1 if quick else 5
    lxml_ms, xmlschema_ms, decode_ms = best(lxml_pass, passes), best(xmlschema_pass, passes), best(decode_pass, passes)
    return {"envelopes": len(corpus), "payloads": sum(len(ps) for _, _, ps in corpus),
            "lxml_ms": round(lxml_ms, 2), "xmlschema_ms": round(xmlschema_ms, 1), "decode_ms": round(decode_ms, 1),
            "ratio": round(xmlschema_ms / lxml_ms, 1)}
