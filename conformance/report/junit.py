"""The JUnit XML report, shaped for CI test viewers (Jenkins, GitLab, GitHub reporters read it natively).

Files (`check`, `verify`, unit `file`): one `testsuite` per file, one `testcase` per rule that applies to it. A rule
whose every finding is "not applicable" (skipped) is left out, unless `include_na` (`check --junit-all`) keeps it as
a skipped testcase. `classname` groups by what the message is, then by file, with no path dots a viewer would split
on: `smev.<operation>.<version>.<file stem>` (e.g. `smev.SendRequestRequest.1_3.sr-fns-valid`); `name` is the rule id
and title; `time` the seconds the rule took on that file, the suite's `time` the file's.

Live runs (unit `case`): one `testsuite` for the run, one `testcase` per case (per type, per negative delivery):
`classname` `smev.<suite>` (`smev.provider`, `smev.provider.negative`), `name` the case (`answers-valid-request[fns-inn-by-passport]`),
`time` how long it ran; its failure lists every failing finding, a passing case's `system-out` the checks that held.

A failed rule (or case) gets a `failure` (type = rule id) whose message is the first violation and whose text lists
every violation with its location; a skipped one gets `skipped` with the reason; a warning leaves the testcase
passing and reports itself in `system-out` (with `--fail-on warn` warnings become failures). The root carries the
headline's verdict as a property.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from lxml import etree

from conformance import __version__
from conformance.findings import FileResult, Finding, Status
from conformance.pages import printable
from conformance.report.summary import Headline
from conformance.rules.catalogue import get_rule

_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def _where(finding: Finding) -> str:
    parts = []
    if finding.location.file and finding.location.line is not None:
        parts.append(f"{finding.location.file}:{finding.location.line}")
    elif finding.location.line is not None:
        parts.append(f"line {finding.location.line}")
    if finding.location.xpath:
        parts.append(finding.location.xpath)
    return f" ({', '.join(parts)})" if parts else ""


def _grouped(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule_id, []).append(finding)
    return groups


def _part(text: str | None, default: str) -> str:
    """A classname part a viewer will not split: no dots, no slashes, no spaces."""
    cleaned = _NOT_NAME.sub("_", text or "").strip("_")
    return cleaned or default


def file_classname(result: FileResult) -> str:
    """`smev.<operation>.<version>.<file stem>`."""
    stem = PurePath(result.path).stem if result.path not in ("-", "<stdin>") else "stdin"
    return ".".join(("smev", _part(result.operation, "unrecognised"), _part(result.version, "unknown"),
                     _part(stem, "file")))


def case_classname(result: FileResult, suite: str = "live") -> str:
    """`provider/negative/NEG-X` -> `smev.provider.negative`; `provider/answers[t]` -> `smev.provider`; a case
    path without a folder -> `smev.<suite>`."""
    parts = result.path.split("/")[:-1] or [suite]
    return ".".join(["smev", *(_part(p, "live") for p in parts)])


def _outcome(case: etree._Element, findings: list[Finding], fail_on: str, label: str) -> str:
    failing = [f for f in findings if f.status is Status.FAIL or (fail_on == "warn" and f.status is Status.WARN)]
    warnings = [f for f in findings if f.status is Status.WARN and f not in failing]
    if failing:
        first = failing[0]
        failure = etree.SubElement(case, "failure", message=printable(first.message), type=first.rule_id)
        lines = [printable(f"{f.status.value}: {f.rule_id}: {f.message}{_where(f)}") for f in failing]
        sources = {rule.source for rule in (get_rule(f.rule_id) for f in failing) if rule is not None}
        failure.text = "\n".join(lines + [f"source: {source}" for source in sorted(sources)])
        return "failure"
    if findings and all(f.status is Status.SKIP for f in findings):
        etree.SubElement(case, "skipped", message=printable(findings[0].message))
        return "skipped"
    if warnings:
        out = etree.SubElement(case, "system-out")
        out.text = "\n".join(printable(f"warning {f.rule_id}: {f.message}{_where(f)}") for f in warnings)
    return "passed"


def _seconds(value: float | None) -> str:
    return f"{value or 0.0:.3f}"


def _suite(parent: etree._Element, name: str, props: Mapping[str, Any], time: float | None) -> etree._Element:
    suite = etree.SubElement(parent, "testsuite", name=printable(name))
    properties = etree.SubElement(suite, "properties")
    for key, value in props.items():
        if value is not None:
            etree.SubElement(properties, "property", name=str(key), value=printable(str(value)))
    suite.set("time", _seconds(time))
    return suite


def _count(suite: etree._Element, counts: dict[str, int], outcome: str) -> None:
    counts["tests"] += 1
    if outcome == "failure":
        counts["failures"] += 1
    elif outcome == "skipped":
        counts["skipped"] += 1


def _close(suite: etree._Element, counts: dict[str, int], totals: dict[str, int]) -> None:
    for key, value in counts.items():
        suite.set(key, str(value))
        totals[key] += value
    suite.set("errors", "0")


def render(results: Sequence[FileResult], *, meta: Mapping[str, Any], headline: Headline, fail_on: str = "error",
           unit: str = "file", include_na: bool = False, **_: Any) -> str:
    suites = etree.Element("testsuites", name="smev-conformance")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    common = {"tool_version": __version__, "verdict": headline.outcome, "headline": headline.text,
              **dict(sorted(meta.items()))}
    if unit == "case":
        suite = _suite(suites, f"smev-conformance {meta.get('suite', 'live')}", common,
                       sum(r.duration or 0.0 for r in results))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for result in results:
            name = result.path.split("/")[-1]
            case = etree.SubElement(suite, "testcase", classname=case_classname(result, str(meta.get("suite", "live"))),
                                    name=printable(name),
                                    time=_seconds(result.duration))
            outcome = _outcome(case, list(result.findings), fail_on, name)
            if outcome == "passed" and case.find("system-out") is None:  # which checks held, for the CI viewer
                out = etree.SubElement(case, "system-out")
                out.text = "\n".join(printable(f"{f.status.value} {f.rule_id}: {f.message}") for f in result.findings)
            _count(suite, counts, outcome)
        _close(suite, counts, totals)
    else:
        for result in results:
            suite = _suite(suites, result.path, {**common, "operation": result.operation,
                                                 "version": result.version, "file": result.path}, result.duration)
            times = dict(result.rule_times)
            counts = {"tests": 0, "failures": 0, "skipped": 0}
            for rule_id, findings in _grouped(result.findings).items():
                if not include_na and all(f.status is Status.SKIP for f in findings):
                    continue
                rule = get_rule(rule_id)
                name = f"{rule_id} {rule.title}" if rule else rule_id
                case = etree.SubElement(suite, "testcase", classname=file_classname(result), name=printable(name),
                                        time=_seconds(times.get(rule_id)))
                _count(suite, counts, _outcome(case, findings, fail_on, name))
            _close(suite, counts, totals)
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("errors", "0")
    suites.set("time", _seconds(sum(r.duration or 0.0 for r in results)))
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")
