"""The HTML report: one self-contained file (inline CSS, no script, no external resource), safe to open from any
hostile input because every text is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from conformance import __version__
from conformance.findings import FileResult, Finding, Status
from conformance.report.summary import by_rule, printable, summarize, verdict
from conformance.rules.catalogue import get_rule

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin:0} code{font-family:ui-monospace,Consolas,monospace}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em} th,td{border:1px solid #ddd;padding:.3em .5em;
text-align:left;vertical-align:top} th{background:#f4f4f4}
.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}.warn{color:#9a6700}.skip{color:#777}
.verdict-pass{background:#dafbe1}.verdict-fail{background:#ffebe9} .box{padding:.6em 1em;border-radius:6px}
details{margin:.6em 0;border:1px solid #ddd;border-radius:6px;padding:.4em .8em} summary{cursor:pointer}
.loc{font-size:.9em;color:#555} .meta td{border:none;padding:.1em .6em}
"""


def _e(text: object) -> str:
    return escape(printable(str(text)), quote=True)


def _location(finding: Finding) -> str:
    parts = []
    if finding.location.line is not None:
        parts.append(f"line {finding.location.line}")
    if finding.location.xpath:
        parts.append(f"<code>{_e(finding.location.xpath)}</code>")
    return "<br>".join(parts)


def _rows(findings: Sequence[Finding]) -> str:
    rows = []
    for f in findings:
        rule = get_rule(f.rule_id)
        title = _e(rule.title) if rule else ""
        source = _e(rule.source) if rule else ""
        details = "".join(f"<div><b>{_e(k)}</b>: <code>{_e(v)}</code></div>" for k, v in f.details)
        rows.append(
            f"<tr><td><code>{_e(f.rule_id)}</code><br><span class=loc>{title}</span></td>"
            f"<td class={f.status.value}>{f.status.value}</td><td class=msg>{_e(f.message)}{details}</td>"
            f"<td class=loc>{_location(f)}</td><td class=loc>{source}</td></tr>")
    head = "<tr><th>rule</th><th>status</th><th>message</th><th>location</th><th>source</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _file(result: FileResult) -> str:
    problems = [f for f in result.findings if f.status in (Status.FAIL, Status.WARN)]
    others = [f for f in result.findings if f.status not in (Status.FAIL, Status.WARN)]
    kind = " ".join(p for p in (result.operation, result.version) if p) or "unrecognised"
    counts = (f"{result.count(Status.PASS)} pass, {result.count(Status.FAIL)} fail, "
              f"{result.count(Status.WARN)} warn, {result.count(Status.SKIP)} skip")
    body = _rows(problems) if problems else "<p class=pass>every selected rule holds or does not apply</p>"
    if others:
        body += f"<details><summary>{len(others)} passed or skipped</summary>{_rows(others)}</details>"
    state = "fail" if result.failed else "pass"
    return (f"<details {'open' if problems else ''}><summary><h2 style='display:inline'>"
            f"<span class={state}>{state.upper()}</span> <code>{_e(result.path)}</code></h2> "
            f"<span class=loc>{_e(kind)} — {counts}</span></summary>{body}</details>")


def _tallies(results: Sequence[FileResult]) -> str:
    rows = by_rule(results)
    if not rows:
        return ""
    body = "".join(f"<tr><td><code>{_e(r.rule_id)}</code></td><td class=fail>{r.failed}</td>"
                   f"<td class=warn>{r.warned}</td><td>{r.files}</td></tr>" for r in rows)
    return ("<h2>Rules that failed or warned</h2><table><tr><th>rule</th><th>fail</th><th>warn</th><th>files</th></tr>"
            f"{body}</table>")


def render(results: Sequence[FileResult], *, meta: Mapping[str, Any], fail_on: str = "error", **_: Any) -> str:
    summary = summarize(results)
    outcome = verdict(results, fail_on)
    meta_rows = "".join(f"<tr><td>{_e(k)}</td><td><code>{_e(v)}</code></td></tr>" for k, v in sorted(meta.items()))
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>SMEV 3 conformance report</title><style>{_CSS}</style></head><body>"
        f"<h1>SMEV 3 conformance report</h1>"
        f"<div class='box verdict-{outcome}'><b>{outcome.upper()}</b>: {summary.files} file(s), "
        f"{summary.files_failed} failed; findings: {summary.passed} pass, {summary.failed} fail, "
        f"{summary.warned} warn, {summary.skipped} skip</div>"
        f"<table class=meta><tr><td>tool</td><td><code>smev-conformance {_e(__version__)}</code></td></tr>"
        f"{meta_rows}</table>" + _tallies(results)
        + "".join(_file(r) for r in results)
        + "</body></html>\n"
    )
