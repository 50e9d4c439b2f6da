"""Check scenario files without running them: every problem is listed as FILE:LINE: path.to.field: what is wrong.

Prints "FILE: ok" and a one-line summary for each valid file, and a note for each provider (or the bus) whose
offered load at the daily peak exceeds its capacity (not an error: an overload may be the point of a scenario).
Values that cannot be simulated (a rate, duration, size or count beyond the bounds in `sim.scenario.fields`) are
errors with their line; a run estimated to take long (`sim.scenario.estimate`) gets a warning with the estimate.
`--explain` prints every field of the schema with its default. Exit 0 when every file is valid, 2 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from sim.errors import ScenarioError, SimError

HELP = "check scenario files (units, references, every field) without running them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="scenario YAML files")
    parser.add_argument("--explain", action="store_true", help="print every field of the schema with its default")


def _clock(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.3g} days"
    if seconds >= 7200:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.3g} min"


def run(args: argparse.Namespace) -> int:
    # local: start-up: the scenario layer (YAML, schema, models: a third of a second) loads only when files are checked
    from sim.scenario import load
    from sim.scenario.capacity import overloads
    from sim.scenario.estimate import estimate
    from sim.scenario.schema import explain

    if args.explain:
        print(explain())
        if not args.files:
            return 0
    if not args.files:
        raise SimError("give at least one scenario FILE (or --explain)")
    status = 0
    for path in args.files:
        try:
            scenario = load(path)
        except ScenarioError as exc:
            status = 2
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        print(f"{path}: ok: {scenario.name}: {scenario.summary()}")
        for over in overloads(scenario):
            print(f"{path}: note: {over.component} is offered {over.utilisation:.0%} of its capacity at the peak "
                  f"({over.busy:.4g} busy of {over.capacity} workers); queues will grow")
        work = estimate(scenario)
        if work.long:
            print(f"{path}: warning: a long run: one replication simulates up to {work.messages:.3g} messages "
                  f"(~{work.events:.3g} events) and {work.background_jobs:.3g} background jobs, about "
                  f"{_clock(work.wall_s)} on one core, {work.replications} replications; shorten run.duration, "
                  "lower run.tagged_share, or guard the run with `smev-sim run --max-events`", file=sys.stderr)
    return status
