"""The element index a check builds once (`CheckContext.elements_named`, `helpers.ElementIndex`) answers exactly what a
tree walk (`helpers.elements_named`) answers: the same elements, in the same document order, on every sample the
`sample` command writes, and on samples mutated (renamed, moved out of SMEV namespaces, duplicated, commented)."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.cli import main
from conformance.protocol.facts import smev_name
from conformance.rules.context import CheckContext, NotApplicable
from conformance.rules.helpers import ElementIndex, elements_named
from conformance.xmlsafe import parse_file

AT = datetime(2026, 11, 22, 12, 5, tzinfo=UTC)
FOREIGN = "urn://x-artefacts-not-smev/1.0"


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("index-samples")
    assert main(["sample", "--all", "--output", str(folder), "--seed", "5", "--at", "2026-11-22T12:00:00Z"]) == 0
    found = sorted(folder.glob("*.xml"))
    assert len(found) > 100
    return found


def _names(root: etree._Element) -> list[str]:
    """Every local name of the tree (SMEV or not), plus one no element has."""
    locals_ = {etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)}
    return sorted(locals_) + ["NoSuchElement"]


def _same(index: ElementIndex, root: etree._Element, *names: str) -> None:
    got, walked = index.named(*names), elements_named(root, *names)
    assert len(got) == len(walked) and all(a is b for a, b in zip(got, walked, strict=True)), names


def _assert_index_matches_walk(root: etree._Element) -> None:
    index = ElementIndex(root)
    names = _names(root)
    for name in names:
        _same(index, root, name)
    smev = [n for n in names if any(smev_name(e) == n for e in root.iter())]
    for pair in itertools.combinations(smev[:12], 2):  # several names: merged back into document order
        _same(index, root, *pair)
    _same(index, root, *smev[:5], *smev[:2])  # a name asked twice counts once
    _same(index, root)


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
def test_index_gives_what_a_walk_gives_on_every_sample(samples):
    for path in samples:
        tree = parse_file(path)
        _assert_index_matches_walk(tree.getroot())
        ctx = CheckContext(path=str(path), tree=tree, at=AT)
        assert ctx.index() is ctx.index(), "the index is built once per context"
        for name in ("MessageID", "MessagePrimaryContent", "Request", "AttachmentHeader", "Signature"):
            assert ctx.elements_named(name) == elements_named(ctx.body, name)
        assert ctx.elements_named("SenderProvidedRequestData", "SenderProvidedResponseData") == elements_named(
            ctx.body, "SenderProvidedRequestData", "SenderProvidedResponseData")


def test_a_document_that_is_no_smev_message_skips_the_rule_as_before():
    ctx = CheckContext(path="x.xml", tree=etree.ElementTree(etree.fromstring(b"<a><b/></a>")), at=AT)
    with pytest.raises(NotApplicable):
        ctx.elements_named("MessageID")


def test_the_index_is_returned_as_a_fresh_list(samples):
    tree = parse_file(samples[0])
    ctx = CheckContext(path=str(samples[0]), tree=tree, at=AT)
    first = ctx.elements_named("MessageID")
    first.clear()
    assert ctx.elements_named("MessageID") == elements_named(ctx.body, "MessageID")


def _mutate(root: etree._Element, actions: list[tuple[int, int, int]]) -> None:
    """Apply (kind, element number, other element number) mutations to the tree, in place."""
    for kind, at, other in actions:
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        element, donor = elements[at % len(elements)], elements[other % len(elements)]
        if kind == 0:  # renamed to another element's name (another SMEV name, or a foreign one)
            element.tag = donor.tag
        elif kind == 1:  # moved out of the SMEV namespaces
            element.tag = f"{{{FOREIGN}}}{etree.QName(element).localname}"
        elif kind == 2 and element is not root:  # a copy of a subtree next to itself
            element.addnext(copy.deepcopy(donor if donor is not root else element))
        elif kind == 3:  # comments and processing instructions are no elements
            element.insert(0, etree.Comment("c"))
            element.append(etree.ProcessingInstruction("pi", "x"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(min_value=0), actions=st.lists(
    st.tuples(st.integers(0, 3), st.integers(min_value=0), st.integers(min_value=0)), min_size=1, max_size=6))
def test_index_gives_what_a_walk_gives_on_mutated_samples(samples, which, actions):
    root = copy.deepcopy(parse_file(samples[which % len(samples)]).getroot())
    _mutate(root, actions)
    _assert_index_matches_walk(root)
    for element in [e for e in root.iter() if isinstance(e.tag, str)][::7]:  # subtrees, not only the whole document
        _assert_index_matches_walk(element)
