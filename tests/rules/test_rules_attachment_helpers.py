"""The attachment rules' helpers: base64 size and decoding, media-type syntax, content sniffing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.rules.attachments import _MIME, decode_base64, decoded_size, sniff


@given(st.binary(max_size=200), st.integers(0, 76))
def test_decoded_size_is_the_length_base64_decodes_to(data, width):
    text = base64.b64encode(data).decode()
    if width:
        text = "\n".join(text[i:i + width] for i in range(0, len(text), width))
    assert decoded_size(text) == len(data)
    assert decode_base64(text) == (data if data else None)


@pytest.mark.parametrize("text", ["", "   ", "abc", "a===", "%%%%", "YWJj ZA=x"])
def test_decode_base64_refuses_what_is_not_base64(text):
    assert decode_base64(text) is None


@pytest.mark.parametrize(("value", "ok"), [
    ("application/pdf", True), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", True),
    ("text/plain; charset=utf-8", True), ('text/plain; charset="utf-8"', True), ("image/svg+xml", True),
    ("pdf", False), ("application/", False), ("/pdf", False), ("text/plain;", False), ("text / plain", False),
])
def test_media_type_syntax(value, ok):
    assert bool(_MIME.match(value)) is ok


def test_sniff_recognises_common_files_and_nothing_else():
    assert sniff(b"%PDF-1.7\n")[1] == ("application/pdf",)
    assert sniff(b"\x89PNG\r\n\x1a\n....")[1] == ("image/png",)
    assert "application/zip" in sniff(b"PK\x03\x04rest")[1]
    assert sniff(b"plain text") is None and sniff(b"") is None
