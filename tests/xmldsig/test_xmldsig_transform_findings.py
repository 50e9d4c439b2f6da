"""What SMEV's transform cannot process is a finding of `verify`, `sign` and `transform`, never a silent digest; and
a processing instruction inside a signed block is digested as SMEV digests it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from lxml import etree
from xmldsig_messages import PAYLOAD_NS, credentials, message, outcomes, reparse

from conformance.cli import main
from conformance.crypto import get_backend
from conformance.findings import Status
from conformance.protocol.builder import build
from conformance.protocol.operations import Operation
from conformance.xmldsig import verifier as v
from conformance.xmldsig.signer import sign_message
from conformance.xmldsig.transform import RULE_UNSUPPORTED, SmevTransformError, smev_transform
from conformance.xmlsafe import parse_bytes

_SERIES = f"{{{PAYLOAD_NS}}}Series"


def _request(edit) -> etree._ElementTree:
    tree = parse_bytes(build(message(Operation.SEND_REQUEST), "1.3"))
    edit(tree.find(f".//{_SERIES}"))
    return reparse(tree)


def _sign(tree: etree._ElementTree) -> etree._ElementTree:
    key, cert = credentials("participant")
    sign_message(tree, None, key, cert, backend=get_backend(), source="request.xml")
    return reparse(tree)


def _xml_lang(series: etree._Element) -> None:
    series.set("{http://www.w3.org/XML/1998/namespace}lang", "ru")


def _no_namespace_child(series: etree._Element) -> None:
    etree.SubElement(series.getparent(), "Note").text = "x"


@pytest.mark.parametrize("edit", [_xml_lang, _no_namespace_child], ids=["xml-lang", "no-namespace"])
def test_sign_refuses_what_smev_cannot_verify(edit) -> None:
    tree = _request(edit)
    with pytest.raises(SmevTransformError) as caught:
        _sign(tree)
    assert caught.value.rule == RULE_UNSUPPORTED
    assert str(caught.value).startswith("request.xml:")
    assert tree.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is None


@pytest.mark.parametrize("edit", [_xml_lang, _no_namespace_child], ids=["xml-lang", "no-namespace"])
def test_verify_names_the_finding_instead_of_a_digest(edit) -> None:
    """A lenient signer produced a digest here; SMEV computes none. The finding says so, whatever the digest."""
    tree = _sign(_request(lambda series: None))
    edit(tree.find(f".//{_SERIES}"))
    digest = [o for o in outcomes(reparse(tree)) if o.rule_id == v.SIG_DIGEST]
    assert [o.status for o in digest] == [Status.FAIL]
    assert RULE_UNSUPPORTED in digest[0].message and "SMEV cannot verify" in digest[0].message
    assert dict(digest[0].details)["finding"] == RULE_UNSUPPORTED


def test_processing_instruction_splits_text_in_sign_and_verify() -> None:
    def with_pi(series: etree._Element) -> None:
        series.text = "  "
        pi = etree.ProcessingInstruction("pi", "x")
        series.append(pi)
        pi.tail = "4509"

    tree = _sign(_request(with_pi))
    series = tree.find(f".//{_SERIES}")
    assert b">4509<" in smev_transform(series)  # the whitespace before the PI is its own event: dropped
    digest = [o for o in outcomes(tree) if o.rule_id == v.SIG_DIGEST]
    assert [o.status for o in digest] == [Status.PASS]
    # and the digest is the one of the transform where the texts are separate events, not merged
    target = tree.find(".//{*}SenderProvidedRequestData")
    value = tree.find(".//{http://www.w3.org/2000/09/xmldsig#}DigestValue").text
    expected = get_backend().digest(smev_transform(target), 256)
    assert base64.b64decode(value) == expected
    assert b"  4509" not in smev_transform(target)


def test_transform_command_reports_the_finding(tmp_path: Path, capsys) -> None:
    source = tmp_path / "m.xml"
    source.write_text('<a xmlns="urn:a">\n<b xml:lang="ru"/></a>')
    assert main(["transform", str(source)]) == 2
    err = capsys.readouterr().err
    assert f"{source}:2:" in err and RULE_UNSUPPORTED in err and "Traceback" not in err


def test_transform_command_octets_mode(tmp_path: Path, capsysbinary) -> None:
    source = tmp_path / "m.xml"
    source.write_bytes(b'<a xmlns="urn:a"> <!-- c -->x<![CDATA[y]]></a>')
    assert main(["transform", str(source), "--octets"]) == 0
    assert capsysbinary.readouterr().out == b'<ns1:a xmlns:ns1="urn:a">x<![CDATA[y]]></ns1:a>'
    assert main(["transform", str(source)]) == 0
    assert capsysbinary.readouterr().out == b'<ns1:a xmlns:ns1="urn:a"> xy</ns1:a>'
    assert main(["transform", str(source), "--octets", "--id", "x"]) == 2


def test_smev_transform_first_sees_the_inclusive_c14n_of_the_node_set() -> None:
    """Without exclusive c14n before it, the transform reads the node set's inclusive c14n, which imports the
    ancestors' xml:* attributes: SMEV's transform then throws, while the standard chain does not see them."""
    from conformance.xmldsig import constants as c
    from conformance.xmldsig.pipeline import apply_transforms

    root = parse_bytes(b'<r xmlns="urn:r" xml:lang="ru"><a Id="x"> <?pi?>y</a></r>').getroot()
    target = root[0]
    assert apply_transforms(target, c.SMEV_TRANSFORMS) == b'<ns1:a xmlns:ns1="urn:r" Id="x">y</ns1:a>'
    with pytest.raises(SmevTransformError):
        apply_transforms(target, (c.SMEV_TRANSFORM,))
