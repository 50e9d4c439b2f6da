"""Reading a message file never ends in a traceback: any bytes, with any of the framings `messagefile` recognises,
give a parsed message or an `XmlInputError` naming its rule (so `check` reports a finding, exit 1, never a crash)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import xmlsafe
from conformance.rules.messagefile import RULE_MTOM_PACKAGE, read_message_bytes

PREFIXES = [b"", b"--uuid:abc\r\n", b"--b\n\n", b"Content-Type: multipart/related; boundary=b\r\n\r\n",
            b"Content-Type: text/xml\r\n\r\n", b"HTTP/1.1 200\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n",
            b"POST /smev HTTP/1.1\r\n\r\n", b"\xef\xbb\xbf--x\r\n"]
RULES = {xmlsafe.RULE_EMPTY, xmlsafe.RULE_SIZE, xmlsafe.RULE_DTD, xmlsafe.RULE_DEPTH, xmlsafe.RULE_WELLFORMED,
         RULE_MTOM_PACKAGE}


@settings(max_examples=150, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=300),
       content_type=st.sampled_from([None, "multipart/related; boundary=b", "text/xml", "application/json"]))
def test_any_input_is_a_message_or_a_named_refusal(prefix, body, content_type):
    try:
        read_message_bytes(prefix + body, content_type=content_type)
    except xmlsafe.XmlInputError as exc:
        assert exc.rule in RULES


def test_a_multipart_part_body_is_bounded_like_the_file():
    """The envelope inside a multipart is parsed with the same bounds as a file (size, depth)."""
    deep = b"<a>" * 200 + b"</a>" * 200
    body = b"--b\r\nContent-Type: text/xml\r\n\r\n" + deep + b"\r\n--b--\r\n"
    try:
        read_message_bytes(body)
    except xmlsafe.XmlInputError as exc:
        assert exc.rule == xmlsafe.RULE_DEPTH
    else:
        raise AssertionError("a 200-deep envelope inside a multipart was accepted")
