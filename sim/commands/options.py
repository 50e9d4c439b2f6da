"""What the commands that run a scenario share: the argument types (each refuses bad input with a one-line reason,
argparse's exit 2), the options every such command takes, the scenario with the command line's overrides, and the
progress front end (a rich bar in a terminal, plain lines in a log)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.commandline import seed
from conformance.yamlnodes.quantities import UnitError, parse_duration, parse_share
from sim.errors import SimError


def share(text: str) -> float:
    """A share written as in a scenario (`2%` or 0.02), or the unit error as argparse's."""
    try:
        return parse_share(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_share(text: str) -> float:
    value = share(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a share above 0%, got {text!r}")
    return value


def fraction(text: str) -> float:
    """A share strictly between 0 and 100 % (a precision, a tolerance)."""
    value = share(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 100 %, got {text!r}")
    return value


def duration(text: str) -> str:
    try:
        if parse_duration(text) <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive duration, got {text!r}")
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_common(parser: argparse.ArgumentParser, default_out: Path, scenario_help: str = "scenario YAML file") -> None:
    """SCENARIO, --seed, --duration, --tagged-share, --out, --quiet: the options of every command that runs one."""
    parser.add_argument("scenario", metavar="SCENARIO", help=scenario_help)
    parser.add_argument("--seed", "-s", type=seed, metavar="S", help="master seed (default: the scenario's run.seed)")
    parser.add_argument("--duration", "-d", type=duration, metavar="D",
                        help="simulated duration of a replication including warm-up, e.g. 2h (overrides "
                             "run.duration)")
    parser.add_argument("--tagged-share", type=positive_share, metavar="S",
                        help="simulate this share of every flow message by message (e.g. 2%%); the rest is background "
                             "at the stations it loads")
    parser.add_argument("--out", "-o", type=Path, metavar="DIR",
                        help=f"output directory (default: {default_out}/<scenario name>/)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or progress lines")


_OVERRIDES = {"duration": "run.duration", "traffic_scale": "run.traffic_scale", "tagged_share": "run.tagged_share",
              "max_events": "run.max_events"}
"""Command-line options that set a `run` field of the scenario, when the command has them and they are given."""


def load_scenario(args: argparse.Namespace) -> Any:
    """The scenario of `args.scenario` with the command line's `run` overrides applied (ScenarioError, exit 2, on
    a bad file or value)."""
    from sim.scenario import load, with_overrides  # local: start-up: the scenario layer loads after --help

    n, cap = getattr(args, "replications", None), getattr(args, "max_replications", None)
    if n is not None and cap is not None and cap < n:  # else silently max(cap, n) would run
        raise SimError(f"--max-replications {cap} is below --replications {n}")
    scenario = load(args.scenario)
    overrides = {path: getattr(args, name) for name, path in _OVERRIDES.items() if getattr(args, name, None) is not None}
    return with_overrides(scenario, overrides) if overrides else scenario


def out_dir(args: argparse.Namespace, default_out: Path, scenario: Any) -> Path:
    """The output directory, made now: a run that could not write its report is refused before it runs, not after
    hours of simulation (SimError, exit 2). A `--junit` FILE, when the command has one, is checked the same way."""

    out = args.out if args.out is not None else default_out / scenario.name
    junit = getattr(args, "junit", None)
    for flag, folder in (("--out", out), ("--junit", junit.parent if junit is not None else None)):
        try:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SimError(f"{flag} {folder}: cannot make the directory: {exc.strerror}") from None
    if junit is not None and junit.is_dir():
        raise SimError(f"--junit {junit}: is a directory, not a file")
    return out


@contextmanager
def progress(quiet: bool, scenario: Any, points: int, cap: int | None, workers: int) -> Iterator[Any]:
    """The progress hooks of a long command (`sim.runner.orchestrator.Progress`) on standard error, or None when
    `quiet`: a rich bar per point in a terminal, plain lines every 30 s with the time left in a log."""
    if quiet:
        yield None
        return
    # local: start-up: the console, and sim.runner (scipy), load only when a command runs
    from conformance.console import make_console
    from sim.runner.progress import PlainProgress, RichProgress

    err = make_console(stderr=True)
    if err.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("left"), TimeRemainingColumn(), console=err, transient=True) as bar:
            hooks = RichProgress(bar, points, cap, workers)
            yield hooks
            hooks.finished()
        return
    from sim.scenario.estimate import estimate  # local: start-up: the scenario layer loads after --help

    plain = PlainProgress(scenario.name, points, cap, workers, estimate_s=estimate(scenario).wall_s)
    try:
        yield plain
    finally:
        plain.finished()
