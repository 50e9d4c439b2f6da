"""The import contract of pyproject.toml ([tool.importlinter]: layers that only point down, sim on conformance's ground
floor, no circles) holds, so `make test` keeps the house as docs/architecture.md draws it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if found is None:
        pytest.skip("import-linter is not installed (it is in the `test` extra: pip install -e '.[test]')")
    return found


def test_the_import_contract_is_kept():
    done = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_contract_names_every_top_level_package():
    """A new package must be placed in a layer: an unplaced one would escape the layers contract unnoticed."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {c["id"]: c for c in config["contracts"]}
    for top in ("conformance", "sim"):
        placed = {name.strip() for layer in contracts[f"{top}-layers"]["layers"]
                  for name in layer.replace(":", "|").split("|")}
        present = {p.stem if p.is_file() else p.name for p in (ROOT / top).iterdir()
                   if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
        assert present <= placed, f"{top}: place {sorted(present - placed)} in a layer of pyproject.toml"
