"""Reports of a simulation run: `report.json` (the contract) and a self-contained `report.html` with plots."""

from sim.report.html import render_html
from sim.report.jsonreport import build_report, dumps, write_report

__all__ = ["build_report", "dumps", "render_html", "write_report"]
