"""Properties of the SMEV transform over generated documents.

A document is generated as an abstract tree (namespace URIs, names, attributes, texts), then written out in
several source styles (prefixes, default namespaces, whitespace between elements). The transform must not care
about the style, must produce well-formed XML, and must be a fixed point on its own output.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.xmldsig.c14n import exc_c14n
from conformance.xmldsig.transform import smev_transform

URIS = ("urn:a", "urn:b", "http://example.org/c", "urn:x-artefacts/d")
NAMES = st.sampled_from(["a", "b", "item", "Данные", "x1", "Id"])
TEXT = st.text(alphabet=st.sampled_from(list("ab ]>&<\"'\t\n\r€я")), max_size=20)


@dataclass
class Node:
    uri: int | None  # index into URIS, None: no namespace
    name: str
    attributes: dict[tuple[int | None, str], str]
    children: list  # Node | str, never two texts in a row


@st.composite
def nodes(draw: st.DrawFn, depth: int = 0) -> Node:
    uri = draw(st.integers(0, len(URIS) - 1))  # no-namespace elements are refused (test_xmldsig_transform_vectors)
    keys = draw(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, len(URIS) - 1)), NAMES), max_size=3,
                         unique=True))
    attributes = {key: draw(TEXT) for key in keys}
    children: list = []
    for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
        if draw(st.booleans()) and (not children or not isinstance(children[-1], str)):
            children.append(draw(TEXT.filter(bool)))
        else:
            children.append(draw(nodes(depth + 1)))
    return Node(uri, draw(NAMES), attributes, children)


@dataclass(frozen=True)
class Style:
    prefixes: tuple[str, ...]  # a prefix per URI
    use_default: bool  # write element namespaces as default namespace declarations
    padding: str  # whitespace-only text put between elements


def _escape_text(text: str) -> str:
    return escape(text).replace("\r", "&#xD;")


def _escape_attr(value: str) -> str:
    return quoteattr(value, {"\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;"})


def render(node: Node, style: Style, default: int | None = None) -> str:
    declarations: dict[str, str] = {}
    if node.uri is None:
        tag = node.name
        if default is not None:
            declarations["xmlns"] = ""
        default_here = None
    elif style.use_default:
        tag = node.name
        if default != node.uri:
            declarations["xmlns"] = URIS[node.uri]
        default_here = node.uri
    else:
        tag = f"{style.prefixes[node.uri]}:{node.name}"
        declarations[f"xmlns:{style.prefixes[node.uri]}"] = URIS[node.uri]
        default_here = None if default is None else default
        if default is not None:
            declarations["xmlns"] = ""
            default_here = None
    attributes = []
    for (uri, name), value in node.attributes.items():
        if uri is None:
            attributes.append(f" {name}={_escape_attr(value)}")
        else:
            prefix = f"{style.prefixes[uri]}a"
            declarations[f"xmlns:{prefix}"] = URIS[uri]
            attributes.append(f" {prefix}:{name}={_escape_attr(value)}")
    parts = [f"<{tag}"]
    parts += [f" {key}={_escape_attr(value)}" for key, value in declarations.items()]
    parts += attributes
    parts.append(">")
    previous_is_text = False
    for child in node.children:
        if isinstance(child, str):
            parts.append(_escape_text(child))
            previous_is_text = True
        else:
            if not previous_is_text:
                parts.append(style.padding)
            parts.append(render(child, style, default_here))
            previous_is_text = False
    if not previous_is_text:
        parts.append(style.padding)
    parts.append(f"</{tag}>")
    return "".join(parts)


STYLES = st.builds(
    Style,
    prefixes=st.lists(st.sampled_from(["p", "q", "ns1", "ns2", "x", "ns9", "soap", "z"]), min_size=len(URIS),
                      max_size=len(URIS), unique=True).map(tuple),
    use_default=st.booleans(),
    padding=st.sampled_from(["", " ", "\n  ", "\t\r\n"]),
)


def _parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"))


def _is_whitespace(text: str) -> bool:
    return not text.strip("".join(chr(c) for c in range(0x21)))


def _strip_whitespace_texts(node: Node) -> Node:
    return Node(node.uri, node.name, node.attributes,
                [c if isinstance(c, str) else _strip_whitespace_texts(c) for c in node.children
                 if not (isinstance(c, str) and _is_whitespace(c))])


@pytest.mark.slow  # measured: 6 s on a loaded 2-core machine
@settings(max_examples=150, deadline=None)
@given(nodes(), STYLES)
def test_output_is_well_formed_and_a_fixed_point(node: Node, style: Style) -> None:
    out = smev_transform(_parse(render(node, style)))
    reparsed = etree.fromstring(out)  # raises if not well-formed (namespace-wise too)
    assert smev_transform(reparsed) == out
    assert smev_transform(exc_c14n(reparsed)) == out  # idempotent under re-transform of its own c14n


@pytest.mark.slow  # measured: 10 s on a loaded 2-core machine
@settings(max_examples=150, deadline=None)
@given(nodes(), STYLES, STYLES)
def test_output_is_independent_of_source_prefixes_and_whitespace_only_text(node: Node, one: Style,
                                                                         other: Style) -> None:
    assert smev_transform(_parse(render(node, one))) == smev_transform(_parse(render(node, other)))


@settings(max_examples=100, deadline=None)
@given(nodes(), STYLES)
def test_whitespace_only_texts_vanish(node: Node, style: Style) -> None:
    stripped = _strip_whitespace_texts(node)
    assert smev_transform(_parse(render(node, style))) == smev_transform(_parse(render(stripped, style)))


@pytest.mark.slow  # measured: 8 s on a loaded 2-core machine
@settings(max_examples=150, deadline=None)
@given(nodes(), STYLES)
def test_direct_walk_equals_transform_of_exclusive_c14n(node: Node, style: Style) -> None:
    wrapped = _parse(f'<outer xmlns:unused="urn:unused" xmlns="urn:outer">{render(node, style)}</outer>')
    element = wrapped[0]
    for escaping in ("woodstox", "plain"):
        assert smev_transform(element, escaping=escaping) == smev_transform(exc_c14n(element), escaping=escaping)
