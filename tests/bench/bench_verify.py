"""Envelopes verified per second, per crypto backend, against a baseline measured in the same run.

The corpus is signed envelopes of every signed operation (SMEV 1.3), signed once with the native backend.
- `verify_<backend>`: hardened parse + full verification (every SIG-/CERT- rule, one signature per envelope).
- `baseline_parse_plus_one_native_verify`: bare lxml parsing plus one native GOST R 34.10 verification per
  envelope (a precomputed digest): the floor any verifier pays; `ratio` = verify rate / baseline rate.
- `transform_per_s`: the SMEV transform of each signed element, against exclusive c14n alone as the baseline.
"""

from __future__ import annotations

import base64
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "xmldsig"))


def _corpus(size: int) -> list[bytes]:
    from lxml import etree
    from xmldsig_messages import SIGNED_OPERATIONS, signed

    operations = [op for op in SIGNED_OPERATIONS if op.exists_in("1.3")]
    return [etree.tostring(signed(operations[i % len(operations)], "1.3")) for i in range(size)]


def _rate(function, items: list, min_seconds: float) -> float:
    """Items per second of `function(item)` over the whole list, repeated until `min_seconds` have passed."""
    done, start = 0, time.perf_counter()
    while True:
        for item in items:
            function(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def baseline_rate(corpus: list[bytes], seconds: float) -> float:
    """Envelopes per second of the floor any verifier pays: bare lxml parsing plus one native GOST R 34.10
    verification (of a precomputed SignedInfo digest) per envelope of `corpus`, repeated for at least `seconds`."""
    from lxml import etree

    from conformance.crypto import get_backend, load_certificate
    from conformance.xmldsig import constants as c
    from conformance.xmldsig.c14n import exc_c14n

    native = get_backend("native")
    # The baseline's inputs: for each envelope its key, the SignedInfo digest and the signature value.
    prepared = []
    for data in corpus:
        root = etree.fromstring(data)
        signature = root.find(f".//{{{c.DS_NS}}}Signature")
        cert = load_certificate(signature.findtext(f".//{{{c.DS_NS}}}X509Certificate"))
        digest = native.digest(exc_c14n(signature.find(f"{{{c.DS_NS}}}SignedInfo")))
        value = base64.b64decode(signature.findtext(f"{{{c.DS_NS}}}SignatureValue"))
        prepared.append((data, cert.public_key, digest, value))

    def baseline(item) -> None:
        data, key, digest, value = item
        etree.fromstring(data)
        if not native.verify(key, digest, value):
            raise AssertionError("the baseline verification failed")

    return _rate(baseline, prepared, seconds)


def run(quick: bool = False) -> dict[str, Any]:
    from lxml import etree

    from conformance.crypto import get_backend
    from conformance.findings import Status
    from conformance.xmldsig import constants as c
    from conformance.xmldsig.c14n import exc_c14n
    from conformance.xmldsig.transform import smev_transform
    from conformance.xmldsig.verifier import VerifyOptions, verify_tree
    from conformance.xmlsafe import parse_bytes

    corpus = _corpus(24 if quick else 96)
    seconds = 0.5 if quick else 3.0
    baseline = baseline_rate(corpus, seconds)
    figures: dict[str, Any] = {
        "baseline_parse_plus_one_native_verify": {"value": round(baseline, 1), "unit": "envelopes/s"},
    }
    for name in ("native", "pure"):
        backend = get_backend(name)
        items = corpus if name == "native" else corpus[: (4 if quick else 12)]

        def verify(data: bytes, backend=backend) -> None:
            outcomes = verify_tree(parse_bytes(data), VerifyOptions(backend=backend))
            if any(o.status is Status.FAIL for o in outcomes):
                raise AssertionError("a corpus envelope failed verification")

        rate = _rate(verify, items, seconds if name == "native" else min(seconds, 1.0))
        figures[f"verify_{name}"] = {"value": round(rate, 2), "unit": "envelopes/s",
                                     "baseline": round(baseline, 1), "ratio": round(rate / baseline, 4)}

    targets = []
    for data in corpus:
        root = etree.fromstring(data)
        uri = root.find(f".//{{{c.DS_NS}}}Reference").get("URI")[1:]
        targets.append(root.xpath("//*[@Id=$id]", id=uri)[0])
    c14n_rate = _rate(exc_c14n, targets, seconds)
    transform_rate = _rate(smev_transform, targets, seconds)
    figures["transform_per_s"] = {"value": round(transform_rate, 1), "unit": "elements/s",
                                  "baseline": round(c14n_rate, 1), "ratio": round(transform_rate / c14n_rate, 4)}
    figures["corpus_envelopes"] = len(corpus)
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
