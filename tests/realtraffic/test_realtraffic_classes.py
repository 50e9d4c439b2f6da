"""The classes real traffic showed, tested on messages made for them rather than on the captured examples alone:

- 1.3 versions of the real 1.2/1.1 messages (their namespaces rewritten) have no structural failure against the
  official 1.3 XSDs: Mnemonic-only parties, the asynchronous SmevFault with xsi:type, a fault's basic Code, an empty
  NodeID and BusinessProcessMetadata, an AttachmentContent/Id that is no xs:ID;
- other namespaces inside business payloads are legitimate (MSG-NS-VERSION judges the SMEV part only);
- an SMEV 2 message, a SOAP 1.2 envelope and another service's SOAP message get one finding naming what they are;
  a plain SOAP fault is the bus's answer and fails nothing (it is not "unsigned");
- MTOM end to end: a capture with its Content-Type given, in a header block or as the double's HTTP capture verifies;
  a missing or altered part is named; a bare XML with an unresolved include gets one finding and no schema noise;
  moving any base64 of a signed message to MIME parts leaves the verdict unchanged (property).
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from realtraffic_vectors import VECTORS, content_type, judging_time, load, raw

from conformance.cli import main
from conformance.findings import Status
from conformance.protocol.mtom import encode_multipart
from conformance.rules.engine import CheckSettings, check_bytes, check_tree
from conformance.rules.messagefile import read_message_bytes
from conformance.xmldsig.verifier import VerifyOptions, verify_tree
from conformance.xmlsafe import parse_bytes

OFFICIAL_1_3 = VECTORS.parent / "official-xsd" / "1.3"
MTOM = "derived-rosreestr-SendRequestRequest-1.1-mtom.mime"
_SMEV_NS = re.compile(rb"(message-exchange/types/(?:basic/|faults/)?)1\.[12]")


def _as_1_3(name: str) -> bytes:
    return _SMEV_NS.sub(rb"\g<1>1.3", raw(name))


def _failures(result, family: str = "") -> list[tuple[str, str]]:
    return [(f.rule_id, f.message) for f in result.findings
            if f.status is Status.FAIL and f.rule_id.startswith(family)]


def _check(data: bytes, **settings):
    tree = parse_bytes(data)
    settings.setdefault("registry", None)
    return check_tree("message.xml", tree, CheckSettings(at=judging_time(tree), **settings))


@pytest.mark.parametrize("name", [
    "gosha-raw-SendRequestResponse-1.2.xml",  # Sender/Recipient with Mnemonic only
    "gosha-raw-GetResponseResponse-1.2.xml",
    "gosha-raw-SendRequestRequest-1.2.xml",
    "gosha-raw-AckRequest-1.2.xml",
    "smev3sharp-GetResponseResponce_InvalidContent.xml",  # types:AsyncProcessingStatus, SmevFault xsi:type
    "smev3sharp-SoapFaultResponse_SignatureVerificationFault.xml",  # basic:Code in a fault
    "gosha-rosreestr-SendRequestRequest-1.1.xml",  # empty NodeID and BusinessProcessMetadata, a digit-led Id
])
def test_1_3_versions_of_real_messages_have_no_structural_failure(name):
    result = _check(_as_1_3(name), schema_dir=OFFICIAL_1_3)
    assert result.version == "1.3"
    assert _failures(result, "MSG-") == []


def test_bus_accepted_departures_warn_and_say_why():
    result = _check(_as_1_3("gosha-raw-SendRequestResponse-1.2.xml"), schema_dir=OFFICIAL_1_3)
    warned = [f for f in result.findings if f.rule_id == "MSG-SCHEMA-TOLERATED"]
    assert [f.status for f in warned] == [Status.WARN, Status.WARN]
    assert all("HumanReadableName" in f.message and "bus accepts it" in f.message for f in warned)


def test_a_malformed_party_is_still_a_failure():
    """The tolerance is for the human-readable name the bus leaves out, not for any other defect of a party."""
    data = re.sub(rb"<ns2:Mnemonic>[^<]*</ns2:Mnemonic>", b"", raw("gosha-raw-SendRequestResponse-1.2.xml"), count=1)
    data = data.replace(b"<ns2:Sender></ns2:Sender>", b"<ns2:Sender><ns2:Mnemonic>a</ns2:Mnemonic>"
                        b"<ns2:Mnemonic>b</ns2:Mnemonic></ns2:Sender>")
    result = _check(data, rules=None)
    assert any(rule == "MSG-SCHEMA-ENVELOPE" for rule, _ in _failures(result))


def test_other_smev_namespaces_inside_a_business_payload_are_legitimate():
    tree = etree.ElementTree(etree.fromstring(_as_1_3("gosha-raw-SendRequestRequest-1.2.xml")))
    business = tree.xpath("//*[local-name()='MessagePrimaryContent']/*")[0]
    quoted = etree.SubElement(business, "{urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1}Quoted")
    etree.SubElement(quoted, "{urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.2}Note").text = "x"
    result = check_tree("message.xml", tree, CheckSettings(at=judging_time(tree), registry=None))
    assert [f.status for f in result.findings if f.rule_id == "MSG-NS-VERSION"] == [Status.PASS]
    # …while the same element in the SMEV part is a failure
    data = tree.xpath("//*[local-name()='SenderProvidedRequestData']")[0]
    data.append(etree.Element("{urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1}TestMessage"))
    result = check_tree("message.xml", tree, CheckSettings(at=judging_time(tree), registry=None))
    assert [f.status for f in result.findings if f.rule_id == "MSG-NS-VERSION"] == [Status.FAIL]


# --- what is no SMEV 3 message ------------------------------------------------------------------------------------

SMEV2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:rev="http://smev.gosuslugi.ru/rev120315"
    xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <soapenv:Header><wsse:Security soapenv:actor="http://smev.gosuslugi.ru/actors/smev">
    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411"/>
      <ds:Reference URI="#body"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#gostr3411"/>
      <ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue>
    </ds:Signature></wsse:Security></soapenv:Header>
  <soapenv:Body wsu:Id="body"><rev:queryINNFL><rev:Message>
    <rev:Sender><rev:Code>MINF01001</rev:Code><rev:Name>Minfin</rev:Name></rev:Sender>
    <rev:Recipient><rev:Code>FNS001001</rev:Code><rev:Name>FNS</rev:Name></rev:Recipient>
    <rev:TypeCode>GSRV</rev:TypeCode><rev:Status>REQUEST</rev:Status><rev:Date>2014-04-01T10:00:00</rev:Date>
  </rev:Message><rev:MessageData><rev:AppData/></rev:MessageData></rev:queryINNFL></soapenv:Body>
</soapenv:Envelope>"""
SOAP12 = (b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
          b'<m:GetPrice xmlns:m="urn:example:shop"><m:Item>x</m:Item></m:GetPrice></env:Body></env:Envelope>')
OTHER_SOAP = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
              b'<m:GetPrice xmlns:m="urn:example:shop"><m:Item>x</m:Item></m:GetPrice></soap:Body></soap:Envelope>')
PLAIN_FAULT = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
               '<faultcode>soap:Client</faultcode><faultstring>Неверный формат запроса</faultstring>'
               '<detail><e:Trace xmlns:e="urn:example:trace">at line 1</e:Trace></detail>'
               '</soap:Fault></soap:Body></soap:Envelope>').encode()


@pytest.mark.parametrize(("data", "rule", "words"), [
    (SMEV2, "MSG-SOAP-OPERATION", "SMEV 2 message"),
    (SOAP12, "MSG-SOAP-ENVELOPE", "SOAP 1.2 envelope"),
    (OTHER_SOAP, "MSG-SOAP-OPERATION", "SOAP message of another service"),
], ids=["smev2", "soap12", "other-service"])
def test_foreign_input_gets_one_finding_naming_it(data, rule, words, tmp_path, capsys):
    result = check_bytes("message.xml", data, CheckSettings(registry=None))
    assert [(f.rule_id, words in f.message) for f in result.findings if f.status is not Status.PASS
            and f.status is not Status.SKIP] == [(rule, True)]
    assert all("not an SMEV 3 message" in f.message for f in result.findings
               if f.status is Status.SKIP and f.rule_id.startswith(("SIG-", "CERT-")))
    path = tmp_path / "message.xml"
    path.write_bytes(data)
    assert main(["verify", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["status"]) for f in report["files"][0]["findings"]] == [(rule, "fail")]


@pytest.mark.parametrize("data", [PLAIN_FAULT, raw("smev3sharp-SoapFaultResponse.xml")], ids=["client", "server"])
def test_a_plain_soap_fault_is_the_bus_answer_not_an_unsigned_message(data, tmp_path, capsys):
    result = check_bytes("fault.xml", data, CheckSettings(registry=None))
    assert _failures(result) == []
    operation = [f for f in result.findings if f.rule_id == "MSG-SOAP-OPERATION"]
    assert operation[0].status is Status.SKIP and "plain SOAP 1.1 fault" in operation[0].message
    assert [f.status for f in result.findings if f.rule_id == "SIG-PRESENT"] == [Status.SKIP]
    path = tmp_path / "fault.xml"
    path.write_bytes(data)
    assert main(["verify", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert report["operation"] == "Fault"
    assert [(f["status"], "nothing to verify" in f["message"]) for f in report["findings"]] == [("skip", True)]


# --- MTOM end to end ----------------------------------------------------------------------------------------------

def _verdicts(tree) -> dict[str, str]:
    return {o.rule_id: o.status.value for o in verify_tree(tree, VerifyOptions(at=judging_time(tree)))
            if o.rule_id in ("SIG-DIGEST", "SIG-VALUE")}


def _at(name: str = MTOM) -> str:
    return judging_time(load(name)).isoformat()


@pytest.mark.parametrize("framing", ["option", "header-block", "http-request", "http-response", "sniffed"])
def test_an_mtom_capture_verifies_however_it_is_framed(framing, tmp_path, capsys):
    ctype, body = content_type(MTOM), raw(MTOM)
    data, extra = {
        "option": (body, ["--content-type", ctype]),
        "header-block": (f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body, []),
        "http-request": (f"POST /smev HTTP/1.1\r\nSOAPAction: \"urn:SendRequest\"\r\nContent-Type: {ctype}\r\n\r\n"
                         .encode() + body, []),
        "http-response": (f"HTTP/1.1 200\r\nContent-Type: {ctype}\r\n\r\n".encode() + body, []),
        "sniffed": (body, []),  # starts with its boundary line: the first part is the root
    }[framing]
    path = tmp_path / "capture.mime"
    path.write_bytes(data)
    assert main(["verify", str(path), "--at", _at(), *extra]) == 0, capsys.readouterr().out
    assert main(["check", str(path), "--at", _at(), "--select", "MSG", "--ignore", "MSG-CONTENT", *extra]) == 0, \
        capsys.readouterr().out


def test_the_resolved_mtom_capture_is_the_xml_it_was_made_from():
    mtom = load(MTOM)
    xml = load("gosha-rosreestr-SendRequestRequest-1.1.xml")
    assert etree.tostring(mtom, method="c14n") == etree.tostring(xml, method="c14n")


def test_a_capture_without_a_named_part_is_one_clear_finding(capsys, tmp_path):
    body = raw(MTOM)
    boundary = re.match(rb"--([^\r\n]+)", body).group(1)
    parts = body.split(b"--" + boundary)
    dropped = (b"--" + boundary).join(parts[:2] + parts[3:])
    path = tmp_path / "capture.mime"
    path.write_bytes(dropped)
    assert main(["check", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    failed = [f for f in report["files"][0]["findings"] if f["status"] == "fail"]
    assert [f["rule"] for f in failed] == ["MSG-MTOM-PACKAGE"]
    assert "does not carry" in failed[0]["message"]


def test_an_altered_part_fails_the_digest_it_is_signed_by():
    body = raw(MTOM)
    root_end = body.index(b"</SOAP-ENV:Envelope>")
    second = body.index(b"Content-ID:", root_end)
    start = body.index(b"\r\n\r\n", second) + 4
    altered = body[:start + 10] + bytes([body[start + 10] ^ 1]) + body[start + 11:]
    tree = read_message_bytes(altered, content_type=content_type(MTOM)).tree
    assert _verdicts(tree)["SIG-DIGEST"] == "fail"


def test_a_bare_xml_with_an_unresolved_include_gets_one_finding_and_no_schema_noise():
    name = "gosha-reply-GetRequestResponse-1.1.xml"
    tree = load(name)
    result = check_tree(name, tree, CheckSettings(at=judging_time(tree), registry=None,
                                                  schema_dir=VECTORS.parent / "official-xsd" / "1.1"))
    mtom = [f for f in result.findings if f.rule_id == "MSG-MTOM-UNRESOLVED"]
    assert [f.status for f in mtom] == [Status.WARN] and "not in this file" in mtom[0].message
    noisy = [f for f in result.findings if f.status is not Status.PASS and f.rule_id.startswith("MSG-")
             and ("Include" in f.message or "SignaturePKCS7" in f.message) and f.rule_id != "MSG-MTOM-UNRESOLVED"]
    assert noisy == []


def _base64_elements(tree) -> list[etree._Element]:
    return [e for e in tree.iter() if isinstance(e.tag, str) and etree.QName(e).localname in
            ("SignaturePKCS7", "Content") and (e.text or "").strip() and not len(e)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chosen=st.sets(st.integers(0, 1), min_size=1), boundary=st.from_regex(r"[A-Za-z0-9_.:-]{8,40}", fullmatch=True),
       cid_local=st.from_regex(r"[A-Za-z0-9_.~-]{1,20}", fullmatch=True))
def test_moving_base64_to_mime_parts_keeps_the_verdict(chosen, boundary, cid_local):
    """Any base64 element of a signed message sent as an MTOM part (cid URL-encoded as CXF writes it): the resolved
    message verifies exactly as the inline one does."""
    tree = load("gosha-rosreestr-SendRequestRequest-1.1.xml")
    before = _verdicts(tree)
    parts: dict[str, bytes] = {}
    candidates = _base64_elements(tree)
    assert len(candidates) == 2  # the attachment's SignaturePKCS7 (signed) and its Content (not)
    for index in sorted(chosen):
        element = candidates[index]
        cid = f"{cid_local}-{index}@urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1"
        parts[cid] = base64.b64decode("".join(element.text.split()))
        element.text = None
        etree.SubElement(element, "{http://www.w3.org/2004/08/xop/include}Include", href="cid:" + quote(cid, safe="@"))
    header, body = encode_multipart(etree.tostring(tree), parts, boundary=boundary)
    resolved = read_message_bytes(body, content_type=header).tree
    assert _verdicts(resolved) == before == {"SIG-DIGEST": "pass", "SIG-VALUE": "pass"}


def test_repeated_ids_inside_a_business_payload_are_its_own_business_unless_a_signature_names_them():
    tree = etree.ElementTree(etree.fromstring(raw("gosha-raw-SendRequestRequest-1.2.xml")))
    business = tree.xpath("//*[local-name()='MessagePrimaryContent']/*")[0]
    for _ in range(2):
        etree.SubElement(business, "{urn:example:payload}Person", ID="1")
    result = check_tree("message.xml", tree, CheckSettings(at=judging_time(tree), registry=None))
    assert [f.status for f in result.findings if f.rule_id == "MSG-XMLID-UNIQUE"] == [Status.PASS]
    etree.SubElement(business, "{urn:example:payload}Copy", Id="SIGNED_BY_CONSUMER")  # what wrapping needs
    result = check_tree("message.xml", tree, CheckSettings(at=judging_time(tree), registry=None))
    assert Status.FAIL in [f.status for f in result.findings if f.rule_id == "MSG-XMLID-UNIQUE"]


def test_an_empty_party_is_not_a_tolerated_departure():
    """Only the HumanReadableName the bus leaves out is tolerated: a Sender with nothing in it still fails."""
    data = re.sub(rb"<ns2:Sender>.*?</ns2:Sender>", b"<ns2:Sender/>", _as_1_3("gosha-raw-SendRequestResponse-1.2.xml"),
                  flags=re.S)
    result = _check(data, schema_dir=OFFICIAL_1_3)
    assert any("Sender" in message for rule, message in _failures(result) if rule == "MSG-SCHEMA-ENVELOPE")


@pytest.mark.parametrize(("value", "tolerated"), [("1d0a95.full_request.zip", True), ("", False), ("a b", False)])
def test_only_a_digit_led_attachment_id_is_tolerated(value, tolerated):
    data = re.sub(rb"(<(?:\w+:)?AttachmentContent>\s*<(?:\w+:)?Id>)[^<]*", lambda m: m.group(1) + value.encode(),
                  _as_1_3("gosha-rosreestr-SendRequestRequest-1.1.xml"))
    result = _check(data, schema_dir=OFFICIAL_1_3)
    on_id = [f for f in result.findings if f.status is not Status.PASS and "Id" in f.message
             and f.rule_id in ("MSG-SCHEMA-ENVELOPE", "MSG-SCHEMA-TOLERATED")]
    assert on_id and {f.rule_id for f in on_id} == {"MSG-SCHEMA-TOLERATED" if tolerated else "MSG-SCHEMA-ENVELOPE"}


def test_an_smev3_body_of_an_unknown_version_is_not_called_another_service():
    data = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><t:SendRequestRequest '
            b'xmlns:t="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.4"/></soap:Body></soap:Envelope>')
    result = check_bytes("message.xml", data, CheckSettings(registry=None))
    operation = [f for f in result.findings if f.rule_id == "MSG-SOAP-OPERATION"]
    assert operation[0].status is Status.FAIL and "not in an SMEV 3 types namespace" in operation[0].message
