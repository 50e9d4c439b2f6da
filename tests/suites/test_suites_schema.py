"""Suites as data: the shipped suites load; every kind of mistake is reported with its line and a suggestion."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.errors import InputError
from conformance.suites.lint import SHIPPED_DIR, shipped_suites
from conformance.suites.model import Role, StepKind
from conformance.suites.schema import load_suite
from conformance.yamlnodes import SchemaErrors, parse_duration


def _write(tmp_path, text: str):
    path = tmp_path / "suite.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(SchemaErrors) as err:
        load_suite(_write(tmp_path, text))
    return [str(p) for p in err.value.problems]


HEAD = """\
suite: s
role: provider
cases:
  - id: c
    title: t
    steps:
"""


def test_shipped_suites_load_and_cover_the_issue_cases():
    assert shipped_suites() == ["consumer", "provider"]
    provider = load_suite(SHIPPED_DIR / "provider.yaml")
    consumer = load_suite(SHIPPED_DIR / "consumer.yaml")
    assert provider.role is Role.PROVIDER and consumer.role is Role.CONSUMER
    assert {c.id for c in provider.cases} >= {"answers-valid-request", "rejects-unknown-subject", "answers-test-message",
                                              "refuses-bad-bus-signature", "answers-redelivery-once",
                                              "resends-after-fault", "acked-request-survives-restart"}
    assert {c.id for c in consumer.cases} >= {"sends-valid-request", "polls-and-acks-response", "handles-rejection",
                                              "handles-request-status", "handles-async-rejection",
                                              "retries-after-smev-failure", "new-id-after-already-sent",
                                              "new-id-after-stale"}
    first = provider.case("answers-valid-request")
    assert first.for_each_type and first.steps[0].kind is StepKind.DELIVER and first.steps[0].name == "req"
    assert {(a.family, a.check) for a in first.steps[2].assertions} >= {("flow", "reply_to_copied"),
                                                                        ("signature", "valid")}
    assert provider.settings["ack_timeout"] == 5.0


def test_unknown_step_is_reported_at_its_line_with_a_suggestion(tmp_path):
    problems = _problems(tmp_path, HEAD + "      - delivr: {message: request}\n")
    assert problems == [f"{tmp_path}/suite.yaml:7: cases[0].steps[0]: unknown step 'delivr' (did you mean "
                        "'deliver'?) (one of deliver, trigger, expect, fault, wait, crash)"]


def test_missing_field_and_misspelt_key_are_both_reported(tmp_path):
    problems = _problems(tmp_path, HEAD + "      - deliver: {mesage: request}\n")
    assert any(":7: cases[0].steps[0].deliver.message: missing required field" in p for p in problems)
    assert any("cases[0].steps[0].deliver.mesage: unknown field (did you mean 'message'?)" in p for p in problems)


def test_every_problem_of_a_file_is_listed_in_line_order(tmp_path):
    problems = _problems(tmp_path, HEAD + textwrap.indent(textwrap.dedent("""\
        - expect:
            operation: SendRespons
            of: nothere
            assert:
              - flow: {acked: req}
              - timing: {within: 2x}
        - fault: {operation: Ack, fault: StaleMessageId}
        - wait: soon
        """), "      "))
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines) and len(problems) == 6
    text = "\n".join(problems)
    assert "'SendRespons' is not one of" in text and "did you mean 'SendResponse'?" in text
    assert "refers to step 'nothere', which no earlier step" in text
    assert "'x' is not a duration unit" in text
    assert "Ack does not answer with StaleMessageId" in text
    assert ":14: cases[0].steps[2].wait: expected a duration such as '150ms', got 'soon'" in text


def test_references_must_point_backwards(tmp_path):
    problems = _problems(tmp_path, HEAD + textwrap.indent(textwrap.dedent("""\
        - expect: {operation: Ack, of: req}
        - deliver: {message: request, as: req}
        """), "      "))
    assert len(problems) == 1 and "refers to step 'req'" in problems[0] and ":7:" in problems[0]


def test_duplicate_case_ids_step_names_and_keys(tmp_path):
    text = HEAD + "      - deliver: {message: request, as: a}\n      - deliver: {message: request, as: a}\n" + \
        "  - id: c\n    title: again\n    steps: [{wait: 1s}]\n"
    problems = _problems(tmp_path, text)
    assert any("step name 'a' is used twice" in p for p in problems)
    assert any("case id 'c' is used twice (first at line 4)" in p for p in problems)
    with pytest.raises(InputError, match="duplicate key 'suite' \\(first on line 1\\)"):
        load_suite(_write(tmp_path, "suite: s\nsuite: t\nrole: provider\ncases: []\n"))


def test_variant_rules(tmp_path):
    problems = _problems(tmp_path, HEAD + textwrap.indent(textwrap.dedent("""\
        - deliver: {message: request, variant: redelivery}
        - deliver: {message: response, variant: test-message}
        - deliver: {message: rejection, to: x, code: MAYBE}
        """), "      "))
    text = "\n".join(problems)
    assert "a redelivery names the delivered step it repeats with `of:`" in text
    assert "'test-message' is not one of valid, bad-bus-signature, redelivery" in text
    assert "'MAYBE' is not one of ACCESS_DENIED, NO_DATA" in text


def test_bad_xpath_is_reported(tmp_path):
    problems = _problems(tmp_path, HEAD + "      - expect: {operation: SendResponse, assert: [{content: "
                                          "{xpath: '//tns:[', exists: true}}]}\n")
    assert len(problems) == 1 and "not a valid XPath" in problems[0]


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty"),
    ("suite: [unclosed\n", "not valid YAML"),
    ("- just\n- a list\n", "expected a suite"),
    ("a: &x 1\nb: *x\n", "anchors and aliases are not allowed"),
])
def test_unusable_yaml_is_an_input_error_with_a_place(tmp_path, text, message):
    with pytest.raises(InputError, match=message) as err:
        load_suite(_write(tmp_path, text))
    assert str(err.value).startswith(f"{tmp_path}/suite.yaml")


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_suite(tmp_path / "nope.yaml")


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.sampled_from(["ms", "s", "m", "min", "h", "d"]))
def test_duration_units(value, unit):
    factor = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[unit]
    assert parse_duration(f"{value:.3f}{unit}") == pytest.approx(float(f"{value:.3f}") * factor)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text_never_escapes_as_a_traceback(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("s") / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_suite(path)
    except InputError as exc:
        assert str(exc).startswith(str(path))
