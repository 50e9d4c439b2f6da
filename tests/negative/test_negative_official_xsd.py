"""The valid baselines of the negative catalogue (each case's message before its mutations, signed by the usual
caller) validate against the official XSDs: a case's failure is then its mutation's, never the baseline's."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.negative.loader import load_catalogue
from conformance.negative.messages import facts_for, mutate
from conformance.protocol.namespaces import Version
from conformance.schemas import validate_envelope
from conformance.xmlsafe import parse_bytes

OFFICIAL = Path(__file__).resolve().parents[1] / "vectors" / "official-xsd"
MOMENT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
BASELINES = {}
for _case in load_catalogue():
    BASELINES.setdefault((_case.version.value, _case.rpc.value, _case.start.variant, _case.start.type or "default"),
                         _case)


@pytest.mark.parametrize("key", sorted(BASELINES), ids=lambda k: "-".join(k))
def test_every_baseline_validates_against_the_official_xsd(key):
    case = dataclasses.replace(BASELINES[key], mutations=(), signer="caller")
    data = mutate(case, facts_for(case, seed=1, now=MOMENT))
    version = Version(case.version)
    directory = OFFICIAL / version.value if version is not Version.V1_2 else None
    assert validate_envelope(parse_bytes(data), version, schema_dir=directory) == []
