"""The JSON report: a stable structure, documented here.

    {
      "format": "smev-conformance-report", "format_version": 1,
      "tool": "smev-conformance", "tool_version": "0.1.0",
      "meta": {...},                      # what the run was judged with, e.g. "at", "select", "ignore", "seed"
      "verdict": "pass" | "fail",         # the command's verdict: its exit code is 0 for pass, 1 for fail
      "headline": "PASS: 138 files, ...", # the line every format opens with
      "unit": "file" | "case",            # what one entry of "files" is: a checked file or a live run's case
      "summary": {"files", "files_failed", "findings", "pass", "fail", "warn", "skip"},
      "files": [
        {"path", "operation", "version",  # operation: the body element, e.g. "SendRequestRequest"; null if unknown
         "started", "duration",           # epoch seconds and seconds; null when not measured
         "summary": {...as above, without files...},
         "findings": [
           {"rule", "title", "severity", "source",   # title/severity/source: null for a rule not in the catalogue
            "status": "pass" | "fail" | "warn" | "skip", "message",
            "location": {"file", "line", "xpath"},   # line and xpath may be null
            "details": {name: text}}]}]
    }

Findings keep the engine's order (catalogue order); keys are never removed within a format version.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from conformance import __version__
from conformance.findings import FileResult, Finding
from conformance.report.summary import Headline, Summary, Tally, headline_of, summarize
from conformance.report.summary import headline as make_headline
from conformance.rules.catalogue import get_rule

FORMAT_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    rule = get_rule(finding.rule_id)
    return {
        "rule": finding.rule_id,
        "title": rule.title if rule else None,
        "severity": rule.severity.value if rule else None,
        "source": rule.source if rule else None,
        "status": finding.status.value,
        "message": finding.message,
        "location": {"file": finding.location.file, "line": finding.location.line, "xpath": finding.location.xpath},
        "details": dict(finding.details),
    }


def file_dict(result: FileResult) -> dict[str, Any]:
    counts = summarize([result]).as_dict()
    del counts["files"], counts["files_failed"]
    return {"path": result.path, "operation": result.operation, "version": result.version,
            "started": result.started, "duration": result.duration, "summary": counts,
            "findings": [finding_dict(f) for f in result.findings]}


def document(results: Sequence[FileResult], *, meta: Mapping[str, Any], fail_on: str = "error",
             unit: str = "file", headline: Headline | None = None) -> dict[str, Any]:
    files = [file_dict(result) for result in results]
    headline = headline or make_headline(results, fail_on, unit)
    return {
        "format": "smev-conformance-report",
        "format_version": FORMAT_VERSION,
        "tool": "smev-conformance",
        "tool_version": __version__,
        "meta": dict(meta),
        "verdict": headline.outcome,
        "headline": headline.text,
        "unit": unit,
        "summary": summarize(results).as_dict(),
        "files": files,
    }


def render(results: Sequence[FileResult], *, meta: Mapping[str, Any], fail_on: str = "error", unit: str = "file",
           headline: Headline | None = None, **_: Any) -> str:
    data = document(results, meta=meta, fail_on=fail_on, unit=unit, headline=headline)
    return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"


_MARK = "\x00files\x00"


def stream(results: Iterable[FileResult], out: IO[str], *, meta: Mapping[str, Any], fail_on: str = "error",
           unit: str = "file") -> Summary:
    """Write the report of `results` to `out` as `render` would, holding one file's findings at a time: the files'
    entries are spooled to a temporary file while the counts are tallied, then the head (verdict, summary) and the
    spool are written. Returns the run's summary."""
    tally = Tally()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for result in results:
            entry = json.dumps(file_dict(result), ensure_ascii=False, indent=2, default=str)
            spool.write((",\n" if tally.files else "") + textwrap.indent(entry, "    "))
            tally.add(result)
        summary = tally.summary()
        line = headline_of(summary, fail_on, unit)
        head = {"format": "smev-conformance-report", "format_version": FORMAT_VERSION, "tool": "smev-conformance",
                "tool_version": __version__, "meta": dict(meta), "verdict": line.outcome, "headline": line.text,
                "unit": unit, "summary": summary.as_dict(), "files": [_MARK] if tally.files else []}
        text = json.dumps(head, ensure_ascii=False, indent=2, default=str) + "\n"
        if not tally.files:
            out.write(text)
            return summary
        before, after = text.split(f"    {json.dumps(_MARK)}", 1)
        out.write(before)
        spool.seek(0)
        shutil.copyfileobj(spool, out)
        out.write(after)
    return summary
