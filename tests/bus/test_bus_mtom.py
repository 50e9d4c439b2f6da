"""MTOM: multipart/related bodies split strictly, xop:Include resolved to base64, transport errors named."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.protocol.mtom import TransportError, encode_multipart, read_body, resolve_xop
from conformance.xmlsafe import parse_bytes

ENVELOPE = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a:Content xmlns:a="urn:a">'
            b'<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:att-1"/></a:Content>'
            b'</s:Body></s:Envelope>')


def test_plain_text_xml_is_the_envelope():
    body = read_body("text/xml; charset=utf-8", b"<x/>")
    assert body.envelope == b"<x/>" and not body.mtom and body.parts == {}


@pytest.mark.parametrize("ctype", [None, "", "application/json", "text/plain", "application/soap+xml"])
def test_other_content_types_are_refused_with_415(ctype):
    with pytest.raises(TransportError) as err:
        read_body(ctype, b"<x/>")
    assert err.value.status == 415 and err.value.reason == "content-type"


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=2000))
def test_multipart_round_trip_resolves_include_to_the_part_bytes(data):
    ctype, body = encode_multipart(ENVELOPE, {"att-1": data})
    soap = read_body(ctype, body)
    assert soap.mtom and soap.envelope == ENVELOPE and soap.parts == {"att-1": data}
    root = parse_bytes(soap.envelope).getroot()
    assert resolve_xop(root, soap.parts) == 1
    content = root.find(".//{urn:a}Content")
    assert base64.b64decode(content.text or "") == data and len(content) == 0


def test_lf_only_line_ends_are_accepted():
    ctype, body = encode_multipart(ENVELOPE, {"att-1": b"xyz"})
    soap = read_body(ctype, body.replace(b"\r\n", b"\n"))
    assert soap.parts["att-1"] == b"xyz"


@pytest.mark.parametrize(("mangle", "reason"), [
    (lambda c, b: (c.replace('boundary="uuid:smev-double-boundary"; ', ""), b), "mime-boundary"),
    (lambda c, b: (c.replace("smev-double-boundary", "other-boundary"), b), "mime-boundary"),
    (lambda c, b: (c, b.rsplit(b"--uuid:smev-double-boundary--", 1)[0]), "mime-boundary"),
    (lambda c, b: (c.replace("root.message@smev-double", "nowhere"), b), "mime-part"),
    (lambda c, b: (c.replace("application/xop+xml", "image/png"), b), "content-type"),
])
def test_malformed_multipart_is_a_transport_error(mangle, reason):
    ctype, body = encode_multipart(ENVELOPE, {"att-1": b"data"})
    ctype, body = mangle(ctype, body)
    with pytest.raises(TransportError) as err:
        read_body(ctype, body)
    assert err.value.reason == reason


def test_include_naming_a_missing_part_is_refused_with_its_line():
    root = parse_bytes(ENVELOPE).getroot()
    with pytest.raises(TransportError, match="att-1"):
        resolve_xop(root, {"other": b""})


def test_include_with_a_non_cid_href_is_refused():
    root = parse_bytes(ENVELOPE.replace(b"cid:att-1", b"http://example/x")).getroot()
    with pytest.raises(TransportError, match="not a cid"):
        resolve_xop(root, {"att-1": b""})
