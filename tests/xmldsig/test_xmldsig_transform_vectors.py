"""The SMEV transform against the four official scenarios and the project's own vectors for what they do not show.

Every expected output below was written by hand from the steps of docs/smev-protocol.md, not produced by the code,
and is re-judged by SMEV's own loop over Woodstox in `test_xmldsig_transform_oracle.py` where a JDK is installed.
The vectors are what a signature digests: the transform of the element's exclusive c14n.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from conformance.xmldsig.c14n import exc_c14n
from conformance.xmldsig.escaping import escape_attribute, escape_text
from conformance.xmldsig.transform import RULE_UNSUPPORTED, SmevTransformError, smev_transform
from conformance.xmlsafe import parse_bytes, parse_file

OFFICIAL = Path(__file__).parent / "vectors" / "official"
OWN = Path(__file__).parent / "vectors"


def _official() -> list[Path]:
    return sorted(OFFICIAL.glob("*.in.xml"))


@pytest.mark.parametrize("source", _official(), ids=lambda p: p.name.split(".")[0])
def test_official_scenario_byte_for_byte(source: Path) -> None:
    expected = source.with_name(source.name.replace(".in.", ".expected.")).read_bytes()
    root = parse_file(source).getroot()
    assert smev_transform(root) == expected
    assert smev_transform(exc_c14n(root)) == expected  # through the c14n octets as well


def test_there_are_four_official_scenarios() -> None:
    assert len(_official()) == 4


NORMATIVE = Path(__file__).parents[1] / "vectors" / "smev-transform"


@pytest.mark.parametrize("source", sorted(NORMATIVE.glob("*.in.xml")), ids=lambda p: p.name.split(".")[0])
def test_normative_vector_byte_for_byte(source: Path) -> None:
    """The shared normative vectors (the four scenarios and the published GIBDD output), by every path."""
    expected = source.with_name(source.name.replace(".in.", ".expected.")).read_bytes()
    root = parse_file(source).getroot()
    assert smev_transform(root) == expected
    assert smev_transform(exc_c14n(root)) == expected
    assert smev_transform(source.read_bytes()) == expected  # the prologs hold only comments and PIs


def _t(xml: str, **kwargs: str) -> str:
    root = parse_bytes(xml.encode("utf-8")).getroot()
    out = smev_transform(root, **kwargs)
    assert out == smev_transform(exc_c14n(root), **kwargs)
    return out.decode("utf-8")


OWN_VECTORS = {
    "text-escaping-long": (
        '<a xmlns="urn:a">x &amp; y &lt; z &gt; w " q&#xD;r&#x9;s\nt</a>',
        '<ns1:a xmlns:ns1="urn:a">x &amp; y &lt; z > w " q&#xd;r\ts\nt</ns1:a>',
    ),
    "text-escaping-gt-first": ('<a xmlns="urn:a">&gt;b</a>', '<ns1:a xmlns:ns1="urn:a">&gt;b</ns1:a>'),
    "text-escaping-gt-after-bracket": ('<a xmlns="urn:a">a]&gt;b</a>', '<ns1:a xmlns:ns1="urn:a">a]&gt;b</ns1:a>'),
    "text-escaping-gt-after-entity-short": ('<a xmlns="urn:a">&amp;&gt;</a>', '<ns1:a xmlns:ns1="urn:a">&amp;></ns1:a>'),
    "text-escaping-gt-after-entity-long": (
        '<a xmlns="urn:a">&amp;&gt;abcdefghij</a>', '<ns1:a xmlns:ns1="urn:a">&amp;&gt;abcdefghij</ns1:a>',
    ),
    "attribute-escaping": (
        '<a xmlns="urn:a" b="x&amp;y&lt;z&gt;w&quot;q\'r&#x9;s&#xA;t&#xD;u"/>',
        '<ns1:a xmlns:ns1="urn:a" b="x&amp;y&lt;z>w&quot;q\'r&#x9;s&#xa;t&#xd;u"></ns1:a>',
    ),
    "non-ascii": (
        '<р:документ xmlns:р="urn:ru" атр="знач">Привет, мир ✓ 𝄞</р:документ>',
        '<ns1:документ xmlns:ns1="urn:ru" атр="знач">Привет, мир ✓ 𝄞</ns1:документ>',
    ),
    "qualified-attributes-of-several-namespaces": (
        '<x:e xmlns:x="urn:x" xmlns:b="urn:b" xmlns:a="urn:a" b:z="1" a:y="2" a:b="3" c="4" a="5" x:q="6"/>',
        '<ns1:e xmlns:ns1="urn:x" xmlns:ns2="urn:a" xmlns:ns3="urn:b" ns2:b="3" ns2:y="2" ns3:z="1" ns1:q="6" a="5" c="4">'
        '</ns1:e>',
    ),
    "default-namespaces": (
        '<root xmlns="urn:d"><child xmlns="urn:e"><g/></child><h/></root>',
        '<ns1:root xmlns:ns1="urn:d"><ns2:child xmlns:ns2="urn:e"><ns2:g></ns2:g></ns2:child><ns1:h></ns1:h></ns1:root>',
    ),
    "uri-redeclared-on-siblings": (
        '<r xmlns="urn:r"><a xmlns="urn:s"/><b xmlns="urn:s"/><c xmlns:s="urn:s"><s:d/></c></r>',
        '<ns1:r xmlns:ns1="urn:r"><ns2:a xmlns:ns2="urn:s"></ns2:a><ns3:b xmlns:ns3="urn:s"></ns3:b>'
        '<ns1:c><ns4:d xmlns:ns4="urn:s"></ns4:d></ns1:c></ns1:r>',
    ),
    "inner-whitespace-kept": (
        '<a xmlns="urn:a">\n  <b>  two  words \n here </b>\n  <c>\t\n </c>\n</a>',
        '<ns1:a xmlns:ns1="urn:a"><ns1:b>  two  words \n here </ns1:b><ns1:c></ns1:c></ns1:a>',
    ),
    "mixed-content": (
        '<a xmlns="urn:a">lead <b>x</b> tail </a>',
        '<ns1:a xmlns:ns1="urn:a">lead <ns1:b>x</ns1:b> tail </ns1:a>',
    ),
    "text-merges-across-comment": ('<a xmlns="urn:a"> <!-- c -->x<?pi d?></a>', '<ns1:a xmlns:ns1="urn:a"> x</ns1:a>'),
    "cdata-is-text": ('<a xmlns="urn:a"><![CDATA[x<y]]></a>', '<ns1:a xmlns:ns1="urn:a">x&lt;y</ns1:a>'),
    "text-splits-at-processing-instruction": (
        '<a xmlns="urn:a"> <?pi x?>y<b/>z <?pi?>\n</a>', '<ns1:a xmlns:ns1="urn:a">y<ns1:b></ns1:b>z </ns1:a>',
    ),
    "text-escaping-c1-controls": (
        '<a xmlns="urn:a" b="\x85\x7f>">\x85>\x7f \x9f&gt;abcdefghijkl\x85></a>',
        '<ns1:a xmlns:ns1="urn:a" b="\x85\x7f>">&#x85;&gt;&#x7f; &#x9f;&gt;abcdefghijkl&#x85;&gt;</ns1:a>',
    ),
    "counter-is-never-reused": (
        '<a xmlns="urn:a"><b xmlns="urn:b"/><c xmlns="urn:c"/><b xmlns="urn:b"/></a>',
        '<ns1:a xmlns:ns1="urn:a"><ns2:b xmlns:ns2="urn:b"></ns2:b><ns3:c xmlns:ns3="urn:c"></ns3:c>'
        '<ns4:b xmlns:ns4="urn:b"></ns4:b></ns1:a>',
    ),
}


REFUSED = {
    # SMEV's transform binds a generated prefix to every element's namespace URI: to the empty URI for an element
    # in no namespace, to the xml: namespace for an xml:* attribute; Woodstox's writer throws on both.
    "unqualified-child-elements": '<Request xmlns="urn:q"><field xmlns="">v</field><other>w</other></Request>',
    "no-namespace-at-all": '<a><b c="d"/></a>',
    "xml-lang-attribute": '<a xmlns="urn:a" z="1" xml:lang="ru"/>',
    "xml-space-deep-inside": '<a xmlns="urn:a"><b><c xml:space="preserve"> x </c></b></a>',
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_vector(name: str) -> None:
    """The finding names the offending element's line and the rule, on both paths."""
    data = REFUSED[name].encode("utf-8")
    root = parse_bytes(data).getroot()
    with pytest.raises(SmevTransformError, match=r"SMEV cannot verify a signature over this element") as caught:
        smev_transform(root)
    assert caught.value.rule == RULE_UNSUPPORTED and caught.value.line == 1
    with pytest.raises(SmevTransformError):
        smev_transform(exc_c14n(root))
    with pytest.raises(SmevTransformError):
        smev_transform(data)


def test_refused_vectors_are_also_files() -> None:
    for name, source in REFUSED.items():
        assert (OWN / "refused" / f"{name}.in.xml").read_text("utf-8") == source
        assert not (OWN / "refused" / f"{name}.expected.xml").exists()


def test_raw_octets_keep_comments_and_cdata_as_events() -> None:
    """Alone on octets (no c14n before it), the transform sees comments split texts and writes CDATA back."""
    data = b'<a xmlns="urn:a"> <!-- c -->x<![CDATA[ ]]><![CDATA[y>]]>\n<!-- d -->\n</a>'
    assert smev_transform(data) == b'<ns1:a xmlns:ns1="urn:a">x<![CDATA[y>]]></ns1:a>'
    assert smev_transform(parse_bytes(data).getroot()) == b'<ns1:a xmlns:ns1="urn:a"> x y>\n\n</ns1:a>'


def test_raw_octets_are_read_as_utf8_whatever_the_declaration() -> None:
    data = '<?xml version="1.0" encoding="windows-1251"?><a xmlns="urn:a">Жук</a>'.encode("cp1251")
    with pytest.raises(SmevTransformError, match="not UTF-8"):
        smev_transform(data)
    ascii_only = b'<?xml version="1.0" encoding="windows-1251"?><a xmlns="urn:a">ok</a>'
    assert smev_transform(ascii_only) == b'<ns1:a xmlns:ns1="urn:a">ok</ns1:a>'


@pytest.mark.parametrize("name", sorted(OWN_VECTORS))
def test_own_vector(name: str) -> None:
    source, expected = OWN_VECTORS[name]
    assert _t(source) == expected


def test_own_vectors_are_also_files() -> None:
    """The vectors ship as files too (NAME.in.xml / NAME.expected.xml), for other SMEV implementations to test with."""
    for name, (source, expected) in OWN_VECTORS.items():
        assert (OWN / f"{name}.in.xml").read_text("utf-8") == source
        assert (OWN / f"{name}.expected.xml").read_bytes() == expected.encode("utf-8")


def test_plain_escaping_escapes_every_gt() -> None:
    source = '<a xmlns="urn:a">x &amp; y &lt; z &gt; w</a>'
    assert _t(source, escaping="plain") == '<ns1:a xmlns:ns1="urn:a">x &amp; y &lt; z &gt; w</ns1:a>'
    assert _t(source) == '<ns1:a xmlns:ns1="urn:a">x &amp; y &lt; z > w</ns1:a>'


def test_woodstox_escapes_gt_at_each_512_character_chunk() -> None:
    assert escape_text("a" * 512 + ">b") == "a" * 512 + "&gt;b"
    assert escape_text("a" * 511 + ">b") == "a" * 511 + ">b"
    assert escape_text("a" * 1024 + ">") == "a" * 1024 + "&gt;"
    assert escape_text(">" + "a" * 20) == "&gt;" + "a" * 20
    assert escape_text("&>" + "a" * 10) == "&amp;&gt;" + "a" * 10  # long text: the scanner restarts after an entity
    assert escape_text("&>") == "&amp;>"  # short text: it does not


def test_woodstox_counts_utf16_code_units() -> None:
    """Java strings: a character above U+FFFF is two units, for the chunks and for the short-text threshold
    (found by the Woodstox oracle)."""
    assert escape_text("𝄞" + "a" * 510 + ">b") == "𝄞" + "a" * 510 + "&gt;b"
    assert escape_text("𝄞" + "a" * 509 + ">b") == "𝄞" + "a" * 509 + ">b"
    assert escape_text("𝄞" * 6 + "&>") == "𝄞" * 6 + "&amp;&gt;"  # 14 units: a long text
    assert escape_text("a" * 6 + "&>") == "a" * 6 + "&amp;>"
    assert escape_text("\x85>" + "a" * 10) == "&#x85;&gt;" + "a" * 10  # C1 controls are references in text


def test_attribute_escaping_is_the_same_in_both_modes() -> None:
    value = "a&b<c>d\"e'f\tg\nh\ri"
    assert escape_attribute(value, "woodstox") == escape_attribute(value, "plain") == (
        "a&amp;b&lt;c>d&quot;e'f&#x9;g&#xa;h&#xd;i")


def test_unknown_escaping_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="escaping"):
        smev_transform(etree.fromstring(b"<a/>"), escaping="html")  # type: ignore[arg-type]


def test_transform_of_a_subtree_ignores_its_tail_and_siblings() -> None:
    root = parse_bytes(b'<r xmlns="urn:r"><a Id="x">1</a>tail<b/></r>').getroot()
    assert smev_transform(root[0]) == b'<ns1:a xmlns:ns1="urn:r" Id="x">1</ns1:a>'


def test_supplementary_characters_sort_attributes_by_utf16_code_units() -> None:
    # U+FF21 (FULLWIDTH A) sorts after U+1D11E in UTF-16 code units (0xD834...) but before it in code points.
    root = parse_bytes('<a xmlns="urn:a" \uff21="1" 𝄞="2"/>'.encode()).getroot()
    assert smev_transform(root).decode() == '<ns1:a xmlns:ns1="urn:a" 𝄞="2" \uff21="1"></ns1:a>'


def test_c14n_escapes_an_ampersand_in_a_namespace_uri() -> None:
    """libxml2 writes namespace URIs raw; C14N escapes them as attribute values (found by the Woodstox oracle)."""
    from conformance.xmldsig.c14n import inclusive_c14n

    root = parse_bytes(b'<a xmlns="urn:x?a&amp;b" xmlns:p="urn:y&amp;"><?pi xmlns="a&b"?><p:b>&amp;</p:b></a>').getroot()
    assert exc_c14n(root) == b'<a xmlns="urn:x?a&amp;b"><?pi xmlns="a&b"?><p:b xmlns:p="urn:y&amp;">&amp;</p:b></a>'
    assert inclusive_c14n(root) == (b'<a xmlns="urn:x?a&amp;b" xmlns:p="urn:y&amp;"><?pi xmlns="a&b"?>'
                                    b'<p:b>&amp;</p:b></a>')
    assert smev_transform(exc_c14n(root)) == smev_transform(root) == (
        b'<ns1:a xmlns:ns1="urn:x?a&amp;b"><ns2:b xmlns:ns2="urn:y&amp;">&amp;</ns2:b></ns1:a>')
