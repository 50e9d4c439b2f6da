"""xmlschema's decoding of envelopes and payloads (`conformance.schemas.decode`), checked against lxml's validation
(an independent XSD engine: libxml2) on every sample, every real-traffic envelope and mutated payloads."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.protocol import build
from conformance.protocol.operations import detect
from conformance.protocol.samples import iter_samples
from conformance.registry import load_registry, make_payload
from conformance.registry.model import Side
from conformance.rules.messagefile import read_message_file
from conformance.schemas import SchemaSetError, validate_envelope, validate_payload
from conformance.schemas.decode import decode_envelope, decode_payload
from conformance.xmlsafe import parse_bytes

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REAL = Path(__file__).resolve().parents[1] / "vectors" / "real-traffic"
SAMPLES = list(iter_samples(seed=4, at=AT))
REGISTRY = load_registry()
TYPES = [(spec, side) for spec in REGISTRY.types for side in Side if spec.payload(side).xsd is not None]


def _real_envelopes() -> list[Path]:
    paths = []
    for path in sorted(REAL.iterdir()):
        if path.suffix in (".xml", ".mime"):
            try:
                detect(read_message_file(path).tree)
            except Exception:  # a bare SOAP fault has no SMEV version: nothing to decode it by
                continue
            paths.append(path)
    return paths


def _agree(lxml_errors, decoded) -> None:
    """Both engines find the document valid, or both find it invalid on the same lines."""
    assert {e.line for e in lxml_errors} == {e.line for e in decoded.errors}, (
        [str(e) for e in lxml_errors], [str(e) for e in decoded.errors])


def test_there_is_real_traffic_to_decode():
    assert len(_real_envelopes()) >= 15


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_sample_envelope_decodes_as_lxml_validates_it(sample):
    tree = parse_bytes(build(sample.message, sample.version), source="sample.xml")
    decoded = decode_envelope(tree, sample.version)
    _agree(validate_envelope(tree, sample.version), decoded)
    assert json.loads(json.dumps(decoded.data)) == decoded.data  # JSON as is


@pytest.mark.parametrize("path", _real_envelopes(), ids=lambda p: p.name)
def test_every_real_envelope_decodes_as_lxml_validates_it(path):
    tree = read_message_file(path).tree
    version = detect(tree).version
    decoded = decode_envelope(tree, version)
    _agree(validate_envelope(tree, version), decoded)
    assert _values(decoded.data) == _leaves(tree.getroot())  # every value the message carries, none invented


def _collapsed(text: str) -> str:
    """The text without whitespace: XSD types normalise it before decoding (tokens collapse it, base64 drops it)."""
    return "".join(text.split())


def _leaves(element: etree._Element) -> Counter:
    return Counter(_collapsed(element.text or "") for element in element.iter()
                   if isinstance(element.tag, str) and len(element) == 0 and (element.text or "").strip())


def _values(data: object) -> Counter:
    """Every leaf value of decoded data in its XSD lexical form (attributes and namespace declarations left out)."""
    found: Counter = Counter()
    if isinstance(data, dict):
        for key, value in data.items():
            if not key.startswith("@"):
                found += _values(value)
    elif isinstance(data, list):
        for item in data:
            found += _values(item)
    elif isinstance(data, bool):
        found["true" if data else "false"] += 1
    elif data is not None and _collapsed(str(data)):
        found[_collapsed(str(data))] += 1
    return found


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(TYPES), seed=st.integers(min_value=0, max_value=2**32))
def test_a_valid_payload_decodes_to_exactly_its_values(kind, seed):
    spec, side = kind
    element = make_payload(spec, side, seed=seed, at=AT)
    decoded = decode_payload(element, spec.payload(side).xsd)
    assert decoded.errors == () and validate_payload(element, spec.payload(side).xsd) == []
    assert _values(decoded.data) == _leaves(element)
    assert decoded.data[f"@{next(iter(element.attrib))}"] if element.attrib else True


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(TYPES), seed=st.integers(min_value=0, max_value=2**16), data=st.data())
def test_a_mutated_payload_is_invalid_for_xmlschema_exactly_when_it_is_for_lxml(kind, seed, data):
    spec, side = kind
    xsd = spec.payload(side).xsd
    element = etree.fromstring(etree.tostring(make_payload(spec, side, seed=seed, at=AT), pretty_print=True))
    nodes = [e for e in element.iter() if e is not element]
    target = data.draw(st.sampled_from(nodes))
    mutation = data.draw(st.sampled_from(["drop", "text", "duplicate"]))
    if mutation == "drop":
        target.getparent().remove(target)
    elif mutation == "text":
        target.text = data.draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12))
    else:
        target.addnext(copy.deepcopy(target))
    lxml_errors = validate_payload(element, xsd)
    decoded = decode_payload(element, xsd)
    assert bool(lxml_errors) == bool(decoded.errors)
    assert decoded.errors[:1] == () or decoded.errors[0].line == lxml_errors[0].line


def test_an_error_names_the_element_by_path_and_line_and_what_was_expected():
    spec = REGISTRY.by_name("fns-inn-by-passport")
    element = etree.fromstring(etree.tostring(make_payload(spec, Side.REQUEST, seed=1, at=AT), pretty_print=True))
    person = element.find("{*}Person")
    person.remove(person.find("{*}FirstName"))
    unexpected = person[1]  # MiddleName, or BirthDate (MiddleName is optional)
    (error,) = decode_payload(element, spec.request.xsd).errors
    assert error.path == "/INNByPassportRequest/Person" and error.line == unexpected.sourceline != person.sourceline
    assert error.expected == ("FirstName",)
    assert error.reason == f"unexpected child {etree.QName(unexpected).localname} at position 2; expected FirstName"
    assert str(error) == f"line {unexpected.sourceline} /INNByPassportRequest/Person: {error.reason}"
    (theirs,) = validate_payload(element, spec.request.xsd)
    assert theirs.line == error.line


_XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns:t="urn:t"
  elementFormDefault="qualified">{imports}
  <xs:element name="Root"><xs:complexType><xs:sequence>
    <xs:element name="D" type="xs:double" maxOccurs="unbounded"/>
    <xs:element name="N" type="xs:decimal" minOccurs="0"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""


def test_values_stay_json_and_as_written(tmp_path):
    xsd = tmp_path / "t.xsd"
    xsd.write_text(_XSD.format(imports=""))
    element = etree.fromstring(b'<Root xmlns="urn:t"><D>INF</D><D>-INF</D><D>NaN</D><D>1.5</D>'
                               b'<N>0.100000000000000000001</N></Root>')
    decoded = decode_payload(element, xsd)
    assert decoded.errors == ()
    assert decoded.data["D"] == ["INF", "-INF", "NaN", 1.5] and decoded.data["N"] == "0.100000000000000000001"
    json.dumps(decoded.data, allow_nan=False)


def test_schemas_load_from_local_files_only(tmp_path):
    xsd = tmp_path / "t.xsd"
    xsd.write_text(_XSD.format(imports='<xs:import namespace="urn:far" schemaLocation="http://192.0.2.1/far.xsd"/>'))
    with pytest.raises(SchemaSetError, match="does not load in xmlschema"):
        decode_payload(etree.fromstring(b'<Root xmlns="urn:t"><D>1</D></Root>'), xsd)
    with pytest.raises(SchemaSetError, match="does not exist"):
        decode_payload(etree.fromstring(b"<Root/>"), tmp_path / "missing.xsd")


def test_an_instance_the_schema_cannot_resolve_is_one_error_not_a_traceback(tmp_path):
    xsd = tmp_path / "t.xsd"
    xsd.write_text(_XSD.format(imports=""))
    element = etree.fromstring(b'<Root xmlns="urn:t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                               b'<D xsi:type="t:Nope">1</D></Root>')
    decoded = decode_payload(element, xsd)
    assert decoded.errors and decoded.errors[0].path.startswith("/Root")
    assert bool(validate_payload(element, xsd))
