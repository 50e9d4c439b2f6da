"""`smev-conformance check` and `rules` end to end: exit codes, options, formats, one-line errors."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from rules_messages import AT, envelope

from conformance.cli import main
from conformance.rules import catalogue

AT_TEXT = AT.isoformat()
NO_SIG = ["--ignore", "SIG,CERT"]
"""The fixtures carry placeholder signatures; the SIG-/CERT- families are the signature engineer's to test."""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def messages(tmp_path):
    folder = tmp_path / "in" / "nested"
    folder.mkdir(parents=True)
    for name in ("send_request", "ack", "get_response_response"):
        (folder / f"{name}.xml").write_bytes(envelope(name))
    (tmp_path / "in" / "notes.txt").write_text("not a message")
    return tmp_path / "in"


def test_valid_directory_exits_0(capsys, messages):
    code, out, err = run(capsys, "check", str(messages), "--at", AT_TEXT, *NO_SIG)
    assert code == 0 and err == ""
    assert "PASS: 3 files, 0 failed" in out
    assert "3 more files: every applicable check holds" in out, "files that hold are counted, not listed"


def test_failure_exits_1_and_names_rule_line_and_xpath(capsys, messages):
    bad = messages / "nested" / "send_request.xml"
    bad.write_bytes(bad.read_bytes().replace(b"<tns:TransactionCode>", b"<tns:TransactionCode>" + b"x" * 1500))
    code, out, _ = run(capsys, "check", str(bad), "--at", AT_TEXT, *NO_SIG, "--format", "json")
    assert code == 1
    fails = [f for f in json.loads(out)["files"][0]["findings"] if f["status"] == "fail"]
    rules = {f["rule"] for f in fails}
    assert "MSG-FIELD-TRANSACTION-CODE" in rules
    finding = next(f for f in fails if f["rule"] == "MSG-FIELD-TRANSACTION-CODE")
    assert finding["location"]["line"] == 2 and finding["location"]["xpath"].endswith("smev:TransactionCode")


def test_at_decides_time_rules(capsys, messages):
    path = str(messages / "nested" / "send_request.xml")
    assert run(capsys, "check", path, "--at", AT_TEXT, "--select", "TIME")[0] == 0
    code, out, _ = run(capsys, "check", path, "--at", "2026-03-10T00:00:00Z", "--select", "TIME")
    assert code == 1 and "TIME-ID-STALE" in out and "TIME-EOL" in out


def test_select_and_ignore_shape_the_report(capsys, messages):
    path = str(messages / "nested" / "ack.xml")
    code, out, _ = run(capsys, "check", path, "--at", AT_TEXT, "--select", "FLOW,MSG-ID", "--ignore", "FLOW-REPLY-TO",
                       "--format", "json")
    assert code == 0
    assert {f["rule"] for f in json.loads(out)["files"][0]["findings"]} == {
        "FLOW-ACK-TARGET", "FLOW-ID-UNIQUE", "FLOW-MESSAGE-TYPE", "FLOW-ORIGINAL-ID", "FLOW-REFERENCE-ID", "MSG-ID-UUID1"}


@pytest.mark.parametrize(("argv", "needle"), [
    (["--select", "MSG-NOPE"], "MSG-NOPE"),
    (["--ignore", "XYZ"], "XYZ"),
    (["--at", "yesterday"], "--at 'yesterday'"),
    (["--schemas", "/nonexistent/schemas"], "--schemas"),
    (["--registry", "/nonexistent/types.yaml"], "types.yaml"),
])
def test_bad_command_lines_exit_2_with_one_line(capsys, messages, argv, needle):
    code, out, err = run(capsys, "check", str(messages), *argv)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_fail_on_warn(capsys, messages):
    path = messages / "nested" / "send_request.xml"
    root = etree.fromstring(path.read_bytes())
    root.xpath("//*[local-name()='MimeType']")[0].text = "image/png"  # the content is a PDF: a warning
    path.write_bytes(etree.tostring(root))
    assert run(capsys, "check", str(path), "--at", AT_TEXT, *NO_SIG)[0] == 0
    assert run(capsys, "check", str(path), "--at", AT_TEXT, *NO_SIG, "--fail-on", "warn")[0] == 1


@pytest.mark.parametrize("fmt", ["json", "junit", "html", "text"])
def test_every_format_to_a_file(capsys, messages, tmp_path, fmt):
    target = tmp_path / "out" / f"report.{fmt}"
    code, out, _ = run(capsys, "check", str(messages), "--at", AT_TEXT, *NO_SIG, "--format", fmt, "--output",
                       str(target))
    assert code == 0 and out == ""
    content = target.read_text(encoding="utf-8")
    assert ("send_request.xml" in content) if fmt != "text" else ("3 more files" in content)


def test_rules_lists_the_whole_catalogue(capsys):
    code, out, _ = run(capsys, "rules", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert [r["id"] for r in data["rules"]] == [r.id for r in catalogue.all_rules()]
    assert all(r["source"] and r["severity"] in ("error", "warning") for r in data["rules"])
    assert set(data["families"]) == {"MSG", "SIG", "CERT", "FLOW", "TIME"}


def test_rules_text_with_selection(capsys):
    code, out, _ = run(capsys, "rules", "--select", "TIME")
    assert code == 0 and "TIME-EOL" in out and "MSG-ID-UUID1" not in out and "697" not in out.split("TIME-EOL")[0]
    assert run(capsys, "rules", "--select", "BOGUS")[0] == 2


@pytest.mark.parametrize("rule_id", ["MSG-ID-UUID1", "SIG-DIGEST", "TIME-ID-STALE"])
def test_rules_page_prints_the_whole_unit(capsys, rule_id: str):
    code, out, err = run(capsys, "rules", rule_id.lower())
    entry = next(e for e in catalogue.registered() if e.rule.id == rule_id)
    assert code == 0 and err == ""
    assert out.startswith(f"{rule_id}: {entry.rule.title}\n")
    for text in (entry.rule.source, entry.rule.severity.value, entry.check.__qualname__,
                 *(example.summary for example in entry.rule.bad + entry.rule.good)):
        assert text in out
    bad = out.split("Bad example 1:")[1].split("Good example 1:")[0]
    assert "\n  -" in bad and "\n  +" in bad, "the page shows what the bad example changes"


def test_rules_page_shows_the_change_of_a_signed_example(capsys):
    out = run(capsys, "rules", "SIG-VALUE")[1]
    changed = [line for line in out.splitlines() if line.startswith(("  -<", "  +<"))]
    assert [line[3:].split(">")[0] for line in changed] == ["<ds:SignatureValue", "<ds:SignatureValue"]


def test_rules_page_of_an_unknown_id_suggests_and_exits_2(capsys):
    code, out, err = run(capsys, "rules", "MSG-ID-UUID")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "unknown rule id 'MSG-ID-UUID'" in err and "did you mean 'MSG-ID-UUID1'" in err


def test_rules_page_as_json(capsys):
    code, out, _ = run(capsys, "rules", "FLOW-ACK-TARGET", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["id"] == "FLOW-ACK-TARGET" and data["bad"] and data["good"]
    assert data["check"] == "conformance.rules.identifiers.ack_target"


def test_schemas_option_uses_another_xsd_set(capsys, messages, tmp_path):
    import shutil

    from conformance.schemas import ENVELOPE_SCHEMA_DIR

    copy = tmp_path / "official"
    shutil.copytree(ENVELOPE_SCHEMA_DIR, copy)
    code, out, _ = run(capsys, "check", str(messages), "--at", AT_TEXT, *NO_SIG, "--schemas", str(copy))
    assert code == 0, out
    partial = tmp_path / "partial"  # a set without the types schemas serves no version
    partial.mkdir()
    for xsd in ENVELOPE_SCHEMA_DIR.glob("*.xsd"):
        if "-types-" not in xsd.name:
            shutil.copy(xsd, partial)
    code, _, err = run(capsys, "check", str(messages), "--schemas", str(partial))
    assert code == 2 and "no usable envelope schema" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.xsd").write_text("<xs:schema")
    code, _, err = run(capsys, "check", str(messages), "--schemas", str(broken))
    assert code == 2 and err.count("\n") == 1


def test_a_repeated_message_id_across_files_warns(capsys, messages):
    original = messages / "nested" / "send_request.xml"
    (messages / "resent.xml").write_bytes(original.read_bytes())
    code, out, _ = run(capsys, "check", str(messages), "--at", AT_TEXT, *NO_SIG, "--select", "FLOW-ID-UNIQUE",
                       "--format", "json", "--fail-on", "warn")
    assert code == 1
    warned = {f["path"] for f in json.loads(out)["files"] if f["summary"]["warn"]}
    assert warned == {str(original), str(messages / "resent.xml")}
    assert run(capsys, "check", str(original), "--at", AT_TEXT, "--select", "FLOW-ID-UNIQUE")[0] == 0


def test_standard_input(capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(envelope("ack"))))
    code, out, _ = run(capsys, "check", "-", "--at", AT_TEXT, *NO_SIG, "--format", "json")
    assert code == 0 and json.loads(out)["files"][0]["path"] == "<stdin>"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"<!DOCTYPE x><x/>")))
    code, out, _ = run(capsys, "check", "-", "--format", "json")
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["files"][0]["findings"] if f["status"] == "fail"] == ["MSG-XML-DTD"]


def test_rules_page_shows_a_file_without_markup_whole(capsys):
    out = run(capsys, "rules", "MSG-XML-EMPTY")[1]
    assert "the file, whole: b'  \\n'" in out and "--- good" not in out


def test_every_rule_has_a_page_with_its_unit():
    from conformance.cli.rules import render_page

    for entry in catalogue.registered():
        page = render_page(entry)
        assert page.startswith(f"{entry.rule.id}: {entry.rule.title}\n") and entry.rule.source in page
        assert page.count("Bad example ") == len(entry.rule.bad) and page.count("Good example ") == len(entry.rule.good)
