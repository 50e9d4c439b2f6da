"""Envelopes checked per second by the whole `check` rule catalogue, per crypto backend, against the verify
benchmark's baseline measured in the same run.

- `check_<backend>`: `conformance.rules.engine.check_bytes` with every catalogue rule (hardened parse, operation and
  version detection, envelope and payload schemas, every MSG-/TIME-/SIG-/CERT- rule, the signature verified once)
  over signed SMEV 1.3 envelopes of every signed operation.
- the baseline is `bench_verify.baseline_rate` (bare lxml parsing plus one native GOST R 34.10 verification per
  envelope: `bench_verify`'s `baseline_parse_plus_one_native_verify`), measured here on the same corpus, so that both
  figures come from one run of one machine; `ratio` = check rate / baseline rate.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _bench_verify() -> Any:
    """The verify benchmark module (a sibling file, not a package): its corpus, rate loop and `baseline_rate`."""
    spec = importlib.util.spec_from_file_location("bench_verify", HERE / "bench_verify.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(quick: bool = False) -> dict[str, Any]:
    from conformance.crypto import get_backend
    from conformance.findings import Status
    from conformance.rules import catalogue
    from conformance.rules.engine import CheckSettings, check_bytes

    verify = _bench_verify()
    corpus = verify._corpus(24 if quick else 96)
    seconds = 0.5 if quick else 3.0
    baseline = round(verify.baseline_rate(corpus, seconds), 1)
    rules = catalogue.select(None, None)
    figures: dict[str, Any] = {}
    for name in ("native", "pure"):
        settings = CheckSettings(rules=rules, backend=get_backend(name))
        items = corpus if name == "native" else corpus[: (4 if quick else 12)]
        checked: list[int] = []

        def check(data: bytes, settings: CheckSettings = settings, checked: list[int] = checked) -> None:
            result = check_bytes("bench.xml", data, settings)
            failed = [f.rule_id for f in result.findings if f.status is Status.FAIL and f.rule_id.startswith("SIG")]
            if failed:
                raise AssertionError(f"a corpus envelope failed its signature checks: {failed}")
            checked.append(len(result.findings))

        rate = verify._rate(check, items, seconds if name == "native" else min(seconds, 1.0))
        figures[f"check_{name}"] = {"value": round(rate, 2), "unit": "envelopes/s", "baseline": baseline,
                                    "ratio": round(rate / baseline, 4)}
        figures[f"check_{name}_findings_per_envelope"] = round(sum(checked) / len(checked), 1)
    figures["check_rules"] = len(rules)
    return figures


if __name__ == "__main__":
    import json

    sys.path.insert(0, str(HERE.parent.parent))
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
