"""The HTML report: one self-contained file (inline CSS and one small inline script, no external resource), built
from the jinja2 template `templates/report.html.j2` with autoescape on, so that hostile text (messages, paths,
details quoting a message) is shown, never obeyed. The Content-Security-Policy admits only the script whose hash
it names.

It scales to hundreds of files: files that hold are collapsed; a rule-centric table lists each rule that failed or
warned with links to the files (or cases) it failed in; filters (failed only, by operation, version, rule, and a
name search) narrow the list. The filters are the script's; without it the page shows everything and still works.
A finding's details (a digest diagnosis: declared against computed value, the canonicalised bytes) show in a
readable block under the finding, not in a table cell; long XPaths wrap. A live run's cases show their duration,
start time and links to their captured exchanges (`links`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from conformance import __version__
from conformance.findings import FileResult, Finding, Status
from conformance.pages import environment, printable
from conformance.report.summary import Headline, by_rule
from conformance.rules.catalogue import get_rule

BLOCK_AT = 160
"""A detail longer than this (or spanning lines) shows as a collapsible block, not inline."""
SHOWN_OPEN = ("diagnosis",)
"""Details shown in full, never collapsed: what the harness concluded."""
DIFF_PAIRS = (("declared", "computed"), ("expected", "actual"))
"""Detail pairs shown as a two-line diff: what the sender declared (-) against what the harness computed (+)."""

_SCRIPT = """
(function(){
  var form=document.getElementById('filters'); if(!form) return; form.hidden=false;
  var items=[].slice.call(document.querySelectorAll('details.result'));
  var count=document.getElementById('f-count');
  function val(id){var e=document.getElementById(id); return e?e.value:'';}
  function apply(){
    var failed=document.getElementById('f-failed').checked, op=val('f-operation'), ver=val('f-version'),
        rule=val('f-rule'), text=val('f-text').toLowerCase(), shown=0;
    items.forEach(function(d){
      var ok=(!failed||d.dataset.state!=='pass')&&(!op||d.dataset.operation===op)&&(!ver||d.dataset.version===ver)
        &&(!rule||(' '+d.dataset.rules+' ').indexOf(' '+rule+' ')>=0)
        &&(!text||d.dataset.name.toLowerCase().indexOf(text)>=0);
      d.hidden=!ok; if(ok) shown++;
    });
    count.textContent='showing '+shown+' of '+items.length;
  }
  form.addEventListener('input',apply); form.addEventListener('change',apply); apply();
})();
"""


@cache
def _environment() -> Any:
    return environment("conformance.report")


def _t(value: object) -> str:
    return printable(str(value))


def _details(finding: Finding) -> list[dict[str, Any]]:
    values = dict(finding.details)
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for old, new in DIFF_PAIRS:
        if old in values and new in values:
            out.append({"kind": "diff", "key": f"{old} (-) against {new} (+)",
                        "lines": [("-", _t(values[old])), ("+", _t(values[new]))]})
            used |= {old, new}
    for key, value in finding.details:
        if key in used:
            continue
        text = _t(value)
        if key in SHOWN_OPEN:
            out.append({"kind": "open", "key": _t(key), "text": text})
        elif len(text) > BLOCK_AT or "\n" in text:
            out.append({"kind": "block", "key": _t(key), "text": text, "size": len(text)})
        else:
            out.append({"kind": "inline", "key": _t(key), "text": text})
    return out


def _finding(finding: Finding) -> dict[str, Any]:
    rule = get_rule(finding.rule_id)
    return {"rule": _t(finding.rule_id), "title": _t(rule.title) if rule else "", "status": finding.status.value,
            "message": _t(finding.message), "line": finding.location.line,
            "xpath": _t(finding.location.xpath) if finding.location.xpath else "",
            "source": _t(rule.source) if rule else "", "details": _details(finding)}


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def _result(index: int, result: FileResult, links: Mapping[str, Sequence[tuple[str, str]]],
            unit: str) -> dict[str, Any]:
    problems = [f for f in result.findings if f.status in (Status.FAIL, Status.WARN)]
    others = [f for f in result.findings if f.status not in (Status.FAIL, Status.WARN)]
    state = "fail" if result.failed else "warn" if problems else "pass"
    counts = (f"{result.count(Status.PASS)} pass, {result.count(Status.FAIL)} fail, {result.count(Status.WARN)} warn, "
              f"{result.count(Status.SKIP)} not applicable")
    kind = " ".join(p for p in (result.operation, result.version) if p) or ("live case" if unit == "case" else
                                                                             "unrecognised")
    started = (datetime.fromtimestamp(result.started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
               if result.started else "")
    return {"index": index, "path": _t(result.path), "state": state, "operation": _t(result.operation or ""),
            "version": _t(result.version or ""), "kind": _t(kind), "counts": counts,
            "rules": " ".join(sorted({_t(f.rule_id) for f in problems})),
            "duration": _seconds(result.duration) if result.duration is not None else "", "started": started,
            "links": [(_t(label), _t(href)) for label, href in links.get(result.path, ())],
            "open": bool(problems) and state == "fail",
            "problems": [_finding(f) for f in problems], "others": [_finding(f) for f in others]}


def _rules(results: Sequence[FileResult]) -> list[dict[str, Any]]:
    rows = []
    for tally in by_rule(results):
        rule = get_rule(tally.rule_id)
        items = [{"index": i, "name": _t(r.path)} for i, r in enumerate(results)
                 if any(f.rule_id == tally.rule_id and f.status in (Status.FAIL, Status.WARN) for f in r.findings)]
        rows.append({"id": _t(tally.rule_id), "title": _t(rule.title) if rule else "",
                     "source": _t(rule.source) if rule else "", "failed": tally.failed, "warned": tally.warned,
                     "where": items})
    return rows


def _facets(results: Sequence[FileResult], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    facets = []
    for key, label, values in (("operation", "operation", {r.operation for r in results if r.operation}),
                               ("version", "version", {r.version for r in results if r.version}),
                               ("rule", "rule", {row["id"] for row in rules})):
        if len(values) > 1 or (key == "rule" and values):
            facets.append({"key": key, "label": label, "options": sorted(_t(v) for v in values)})
    return facets


def render(results: Sequence[FileResult], *, meta: Mapping[str, Any], headline: Headline, unit: str = "file",
           links: Mapping[str, Sequence[tuple[str, str]]] | None = None, **_: Any) -> str:
    rules = _rules(results)
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()
    word, _, rest = headline.text.partition(":")
    title = "SMEV 3 conformance report" if unit == "file" else "SMEV 3 live conformance report"
    return _environment().get_template("report.html.j2").render(
        title=title, headline=headline, headline_word=_t(word), headline_rest=_t(":" + rest if rest else ""),
        meta=[("tool", f"smev-conformance {__version__}"), *((_t(k), _t(v)) for k, v in sorted(meta.items()))],
        unit=unit, rules=rules,
        facets=_facets(results, rules), results=[_result(i, r, links or {}, unit) for i, r in enumerate(results)],
        script=_SCRIPT, script_hash=f"sha256-{digest}") + "\n"
