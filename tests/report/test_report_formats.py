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


def test_junit_has_one_testcase_per_applicable_rule_per_file():
    root = etree.fromstring(render_string(results(), "junit").encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "1", "0")
    suite = root.find("testsuite")
    assert suite.get("name") == "dir/a.xml"
    cases = suite.findall("testcase")
    assert [c.get("name").split()[0] for c in cases] == ["MSG-ID-UUID1", "TIME-ID-FUTURE", "MSG-XML-DTD"], \
        "a rule that does not apply (TIME-EOL, all skipped) is left out"
    assert all(c.get("classname") == "smev.SendRequestRequest.1_3.a" for c in cases)
    failure = cases[0].find("failure")
    assert failure.get("type") == "MSG-ID-UUID1" and failure.get("message") == "MessageID is upper case"
    assert "dir/a.xml:3" in failure.text and "dir/a.xml:9" in failure.text and "source:" in failure.text
    assert cases[1].find("failure") is None and "from the future" in cases[1].find("system-out").text
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["operation"] == "SendRequestRequest" and props["version"] == "1.3"
    assert props["verdict"] == "fail" and props["headline"].startswith("FAIL: 2 files, 1 failed")


def test_junit_all_keeps_rules_that_do_not_apply_as_skipped():
    root = etree.fromstring(render_string(results(), "junit", include_na=True).encode())
    assert (root.get("tests"), root.get("skipped")) == ("5", "1")
    skipped = root.find(".//testcase/skipped")
    assert skipped.get("message") == "the message sets no EOL"


def test_junit_times_are_the_measured_ones_and_classnames_have_no_path_dots():
    timed = FileResult("in/v1.2/my.message.xml", "SendRequestRequest", "1.2",
                       (Finding("MSG-XML-DTD", Status.PASS, "ok"), Finding("MSG-ID-UUID1", Status.PASS, "ok")),
                       duration=0.25, rule_times=(("MSG-XML-DTD", 0.125), ("MSG-ID-UUID1", 0.0625)))
    root = etree.fromstring(render_string([timed], "junit").encode())
    cases = root.findall(".//testcase")
    assert [c.get("time") for c in cases] == ["0.125", "0.062"]
    assert root.find("testsuite").get("time") == "0.250"
    assert {c.get("classname") for c in cases} == {"smev.SendRequestRequest.1_2.my_message"}


def test_junit_of_a_live_run_has_one_testcase_per_case_with_its_duration():
    cases = [FileResult("provider/answers[fns]", None, "1.3", (Finding("FLOW-LIVE-ACKED", Status.PASS, "ok"),
                                                               Finding("TIME-LIVE-WITHIN", Status.PASS, "ok")),
                        duration=1.5),
             FileResult("provider/negative/NEG-SIG-RS-ORDER", None, "1.3",
                        (Finding("FLOW-LIVE-REFUSES-NEGATIVE", Status.FAIL, "answered with data", Location("c.yaml", 7)),),
                        duration=2.0)]
    root = etree.fromstring(render_string(cases, "junit", unit="case", meta={"suite": "provider"}).encode())
    testcases = root.findall(".//testcase")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in testcases] == [
        ("smev.provider", "answers[fns]", "1.500"), ("smev.provider.negative", "NEG-SIG-RS-ORDER", "2.000")]
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    assert "c.yaml:7" in testcases[1].find("failure").text
    assert render_string(cases, "text", unit="case").rstrip().splitlines()[-1].startswith("FAIL: 2 cases, 1 failed")


def test_a_given_headline_is_what_every_format_opens_with():
    """`run --variants`: the runs of broken variants fail, yet the command passes; its reports must say PASS."""
    from conformance.report import Headline

    line = Headline("pass", "PASS: mutation score 1/1 caught, 1/1 named")
    page = render_string(results(), "html", headline=line)
    assert "class=\"box verdict-pass\" id=headline><b>PASS</b>: mutation score 1/1 caught" in page
    assert json.loads(render_string(results(), "json", headline=line))["verdict"] == "pass"
    assert render_string(results(), "text", headline=line).rstrip().endswith("1/1 named")


def test_junit_fail_on_warn_turns_warnings_into_failures():
    root = etree.fromstring(render_string(results(), "junit", fail_on="warn").encode())
    assert root.get("failures") == "2"


def test_html_is_self_contained_and_escapes_everything():
    page = render_string(results(HOSTILE), "html", meta={"at": "<now>"})
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "&lt;now&gt;" in page
    assert "\x1b" not in page and "\x00" not in page
    for attribute in ("src=", "@import", "url(", "http:", "https:"):
        assert attribute not in page
    assert "MSG-ID-UUID1" in page and "<b>FAIL</b>: 2 files, 1 failed" in page
    assert page.count("<script>") == 1, "the one inline script of the filters, admitted by its hash alone"
    import base64
    import hashlib
    import re

    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page


def test_text_shows_markup_and_escapes_literally():
    text = render_string(results(HOSTILE), "text")
    assert "[bold red]x[/]" in text and "\\x1b[31mred\\x00" in text and "\x1b" not in text
    assert "MSG-ID-UUID1" in text and "TIME-ID-FUTURE" in text
    assert "TIME-EOL" not in text, "skips are counted, not listed, unless verbose"
    assert "TIME-EOL" in render_string(results(), "text", verbose=True)
    assert text.rstrip().splitlines()[-1].startswith("FAIL: 2 files, 1 failed")


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
    assert "By rule: 2 rule(s) failed or warned" in render_string(results(), "html")


def _parsed(page: str):
    return etree.fromstring(page.split("\n", 1)[1].encode(), etree.HTMLParser())


def test_html_has_filters_a_rule_view_and_data_to_filter_on():
    page = _parsed(render_string(results(), "html"))
    form = page.xpath("//form[@id='filters']")[0]
    assert form.get("hidden") is not None, "without the script the filters stay hidden and everything shows"
    assert page.xpath("//select[@id='f-operation']/option/@value") == ["", "AckRequest", "SendRequestRequest"]
    assert page.xpath("//select[@id='f-rule']/option/@value") == ["", "MSG-ID-UUID1", "TIME-ID-FUTURE"]
    items = page.xpath("//details[contains(@class,'result')]")
    assert [(d.get("data-state"), d.get("data-rules"), d.get("data-version")) for d in items] == [
        ("fail", "MSG-ID-UUID1 TIME-ID-FUTURE", "1.3"), ("pass", "", "1.1")]
    rule_row = page.xpath("//details[@id='by-rule']//tr[@data-rule='MSG-ID-UUID1']")[0]
    assert rule_row.xpath(".//a/@href") == ["#r0"] and items[0].get("id") == "r0"


def test_html_shows_a_digest_diagnosis_as_a_diff_block_not_a_cell():
    canonical = "<a>" + "x" * 500 + "</a>"
    finding = Finding("SIG-DIGEST", Status.FAIL, "DigestValue does not match", Location("s.xml", 3, "/" + "a/" * 60),
                      (("transformed", canonical), ("computed", "AAA="), ("declared", "BBB="),
                       ("diagnosis", "the sender's value is reproduced by: no SMEV transform")))
    page = _parsed(render_string([FileResult("s.xml", "SendRequestRequest", "1.3", (finding,))], "html"))
    diff = page.xpath("//pre[@class='block']/span")
    assert [(s.get("class"), s.text) for s in diff[:2]] == [("del", "- BBB="), ("add", "+ AAA=")]
    assert page.xpath("string(//td[@class='msg'])") == "DigestValue does not match", "details are not in the cell"
    collapsed = page.xpath("//details[@class='diag']/pre/text()")
    assert collapsed == [canonical], "the canonical bytes are in a collapsible block, exactly as digested"
    assert "no SMEV transform" in page.xpath("string(//div[@class='diag'][b='diagnosis']/pre)")


def test_the_live_report_shows_duration_start_and_links_to_the_capture():
    case = FileResult("provider/answers[fns]", None, "1.3", (Finding("FLOW-LIVE-ACKED", Status.PASS, "ok"),),
                      started=1_780_000_000.0, duration=1.25)
    page = render_string([case], "html", unit="case",
                         links={"provider/answers[fns]": [("#3 Ack 200", "capture/0003-Ack-200.request.http")]})
    tree = _parsed(page)
    assert tree.xpath("//a[@href='capture/0003-Ack-200.request.http']/text()") == ["#3 Ack 200"]
    assert "1.2 s" in page and "2026-05-28 20:26:40 UTC" in page


def test_the_mutation_report_opens_with_the_mutation_verdict_not_the_variants_failures():
    """Issue 14 §5: `run --variants` exits 0 with every variant caught; its HTML must not open with a red FAIL."""
    from conformance.reference.mutation import MutationReport, VariantScore

    caught = VariantScore("no-to", "leaves out To", "answers: FLOW-LIVE-REPLY-TO-COPIED", True, True, "x", 1)
    missed = VariantScore("slow", "too slow", "answers: TIME-LIVE-WITHIN", False, False, None, 0)
    runs = results()  # the variants' runs fail: that is what catching them means
    good = MutationReport("provider", True, (), (caught,))
    page = render_string(runs, "html", unit="case", headline=good.headline())
    assert good.holds and good.headline().outcome == "pass"
    assert "verdict-pass\" id=headline><b>PASS</b>: mutation score of the provider suite 1/1 caught" in page
    bad = MutationReport("provider", True, (), (caught, missed))
    assert not bad.holds and bad.headline().outcome == "fail"
    assert "verdict-fail\" id=headline><b>FAIL</b>" in render_string(runs, "html", unit="case", headline=bad.headline())
    broken_reference = MutationReport("provider", False, ("answers: X: y",), (caught,))
    assert broken_reference.headline().outcome == "fail" and "reference FAILS" in broken_reference.headline().text
