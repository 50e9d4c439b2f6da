"""Properties: no input makes a rule crash, and every finding's XPath names exactly the element it reports."""

from __future__ import annotations

import copy
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from rules_messages import MESSAGES, check, envelope, own_rules

from conformance.findings import Status
from conformance.protocol.namespaces import SOAP_ENV, XMLDSIG, ns
from conformance.protocol.xpaths import step_name, xpath_of
from conformance.rules import catalogue

BASES = {name: etree.fromstring(envelope(name)) for name in MESSAGES}
TEXTS = st.sampled_from(["", " ", "x" * 60, "4f1c2b9e-1d1b-11f1-9a9c-3d5f0a7b8c21", "2026-01-01T00:00:00",
                         "not base64 !", "REQUEST", "-1", "\u0430\u0431\u0432"])


def _crashes(result) -> list[str]:
    return [f"{f.rule_id}: {f.message}" for f in result.findings if "the check itself failed" in f.message]


@st.composite
def mutated(draw):
    """A valid envelope with a few random structural edits: delete, duplicate, move, retext, rename, re-attribute."""
    root = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(1, 4))):
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        target = elements[draw(st.integers(0, len(elements) - 1))]
        parent = target.getparent()
        action = draw(st.sampled_from(["delete", "duplicate", "move", "text", "rename", "attribute"]))
        if action == "delete" and parent is not None:
            parent.remove(target)
        elif action == "duplicate" and parent is not None:
            target.addnext(copy.deepcopy(target))
        elif action == "move" and parent is not None:
            other = elements[draw(st.integers(0, len(elements) - 1))]
            if target not in other.iterancestors() and other is not target:
                other.append(target)
        elif action == "text":
            target.text = draw(TEXTS)
        elif action == "rename":
            uri = draw(st.sampled_from([ns("1.1").types, ns("1.3").basic, XMLDSIG, "urn:other", SOAP_ENV]))
            target.tag = f"{{{uri}}}{draw(st.sampled_from(['MessageID', 'Request', 'Response', 'X', 'Content']))}"
        elif action == "attribute":
            target.set(draw(st.sampled_from(["Id", "accepted", "other"])), draw(TEXTS))
    return etree.tostring(root)


def _every_rule_reported_once_or_per_violation(result) -> None:
    """One finding per rule per file: pass or skip exactly once, or fail/warn once per violation."""
    by_rule: dict[str, list[Status]] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding.status)
    assert set(by_rule) == {e.rule.id for e in own_rules()}
    for statuses in by_rule.values():
        assert len(statuses) == 1 or all(s in (Status.FAIL, Status.WARN) for s in statuses)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_no_structure_makes_a_rule_crash(data):
    result = check(data)
    assert _crashes(result) == []
    _every_rule_reported_once_or_per_violation(result)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_findings_never_exceptions(data):
    result = check(data)
    assert _crashes(result) == []
    _every_rule_reported_once_or_per_violation(result)


@given(st.lists(st.sampled_from(["MSG", "MSG-ID", "FLOW", "TIME", "MSG-XML-DTD", "TIME-EOL", "SIG", "CERT"]),
                max_size=3),
       st.lists(st.sampled_from(["MSG-ATTACH", "TIME-EOL", "FLOW-ID-UNIQUE", "MSG-XML"]), max_size=2))
def test_selection_is_the_matching_rules_minus_the_ignored(chosen, ignored):
    def matches(rule_id: str, codes: list[str]) -> bool:
        return any(rule_id == c or rule_id.startswith(c + "-") for c in codes)

    expected = [r.id for r in catalogue.all_rules()
                if (not chosen or matches(r.id, chosen)) and not matches(r.id, ignored)]
    assert [e.rule.id for e in catalogue.select(chosen, ignored)] == expected


_STEP = re.compile(r"/(?:(?P<prefix>[a-z]+):|\{(?P<uri>[^}]*)\})?(?P<local>[^/\[{]+)(?:\[(?P<index>\d+)\])?")


def resolve(root: etree._Element, path: str) -> etree._Element | None:
    """Follow a path written by `xpath_of` from the document root, matching each step as it is written."""
    node = None
    for match in _STEP.finditer(path):
        name = match.group(0)[1:].split("[")[0]
        if node is None:
            candidates = [root] if step_name(root) == name else []
        else:
            candidates = [c for c in node if isinstance(c.tag, str) and step_name(c) == name]
        index = int(match["index"] or 1) - 1
        if index >= len(candidates):
            return None
        node = candidates[index]
    return node


@settings(max_examples=60, deadline=None)
@given(mutated())
def test_every_element_has_a_unique_path_that_leads_back_to_it(data):
    root = etree.fromstring(data)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    paths = [xpath_of(e) for e in elements]
    assert len(set(paths)) == len(paths)
    for element, path in zip(elements, paths, strict=True):
        assert resolve(root, path) is element, path
