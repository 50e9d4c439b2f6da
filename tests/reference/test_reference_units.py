"""The reference participant's parts: keys, participant files, the variants table, ids, citizens, the journal."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.codes import RejectionReasonCode
from conformance.reference import citizens, identity, participant_files
from conformance.reference.journal import State
from conformance.reference.provider import decode_answer, encode_answer
from conformance.reference.variants import REFERENCE, VARIANTS, Behaviour, IdStyle, variant
from conformance.reference.wire import message_id
from conformance.registry import load_registry, make_payload
from conformance.suites.participant import bound, load_participant


def test_reference_units_shipped_keys_are_the_regeneration():
    for name, data in identity.generate().items():
        assert (identity.KEYS_DIR / name).read_bytes() == data, name


def test_reference_units_identities_chain_to_the_test_ca_and_expired_is_expired():
    from datetime import UTC, datetime

    from conformance.crypto import verify_certificate

    now = datetime.now(UTC)
    for name in identity.NAMES:
        cert = identity.identity(name).certificate
        assert verify_certificate(cert, identity.ca_certificate())
        assert cert.valid_at(now) is (name != "expired")
        assert identity.identity(name).key.public_key == cert.public_key


def test_reference_units_participant_files_are_the_regeneration_and_load():
    files = participant_files.generate()
    for relative, data in files.items():
        assert (participant_files.DIRECTORY / relative).read_bytes() == data, relative
    shipped = {p.relative_to(participant_files.DIRECTORY).as_posix()
               for p in participant_files.DIRECTORY.rglob("*") if p.is_file()}
    assert shipped == set(files)
    for v in (REFERENCE, *VARIANTS.values()):
        for role in v.roles:
            loaded = load_participant(participant_files.DIRECTORY / f"{v.name}.{role}.yaml")
            assert loaded.role.value == role
            assert [t.name for t in loaded.types] == list(participant_files.SAMPLE_TYPES)
            assert loaded.registry == participant_files.REGISTRY_FILE, "the files name their registry"
            # port 0: the harness picks the port and fills it in, so the command and the trigger agree with it
            running = bound(loaded, "http://127.0.0.1:45678/smev")
            command = running.start.command
            assert command[command.index("--variant") + 1] == v.name
            assert command[command.index("--bus") + 1] == running.bus_url == "http://127.0.0.1:45678/smev"
            if role == "consumer":
                serving = command[command.index("--serve-trigger") + 1]
                assert running.trigger.http_url == f"http://{serving}/send?type={{type}}"
                assert not serving.endswith(":0") and "{" not in serving
            expired = v.name == "expired-certificate"
            assert loaded.certificate.name == ("expired" if expired else role) + ".cert.pem"


def test_reference_units_each_variant_is_one_switch_away_from_the_reference():
    assert len(VARIANTS) >= 12
    behaviours = [v.behaviour for v in VARIANTS.values()]
    assert len(set(behaviours)) == len(behaviours)  # no two twins make the same mistake
    for v in VARIANTS.values():
        changed = [f.name for f in dataclasses.fields(Behaviour)
                   if getattr(v.behaviour, f.name) != getattr(REFERENCE.behaviour, f.name)]
        assert len(changed) == 1, (v.name, changed)
        assert v.mistake and v.finding and set(v.roles) <= {"provider", "consumer"}


def test_reference_units_unknown_variant_is_a_usage_error():
    from conformance.errors import UsageError

    assert variant(None) is REFERENCE and variant("rs-order") is VARIANTS["rs-order"]
    with pytest.raises(UsageError, match="no-ack"):
        variant("no-such-mistake")


def test_reference_units_message_id_styles():
    for _ in range(50):
        assert ids.is_lower_uuid1(message_id(IdStyle.UUID1))
    assert ids.check_message_id(message_id(IdStyle.UPPER)).problem is ids.IdProblem.UPPER_CASE
    assert ids.check_message_id(message_id(IdStyle.UUID4)).problem is ids.IdProblem.WRONG_VERSION


@pytest.fixture(scope="module")
def registry_db():
    registry = load_registry()
    db = sqlite3.connect(":memory:", isolation_level=None)
    count = citizens.seed_citizens(db, registry, size=30)
    return registry, db, count


def test_reference_units_citizens_know_the_seeded_subjects_and_no_one_else(registry_db):
    registry, db, count = registry_db
    # the INN and passport-validity requests of one seed ask about the same person: one citizen
    assert count == 60
    for spec in registry.types:
        found = [citizens.answer(db, spec, make_payload(spec, "request", seed=s)) for s in range(30)]
        assert all(f is not None for f in found), spec.name
        assert all(f.tag == spec.response.qname for f in found)
        assert citizens.answer(db, spec, make_payload(spec, "request", seed=10_000)) is None


def test_reference_units_citizens_answer_mismatch_and_invalid_passports(registry_db):
    from lxml import etree

    registry, db, _ = registry_db
    snils = registry.by_name("sfr-snils-check")
    request = make_payload(snils, "request", seed=4)
    request.find(f"{{{snils.request.namespace}}}FamilyName").text = "Другая"
    answer = citizens.answer(db, snils, request)
    assert answer.findtext(f"{{{snils.response.namespace}}}Result") == "MISMATCH"
    passport = registry.by_name("mvd-passport-validity")
    statuses = [citizens.answer(db, passport, make_payload(passport, "request", seed=s))
                .findtext(f"{{{passport.response.namespace}}}Status") for s in range(14)]
    assert statuses.count("INVALID") == 2 and statuses[citizens.INVALID_EVERY - 1] == "INVALID"
    assert etree.QName(answer).localname == "SNILSCheckResponse"


def test_reference_units_seeding_is_reproducible_and_idempotent():
    registry = load_registry()
    dumps = []
    for _ in range(2):
        db = sqlite3.connect(":memory:", isolation_level=None)
        citizens.seed_citizens(db, registry, size=5)
        citizens.seed_citizens(db, registry, size=5)  # a seeded database is left as it is
        dumps.append(list(db.execute("SELECT * FROM citizens ORDER BY id")))
    assert dumps[0] == dumps[1] and len(dumps[0]) == 10


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(list(RejectionReasonCode)), st.text(min_size=1, max_size=200).filter(
    lambda t: all(ch >= " " and ch not in "\ud800\udfff" for ch in t)))
def test_reference_units_journal_keeps_rejections_exactly(code, description):
    answer = m.Rejection((m.RequestRejected(code, description),))
    assert decode_answer(encode_answer(answer)) == answer


def test_reference_units_journal_survives_reopening(tmp_path):
    from conformance.protocol.xmlfragment import XmlFragment

    path = tmp_path / "state.sqlite"
    content = XmlFragment.from_bytes(b'<a:X xmlns:a="urn:a"><a:Y>1</a:Y></a:X>')
    state = State(path)
    state.record_processed("m1", "t", "reply", False, encode_answer(m.BusinessAnswer(content)))
    state.record_processed("m2", "t", "reply", True, encode_answer(m.BusinessAnswer(content)))
    state.mark_answered("m2", "r2")
    state.close()
    again = State(path)
    assert [e.message_id for e in again.outbox()] == ["m1"]
    assert decode_answer(again.find("m1").answer) == m.BusinessAnswer(content)
    assert again.inquiry_count() == 1  # the TestMessage m2 left no inquiry
    again.close()


def test_reference_units_reference_registry_makes_the_reference_provide_and_consume_everything():
    from conformance.reference.bus_setup import reference_types
    from conformance.reference.identity import CONSUMER, PROVIDER

    shipped = load_registry()
    table = reference_types()
    assert {t.name for t in table.types} == set(shipped.names())
    for spec in shipped.types:
        bus_type = table.by_name(spec.name)
        assert bus_type.providers == (PROVIDER,) and bus_type.may_consume(CONSUMER)
        assert bus_type.request.xsd == spec.request.xsd and bus_type.request.xsd.is_file()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=29), type_index=st.integers(min_value=0, max_value=2))
def test_reference_units_every_answer_is_valid_against_its_payload_schema(registry_db, seed, type_index):
    from conformance.schemas.validation import validate_payload

    registry, db, _ = registry_db
    spec = registry.types[type_index]
    request = make_payload(spec, "request", seed=seed)
    assert validate_payload(request, spec.request.xsd) == []
    answer = citizens.answer(db, spec, request)
    assert answer is not None and validate_payload(answer, spec.response.xsd) == []
