"""What the reference participants send (and what the double answers them) validates against the official XSDs,
in every version: data answers of every sample type, a NO_DATA rejection, a test message, and the acks."""

from __future__ import annotations

from pathlib import Path

import pytest
from reference_helpers import make_stand

from conformance.protocol.namespaces import Version
from conformance.protocol.xmlfragment import XmlFragment
from conformance.reference.consumer import Consumer
from conformance.reference.participant_files import DIRECTORY, SAMPLE_TYPES
from conformance.reference.provider import Provider
from conformance.schemas import validate_envelope
from conformance.xmlsafe import parse_bytes

OFFICIAL = Path(__file__).resolve().parents[1] / "vectors" / "official-xsd"
RPCS = ("SendRequest", "GetRequest", "Ack", "SendResponse", "GetResponse")
CASES = [(v, rpc, side) for v in Version for rpc in RPCS for side in ("sent", "answer")]
pytestmark = pytest.mark.slow  # three full exchanges per version through a signing double


def official_errors(data: bytes, version: Version) -> list:
    directory = OFFICIAL / version.value if version is not Version.V1_2 else None
    return validate_envelope(parse_bytes(data), version, schema_dir=directory)


@pytest.fixture(scope="module")
def exchanges():
    by_version = {}
    for version in Version:
        stand = make_stand()
        try:
            settings = stand.settings(version=version.value)
            provider, consumer = Provider(settings), Consumer(settings)
            sent = [consumer.send(name, seed=3) for name in SAMPLE_TYPES]
            no_data = XmlFragment.from_bytes((DIRECTORY / "no-data" / f"{SAMPLE_TYPES[0]}.xml").read_bytes())
            sent.append(consumer.send(SAMPLE_TYPES[0], content=no_data))
            sent.append(consumer.send(SAMPLE_TYPES[-1], seed=4, test_message=True))
            while provider.poll_once():
                pass
            kinds = [consumer.await_final(s.message_id, 5).kind for s in sent]
            assert kinds == ["data"] * len(SAMPLE_TYPES) + ["rejected", "data"], kinds
            by_version[version] = stand.exchanges()
        finally:
            stand.close()
    return by_version


@pytest.mark.parametrize(("version", "rpc", "side"), CASES, ids=[f"{v.value}-{r}-{s}" for v, r, s in CASES])
def test_reference_participants_write_what_the_official_xsd_accepts(exchanges, version, rpc, side):
    calls = [e for e in exchanges[version] if e.rpc == rpc]
    assert calls, f"no {rpc} in the {version.value} exchange"
    for call in calls:
        assert call.version == version.value and call.fault is None, (call.fault, call.response_body[:300])
        body = call.request_body if side == "sent" else call.response_body
        assert official_errors(body, version) == [], (call.id, body[:300])
