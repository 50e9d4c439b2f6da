"""The one real SMEV 3 message of the shared vectors: judged at its own time, it holds every rule of the catalogue
but MSG-CONTENT-REGISTERED, until a registry that knows its type is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli import main

REAL = Path(__file__).resolve().parents[1] / "xmldsig" / "vectors" / "real" / "SendRequestRequest-1.2.xml"
AT = "2020-05-20T12:00:00Z"  # its MessageID was made 2020-05-20T04:41Z

pytestmark = pytest.mark.skipif(not REAL.is_file(), reason="the shared vectors are not on this machine")

REGISTRY = """\
types:
  - name: gis-ergz-public-print-out
    request: {namespace: "urn://x-artefacts-gis-ergz-public/2.0.0", root: PublicPrintOutRequest}
    response: {namespace: "urn://x-artefacts-gis-ergz-public/2.0.0", root: PublicPrintOutResponse}
    providers: [GISERGZ]
    consumers: [MOSKOMARCH]
    realtime: false
"""


def failing(capsys, *extra: str) -> set[str]:
    code = main(["check", str(REAL), "--at", AT, "--format", "json", *extra])
    report = json.loads(capsys.readouterr().out)
    rules = {f["rule"] for f in report["files"][0]["findings"] if f["status"] in ("fail", "warn")}
    assert code == (1 if rules else 0)
    assert report["files"][0]["operation"] == "SendRequestRequest" and report["files"][0]["version"] == "1.2"
    return rules


def test_real_message_fails_only_for_its_unregistered_type(capsys):
    assert failing(capsys, "--ignore", "SIG,CERT") == {"MSG-CONTENT-REGISTERED"}


def test_real_message_passes_with_a_registry_that_knows_its_type(capsys, tmp_path):
    registry = tmp_path / "types.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    assert failing(capsys, "--ignore", "SIG,CERT", "--registry", str(registry)) == set()


def test_real_message_is_stale_today(capsys):
    code = main(["check", str(REAL), "--select", "TIME-ID-STALE"])
    assert code == 1 and "StaleMessageId" in capsys.readouterr().out
