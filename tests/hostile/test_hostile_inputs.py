"""The hostile-input corpus: each file gives a finding of the right `MSG-XML-…` (or `MSG-SOAP-…`) rule with its line,
or a one-line error, quickly and in bounded memory, never a traceback. Run end to end through the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hostile_helpers import run_module_measured

from conformance import xmlsafe
from conformance.cli import main

ENVELOPE_HEAD = b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'

LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, b"".join(b"&lol%d;" % (i - 1) if i > 1 else b"&lol;"
                                                                for _ in range(10))) for i in range(1, 10))
          + b']>\n<lolz>&lol9;</lolz>\n')

CORPUS: dict[str, tuple[bytes, str, int | None]] = {
    # name: (content, rule that fails, line of the finding)
    "billion-laughs.xml": (LAUGHS, "MSG-XML-DTD", 2),
    "xxe-file.xml": (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>',
                     "MSG-XML-DTD", 2),
    "xxe-http.xml": (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>\n<r>&x;</r>',
                     "MSG-XML-DTD", 2),
    "external-dtd.xml": (b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">\n<r/>', "MSG-XML-DTD", 1),
    "internal-dtd.xml": (b'<?xml version="1.0"?>\n\n<!DOCTYPE r [<!ELEMENT r ANY>]>\n<r/>', "MSG-XML-DTD", 3),
    "parameter-entity.xml": (b'<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>', "MSG-XML-DTD", 1),
    "deep-10000.xml": (b"<a>" * 10_000 + b"</a>" * 10_000, "MSG-XML-DEPTH", 1),
    "deep-200-lines.xml": (b"<r>\n" + b"<a>" * 130 + b"\n" + b"<a>" * 70 + b"</a>" * 200 + b"</r>",
                           "MSG-XML-DEPTH", 2),
    "binary-junk.xml": (bytes(range(256)) * 64, "MSG-XML-WELLFORMED", 1),
    "empty.xml": (b"", "MSG-XML-EMPTY", None),
    "whitespace.xml": (b" \n\t\r\n  ", "MSG-XML-EMPTY", None),
    "bom-only.xml": (b"\xef\xbb\xbf", "MSG-XML-EMPTY", None),
    "cp1251-declared-utf8.xml": ('<?xml version="1.0" encoding="UTF-8"?>\n<r>\n<a>Привет</a></r>'.encode("cp1251"),
                                 "MSG-XML-WELLFORMED", 3),
    "truncated.xml": (ENVELOPE_HEAD + b"\n<tns:SendRequestRequest xmlns:tns=\"urn:x\"><tns:Sender", "MSG-XML-WELLFORMED",
                      2),
    "huge-text-node.xml": (b"<r>\n<a>" + b"A" * (11 * 1024 * 1024) + b"</a></r>", "MSG-XML-SIZE", 2),
    "huge-attribute.xml": (b'<r>\n\n<a v="' + b"A" * (11 * 1024 * 1024) + b'"/></r>', "MSG-XML-SIZE", 3),
    "many-elements.xml": (b"<r>" + b"<a/>" * (xmlsafe.MAX_ELEMENTS + 1) + b"</r>", "MSG-XML-SIZE", 1),
    # libxml2 detects UTF-16 without a BOM from '<?' and decodes it: a readable document, but no SOAP envelope.
    "utf16-no-bom.xml": ('<?xml version="1.0" encoding="UTF-16"?>\n<r>текст</r>'.encode("utf-16-le"),
                         "MSG-SOAP-ENVELOPE", 2),
    "utf16-bom-doctype.xml": ('\ufeff<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'.encode("utf-16-le"), "MSG-XML-DTD", 1),
    "not-soap.xml": (b"<?xml version='1.0'?>\n<html><body>hi</body></html>", "MSG-SOAP-ENVELOPE", 2),
}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def failures(report: dict, path: Path) -> list[tuple[str, int | None, str]]:
    entry = next(f for f in report["files"] if f["path"] == str(path))
    return [(f["rule"], f["location"]["line"], f["message"]) for f in entry["findings"] if f["status"] == "fail"]


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.serial  # a wall-clock bound: measured alone, after the parallel pass
def test_hostile_file_is_a_located_finding(tmp_path, capsys, name):
    content, rule, line = CORPUS[name]
    path = tmp_path / name
    path.write_bytes(content)
    started = time.monotonic()
    code, out, err = run_cli(capsys, "check", str(path), "--format", "json")
    assert time.monotonic() - started < 5
    assert code == 1 and err == ""
    found = failures(json.loads(out), path)
    assert found and found[0][0] == rule and found[0][1] == line, found
    assert "Traceback" not in out and "root:x:0:0" not in out


def test_billion_laughs_and_xxe_are_never_expanded(tmp_path):
    for name in ("billion-laughs.xml", "xxe-file.xml"):
        with pytest.raises(xmlsafe.XmlInputError) as caught:
            xmlsafe.parse_bytes(CORPUS[name][0], source=name)
        assert caught.value.rule == xmlsafe.RULE_DTD and name in str(caught.value)


def test_doctype_beyond_the_prolog_scan_is_still_refused():
    """A DOCTYPE after 64 KiB of comments escapes the quick byte scan; the parser's own check catches it, and the
    external entity is not resolved on the way."""
    data = b"<!--" + b"x" * (70 * 1024) + b'-->\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>'
    with pytest.raises(xmlsafe.XmlInputError) as caught:
        xmlsafe.parse_bytes(data, source="late.xml")
    assert caught.value.rule == xmlsafe.RULE_DTD


def test_doctype_mentioned_after_the_root_start_is_just_text():
    data = (b'<?xml version="1.0"?>\n<!-- a comment -->\n<r><![CDATA[<!DOCTYPE x [<!ENTITY e "v">]>]]>'
            b"<!-- <!ENTITY y 'z'> --></r>")
    root = xmlsafe.parse_bytes(data, source="cdata.xml").getroot()
    assert root.text.startswith("<!DOCTYPE x")


def test_200_mb_file_is_refused_by_size_before_reading(tmp_path, capsys, monkeypatch):
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no disk, no memory
    opened = []
    real_open = Path.open

    def spy(self, *args, **kwargs):
        opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    code, out, _ = run_cli(capsys, "check", str(path), "--format", "json")
    assert code == 1
    assert failures(json.loads(out), path)[0][0] == "MSG-XML-SIZE"
    assert path not in opened, "the file was opened although its size alone refuses it"


def test_missing_path_is_a_one_line_usage_error(tmp_path, capsys):
    code, out, err = run_cli(capsys, "check", str(tmp_path / "absent.xml"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "absent.xml" in err and "no such file" in err


def test_directory_without_xml_is_a_one_line_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "check", str(tmp_path))
    assert code == 2 and "no *.xml" in err and err.count("\n") == 1


def test_unreadable_file_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    path = tmp_path / "locked.xml"
    path.write_bytes(b"<r/>")
    real_open = Path.open

    def denied(self, *args, **kwargs):  # permissions do not bind root, so the refusal is simulated
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    code, out, err = run_cli(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert "locked.xml" in err and "Permission denied" in err and err.count("\n") == 1


@pytest.mark.serial  # a wall-clock bound: measured alone, after the parallel pass
def test_whole_corpus_in_one_process_is_fast_and_bounded(tmp_path):
    """End to end in a fresh interpreter: every file of the corpus plus a sparse 200 MB one, checked in one run."""
    for name, (content, _, _) in CORPUS.items():
        (tmp_path / name).write_bytes(content)
    with (tmp_path / "huge.xml").open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    started = time.monotonic()
    done, peak_kib = run_module_measured("conformance", ["check", str(tmp_path), "--format", "json"],
                                         tmp_path / "peak", capture_output=True, timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr and done.stderr == b""
    report = json.loads(done.stdout)
    assert report["summary"]["files"] == len(CORPUS) + 1 and report["summary"]["files_failed"] == len(CORPUS) + 1
    assert elapsed < 20
    assert peak_kib < 400 * 1024, f"peak RSS {peak_kib} KiB"
