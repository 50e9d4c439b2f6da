"""Properties of signing: any business content signs and verifies; any change to signed text breaks the digest
and only the digest; layout whitespace added to the signed element after signing changes nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from xmldsig_messages import PAYLOAD_NS, credentials, failures, reparse

from conformance.crypto import get_backend
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.xmlfragment import XmlFragment
from conformance.xmldsig import verifier as v
from conformance.xmldsig.signer import sign_message
from conformance.xmlsafe import parse_bytes

NATIVE = get_backend()  # the fastest backend here (native when installed): these tests need one to sign
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(
    list("&<>\"'\t\n]")), min_size=1, max_size=40).filter(lambda t: t.strip())


def _signed(texts: list[str]) -> etree._ElementTree:
    element = etree.Element(f"{{{PAYLOAD_NS}}}Request", nsmap={"p": PAYLOAD_NS})
    for index, text in enumerate(texts):
        etree.SubElement(element, f"{{{PAYLOAD_NS}}}Field{index}", attr=text).text = text
    from xmldsig_messages import REQUEST_ID

    message = m.SendRequestRequest(m.SenderProvidedRequestData(message_id=REQUEST_ID, content=XmlFragment(element)))
    tree = parse_bytes(build(message, "1.3"))
    key, cert = credentials("participant")
    sign_message(tree, None, key, cert, backend=NATIVE)
    return reparse(tree)


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4), st.data())
def test_any_content_round_trips_and_any_text_change_breaks_only_the_digest(texts: list[str], data) -> None:
    tree = _signed(texts)
    assert failures(tree) == {}
    fields = tree.xpath("//*[starts-with(local-name(), 'Field')]")
    target = fields[data.draw(st.integers(0, len(fields) - 1))]
    replacement = data.draw(TEXT.filter(lambda t: t != target.text))
    target.text = replacement
    assert set(failures(tree)) == {v.SIG_DIGEST}


@settings(max_examples=20, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=3), st.sampled_from(["  ", "\t", "\n    "]))
def test_indenting_the_signed_element_after_signing_changes_nothing(texts: list[str], space: str) -> None:
    tree = _signed(texts)
    signed_element = tree.xpath("//*[@Id='SIGNED_BY_CONSUMER']")[0]
    etree.indent(signed_element, space=space)
    assert failures(reparse(tree)) == {}
