"""Envelope and payload schema validation: the project's XSDs, another XSD set, local-only resolution, caching."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from conformance.protocol import build, build_element, place_signature
from conformance.protocol import model as m
from conformance.protocol.builder import BuildError
from conformance.protocol.codes import MessageType
from conformance.protocol.namespaces import XMLDSIG, Version, ns
from conformance.protocol.operations import SIGNING, Operation, detect
from conformance.protocol.samples import iter_samples, sample_message
from conformance.registry import load_registry, make_payload
from conformance.schemas import (
    ENVELOPE_SCHEMA_DIR,
    SchemaSetError,
    envelope_schema,
    namespace_index,
    validate_envelope,
    validate_payload,
)
from conformance.xmlsafe import parse_bytes, parse_file

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REAL = Path(__file__).resolve().parents[1] / "xmldsig" / "vectors" / "real" / "SendRequestRequest-1.2.xml"
SAMPLES = list(iter_samples(seed=4, at=AT))


def _doc(message, version):
    return parse_bytes(build(message, version), source="sample.xml")


def _signed(operation: Operation, version: Version) -> etree._ElementTree:
    envelope = build_element(sample_message(operation, version, seed=4, at=AT), version)
    signature = etree.Element(f"{{{XMLDSIG}}}Signature", nsmap={"ds": XMLDSIG})
    etree.SubElement(signature, f"{{{XMLDSIG}}}SignatureValue").text = "AAAA"
    place_signature(detect(envelope).body, SIGNING[operation], signature)
    return parse_bytes(etree.tostring(envelope))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_sample_is_schema_valid(sample):
    errors = validate_envelope(_doc(sample.message, sample.version), sample.version)
    if sample.operation is Operation.GET_STATUS:  # unsigned: the schema demands the caller's signature here
        assert len(errors) == 1 and "CallerInformationSystemSignature" in errors[0].message
    else:
        assert errors == []


@pytest.mark.parametrize("version", list(Version))
def test_signed_get_status_is_schema_valid(version):
    assert validate_envelope(_signed(Operation.GET_STATUS, version)) == []


def test_real_envelope_is_valid_against_the_project_schemas():
    if not REAL.exists():
        pytest.skip("shared vectors not mounted")
    assert validate_envelope(parse_file(REAL)) == []


def _send_request(version=Version.V1_3, **data_changes):
    message = sample_message(Operation.SEND_REQUEST, version, seed=4, at=AT)
    fields = {k: getattr(message.data, k) for k in message.data.__dataclass_fields__}
    fields.update(data_changes)
    return m.SendRequestRequest(m.SenderProvidedRequestData(**fields))


@pytest.mark.parametrize(("message_id", "why"), [
    ("39F52A38-9A54-11EA-B23A-3316E2108089", "upper case"),
    ("39f52a38-9a54-11ea-B23a-3316e2108089", "one upper-case letter"),
    ("39f52a38-9a54-11ea-b23a-3316e210808", "too short"),
])
def test_bad_message_ids_fail_the_schema_with_line_and_path(message_id, why):
    """The official basic:UUID is lower-case hex of the right shape; the version (1) is the rule MSG-ID-UUID1's."""
    errors = validate_envelope(_doc(_send_request(message_id=message_id), Version.V1_3))
    assert len(errors) == 1, why
    assert errors[0].path.endswith("MessageID")
    assert errors[0].line == 2
    assert "pattern" in errors[0].message


def test_duplicate_ids_fail_the_schema():
    message = sample_message(Operation.GET_REQUEST_RESPONSE, Version.V1_3, seed=4, at=AT)
    request = message.message.request
    meta = m.MessageMetadata(**{**{k: getattr(request.metadata, k) for k in request.metadata.__dataclass_fields__},
                                "id": request.id})
    clash = m.GetRequestResponse(m.RequestMessage(m.Request(request.data, meta, reply_to=request.reply_to,
                                                            id=request.id)))
    errors = validate_envelope(_doc(clash, Version.V1_3))
    assert any("xs:ID" in e.message or "ID" in e.message for e in errors)


def test_unknown_body_element_fails_the_schema():
    envelope = build_element(sample_message(Operation.ACK, Version.V1_3, seed=4, at=AT), Version.V1_3)
    body = detect(envelope).body
    body.tag = f"{{{ns(Version.V1_3).types}}}AckRequestTypo"
    errors = validate_envelope(etree.ElementTree(envelope), Version.V1_3)
    assert errors and "AckRequestTypo" in errors[0].message


def test_get_incoming_queue_statistics_exists_only_in_1_1():
    message = sample_message(Operation.GET_INCOMING_QUEUE_STATISTICS_RESPONSE, Version.V1_1, seed=4, at=AT)
    data = build(message, Version.V1_1)
    assert validate_envelope(parse_bytes(data), Version.V1_1) == []
    moved = data.replace(b"/types/1.1", b"/types/1.3").replace(b"/basic/1.1", b"/basic/1.3")
    assert validate_envelope(parse_bytes(moved), Version.V1_3)


def test_version_differences_of_message_metadata():
    legacy = m.MessageMetadata(MessageType.CANCEL, AT, sender=m.Party("Sender", "SNDR01"), destination_name="dest",
                               supplementary_data=m.SupplementaryData("NotDetected"))
    assert validate_envelope(_doc(m.SendRequestResponse(legacy), Version.V1_1), Version.V1_1) == []
    anonymous = m.MessageMetadata(MessageType.REQUEST, AT)
    with pytest.raises(BuildError, match="Sender, Sender/Mnemonic, DestinationName, SupplementaryData"):
        build(m.SendRequestResponse(anonymous), Version.V1_1)
    without_sender = build(m.SendRequestResponse(legacy), Version.V1_1).replace(
        b"<tns:Sender><tns:Mnemonic>SNDR01</tns:Mnemonic><tns:HumanReadableName>Sender</tns:HumanReadableName>"
        b"</tns:Sender>", b"")
    errors = validate_envelope(parse_bytes(without_sender), Version.V1_1)
    assert errors and "Sender" in errors[0].message
    assert validate_envelope(_doc(m.SendRequestResponse(anonymous), Version.V1_3), Version.V1_3) == []
    cancel = build(m.SendRequestResponse(legacy), Version.V1_1).replace(b"/1.1", b"/1.3")
    assert validate_envelope(parse_bytes(cancel), Version.V1_3)  # CANCEL is not a 1.3 MessageType


def test_reply_to_is_mandatory_in_1_1_requests():
    message = sample_message(Operation.GET_REQUEST_RESPONSE, Version.V1_1, seed=4, at=AT)
    request = message.message.request
    bare = m.GetRequestResponse(m.RequestMessage(m.Request(request.data, request.metadata, id=request.id)))
    errors = validate_envelope(_doc(bare, Version.V1_1), Version.V1_1)
    assert errors and "ReplyTo" in errors[0].message
    assert validate_envelope(_doc(bare, Version.V1_2), Version.V1_2) == []


def test_compiled_schemas_are_cached():
    assert envelope_schema(Version.V1_3) is envelope_schema(Version.V1_3)
    assert envelope_schema(Version.V1_1) is not envelope_schema(Version.V1_3)


def test_project_schema_set_is_indexed_by_target_namespace():
    index = namespace_index(ENVELOPE_SCHEMA_DIR)
    for version in Version:
        v = ns(version)
        for uri in (v.types, v.basic, v.faults):
            assert uri in index


# --- another schema set -------------------------------------------------------------------------------------------


def _copy_set(tmp_path: Path) -> Path:
    target = tmp_path / "official"
    shutil.copytree(ENVELOPE_SCHEMA_DIR, target)
    return target


def test_another_schema_set_is_really_used(tmp_path):
    directory = _copy_set(tmp_path)
    basic = directory / "official" / "1.3" / "smev-message-exchange-basic-1.3.xsd"
    text = basic.read_text(encoding="utf-8")
    pattern = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert pattern in text
    basic.write_text(text.replace(pattern, "[0-9a-fA-F\\-]{36}"), encoding="utf-8")
    upper = _doc(_send_request(message_id="39F52A38-9A54-11EA-B23A-3316E2108089"), Version.V1_3)
    assert validate_envelope(upper, Version.V1_3)
    assert validate_envelope(upper, Version.V1_3, schema_dir=directory) == []


def test_remote_imports_are_served_locally_by_file_name(tmp_path):
    directory = _copy_set(tmp_path)
    types = directory / "official" / "1.3" / "smev-message-exchange-types-1.3.xsd"
    text = types.read_text(encoding="utf-8")
    assert 'schemaLocation="smev-message-exchange-basic-1.3.xsd"' in text
    types.write_text(text.replace('schemaLocation="smev-message-exchange-basic-1.3.xsd"',
                                  'schemaLocation="http://example.invalid/xsd/smev-message-exchange-basic-1.3.xsd"'),
                     encoding="utf-8")
    assert validate_envelope(_doc(_send_request(), Version.V1_3), Version.V1_3, schema_dir=directory) == []


def test_unavailable_imports_are_refused_without_network(tmp_path):
    directory = _copy_set(tmp_path)
    (directory / "official" / "1.3" / "smev-message-exchange-basic-1.3.xsd").rename(directory / "elsewhere.xsd.bak")
    with pytest.raises(SchemaSetError) as caught:
        validate_envelope(_doc(_send_request(), Version.V1_3), Version.V1_3, schema_dir=directory)
    assert "basic/1.3" in str(caught.value)


def test_schema_dir_errors_are_clear(tmp_path):
    with pytest.raises(SchemaSetError, match="not a directory"):
        validate_envelope(_doc(_send_request(), Version.V1_3), Version.V1_3, schema_dir=tmp_path / "missing")
    (tmp_path / "broken.xsd").write_text("<xs:schema")
    with pytest.raises(SchemaSetError, match="not a readable XSD"):
        validate_envelope(_doc(_send_request(), Version.V1_3), Version.V1_3, schema_dir=tmp_path)


# --- payloads -----------------------------------------------------------------------------------------------------


REGISTRY = load_registry()


@pytest.mark.parametrize("spec", REGISTRY.types, ids=lambda s: s.name)
def test_fake_payloads_are_valid_and_mutations_are_not(spec):
    for seed in range(5):
        request = make_payload(spec, "request", seed=seed, at=AT)
        response = make_payload(spec, "response", seed=seed, at=AT, request=request)
        assert validate_payload(request, spec.request.xsd) == []
        assert validate_payload(response, spec.response.xsd) == []
    first = request[0]
    first.addnext(etree.Element(f"{{{spec.request.namespace}}}Unexpected"))
    errors = validate_payload(request, spec.request.xsd)
    assert errors and "Unexpected" in errors[0].message


def test_payload_inside_an_envelope_is_validated_as_a_subtree():
    spec = REGISTRY.by_name("mvd-passport-validity")
    message = sample_message(Operation.SEND_REQUEST, Version.V1_3, spec=spec, seed=1, at=AT)
    data = build(message, Version.V1_3).replace(b"<Series>", b"<Series>9")
    tree = parse_bytes(data)
    payload = tree.getroot().find(".//{*}MessagePrimaryContent")[0]
    errors = validate_payload(payload, spec.request.xsd)
    assert len(errors) == 1 and "Series" in errors[0].message
    assert errors[0].line == payload.sourceline


def test_missing_payload_schema_is_a_clear_error(tmp_path):
    with pytest.raises(SchemaSetError, match="does not exist"):
        validate_payload(etree.Element("x"), tmp_path / "none.xsd")


def _payload_set(tmp_path: Path, with_import: bool) -> Path:
    (tmp_path / "p.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:p" xmlns:o="urn:o" '
        'elementFormDefault="qualified">'
        '<xs:import namespace="urn:o" schemaLocation="https://example.invalid/schemas/o.xsd"/>'
        '<xs:element name="R" type="o:T"/></xs:schema>')
    if with_import:
        (tmp_path / "o.xsd").write_text(
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:o">'
            '<xs:simpleType name="T"><xs:restriction base="xs:string"><xs:pattern value="\\d+"/>'
            '</xs:restriction></xs:simpleType></xs:schema>')
    return tmp_path / "p.xsd"


def test_payload_schema_imports_resolve_locally(tmp_path):
    xsd = _payload_set(tmp_path, with_import=True)
    good = parse_bytes(b'<R xmlns="urn:p">123</R>').getroot()
    bad = parse_bytes(b'<R xmlns="urn:p">12a</R>').getroot()
    assert validate_payload(good, xsd) == []
    assert validate_payload(bad, xsd)


def test_payload_schema_with_a_missing_remote_import_is_refused(tmp_path):
    xsd = _payload_set(tmp_path, with_import=False)
    with pytest.raises(SchemaSetError) as caught:
        validate_payload(parse_bytes(b'<R xmlns="urn:p">1</R>').getroot(), xsd)
    assert "local files only" in str(caught.value)
    assert caught.value.rule == "MSG-SCHEMA-SET"
