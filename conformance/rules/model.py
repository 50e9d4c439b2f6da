"""Compatibility alias of `conformance.findings` (where `Finding`, `Status`, `Severity`, `Rule`… now live).

Import from `conformance.findings`; this alias only keeps branches written before the move importable and goes
once none imports it.
"""

from conformance.findings import FAMILIES, Example, FileResult, Finding, Location, Rule, Severity, Status

__all__ = ["FAMILIES", "Example", "FileResult", "Finding", "Location", "Rule", "Severity", "Status"]
