"""SLO results as JUnit XML (`smev-sim run --junit FILE`), so a simulation gate shows in a CI test tab.

One `testsuite` per scenario (per sweep point inside a sweep), one `testcase` per SLO: classname
`smev-sim.<scenario>` (`smev-sim.<scenario>.<parameter>=<value>` in a sweep), name the SLO's name; the message states
the requirement, the mean and its 95 % interval and the reason. PASS is a passed case; FAIL is a `<failure>`;
INCONCLUSIVE (the interval straddles the threshold) is a `<skipped>` with the same message, so that CI neither
passes nor fails a gate it cannot decide; `smev-sim run` still exits 3 then. `time` is the run's wall time shared
evenly among the cases (the replications measure every SLO at once).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from sim.metrics.slo import FAIL, INCONCLUSIVE
from sim.report.format import fmt, unit_of


def _message(s: dict[str, Any]) -> str:
    unit = unit_of(s["metric"])
    mean = "beyond every deadline" if s.get("unbounded") and s["mean"] is None else fmt(s["mean"], unit)
    high = "∞" if s.get("unbounded") else fmt(s["ci_high"], unit)
    return (f"{s['verdict'].upper()}: {s['metric']} {s['op']} {fmt(s['threshold'], unit)}; mean {mean}, "
            f"95 % interval [{fmt(s['ci_low'], unit)}, {high}] over {s['n']} replications: {s['reason']}")


def junit_xml(report: dict[str, Any]) -> str:
    """The JUnit document of a report.json dictionary."""
    name = report["scenario"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in report["slos"]:
        point = s.get("point") or {}
        suffix = "".join(f".{k}={v}" for k, v in point.items())
        groups.setdefault(f"smev-sim.{name}{suffix}", []).append(s)
    if not groups:
        groups[f"smev-sim.{name}"] = []
    wall = float(report.get("timing", {}).get("wall_seconds") or 0.0)
    cases = max(len(report["slos"]), 1)
    root = ET.Element("testsuites", name=f"smev-sim {name}", tests=str(len(report["slos"])),
                      failures=str(sum(s["verdict"] == FAIL for s in report["slos"])),
                      skipped=str(sum(s["verdict"] == INCONCLUSIVE for s in report["slos"])),
                      time=f"{wall:.3f}")
    for classname, slos in groups.items():
        suite = ET.SubElement(root, "testsuite", name=classname, tests=str(len(slos)),
                              failures=str(sum(s["verdict"] == FAIL for s in slos)),
                              skipped=str(sum(s["verdict"] == INCONCLUSIVE for s in slos)),
                              time=f"{wall * len(slos) / cases:.3f}")
        props = ET.SubElement(suite, "properties")
        for key in ("seed", "replications"):
            ET.SubElement(props, "property", name=key, value=str(report.get(key)))
        for s in slos:
            case = ET.SubElement(suite, "testcase", classname=classname, name=s["name"], time=f"{wall / cases:.3f}")
            message = _message(s)
            if s["verdict"] == FAIL:
                ET.SubElement(case, "failure", message=message, type="SLO").text = message
            elif s["verdict"] == INCONCLUSIVE:
                ET.SubElement(case, "skipped", message=message).text = message
            else:
                ET.SubElement(case, "system-out").text = message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(report), encoding="utf-8")
    return path
