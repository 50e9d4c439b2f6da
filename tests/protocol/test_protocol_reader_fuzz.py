"""The reader never fails with anything but a ProtocolError (rule and message), whatever is done to a valid message."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.protocol import build, parse
from conformance.protocol.operations import ProtocolError
from conformance.protocol.samples import iter_samples
from conformance.xmlsafe import parse_bytes

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TREES = [parse_bytes(build(s.message, s.version)).getroot() for s in iter_samples(seed=8, at=AT)]

MUTATIONS = ("remove", "duplicate", "text", "attribute", "rename", "swap", "child")


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(TREES))), st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 10**6),
                                                             st.text(max_size=12)), min_size=1, max_size=3))
def test_mutated_messages_parse_or_fail_cleanly(index, mutations):
    root = copy.deepcopy(TREES[index])
    for kind, pick, value in mutations:
        elements = [e for e in root.iter() if isinstance(e.tag, str)][2:]  # keep Envelope and Header/Body shape
        if not elements:
            break
        target = elements[pick % len(elements)]
        parent = target.getparent()
        clean = "".join(ch for ch in value if ch.isprintable()) or "x"
        if kind == "remove" and parent is not None:
            parent.remove(target)
        elif kind == "duplicate" and parent is not None:
            target.addnext(copy.deepcopy(target))
        elif kind == "text":
            target.text = clean
        elif kind == "attribute":
            target.set("Id" if pick % 2 else "extra", clean)
        elif kind == "rename":
            target.tag = etree.QName(etree.QName(target).namespace, f"X{pick % 7}").text
        elif kind == "swap" and parent is not None and target.getnext() is not None:
            target.getnext().addnext(target)
        elif kind == "child":
            etree.SubElement(target, etree.QName(etree.QName(target).namespace, "Child").text).text = clean
    try:
        parse(root)
    except ProtocolError as error:
        assert error.rule in ("MSG-SCHEMA-ENVELOPE", "MSG-SOAP-OPERATION", "MSG-SOAP-ENVELOPE")
        assert error.detail
