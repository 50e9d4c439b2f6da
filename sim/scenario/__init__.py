"""Scenarios: the YAML schema, units, distributions, loading with line-accurate errors.

`load(path)` and `loads(text, source=...)` return a validated `sim.scenario.model.Scenario` or raise
`sim.errors.ScenarioError` listing every problem as `FILE:LINE: path.to.field: what is wrong`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.model import Scenario

__all__ = ["load", "loads"]


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    from sim.scenario.loader import load_file

    return load_file(path)


def loads(text: str, source: str = "<string>") -> Scenario:
    """Validate scenario text; `source` names it in error messages."""
    from sim.scenario.loader import load_text

    return load_text(text, source)
