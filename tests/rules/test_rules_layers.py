"""The layers of the checkers, as the module docstrings state them: `conformance.findings` imports nothing of the
project, and `conformance.xmldsig` never imports `conformance.rules` (the catalogue imports the verifier)."""

from __future__ import annotations

import ast
from pathlib import Path

import conformance

ROOT = Path(conformance.__file__).parent


def imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (relative imports resolved to absolute)."""
    names: set[str] = set()
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_the_findings_module_imports_nothing_of_the_project():
    assert not {name for name in imported(ROOT / "findings.py") if name.startswith("conformance")}


def test_xmldsig_never_imports_the_rules_package():
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in imported(path) if n.startswith("conformance.rules"))
                 for path in (ROOT / "xmldsig").rglob("*.py")}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_layer_test_sees_imports():
    """The helper must see what it is asked about, or the two tests above would pass on nothing."""
    names = imported(ROOT / "rules" / "sig.py")
    assert "conformance.xmldsig.ruleset" in names and "conformance.rules.catalogue" in names
