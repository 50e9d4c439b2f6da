"""The report options every judging command offers: `--format`, `--output` and `--fail-on`, declared once.

`check`, `verify`, `run` and `negative` write the same reports (`conformance.report.render`) and exit by the same
rule (`exit_code`), so their options are one declaration; only what a failure *is* differs, and the caller says it.
"""

from __future__ import annotations

import argparse

from conformance.report import FAIL_ON, FORMATS


def add_report_options(parser: argparse.ArgumentParser, *, failures: str = "failed checks",
                       warnings: str = "warnings") -> None:
    """Add `--format`, `--output/-o` and `--fail-on`; `failures`/`warnings` name what each level exits 1 on."""
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default text)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (default: standard output)")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="error",
                        help=f"exit 1 on {failures} only (error, default) or on {warnings} too (warn)")


__all__ = ["add_report_options"]
