"""The four report formats: structure, counts, escaping of hostile text, and the exit code."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.errors import UsageError
from conformance.findings import FileResult, Finding, Location, Status
from conformance.report import exit_code, printable, render, render_string, summarize, verdict
from conformance.report.summary import by_rule

HOSTILE = "<script>alert(1)</script> [bold red]x[/] \x1b[31mred\x00 & \"q\""


def results(message: str = "MessageID is upper case") -> list[FileResult]:
    a = FileResult("dir/a.xml", "SendRequestRequest", "1.3", (
        Finding("MSG-ID-UUID1", Status.FAIL, message, Location("dir/a.xml", 3, "/soap:Envelope/soap:Body")),
        Finding("MSG-ID-UUID1", Status.FAIL, "second", Location("dir/a.xml", 9, "/soap:Envelope")),
        Finding("TIME-EOL", Status.SKIP, "the message sets no EOL", Location("dir/a.xml")),
        Finding("TIME-ID-FUTURE", Status.WARN, "from the future", Location("dir/a.xml", 4)),
        Finding("MSG-XML-DTD", Status.PASS, "ok", Location("dir/a.xml")),
    ))
    b = FileResult("dir/b.xml", "AckRequest", "1.1", (Finding("MSG-XML-DTD", Status.PASS, "ok"),))
    return [a, b]


def test_summary_verdict_and_exit_code():
    summary = summarize(results())
    assert (summary.files, summary.files_failed, summary.passed, summary.failed, summary.warned, summary.skipped) == (
        2, 1, 2, 2, 1, 1)
    assert verdict(results()) == "fail" and exit_code(results()) == 1
    only_warn = [FileResult("w.xml", None, None, (Finding("TIME-ID-FUTURE", Status.WARN, "w"),))]
    assert exit_code(only_warn) == 0 and exit_code(only_warn, "warn") == 1
    with pytest.raises(ValueError):
        verdict(only_warn, "never")


def test_json_is_the_documented_structure():
    data = json.loads(render_string(results(), "json", meta={"at": "2026-03-02T12:00:00+00:00"}))
    assert data["format"] == "smev-conformance-report" and data["format_version"] == 1
    assert data["tool"] == "smev-conformance" and data["tool_version"]
    assert data["verdict"] == "fail" and data["meta"]["at"].startswith("2026-03-02")
    assert data["summary"] == {"files": 2, "files_failed": 1, "findings": 6, "pass": 2, "fail": 2, "warn": 1, "skip": 1}
    first = data["files"][0]
    assert (first["path"], first["operation"], first["version"]) == ("dir/a.xml", "SendRequestRequest", "1.3")
    finding = first["findings"][0]
    assert finding == {"rule": "MSG-ID-UUID1", "title": finding["title"], "severity": "error",
                       "source": finding["source"], "status": "fail", "message": "MessageID is upper case",
                       "location": {"file": "dir/a.xml", "line": 3, "xpath": "/soap:Envelope/soap:Body"},
                       "details": {}}
    assert "Identifiers" in finding["source"]


def test_junit_has_one_testcase_per_rule_per_file():
    root = etree.fromstring(render_string(results(), "junit").encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "1", "1")
    suite = root.find("testsuite")
    assert suite.get("name") == "dir/a.xml"
    cases = suite.findall("testcase")
    assert [c.get("name").split()[0] for c in cases] == ["MSG-ID-UUID1", "TIME-EOL", "TIME-ID-FUTURE", "MSG-XML-DTD"]
    assert all(c.get("classname") == "dir/a.xml" for c in cases)
    failure = cases[0].find("failure")
    assert failure.get("type") == "MSG-ID-UUID1" and failure.get("message") == "MessageID is upper case"
    assert "line 3" in failure.text and "line 9" in failure.text and "source:" in failure.text
    assert cases[1].find("skipped").get("message") == "the message sets no EOL"
    assert cases[2].find("failure") is None and "from the future" in cases[2].find("system-out").text
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["operation"] == "SendRequestRequest" and props["version"] == "1.3"


def test_junit_fail_on_warn_turns_warnings_into_failures():
    root = etree.fromstring(render_string(results(), "junit", fail_on="warn").encode())
    assert root.get("failures") == "2"


def test_html_is_self_contained_and_escapes_everything():
    page = render_string(results(HOSTILE), "html", meta={"at": "<now>"})
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;now&gt;" in page
    assert "\x1b" not in page and "\x00" not in page
    for attribute in ("src=", "href=", "@import", "url("):
        assert attribute not in page
    assert "MSG-ID-UUID1" in page and "2 file(s), 1 failed" in page


def test_text_shows_markup_and_escapes_literally():
    text = render_string(results(HOSTILE), "text")
    assert "[bold red]x[/]" in text and "\\x1b[31mred\\x00" in text and "\x1b" not in text
    assert "MSG-ID-UUID1" in text and "TIME-ID-FUTURE" in text
    assert "TIME-EOL" not in text, "skips are counted, not listed, unless verbose"
    assert "TIME-EOL" in render_string(results(), "text", verbose=True)
    assert text.rstrip().splitlines()[-1].startswith("FAIL: 2 file(s), 1 failed")


def test_render_writes_a_file_creating_directories(tmp_path):
    target = tmp_path / "deep" / "er" / "report.json"
    render(results(), "json", target)
    assert json.loads(target.read_text(encoding="utf-8"))["verdict"] == "fail"


def test_render_to_an_unwritable_place_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot write the report"):
        render(results(), "json", blocker / "report.json")


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError, match="pdf"):
        render_string(results(), "pdf")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40), st.text(max_size=20))
def test_any_message_survives_every_format(message, path):
    findings = (Finding("MSG-XML-DTD", Status.FAIL, message, Location(path, 1, "/x")),)
    data = [FileResult(path, None, None, findings)]
    assert json.loads(render_string(data, "json"))["files"][0]["findings"][0]["message"] == message
    junit = etree.fromstring(render_string(data, "junit").encode())
    assert junit.find(".//failure").get("message") == printable(message)
    shown = printable(message).replace("\r\n", "\n").replace("\r", "\n")  # HTML parsing normalises newlines
    assert shown in etree.fromstring(render_string(data, "html").split("\n", 1)[1].encode(),
                                                  etree.HTMLParser()).xpath("string(//td[@class='msg'])")


def test_rules_are_tallied_across_files():
    tallies = by_rule(results())
    assert [(t.rule_id, t.failed, t.warned, t.files) for t in tallies] == [
        ("MSG-ID-UUID1", 2, 0, 1), ("TIME-ID-FUTURE", 0, 1, 1)]
    text = render_string(results(), "text")
    assert "rules that failed or warned" in text
    assert "Rules that failed or warned" in render_string(results(), "html")
