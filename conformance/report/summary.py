"""Counts over findings, the verdict and the exit code: shared by every report format and command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conformance.findings import FileResult, Status

FAIL_ON = ("error", "warn")
"""`--fail-on error`: only failed findings fail the run; `--fail-on warn`: warnings fail it too."""


@dataclass(frozen=True)
class Summary:
    files: int
    files_failed: int
    passed: int
    failed: int
    warned: int
    skipped: int

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.warned + self.skipped

    def as_dict(self) -> dict[str, int]:
        return {"files": self.files, "files_failed": self.files_failed, "findings": self.total,
                "pass": self.passed, "fail": self.failed, "warn": self.warned, "skip": self.skipped}


def summarize(results: Sequence[FileResult]) -> Summary:
    findings = [f for result in results for f in result.findings]
    return Summary(
        files=len(results),
        files_failed=sum(1 for r in results if r.failed),
        passed=sum(1 for f in findings if f.status is Status.PASS),
        failed=sum(1 for f in findings if f.status is Status.FAIL),
        warned=sum(1 for f in findings if f.status is Status.WARN),
        skipped=sum(1 for f in findings if f.status is Status.SKIP),
    )


@dataclass(frozen=True)
class RuleTally:
    """How one rule fared across the files of a run (only rules that failed or warned are tallied)."""

    rule_id: str
    failed: int
    warned: int
    files: int


def by_rule(results: Sequence[FileResult]) -> list[RuleTally]:
    """Failing and warning rules with their counts, most failures first, then by id."""
    tallies: dict[str, list] = {}
    for result in results:
        for finding in result.findings:
            if finding.status in (Status.FAIL, Status.WARN):
                entry = tallies.setdefault(finding.rule_id, [0, 0, set()])
                entry[0 if finding.status is Status.FAIL else 1] += 1
                entry[2].add(result.path)
    rows = [RuleTally(rule_id, f, w, len(paths)) for rule_id, (f, w, paths) in tallies.items()]
    return sorted(rows, key=lambda row: (-row.failed, -row.warned, row.rule_id))


class Tally:
    """`summarize` one result at a time, for reports that stream (nothing of a result is kept but its counts)."""

    def __init__(self) -> None:
        self.files = self.files_failed = 0
        self.counts = dict.fromkeys(Status, 0)

    def add(self, result: FileResult) -> None:
        self.files += 1
        self.files_failed += result.failed
        for finding in result.findings:
            self.counts[finding.status] += 1

    def summary(self) -> Summary:
        c = self.counts
        return Summary(self.files, self.files_failed, c[Status.PASS], c[Status.FAIL], c[Status.WARN], c[Status.SKIP])


def verdict(results: Sequence[FileResult], fail_on: str = "error") -> str:
    """`fail` when some check failed (or warned, with `fail_on="warn"`), else `pass`."""
    return verdict_of(summarize(results), fail_on)


def verdict_of(summary: Summary, fail_on: str = "error") -> str:
    """`verdict` from the counts alone."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {FAIL_ON}, not {fail_on!r}")
    failing = summary.failed + (summary.warned if fail_on == "warn" else 0)
    return "fail" if failing else "pass"


UNITS = ("file", "case")
"""What one result is: a checked `file` (check, verify) or a `case` of a live run (run, the plugin)."""


@dataclass(frozen=True)
class Headline:
    """The first thing every report says: its verdict (`pass`/`fail`, the same as the exit code's) and one line."""

    outcome: str
    text: str

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"


def _plural(count: int, unit: str) -> str:
    return f"{count:,} {unit}{'' if count == 1 else 's'}"


def headline(results: Sequence[FileResult], fail_on: str = "error", unit: str = "file") -> Headline:
    """The verdict of `results` and its line, counted in `unit`s: `FAIL: 26 cases, 2 failed; checks: 180 pass,
    2 fail, 1 warn; 40 not applicable`. Every format and every command that reports findings uses it, so a
    report's headline is the command's verdict and exit code."""
    return headline_of(summarize(results), fail_on, unit)


def headline_of(summary: Summary, fail_on: str = "error", unit: str = "file") -> Headline:
    """`headline` from the counts alone (reports that stream)."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    outcome = verdict_of(summary, fail_on)
    text = (f"{outcome.upper()}: {_plural(summary.files, unit)}, {summary.files_failed:,} failed; checks: "
            f"{summary.passed:,} pass, {summary.failed:,} fail, {summary.warned:,} warn; "
            f"{summary.skipped:,} not applicable")
    return Headline(outcome, text)


def exit_code(results: Sequence[FileResult], fail_on: str = "error") -> int:
    """0 when every check holds, 1 when some failed (see `verdict`)."""
    return 1 if verdict(results, fail_on) == "fail" else 0
