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
from collections.abc import Mapping, Sequence
from typing import Any

from conformance import __version__
from conformance.report.summary import Headline, summarize
from conformance.report.summary import headline as make_headline
from conformance.rules.catalogue import get_rule
from conformance.rules.model import FileResult, Finding

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


def document(results: Sequence[FileResult], *, meta: Mapping[str, Any], fail_on: str = "error",
             unit: str = "file", headline: Headline | None = None) -> dict[str, Any]:
    files = []
    for result in results:
        counts = summarize([result]).as_dict()
        del counts["files"], counts["files_failed"]
        files.append({"path": result.path, "operation": result.operation, "version": result.version,
                      "started": result.started, "duration": result.duration, "summary": counts, "findings": [finding_dict(f) for f in result.findings]})
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
