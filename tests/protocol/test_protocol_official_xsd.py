"""The official SMEV XSDs judge what the project writes.

Every sample of every operation, version and variant (as `sample --all` writes them, signed as in real traffic, and
unsigned) validates against the official 1.1/1.3 XSDs copied in `tests/vectors/official-xsd/` (1.2: the project's
set, proven to be the official 1.3 structure with documented differences). The shipped package copies are the
vectors byte for byte; what the builder and reader know about faults and statuses is what these XSDs declare.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import protocol_strategies
import pytest
from hypothesis import HealthCheck, assume, given, settings
from lxml import etree
from schema_1_2 import derive_1_2

from conformance.crypto import bus_credentials, reproducible, test_credentials
from conformance.protocol import model as m
from conformance.protocol.builder import BuildError, build
from conformance.protocol.codes import FaultName, MessageType, SignatureVerificationReason, StatusCategory
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import Rpc, faults_for
from conformance.protocol.reader import parse
from conformance.protocol.samples import iter_samples
from conformance.protocol.schemafacts import declared_fault_names, fault_shape, nearest_status, status_categories
from conformance.schemas import ENVELOPE_SCHEMA_DIR, validate_envelope
from conformance.xmldsig.signer import traffic_signing_hook
from conformance.xmlsafe import parse_bytes, parse_file

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
OFFICIAL = VECTORS / "official-xsd"
REAL = VECTORS / "real-traffic"
AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SAMPLES = list(iter_samples(seed=7, at=AT))
SIGN = traffic_signing_hook(test_credentials()[:2], bus_credentials()[:2], backend=reproducible(), signing_time=AT)


def official_errors(data: bytes, version: Version) -> list:
    """Violations of the official XSDs (the vectors' copy; 1.2: the project's set, see `schema_1_2`)."""
    directory = OFFICIAL / version.value if version is not Version.V1_2 else None
    return validate_envelope(parse_bytes(data), version, schema_dir=directory)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_signed_sample_validates_against_the_official_xsd(sample):
    data = build(sample.message, sample.version, sign=SIGN)
    assert official_errors(data, sample.version) == []
    assert parse(data).message is not None  # and the reader takes what the builder wrote


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_unsigned_sample_validates_against_the_official_xsd(sample):
    errors = official_errors(build(sample.message, sample.version), sample.version)
    if sample.operation.value == "GetStatusRequest":  # the one wrapper the XSDs make mandatory
        assert len(errors) == 1 and "CallerInformationSystemSignature" in errors[0].message
    else:
        assert errors == []


def test_sample_all_covers_every_fault_of_the_xsds():
    written = {(s.version, s.variant) for s in SAMPLES if s.operation.value == "Fault"}
    for version in Version:
        assert {FaultName(v) for w, v in written if w is version} == set(fault_shape_names(version))


def fault_shape_names(version: Version) -> set[FaultName]:
    return {FaultName(n) for n in declared_fault_names(version) if n != "RequestIsNotFound"}


@pytest.mark.parametrize("version", [Version.V1_1, Version.V1_3])
def test_the_shipped_official_set_is_the_vectors_byte_for_byte(version):
    shipped = ENVELOPE_SCHEMA_DIR / "official" / version.value
    names = sorted(p.name for p in (OFFICIAL / version.value).iterdir() if p.suffix in (".xsd", ".wsdl"))
    assert names == sorted(p.name for p in shipped.iterdir())
    for name in names:
        assert (shipped / name).read_bytes() == (OFFICIAL / version.value / name).read_bytes(), name


@pytest.mark.parametrize("name", ["types-1.3.xsd", "basic-1.3.xsd", "faults-1.3.xsd", "service-1.3.wsdl"])
def test_the_1_2_set_is_the_official_1_3_with_the_documented_differences(name):
    official = (OFFICIAL / "1.3" / f"smev-message-exchange-{name}").read_text(encoding="utf-8")
    name = f"smev-message-exchange-{name.replace('1.3', '1.2')}"
    assert (ENVELOPE_SCHEMA_DIR / name).read_text(encoding="utf-8") == derive_1_2(name, official)


@pytest.mark.parametrize("path", sorted(REAL.glob("*-1.2.xml")), ids=lambda p: p.name)
def test_real_1_2_traffic_validates_against_the_1_2_set(path):
    assert validate_envelope(parse_file(path)) == []


def test_fault_names_are_the_xsds_elements():
    """`FaultName` is the faults XSD's element list (RequestIsNotFound answers 1.1's Cancel, not modelled);
    PersonalAccessDenied appeared in 1.3."""
    for version in Version:
        declared = declared_fault_names(version) - {"RequestIsNotFound"}
        assert declared == {f.value for f in FaultName if f.exists_in(version)}, version


VOID_1_3 = {"AccessDenied", "SMEVFailure", "MessageIsAlreadySent", "InvalidMessageIdFormat", "StaleMessageId",
            "RecipientIsNotFound", "SenderIsNotRegistered", "TargetMessageIsNotFound", "UnknownMessageType",
            "AttachmentContentMiscoordination", "IncorrectResponseContentType"}


def test_void_faults_are_read_from_the_xsd():
    """An independent reading of the official 1.3 faults XSD agrees with the issue's list, and 1.1's
    EndOfLifeReached is Void while 1.3's is an SmevFault."""
    root = etree.parse(str(OFFICIAL / "1.3" / "smev-message-exchange-faults-1.3.xsd")).getroot()
    void = {e.get("name") for e in root if e.get("type") == "basic:Void"} - {"RequestIsNotFound"}
    assert void == VOID_1_3
    assert {f.value for f in FaultName if f.exists_in(Version.V1_3) and fault_shape(f, "1.3").void} == VOID_1_3
    assert fault_shape(FaultName.END_OF_LIFE_REACHED, "1.1").void
    assert not fault_shape(FaultName.END_OF_LIFE_REACHED, "1.3").void


def test_a_void_fault_refuses_content():
    with pytest.raises(BuildError, match="AccessDenied is basic:Void in 1.3: it carries no content"):
        build(m.SoapFault(FaultName.ACCESS_DENIED, "no", code="X"), Version.V1_3)
    data = build(m.SoapFault(FaultName.ACCESS_DENIED, "no"), Version.V1_3)
    item = etree.fromstring(data).find(".//{*}detail")[0]
    assert etree.QName(item).localname == "AccessDenied" and len(item) == 0 and not item.text
    assert official_errors(data, Version.V1_3) == []


def test_required_fault_content_is_demanded():
    with pytest.raises(BuildError, match="InvalidContent needs ValidationError"):
        build(m.SoapFault(FaultName.INVALID_CONTENT, "bad"), Version.V1_3)
    with pytest.raises(BuildError, match="SignatureVerificationFault needs SignatureVerificationFault"):
        build(m.SoapFault(FaultName.SIGNATURE_VERIFICATION_FAULT, "bad"), Version.V1_1)
    with pytest.raises(BuildError, match="needs RootElementLocalName"):
        build(m.SoapFault(FaultName.BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED, "bad"), Version.V1_3)
    with pytest.raises(BuildError, match="has no Bogus"):
        build(m.SoapFault(FaultName.TRANSACTION_CODE_INVALID, "bad", details=(("Bogus", "1"),)), Version.V1_3)


def test_fault_code_and_description_are_in_the_basic_namespace():
    fault = m.SoapFault(FaultName.SIGNATURE_VERIFICATION_FAULT, "expired", code="SMEV-100", description="expired",
                        reason=SignatureVerificationReason.CERTIFICATE_IS_EXPIRED)
    data = build(fault, Version.V1_3)
    tree = etree.fromstring(data)
    item = tree.find(".//{*}detail")[0]
    basic = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.3"
    faults = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/faults/1.3"
    assert [c.tag for c in item] == [f"{{{basic}}}Code", f"{{{basic}}}Description",
                                     f"{{{faults}}}SignatureVerificationFault"]
    assert item[2].text == "CertificateIsExpired"


def test_real_faults_are_read():
    expired = parse(parse_file(REAL / "smev3sharp-SoapFaultResponse_SignatureVerificationFault.xml")).message
    assert expired.name is FaultName.SIGNATURE_VERIFICATION_FAULT
    assert expired.reason.value == "CertificateIsExpired" and expired.code.startswith("tsmev3:")
    rejected = parse(parse_file(REAL / "smev3sharp-GetResponseResponce_InvalidContent.xml")).message
    status = rejected.message.response.data.answer
    assert status.status_category is StatusCategory.REQUEST_IS_REJECTED_BY_SMEV
    assert status.smev_fault.type is FaultName.INVALID_CONTENT
    assert status.smev_fault.validation_errors[0].error_position == -1
    assert status.smev_fault.code == "tsmev3:P:TSMEV3_ASYNC_CORE1:TR:ASYNC:PP:BSV:3"


def test_rewriting_a_real_async_rejection_keeps_it_valid():
    """Read a real 1.2 async rejection, write it again: the xsi:typed SmevFault survives and validates."""
    rejected = parse(parse_file(REAL / "smev3sharp-GetResponseResponce_InvalidContent.xml"))
    data = build(rejected.message, rejected.version)
    assert b'xsi:type="faults:InvalidContent"' in data
    assert official_errors(data, rejected.version) == []
    assert parse(data).message == rejected.message


def test_status_lists_differ_by_version():
    assert StatusCategory.RESPONSE_IS_DELIVERED in status_categories("1.1")
    assert StatusCategory.RESPONSE_IS_QUEUED not in status_categories("1.1")
    assert StatusCategory.RESPONSE_IS_QUEUED in status_categories("1.3")
    assert StatusCategory.RESPONSE_IS_DELIVERED not in status_categories("1.3")
    for version in Version:
        for category in StatusCategory:
            assert nearest_status(category, version) in status_categories(version)
    meta = m.MessageMetadata(MessageType.RESPONSE, AT, sender=m.Party("A", "AAA"), destination_name="d",
                             supplementary_data=m.SupplementaryData("NotDetected"),
                             status=StatusCategory.RESPONSE_IS_QUEUED)
    with pytest.raises(BuildError, match="status responseIsQueued does not exist in version 1.1"):
        build(m.SendResponseResponse(meta), Version.V1_1)


def test_get_request_response_carries_the_bus_signature_inside_request_message():
    sample = next(s for s in SAMPLES if s.name == "1.3-GetRequestResponse")
    body = etree.fromstring(build(sample.message, sample.version, sign=SIGN)).find(".//{*}GetRequestResponse")
    holder = body[0]
    assert [etree.QName(c).localname for c in body] == ["RequestMessage"]
    assert [etree.QName(c).localname for c in holder] == ["Request", "SMEVSignature"]


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocol_strategies.any_message())
def test_any_model_message_is_written_as_the_official_xsd_wants(case):
    """Property: whatever model the builder accepts (values within the XSDs' simple types) it writes in the
    structure of the official XSDs: element order, namespaces, required children, fault content."""
    operation, version, message = case
    data = build(message, version)
    document = etree.fromstring(data)
    xml_ids = [e.get("Id") for e in document.iter() if isinstance(e.tag, str) and e.get("Id")] + \
        [e.text for e in document.iter("{*}Id")]
    assume(len(xml_ids) == len(set(xml_ids)))  # equal Ids are the rule MSG-XMLID-UNIQUE's subject, kept on purpose
    errors = official_errors(data, version)
    if operation.value == "GetStatusRequest" and message.signature is None:
        errors = [e for e in errors if "CallerInformationSystemSignature" not in e.message]
    assert errors == []


WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_OPERATIONS = [(Version(v), rpc) for v in ("1.1", "1.3") for rpc in Rpc if rpc.exists_in(Version(v))]


@pytest.mark.parametrize(("version", "rpc"), WSDL_OPERATIONS, ids=[f"{v.value}-{r.value}" for v, r in WSDL_OPERATIONS])
def test_faults_of_each_operation_are_the_official_wsdls(version, rpc):
    """The faults the double may answer an RPC with are exactly those the official WSDL declares for it."""
    document = etree.parse(str(OFFICIAL / version.value / f"smev-message-exchange-service-{version.value}.wsdl"))
    messages = {msg.get("name"): msg.find(f"{{{WSDL_NS}}}part").get("element").split(":")[1]
                for msg in document.iter(f"{{{WSDL_NS}}}message")}
    [operation] = [op for op in document.find(f"{{{WSDL_NS}}}portType") if op.get("name") == rpc.value]
    declared = {messages[f.get("message").split(":")[1]] for f in operation.findall(f"{{{WSDL_NS}}}fault")}
    assert declared == {f.value for f in faults_for(rpc, version)}
