"""docs/architecture.md is a map a newcomer can trust: every file, folder and module it names exists, and its picture
of the layers is the import contract of pyproject.toml, package for package and in the same order."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
TEXT = DOC.read_text(encoding="utf-8")
PICTURE = re.search(r"## The layers\n.*?```\n(.*?)```", TEXT, re.S)
PROSE = re.sub(r"```.*?```", "", TEXT, flags=re.S)

# A path: folders and a file with an ending, or a folder with a trailing slash (`rules/live/`, `sim/scenario/fields.py`).
PATH = re.compile(r"^\.?[\w-]+(?:/[\w.-]+)*(?:/|\.(?:py|yaml|toml|j2|md))$|^\.ci/\w+$")
# A module or an attribute of one, spelled from the top package (`conformance.rules.live.ASSERTIONS`).
DOTTED = re.compile(r"^(?:conformance|sim)(?:\.\w+)+$")


def _quoted() -> list[str]:
    return sorted({" ".join(token.split()) for token in re.findall(r"`([^`]+)`", PROSE)})


def _resolves(path: str) -> bool:
    """Whether `path` names a file or folder of the repository, from its root or from a top package (`xmldsig/verifier.py`
    is `conformance/xmldsig/verifier.py`). A bare file name must be at the root: `engine.py` alone says not where."""
    bases = (ROOT, ROOT / "conformance", ROOT / "sim") if "/" in path else (ROOT,)
    return any((base / path).exists() for base in bases)


def _imports(dotted: str) -> bool:
    """Whether `dotted` is a module, or an attribute of the longest module prefix of it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


PATHS = [token for token in _quoted() if PATH.match(token)]
MODULES = [token for token in _quoted() if DOTTED.match(token)]


def test_the_doc_names_paths_and_modules():
    """The extraction itself works: the doc is full of both (a broken pattern would make the tests below vacuous)."""
    assert len(PATHS) >= 40 and "sim/scenario/faultkinds/__init__.py" in PATHS
    assert len(MODULES) >= 5 and "conformance.rules.live.ASSERTIONS" in MODULES
    assert PICTURE is not None


@pytest.mark.parametrize("path", PATHS)
def test_every_path_the_doc_names_exists(path):
    assert _resolves(path), f"docs/architecture.md names `{path}`, which is not in the repository"


@pytest.mark.parametrize("dotted", MODULES)
def test_every_module_the_doc_names_imports(dotted):
    assert _imports(dotted), f"docs/architecture.md names `{dotted}`, which does not import"


def _picture_columns() -> tuple[list[str], list[str]]:
    lines = PICTURE.group(1).splitlines()
    split = lines[0].index("sim/")
    left, right = [], []
    for line in lines[1:]:
        # sim's column starts after two spaces at the header's column; a line that runs on past that column (the ground
        # floor and its arrow, a long description) is conformance's alone.
        if "<-" in line or line[split - 2:split] != "  ":
            parts = ((left, line.split("<-")[0]),)
        else:
            parts = ((left, line[:split]), (right, line[split:]))
        for column, text in parts:
            if text.strip():
                column.append(" | ".join(w.split()[0].rstrip("/") for w in text.split("|")))
    return left, right


def _layers(top: str) -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == f"{top}-layers")
    return [" | ".join(part.strip() for part in layer.split("|")) for layer in contract["layers"]]


def test_the_picture_is_the_import_contract():
    left, right = _picture_columns()
    assert left == _layers("conformance")
    assert [name.removesuffix(".py") for name in right] == _layers("sim")


def test_every_top_level_package_is_in_the_picture():
    left, right = _picture_columns()
    drawn = {"conformance": {n for row in left for n in row.split(" | ")},
             "sim": {n.removesuffix(".py") for n in right}}
    for top, names in drawn.items():
        present = {p.stem if p.is_file() else p.name for p in (ROOT / top).iterdir()
                   if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
        assert present == names, f"{top}: the picture misses {sorted(present - names)}, or names {sorted(names - present)}"
