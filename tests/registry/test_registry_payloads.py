"""Fake payloads of the shipped types: valid against their XSDs, reproducible, coherent, and realistic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.registry import NoSampleError, inn_is_valid, load_registry, make_payload, snils_is_valid
from conformance.registry.model import MessageTypeSpec, PayloadSpec
from conformance.schemas import validate_payload

REGISTRY = load_registry()
AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _text(element: etree._Element, local: str) -> str:
    found = element.find(f".//{{{etree.QName(element).namespace}}}{local}")
    assert found is not None, local
    return found.text


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(REGISTRY.types), st.integers(0, 2**32))
def test_every_seed_gives_schema_valid_payloads(spec, seed):
    request = make_payload(spec, "request", seed=seed, at=AT)
    response = make_payload(spec, "response", seed=seed, at=AT, request=request)
    assert etree.QName(request).text == spec.request.qname
    assert etree.QName(response).text == spec.response.qname
    assert validate_payload(request, spec.request.xsd) == []
    assert validate_payload(response, spec.response.xsd) == []


@pytest.mark.parametrize("spec", REGISTRY.types, ids=lambda s: s.name)
def test_payloads_are_reproducible_by_seed(spec):
    one = etree.tostring(make_payload(spec, "request", seed=11, at=AT))
    assert one == etree.tostring(make_payload(spec, "request", seed=11, at=AT))
    assert one != etree.tostring(make_payload(spec, "request", seed=12, at=AT))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32))
def test_inn_answers_carry_a_valid_personal_inn(seed):
    spec = REGISTRY.by_name("fns-inn-by-passport")
    request = make_payload(spec, "request", seed=seed, at=AT)
    response = make_payload(spec, "response", seed=seed, at=AT, request=request)
    inn = _text(response, "INN")
    assert len(inn) == 12 and inn_is_valid(inn)
    assert response.get("RequestId") == request.get("RequestId")


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32))
def test_snils_requests_are_valid_and_answers_echo_them(seed):
    spec = REGISTRY.by_name("sfr-snils-check")
    request = make_payload(spec, "request", seed=seed, at=AT)
    response = make_payload(spec, "response", seed=seed, at=AT, request=request)
    assert snils_is_valid(_text(request, "SNILS"))
    assert _text(response, "SNILS") == _text(request, "SNILS")


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32))
def test_passports_are_plausible(seed):
    spec = REGISTRY.by_name("mvd-passport-validity")
    request = make_payload(spec, "request", seed=seed, at=AT)
    born = date.fromisoformat(_text(request, "BirthDate"))
    issued = date.fromisoformat(_text(request, "IssueDate"))
    assert issued >= date(1997, 10, 1)
    assert (issued - born).days >= 14 * 365
    assert issued <= AT.date()
    assert _text(request, "Series")[2:] == f"{issued.year % 100:02d}"  # series digits 3-4: the year of issue
    assert 18 <= (AT.date() - born).days // 365 <= 81
    last = _text(request, "LastName")
    assert all("А" <= ch <= "я" or ch in "Ёё- " for ch in last)
    response = make_payload(spec, "response", seed=seed, at=AT, request=request)
    assert (_text(response, "Series"), _text(response, "Number")) == (_text(request, "Series"),
                                                                       _text(request, "Number"))


def test_a_type_without_a_generator_is_a_usage_error():
    bare = MessageTypeSpec("x", PayloadSpec("urn:x", "A"), PayloadSpec("urn:x", "B"), ("P",), (), title="x")
    with pytest.raises(NoSampleError, match="no fake payload generator"):
        make_payload(bare, "request")


def test_generators_follow_the_registry_namespace():
    spec = REGISTRY.by_name("sfr-snils-check")
    moved = replace(spec, request=PayloadSpec("urn:moved", "Ask"), response=PayloadSpec("urn:moved", "Answer"))
    element = make_payload(moved, "request", seed=1, at=AT)
    assert etree.QName(element).text == "{urn:moved}Ask"
    assert all(etree.QName(child).namespace == "urn:moved" for child in element)
