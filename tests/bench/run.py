"""Run every benchmark module `tests/bench/bench_*.py` and write `reports/bench/bench.json`.

A benchmark module defines `run(quick: bool = False) -> dict[str, Figure]` where a figure is a number or a dict with
`value`, `unit` and, when it has one, the `baseline` measured in the same run and the `ratio` to it. Machines here are
noisy, so ratios against a baseline of the same run are the figures that mean something; absolute numbers are context.

Usage: python tests/bench/run.py [--quick] [--only NAME] [--output FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def discover(only: str | None) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [p for p in found if only in p.stem]
    return found


def load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalise(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, fig in figures.items():
        out[name] = dict(fig) if isinstance(fig, dict) else {"value": fig}
    return out


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for dist in ("smev-tools", "simpy", "lxml", "gostcrypto", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            found[dist] = version(dist)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    parser.add_argument("--only", help="run only benchmarks whose module name contains this")
    parser.add_argument("--output", default=str(ROOT / "reports" / "bench" / "bench.json"))
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    results: dict[str, Any] = {}
    failed = False
    for path in discover(args.only):
        name = path.stem.removeprefix("bench_")
        started = time.perf_counter()
        try:
            figures = normalise(load(path).run(quick=args.quick))
            results[name] = {"figures": figures, "wall_s": round(time.perf_counter() - started, 3)}
        except Exception as exc:  # a failing benchmark is reported, and fails the run, but does not hide the others
            failed = True
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}

    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(),
        "benchmarks": results,
    }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(results)
    print(f"written {out}")
    return 1 if failed else 0


def print_table(results: dict[str, Any]) -> None:
    from rich.table import Table

    from conformance.console import make_console

    table = Table(title="Benchmarks (ratios are against a baseline measured in the same run)")
    for col in ("benchmark", "figure", "value", "unit", "baseline", "ratio"):
        table.add_column(col)
    for name, result in results.items():
        if "error" in result:
            table.add_row(name, "[red]error[/red]", result["error"], "", "", "")
            continue
        for fig_name, fig in result["figures"].items():
            table.add_row(name, fig_name, _fmt(fig.get("value")), str(fig.get("unit", "")),
                          _fmt(fig.get("baseline")), _fmt(fig.get("ratio")))
    make_console().print(table)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
