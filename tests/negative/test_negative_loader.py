"""The catalogue schema: every problem is reported with its file, line and path, all at once."""

from __future__ import annotations

import pytest

from conformance.errors import InputError
from conformance.negative.loader import load_catalogue, load_catalogue_text
from conformance.protocol.codes import FaultName
from conformance.protocol.operations import Rpc
from conformance.yamlnodes import SchemaErrors

GOOD = """\
version: 1
cases:
  - id: NEG-ONE
    title: one
    start: {rpc: SendRequest, version: "1.2"}
    mutations:
      - message-id: upper
      - set-text: {xpath: "//t:EOL", value: "{past:5m}", after-sign: true}
    expect: {fault: InvalidMessageIdFormat, rule: MSG-ID-UUID1}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(SchemaErrors) as caught:
        load_catalogue_text(text, "cat.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_good_case_reads_into_the_model():
    (case,) = load_catalogue_text(GOOD)
    assert case.id == "NEG-ONE" and case.rpc is Rpc.SEND_REQUEST and case.version.value == "1.2"
    assert [s.name for s in case.mutations] == ["message-id", "set-text"]
    assert case.mutations[0].args == {"form": "upper"}  # the short form of a one-argument mutation
    assert case.mutations[1].args["after-sign"] is True
    assert case.expect.fault is FaultName.INVALID_MESSAGE_ID_FORMAT and case.signer == "caller"
    assert case.line == 3


def test_unknown_mutation_names_its_line_and_the_likely_one():
    problems = _problems(GOOD.replace("message-id: upper", "mesage-id: upper"))
    assert problems == ["cat.yaml:7: cases[0].mutations[0]: unknown mutation 'mesage-id' (did you mean "
                        "'message-id'?) (one of " + problems[0].split("(one of ", 1)[1]]


def test_every_problem_at_once_with_lines():
    text = GOOD.replace("rpc: SendRequest", "rpc: SendRequests").replace("rule: MSG-ID-UUID1", "rule: MSG-NOPE")
    text = text.replace("title: one\n", "title: one\n    colour: red\n")
    problems = _problems(text)
    assert any(p.startswith("cat.yaml:5: cases[0].colour: unknown field") for p in problems), problems
    assert any(p.startswith("cat.yaml:6: cases[0].start.rpc: 'SendRequests' is not one of") for p in problems)
    assert any(p.startswith("cat.yaml:10: cases[0].expect.rule: 'MSG-NOPE' is not a rule") for p in problems)


@pytest.mark.parametrize(("change", "expected"), [
    (("fault: InvalidMessageIdFormat", "fault: TargetMessageIsNotFound"),
     "SendRequest cannot be answered with TargetMessageIsNotFound"),
    (("fault: InvalidMessageIdFormat, rule", "fault: InvalidContent, reason: NoSignatureFound, rule"),
     "only a SignatureVerificationFault carries a reason"),
    (("fault: InvalidMessageIdFormat, rule", "fault: SignatureVerificationFault, rule"),
     "a SignatureVerificationFault case names its reason"),
    (("fault: InvalidMessageIdFormat, rule", "status: cancelled, http: [400], rule"),
     "expect holds exactly one of"),
    (("id: NEG-ONE", "id: neg-one"), "is not a valid case id"),
    (("message-id: upper", "message-id: {}"), "message-id.form: missing required field"),
    (("version: \"1.2\"", "version: \"1.4\""), "'1.4' is not one of 1.1, 1.2, 1.3"),
    (("    mutations:", "    setup: [ack]\n    mutations:"), "setup ack needs deliver before it"),
    (("    mutations:", "    transport: {drop: sideways}\n    mutations:"), "'sideways' is not one of"),
])
def test_schema_errors(change, expected):
    problems = _problems(GOOD.replace(*change))
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("cat.yaml:") and p.split(":")[1].isdigit() for p in problems)


def test_duplicate_ids_are_refused_with_both_lines():
    text = GOOD + GOOD.split("cases:\n", 1)[1]
    problems = _problems(text)
    assert problems == ["cat.yaml:10: cases[1]: case id NEG-ONE appears twice (first at line 3)"]


def test_an_operation_absent_from_the_version_is_refused():
    text = GOOD.replace("rpc: SendRequest", "rpc: GetIncomingQueueStatistics").replace("message-id: upper",
                                                                                       "message-id: v4")
    assert any("does not exist in version 1.2" in p for p in _problems(text))


def test_unreadable_yaml_is_an_input_error_with_a_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\ncases: [\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    assert caught.value.path == str(path) and caught.value.line is not None
    with pytest.raises(InputError, match="no such file"):
        load_catalogue(tmp_path / "missing.yaml")
