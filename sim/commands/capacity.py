"""Answer a capacity question: the smallest setting of a resource that meets every SLO of the scenario at its
load, the largest load (`run.traffic_scale`) a configuration carries, or the verdict of every cell of a grid.

  smev-sim capacity S.yaml --resource topology.data_centres.moscow-1.bus_nodes=1..12         (smallest, bisection)
  smev-sim capacity S.yaml --load 0.5..4                                                        (largest load)
  smev-sim capacity S.yaml --resource topology.data_centres.moscow-1.bus_nodes=2..6 \\
                           --resource topology.participants.fns.concurrency=16,32,64          (a grid)
  smev-sim capacity S.yaml --resource topology.participants.fns.concurrency=4..8 --load 0.5,1,1.5   (resource x load)

One `--resource PATH=LO..HI` (whole numbers) is searched by bisection (more of a resource never hurts), `--load
LO..HI` by bisection to `--tolerance`. Two or more axes (`--resource` options, and `--load` as a list V1,V2,...)
are a grid: every combination is judged, at most 64 cells (`sim.runner.capacity.MAX_GRID_CELLS`); the answer is the
minimal settings that meet every SLO (per load, when the load is an axis). A PATH is any numeric field of the
scenario (a list may hold any positive numbers, a range whole ones; arrival rates through `--load`); a misspelt one
or a value the field cannot take is refused (with a did-you-mean) before anything runs.

Each setting runs `--replications` replications with common random numbers and is judged on the SLOs' 95 %
intervals: PASS, FAIL, or INCONCLUSIVE (an interval straddles its threshold), which gets more replications,
doubling up to `--max-replications`, and otherwise counts as not shown to meet the SLOs.

Writes DIR/capacity.json, DIR/capacity.html (self-contained), DIR/capacity.png (each SLO's metric and every p99
against the first parameter, intervals as error bars, thresholds drawn) and, for a grid, DIR/heatmap.png (the
verdict per cell and each metric per cell against its threshold); prints the answer (and the grid as a table).
Scale-out efficiency is printed only between points where the smaller one is at capacity. Progress goes to
standard error as for `run`. Exit status: 0 an answer was found, 1 no setting meets the SLOs (or none is shown
to), 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from conformance.commandline import count
from sim.commands import options
from sim.errors import SimError
from sim.scenario.fields import MAX_REPLICATIONS

HELP = "find the smallest resources that meet every SLO, the largest load carried, or judge a grid of settings"
DEFAULT_OUT = Path("reports/capacity")


def _axis(*, load: bool = False) -> Any:
    """The argparse type of `--resource` (PATH=whole numbers) or, with `load`, of `--load` (traffic_scale values)."""
    def parse(text: str) -> Any:
        # local: start-up: sim.runner loads scipy (seconds), which `smev-sim --help` must not wait for
        from sim.runner.capacity import LOAD_PARAMETER, parse_axis

        try:
            return parse_axis(text, LOAD_PARAMETER if load else None, not load)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_common(parser, DEFAULT_OUT, "scenario YAML file (its SLOs are the requirement)")
    parser.add_argument("--resource", "-r", type=_axis(), action="append", default=[], metavar="PATH=LO..HI",
                        help="a parameter to size: a dotted scenario path and a range of whole numbers, or a list "
                             "V1,V2,... (two or more axes: a grid of every combination)")
    parser.add_argument("--load", type=_axis(load=True), metavar="LO..HI",
                        help="the largest traffic_scale in LO..HI the configuration carries; in a grid, a list of "
                             "traffic_scale values V1,V2,...")
    parser.add_argument("--tolerance", type=options.fraction, default=0.05, metavar="T",
                        help="--load: stop when the bracket is within this share of its top (default 5%%)")
    parser.add_argument("--replications", "-n", type=count(2, MAX_REPLICATIONS), default=4, metavar="N",
                        help="replications per setting, common seeds at every setting (default 4)")
    parser.add_argument("--max-replications", type=count(2, MAX_REPLICATIONS), default=16, metavar="M",
                        help="an inconclusive setting gets more replications, doubling, up to M (default 16)")
    parser.add_argument("--workers", "-j", type=count(), metavar="W",
                        help="local processes (default 1); the settings of a grid share them")


def _axes(args: argparse.Namespace) -> list[Any]:
    axes = list(args.resource) + ([args.load] if args.load is not None else [])
    if not axes:
        raise SimError("give at least one --resource PATH=LO..HI, or --load LO..HI")
    return axes


def run(args: argparse.Namespace) -> int:
    # local: start-up: the runner (scipy) and the scenario loader load only when a search runs, not for --help
    from sim.runner.capacity import Axis, Evaluator, check_grid, grid, largest_load, smallest, yaml_value
    from sim.runner.executors import open_executor
    from sim.scenario import with_overrides

    axes = _axes(args)
    if len(axes) > 1:
        cells = check_grid(axes)
    elif args.load is None and not axes[0].is_range:  # one resource given as a list: bisect over its span
        if not axes[0].integer:
            raise SimError(f"{axes[0].path}: one resource is bisected over whole numbers; give two or more axes for "
                           "a grid of other values")
        axes = [Axis(axes[0].path, (), axes[0].lo, axes[0].hi)]
    scenario = options.load_scenario(args)
    if not scenario.slos:
        raise SimError(f"{args.scenario}: the scenario states no SLOs: there is nothing to meet")
    for axis in axes:  # a path that does not exist or a value it cannot take fails here, before any run
        for value in axis.points() if len(axes) > 1 else (axis.lo, axis.hi):
            with_overrides(scenario, {axis.path: yaml_value(value)})
    seed = args.seed if args.seed is not None else scenario.run.seed
    out = options.out_dir(args, DEFAULT_OUT, scenario)
    points = cells if len(axes) > 1 else 1  # a bisection's settings are not known in advance: shown as they come
    with open_executor(args.workers, None) as map_fn, \
            options.progress(args.quiet, scenario, points, args.max_replications, args.workers or 1) as hooks:
        judge = Evaluator(scenario, seed, args.replications, args.max_replications, map_fn, progress=hooks)
        if len(axes) > 1:
            answer = grid(axes, judge)
        elif args.load is not None:
            answer = largest_load(args.load, judge, args.tolerance)
        else:
            answer = smallest(axes[0], judge)
    document = {"scenario": scenario.name, "source": str(args.scenario), "seed": seed,
                "replications": args.replications, "max_replications": judge.max_replications, **answer.to_dict()}
    _write(document, answer, out)
    _print(document, answer, out)
    return 0 if answer.found else 1


def _write(document: dict[str, Any], answer: Any, out: Path) -> None:
    # local: start-up: the plots (matplotlib) and the runner (scipy) load only when a search has run
    from sim.report.capacity import plot_heatmap, plot_metrics, render_capacity_html
    from sim.runner.capacity import scaleout_lines

    document["scaleout"] = scaleout_lines(answer)
    out.mkdir(parents=True, exist_ok=True)
    (out / "capacity.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    metrics_png, heatmap_png = plot_metrics(document), plot_heatmap(document)
    for name, png in (("capacity.png", metrics_png), ("heatmap.png", heatmap_png)):
        if png is not None:
            (out / name).write_bytes(png)
        else:
            (out / name).unlink(missing_ok=True)  # a plot of an earlier answer in this directory
    (out / "capacity.html").write_text(render_capacity_html(document, metrics_png, heatmap_png), encoding="utf-8")


def _print(document: dict[str, Any], answer: Any, out: Path) -> None:
    # local: start-up: rich, the plots (matplotlib) and the runner (scipy) load only when a search has run
    from rich.table import Table

    from conformance.console import make_console
    from sim.report.capacity import grid_rows
    from sim.runner.capacity import setting_text

    console = make_console()
    if answer.kind == "grid":
        for title, (head, *body) in grid_rows(document):
            table = Table(title=f"{document['scenario']}: verdict per cell" + (f" at {title}" if title else ""))
            for col in head:
                table.add_column(col, no_wrap=True)
            for line in body:
                table.add_row(*line)
            console.print(table)
    console.print(f"{document['scenario']}: {answer.note}", markup=False)
    for setting in answer.found:
        console.print(f"  answer: {setting_text(setting)}", markup=False)
    for line in document["scaleout"]:
        console.print(line, markup=False)
    files = [out / name for name in ("capacity.json", "capacity.html", "capacity.png", "heatmap.png")
             if (out / name).exists()]
    console.print("report: " + ", ".join(str(f) for f in files), markup=False)
