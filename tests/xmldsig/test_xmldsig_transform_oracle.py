"""The SMEV transform, differentially: the product against SMEV's own loop over the real Woodstox, and against an
independent Python model of that loop (`smev_oracles.py`).

Documents are drawn as source text with everything the reference's event model distinguishes: processing
instructions and comments between texts, whitespace-only and mixed texts, CDATA, character references, default,
prefixed, redeclared and undeclared namespaces, qualified and unqualified attributes, `xml:*` attributes,
elements in no namespace, non-ASCII and C1 controls, long texts. Each is checked two ways:
- as octets given to the transform alone (`smev_transform(bytes)`: comments and CDATA reach it);
- as a signature digests it (`smev_transform(element)`, the transform of the element's exclusive c14n).
Where the oracle throws, the product must raise `SmevTransformError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smev_oracles import JavaOracle, Refused, java_unavailable, model_transform

from conformance.xmldsig.c14n import exc_c14n
from conformance.xmldsig.transform import SmevTransformError, smev_transform
from conformance.xmlsafe import parse_bytes

URIS = ("urn:a", "urn:b", "http://example.org/c?d=1&e", "urn:x-artefacts/d", "urn:Z")
PREFIXES = ("p", "q", "ns1", "ns2", "soap", "д")
NAMES = ("a", "b", "Item", "Данные", "x1", "Id", "ns1", "a-b.c")
CHARS = list("ab ]>&<\"'\t\n\r€я") + ["\u0085", "\x7f", "\u00a0", "\u2028", "𝄞"]


def _text_source(text: str) -> str:
    # `>` written both ways; CR kept by a reference (a raw CR would be read as LF, which is fine too, but rarer)
    source = text.replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "]]&gt;").replace("\r", "&#xD;")
    return "&gt;" + source[1:] if source.startswith(">") else source  # a neighbour text may end with `]]`


def _attribute_source(value: str, raw_whitespace: bool = False) -> str:
    """`raw_whitespace`: TAB and LF stay literal, which attribute-value normalisation turns into spaces."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace("\r", "&#xD;")
    return value if raw_whitespace else value.replace("\t", "&#x9;").replace("\n", "&#xA;")


TEXTS = st.one_of(
    st.lists(st.sampled_from(CHARS + ["]]>"]), max_size=14).map("".join),
    st.sampled_from([" ", "\n  ", "\t", "\r\n", "  \n\t "]),
    st.builds(lambda a, n, b: a + " " * n + b, st.sampled_from(["", "x", ">", "]"]), st.integers(0, 600),
              st.sampled_from(["", "y", ">"])),
    st.builds(lambda c, n: c * n, st.sampled_from(["a>", "]>", "&>", "я", "\u0085>"]), st.integers(5, 700)),
)


@st.composite
def elements(draw: st.DrawFn, scope: dict[str, str], default: str, depth: int = 0, *, rare_unsupported: bool,
             uris: tuple[str, ...] = URIS) -> str:
    """One element as source text. `scope`: prefix -> URI in scope; `default`: the default namespace ('' none)."""
    scope = dict(scope)
    declarations: list[str] = []
    style = draw(st.sampled_from(["inherit", "default", "prefixed", "prefixed", "undeclare"]
                                 if rare_unsupported else ["inherit", "default", "prefixed", "prefixed"]))
    if style == "inherit" and not default:
        style = "default"
    if style == "undeclare" and draw(st.integers(0, 9)) != 0:
        style = "default"
    name = draw(st.sampled_from(NAMES))
    if style == "default":
        default = draw(st.sampled_from(uris))
        declarations.append(f' xmlns="{_attribute_source(default)}"')
        tag = name
    elif style == "undeclare":
        default = ""
        declarations.append(' xmlns=""')
        tag = name
    elif style == "inherit":
        tag = name
    else:
        prefix = draw(st.sampled_from(PREFIXES))
        if prefix not in scope or draw(st.booleans()):
            scope[prefix] = draw(st.sampled_from(uris))
            declarations.append(f' xmlns:{prefix}="{_attribute_source(scope[prefix])}"')
        tag = f"{prefix}:{name}"
    # unused declarations, sometimes
    if draw(st.integers(0, 4)) == 0:
        extra = draw(st.sampled_from(PREFIXES))
        if f" xmlns:{extra}=" not in "".join(declarations):
            scope[extra] = draw(st.sampled_from(uris))
            declarations.append(f' xmlns:{extra}="{_attribute_source(scope[extra])}"')
    attributes: list[str] = []
    seen: set[tuple[str, str]] = set()
    for _ in range(draw(st.integers(0, 4))):
        local = draw(st.sampled_from(NAMES))
        value = _attribute_source(draw(st.text(alphabet=st.sampled_from(CHARS), max_size=8)), draw(st.booleans()))
        kind = draw(st.sampled_from(["plain", "qualified", "qualified", "xml"] if rare_unsupported
                                    else ["plain", "qualified"]))
        if kind == "xml" and draw(st.integers(0, 4)) == 0:
            xml_name = draw(st.sampled_from(["lang", "space", "base"]))
            xml_value = {"lang": "ru", "space": "preserve", "base": "urn:base"}[xml_name]
            key, text = ("xml", xml_name), f' xml:{xml_name}="{xml_value}"'
        elif kind == "qualified" and scope:
            prefix = draw(st.sampled_from(sorted(scope)))
            key, text = (scope[prefix], local), f' {prefix}:{local}="{value}"'
        else:
            key, text = ("", local), f' {local}="{value}"'
        if key not in seen:
            seen.add(key)
            attributes.append(text)
    children: list[str] = []
    for _ in range(draw(st.integers(0, 4 if depth < 3 else 1))):
        kind = draw(st.sampled_from(["text", "text", "element", "element", "pi", "comment", "cdata"]))
        if kind == "text":
            children.append(_text_source(draw(TEXTS)))
        elif kind == "element" and depth < 3:
            children.append(draw(elements(scope, default, depth + 1, rare_unsupported=rare_unsupported, uris=uris)))
        elif kind == "pi":
            children.append(draw(st.sampled_from(["<?pi x?>", "<?x?>", "<?xml-stylesheet href='a'?>", "<?p д ?>"])))
        elif kind == "comment":
            children.append(draw(st.sampled_from(["<!-- c -->", "<!---->", "<!--\n-->", "<!-- я > -->"])))
        elif kind == "cdata":
            body = draw(st.text(alphabet=st.sampled_from(list("ab <>&]\n\t я\u0085")), max_size=8))
            children.append(f"<![CDATA[{body.replace(']]>', ']] >')}]]>")
    if not children and draw(st.booleans()):
        return f"<{tag}{''.join(declarations)}{''.join(attributes)}/>"
    return f"<{tag}{''.join(declarations)}{''.join(attributes)}>{''.join(children)}</{tag}>"


@st.composite
def documents(draw: st.DrawFn, rare_unsupported: bool = True, uris: tuple[str, ...] = URIS) -> bytes:
    prolog = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0'?>\n",
                                   "<!-- before -->\n<?pi before?>", "\ufeff"]))
    root = draw(elements({}, "", rare_unsupported=rare_unsupported, uris=uris))
    epilog = draw(st.sampled_from(["", "\n", "<!-- after -->", "<?pi after?>\n"]))
    return (prolog + root + epilog).encode("utf-8")


def _product(data: bytes) -> bytes | type[Refused]:
    try:
        return smev_transform(data)
    except SmevTransformError:
        return Refused


def _product_signed(data: bytes) -> tuple[bytes, bytes | type[Refused]]:
    """The exclusive c14n of the document's root, and the product's transform of the root element itself."""
    root = parse_bytes(data).getroot()
    try:
        return exc_c14n(root), smev_transform(root)
    except SmevTransformError:
        return exc_c14n(root), Refused


def _expected(function, data: bytes) -> bytes | type[Refused]:
    try:
        return function(data)
    except Refused:
        return Refused


# -- against the real thing ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JavaOracle]:
    reason = java_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the Woodstox oracle (.ci/run installs it): {reason}")
        pytest.skip(f"the Woodstox oracle needs a JDK and Woodstox: {reason}")
    oracle = JavaOracle(tmp_path_factory.mktemp("smev-oracle"))
    yield oracle
    oracle.close()


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(documents())
def test_product_equals_woodstox_on_the_octets(java: JavaOracle, data: bytes) -> None:
    assert _product(data) == _expected(java.transform, data)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(documents())
def test_product_equals_woodstox_as_a_signature_digests(java: JavaOracle, data: bytes) -> None:
    canonical, product = _product_signed(data)
    assert product == _expected(java.transform, canonical)


VECTORS = sorted((Path(__file__).parent / "vectors").rglob("*.in.xml"))
NORMATIVE = sorted((Path(__file__).parents[1] / "vectors" / "smev-transform").glob("*.in.xml"))


@pytest.mark.slow  # measured: 7 s on a loaded 2-core machine
@pytest.mark.parametrize("source", VECTORS + NORMATIVE, ids=lambda p: f"{p.parent.name}/{p.name.split('.')[0]}")
def test_every_vector_is_what_woodstox_writes(java: JavaOracle, source: Path) -> None:
    """Every vector file, re-judged by the real thing through exclusive c14n (what a signature digests)."""
    root = parse_bytes(source.read_bytes()).getroot()
    expected = source.with_name(source.name.replace(".in.", ".expected."))
    got = _expected(java.transform, exc_c14n(root))
    if expected.exists():
        assert got == expected.read_bytes()
    else:
        assert got is Refused, f"{source.name} has no expected output but the reference transforms it"


def test_the_issue_example(java: JavaOracle) -> None:
    data = b'<a xmlns="urn:a"> <?pi x?>y</a>'
    assert java.transform(data) == smev_transform(data) == b'<ns1:a xmlns:ns1="urn:a">y</ns1:a>'


# -- against the independent model (no Java needed) ---------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(documents())
def test_product_equals_the_model_on_the_octets(data: bytes) -> None:
    assert _product(data) == _expected(model_transform, data)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(documents())
def test_product_equals_the_model_as_a_signature_digests(data: bytes) -> None:
    canonical, product = _product_signed(data)
    assert product == _expected(model_transform, canonical)
