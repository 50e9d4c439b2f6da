"""Attachment CMS signatures: signed by `sign_attachments`, verified by the verifier, tampering caught."""

from __future__ import annotations

import base64

from lxml import etree
from xmldsig_messages import AT, REQUEST_ID, business, credentials, outcomes, reparse

from conformance.crypto import get_backend
from conformance.findings import Status
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.xmldsig.attachments import SIG_ATTACH_CMS, sign_attachments
from conformance.xmldsig.signer import sign_message
from conformance.xmlsafe import parse_bytes

NATIVE = get_backend()  # the fastest backend here (native when installed): these tests need one to sign
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _message(signed_attachments: bool = True):
    data = m.SenderProvidedRequestData(message_id=REQUEST_ID, content=business(),
                                       attachment_headers=(m.AttachmentHeader("doc-1", "application/pdf"),
                                                           m.AttachmentHeader("doc-2", "text/plain")))
    message = m.SendRequestRequest(data, attachments=(m.AttachmentContent("doc-1", PDF),
                                                      m.AttachmentContent("doc-2", "тест".encode())))
    tree = parse_bytes(build(message, "1.3"))
    key, cert = credentials("participant")
    if signed_attachments:
        assert sign_attachments(tree.getroot(), key, cert, backend=NATIVE) == 2
    sign_message(tree, None, key, cert, backend=NATIVE)
    return reparse(tree)


def _attachment_outcomes(tree):
    return [o for o in outcomes(tree, at=AT) if o.rule_id == SIG_ATTACH_CMS]


def test_signed_attachments_verify_and_the_xml_signature_covers_their_headers() -> None:
    tree = _message()
    found = _attachment_outcomes(tree)
    assert [o.status for o in found] == [Status.PASS, Status.PASS]
    assert all(o.status is not Status.FAIL for o in outcomes(tree, at=AT))


def test_changed_attachment_content_fails_with_digest_mismatch() -> None:
    tree = _message()
    content = tree.xpath("//*[local-name()='AttachmentContent'][*[local-name()='Id']='doc-1']"
                         "/*[local-name()='Content']")[0]
    content.text = base64.b64encode(PDF + b"x").decode()
    found = _attachment_outcomes(tree)
    assert found[0].status is Status.FAIL and "messageDigest" in found[0].message
    assert found[1].status is Status.PASS


def test_unsigned_attachments_are_skipped_and_a_missing_content_fails() -> None:
    assert {o.status for o in _attachment_outcomes(_message(signed_attachments=False))} == {Status.SKIP}
    tree = _message()
    item = tree.xpath("//*[local-name()='AttachmentContent'][*[local-name()='Id']='doc-2']")[0]
    item.getparent().remove(item)
    found = _attachment_outcomes(tree)
    assert found[1].status is Status.FAIL and "no AttachmentContent" in found[1].message


def test_signature_pkcs7_sits_last_in_its_header() -> None:
    header = _message().xpath("//*[local-name()='AttachmentHeader']")[0]
    assert [etree.QName(c).localname for c in header] == ["contentId", "MimeType", "SignaturePKCS7"]


def _attachment_findings(tree, rules):
    from conformance.rules.engine import CheckSettings, check_tree

    result = check_tree("request", tree, CheckSettings(rules=rules, at=AT))
    return [f for f in result.findings if f.rule_id == SIG_ATTACH_CMS]


def test_the_attachment_rule_alone_judges_as_the_whole_catalogue_does() -> None:
    """The bus double runs SIG-ATTACH-CMS without the XML signature rules (it verified those itself): alone, the rule
    verifies only the attachments, and must reach the catalogue's verdicts."""
    from conformance.rules import catalogue

    tree = _message()
    content = tree.xpath("//*[local-name()='AttachmentContent'][*[local-name()='Id']='doc-1']"
                         "/*[local-name()='Content']")[0]
    content.text = base64.b64encode(PDF + b"x").decode()
    alone = _attachment_findings(tree, [r for r in catalogue.registered() if r.rule.id == SIG_ATTACH_CMS])
    whole = _attachment_findings(tree, None)
    assert [(f.status, f.message) for f in alone] == [(f.status, f.message) for f in whole]
    assert any(f.status is Status.FAIL and "messageDigest" in f.message for f in alone)
    assert {f.status for f in _attachment_findings(_message(signed_attachments=False), None)} == {Status.SKIP}
