"""Function-local imports only where they are justified (issue 12, docs/architecture.md "The layers").

An import inside a function hides a dependency from a reader; it is kept only for a heavy or optional module (the
allow-list below, each with its reason) or where it carries `# local: <reason>` (on the statement, or on a comment
line directly above it or above the block of imports it opens): the start-up time of a command's `--help`, a pytest
plugin that every session loads, ... Layering is never a reason: `lint-imports` sees function-local imports too.

`python tests/test_local_imports.py [--list]` prints the counts (and every unjustified import).
"""

from __future__ import annotations

import ast
import functools
import io
import sys
import tokenize
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("conformance", "sim")

ALLOWED: dict[str, str] = {
    "matplotlib": "plots only; half a second to a second to import",
    "numpy": "numerics only, loaded with scipy",
    "scipy": "statistics only; scipy.stats costs about two seconds",
    "dask": "the optional cluster executor (--scheduler); over a second",
    "distributed": "the optional cluster executor (--scheduler); over a second",
    "zeep": "an optional dependency (the test extra)",
    "jinja2": "HTML pages only",
    "markupsafe": "HTML pages only (jinja2's escaping)",
    "xmlschema": "decoding payloads only; half a second",
    "faker": "fake payloads only; a third of a second",
    "rich.progress": "a progress bar is drawn only on a terminal",
}
"""Modules (and their submodules) a function may import without saying why: heavy, or optional."""

PENDING: dict[str, int] = {
    # Unjustified local imports left in areas other engineers are converting (issue 12): the count of a file may
    # only go down. When it does, lower it here (the failure says to what); a file at zero leaves the table.
    # `python tests/test_local_imports.py --list` prints the table as it is.
}
"""Files with unjustified function-local imports still waiting to be converted, and how many they have."""

MARK = "# local:"


@dataclass(frozen=True)
class LocalImport:
    path: str
    line: int
    module: str
    justified: bool


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_of(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = package.split(".")
        base = base[:len(base) - node.level + 1]
        return [".".join([*base, node.module] if node.module else base)]
    return [node.module or ""]


def _marks(source: str) -> dict[int, bool]:
    """Per line with a comment: whether the comment justifies a local import (`# local: <reason>`)."""
    found: dict[int, bool] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            text = token.string
            found[token.start[0]] = text.startswith(MARK) and bool(text[len(MARK):].strip())
    return found


def local_imports(source: str, path: str = "<source>", package: str = "") -> list[LocalImport]:
    """Every import statement inside a function (not a module-level one, not one under `if TYPE_CHECKING:`), with the
    module it names and whether it is justified (allow-listed module or `# local:` comment)."""
    tree = ast.parse(source, path)
    lines = source.splitlines()
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit_one(other, in_function)
                continue
            visit_one(child, in_function)

    def visit_one(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if in_function:
                found.append(node)
            return
        visit(node, in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    import_lines = {n for node in found for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)}

    marks: dict[int, bool] = {}

    def commented(node: ast.Import | ast.ImportFrom) -> bool:
        if not marks:
            marks.update(_marks(source) or {0: False})  # tokenized only for a file that needs it
        if any(marks.get(n) for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)):
            return True
        line = node.lineno - 1
        while line >= 1:  # up through comment lines and the imports of the same block, to a `# local:` line
            text = lines[line - 1].strip()
            if text.startswith("#") and marks.get(line):
                return True
            inside = line in import_lines or (not text and line - 1 in import_lines)  # isort's blank between groups
            if not (text.startswith("#") or inside):
                return False
            line -= 1
        return False

    out = []
    for node in found:
        modules = _module_of(node, package)
        allowed = all(any(m == a or m.startswith(a + ".") for a in ALLOWED) for m in modules)
        out.append(LocalImport(path, node.lineno, ",".join(modules), allowed or commented(node)))
    return out


def scan(top: str) -> list[LocalImport]:
    return _scan(ROOT, top)


@functools.cache
def _scan(root: Path, top: str) -> list[LocalImport]:
    found: list[LocalImport] = []
    for path in sorted((root / top).rglob("*.py")):
        rel = path.relative_to(root)
        found += local_imports(path.read_text(encoding="utf-8"), rel.as_posix(), ".".join(rel.parent.parts))
    return found


def unjustified_by_file() -> Counter[str]:
    return Counter(i.path for top in CHECKED for i in scan(top) if not i.justified)


def test_every_function_local_import_is_justified():
    counts = unjustified_by_file()
    problems = []
    for path, count in sorted(counts.items()):
        allowed = PENDING.get(path, 0)
        if count > allowed:
            listed = [f"{i.path}:{i.line}: {i.module}" for top in CHECKED for i in scan(top)
                      if i.path == path and not i.justified]
            problems.append(f"{path}: {count} unjustified function-local imports (at most {allowed}): import at module "
                            f"level, or say why with `{MARK} <reason>`:\n    " + "\n    ".join(listed))
    assert not problems, "\n".join(problems)


def test_the_pending_table_only_goes_down():
    """A file converted further lowers its entry, so that the ratchet holds at the new count."""
    counts = unjustified_by_file()
    stale = [f"{path}: PENDING says {allowed}, there are {counts.get(path, 0)}: lower it"
             for path, allowed in sorted(PENDING.items()) if counts.get(path, 0) < allowed]
    assert not stale, "\n".join(stale)


def test_the_scanner_finds_what_it_must():
    source = '''
from __future__ import annotations
import os
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from conformance.crypto import Backend
try:
    import tomllib
except ImportError:
    tomllib = None

class C:
    import json

    def method(self):
        import json as j  # local: start-up of the command
        from . import sibling
        return lambda: __import__("x")

def plots():
    import matplotlib.pyplot
    import numpy as np, re
    # local: the suite stack loads only with --smev-participant
    from conformance.suites import engine
    from conformance.suites import (
        model,
    )

    from rich.table import Table
    x = 1
    from conformance.bus import server
    if True:
        from conformance.rules import engine as e2  # a comment, but no reason

def late():
    # local:
    import shutil
    def inner():
        import sim.runner
'''
    found = {(i.line, i.module): i.justified for i in local_imports(source, "x.py", "conformance.cli")}
    assert found == {
        (16, "json"): True,
        (17, "conformance.cli"): False,  # a trailing mark justifies its own statement only
        (21, "matplotlib.pyplot"): True,
        (22, "numpy,re"): False,  # one module of the statement is not allowed
        (24, "conformance.suites"): True,
        (25, "conformance.suites"): True,  # the same block under the comment
        (29, "rich.table"): True,  # a blank line between two groups of one block (isort's) keeps the block
        (31, "conformance.bus"): False,  # other code ends it
        (33, "conformance.rules"): False,
        (37, "shutil"): False,  # a mark without a reason justifies nothing
        (39, "sim.runner"): False,
    }


def test_a_new_unjustified_import_fails_the_check(monkeypatch, tmp_path):
    (tmp_path / "conformance").mkdir()
    (tmp_path / "conformance" / "m.py").write_text("def f():\n    import json\n    return json\n")
    (tmp_path / "sim").mkdir()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PENDING", {})
    try:
        test_every_function_local_import_is_justified()
    except AssertionError as exc:
        assert "conformance/m.py:2: json" in str(exc)
    else:
        raise AssertionError("an unjustified local import passed the check")


if __name__ == "__main__":
    everything = [i for top in ("conformance", "sim", "tests") for i in scan(top)]
    by_top = Counter(i.path.split("/")[0] for i in everything)
    bad = [i for i in everything if not i.justified and i.path.split("/")[0] in CHECKED]
    print(f"function-local imports: {len(everything)} ({', '.join(f'{k} {v}' for k, v in sorted(by_top.items()))}); "
          f"unjustified in {'/'.join(CHECKED)}: {len(bad)}")
    if "--list" in sys.argv:
        for i in bad:
            print(f"  {i.path}:{i.line}: {i.module}")
        print("PENDING = {")
        for path, count in sorted(Counter(i.path for i in bad).items()):
            print(f'    "{path}": {count},')
        print("}")
