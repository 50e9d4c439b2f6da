"""The JUnit XML report: one `testsuite` per file, one `testcase` per rule per file.

`classname` is the file, `name` the rule id and title. A failed rule gets a `failure` (type = rule id) whose
message is the first violation and whose text lists every violation with its location; a skipped rule gets
`skipped` with the reason; a warning leaves the testcase passing and reports itself in `system-out` (with
`--fail-on warn` warnings become failures). Jenkins, GitLab and GitHub test reporters read this natively.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from conformance import __version__
from conformance.findings import FileResult, Finding, Status
from conformance.report.summary import printable
from conformance.rules.catalogue import get_rule


def _where(finding: Finding) -> str:
    parts = []
    if finding.location.line is not None:
        parts.append(f"line {finding.location.line}")
    if finding.location.xpath:
        parts.append(finding.location.xpath)
    return f" ({', '.join(parts)})" if parts else ""


def _grouped(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule_id, []).append(finding)
    return groups


def _testcase(parent: etree._Element, path: str, rule_id: str, findings: list[Finding], fail_on: str) -> str:
    rule = get_rule(rule_id)
    name = f"{rule_id} {rule.title}" if rule else rule_id
    case = etree.SubElement(parent, "testcase", classname=printable(path), name=printable(name), time="0")
    failing = [f for f in findings if f.status is Status.FAIL or (fail_on == "warn" and f.status is Status.WARN)]
    warnings = [f for f in findings if f.status is Status.WARN and f not in failing]
    if failing:
        failure = etree.SubElement(case, "failure", message=printable(failing[0].message), type=rule_id)
        failure.text = "\n".join(printable(f"{f.status.value}: {f.message}{_where(f)}") for f in failing)
        if rule:
            failure.text += f"\nsource: {rule.source}"
        return "failure"
    if all(f.status is Status.SKIP for f in findings):
        etree.SubElement(case, "skipped", message=printable(findings[0].message))
        return "skipped"
    if warnings:
        out = etree.SubElement(case, "system-out")
        out.text = "\n".join(printable(f"warning {rule_id}: {f.message}{_where(f)}") for f in warnings)
    return "passed"


def render(results: Sequence[FileResult], *, meta: Mapping[str, Any], fail_on: str = "error", **_: Any) -> str:
    suites = etree.Element("testsuites", name="smev-conformance")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for result in results:
        suite = etree.SubElement(suites, "testsuite", name=printable(result.path))
        properties = etree.SubElement(suite, "properties")
        for key, value in (("tool_version", __version__), ("operation", result.operation),
                           ("version", result.version), *sorted(meta.items())):
            if value is not None:
                etree.SubElement(properties, "property", name=str(key), value=printable(str(value)))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for rule_id, findings in _grouped(result.findings).items():
            outcome = _testcase(suite, result.path, rule_id, findings, fail_on)
            counts["tests"] += 1
            if outcome == "failure":
                counts["failures"] += 1
            elif outcome == "skipped":
                counts["skipped"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", "0")
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("errors", "0")
    suites.set("time", "0")
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")
