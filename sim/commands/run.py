"""Run a scenario: independent replications (warm-up removed), 95 % confidence intervals for every SLO metric,
an optional precision loop and sweep; prints a verdict table and writes DIR/report.json and DIR/report.html.

Replications and sweep points run in this process, on a local process pool (`--workers N`, spawn start), or on a
Dask distributed cluster (`--scheduler tcp://HOST:8786`, or `--scheduler local` for a LocalCluster); the same seed
gives the same numbers every way, and a replication that fails stops the run naming it (exit 2).

Each SLO gets a verdict on its whole 95 % interval: PASS (the interval satisfies it), FAIL (it violates it, or
nothing was measured), INCONCLUSIVE (it straddles the threshold: more replications, `--precision`, would decide).
Exit status: 0 every SLO passes, 1 some SLO fails, 3 none fails but some is inconclusive, 2 the scenario or the
command line is unusable (also a replication stopped by `--max-events`). `--junit FILE` writes the verdicts as JUnit
(an inconclusive SLO is a skipped case), `--stations` prints the per-station table (utilisation, throughput, waits,
queue lengths: as JMT gives them). Progress goes to standard error: a bar in a terminal, plain lines every 30 s in
a log, with the time left.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.commandline import count, positive_number
from sim.commands import options
from sim.errors import SimError
from sim.report.format import fmt, unit_of
from sim.scenario.fields import MAX_REPLICATIONS

HELP = "run a scenario's replications and report SLO verdicts with confidence intervals"
DEFAULT_OUT = Path("reports/sim")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_common(parser, DEFAULT_OUT)
    parser.add_argument("--replications", "-n", type=count(maximum=MAX_REPLICATIONS), metavar="N",
                        help="independent replications (at least 2 run; default: the scenario's run.replications)")
    parser.add_argument("--precision", type=options.fraction, metavar="P",
                        help="add replications until every SLO interval's relative half-width is within P "
                             "(e.g. 5%%), up to --max-replications")
    parser.add_argument("--max-replications", type=count(maximum=MAX_REPLICATIONS), metavar="M",
                        help="cap of the precision loop (default: the scenario's run.max_replications)")
    parser.add_argument("--traffic-scale", type=positive_number, metavar="X", help="multiply every arrival rate by X")
    parser.add_argument("--audit", action="store_true",
                        help="write the audit trail of every hop to DIR/audit/ (one file per replication)")
    parser.add_argument("--workers", "-j", type=count(), metavar="W",
                        help="run replications and sweep points in W local processes (spawn start; same numbers as "
                             "1; default 1), or with --scheduler local, in a LocalCluster of W workers "
                             "(default: one per CPU)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run replications and sweep points on the Dask distributed cluster whose scheduler is "
                             "at ADDRESS (e.g. tcp://10.0.0.5:8786; its workers need this package installed), or "
                             "`local` to start a LocalCluster for this run; same numbers as one process")
    parser.add_argument("--junit", type=Path, metavar="FILE",
                        help="also write the SLO verdicts as JUnit XML (one testcase per SLO; inconclusive = skipped)")
    parser.add_argument("--stations", action="store_true",
                        help="print every service centre's utilisation, throughput, mean/p99 wait and queue lengths")
    parser.add_argument("--max-events", type=count(), metavar="N",
                        help="stop a replication that processes more than N events, with a clear message (exit 2); "
                             "default: the scenario's run.max_events, else no limit")


MAX_STATIONS_PRINTED = 25
_VERDICT_MARKUP = {"pass": "[green]PASS[/]", "fail": "[bold red]FAIL[/]", "inconclusive": "[yellow]INCONCLUSIVE[/]"}


def _interval_text(s: dict[str, Any], unit: str) -> str:
    high = "∞ (unanswered)" if s.get("unbounded") else fmt(s["ci_high"], unit)
    return f"[{fmt(s['ci_low'], unit)}, {high}]"


def _print_verdicts(console: Any, report: dict[str, Any], out: Path, junit: Path | None) -> None:
    from rich.table import Table  # local: start-up: rich's tables load only when a run has ended

    sweep = report.get("sweep")
    table = Table(title=f"{report['scenario']}: SLO verdicts ({report['replications']} replications, "
                        f"seed {report['seed']})")
    columns = ["verdict", "SLO", "requirement", "mean", "95 % interval"] + (["point"] if sweep else [])
    for col in columns:
        table.add_column(col, no_wrap=col != "requirement", overflow="fold")
    for s in report["slos"]:
        unit = unit_of(s["metric"])
        mean = "beyond every deadline" if s.get("unbounded") else fmt(s["mean"], unit)
        row = [_VERDICT_MARKUP[s["verdict"]], s["name"], f"{s['metric']} {s['op']} {fmt(s['threshold'], unit)}",
               mean, _interval_text(s, unit)]
        if sweep:
            row.append(", ".join(f"{v}" for v in s.get("point", {}).values()) or "sweep")
        table.add_row(*row)
    if report["slos"]:
        console.print(table)
    else:
        console.print("the scenario states no SLOs")
    v = report["volume"]
    m = report["messages"]
    if v["sampled"]:
        full = v["full_volume_per_replication"]
        console.print(f"full volume per replication (estimated from a {fmt(v['tagged_share'], 'share')} sample): "
                      f"sent {fmt(round(full['sent']))}, delivered {fmt(round(full['delivered']))}, expired "
                      f"{fmt(round(full['expired']))}, rejected {fmt(round(full['rejected']))}, lost "
                      f"{fmt(round(full['lost']))}; {fmt(v['full_volume_sent_per_s'])} messages/s", highlight=False)
        label = f"simulated sample, {v['replications']} replications together"
    else:
        label = f"{v['replications']} replications together"
    if v.get("participants") is not None:
        console.print(f"participants in the topology: {fmt(v['participants'])}", highlight=False)
    console.print(f"messages ({label}): sent {fmt(m['sent'])}, delivered {fmt(m['delivered'])}, in flight "
                  f"{fmt(m['in_flight'])}, expired {fmt(m['expired'])}, rejected {fmt(m['rejected'])}, lost "
                  f"{fmt(m['lost'])}, duplicates delivered {fmt(m['duplicates'])}", highlight=False)
    _print_counters(console, v)
    points = report.get("points", [])
    for index, p in enumerate(points):
        w = p.get("warmup")
        if w:
            where = f" (point {index + 1})" if len(points) > 1 else ""
            how = "found by MSER-5" if w["mode"] == "auto" else "configured"
            console.print(f"warm-up excluded{where}, {how}, per replication: "
                          f"{', '.join(fmt(x, 's') for x in w['applied_s'])}", highlight=False)
    ll = report["littles_law"]["max_relative_error"]
    note = " (large: queues still growing at the end, not a steady state)" if ll is not None and ll > 0.1 else ""
    console.print(f"Little's law L = λW: max relative error {fmt(ll)}{note}", highlight=False)
    for p in report.get("precision") or []:
        if p and not p["reached"]:
            console.print(f"[yellow]precision {fmt(p['target'], 'share')} not reached at the cap of {p['cap']} "
                          "replications[/]")
    for warning in report.get("warnings", []):
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if sweep and sweep.get("efficiency_note"):
        console.print(f"scale-out efficiency over {sweep['parameter']}: not shown: {sweep['efficiency_note']}",
                      highlight=False, markup=False)
    elif sweep and sweep["scaleout_efficiency"]:
        e = sweep["scaleout_efficiency"]
        console.print(f"scale-out efficiency over {sweep['parameter']}: {fmt(e['mean'])} "
                      f"[{fmt(e['ci_low'])}, {fmt(e['ci_high'])}]", highlight=False, markup=False)
    extra = f", {junit}" if junit is not None else ""
    console.print(f"{_VERDICT_MARKUP[report['verdict']]}  report: {out / 'report.json'}, {out / 'report.html'}{extra}")


def _print_counters(console: Any, volume: dict[str, Any]) -> None:
    """The model's labelled counters per replication, at full volume when the run is sampled; zero ones left out."""
    key = "full_volume_per_replication"
    shown = [(n, c) for n, c in (volume.get("counters") or {}).items() if c[key]]
    if not shown:
        return
    where = " at full volume" if volume["sampled"] else ""
    text = "; ".join(f"{c['label']} {fmt(c[key])}" for _n, c in shown)
    console.print(f"per replication{where}: {text}", highlight=False, markup=False)


def _print_stations(console: Any, report: dict[str, Any]) -> None:
    from rich.table import Table  # local: start-up: rich's tables load only when a run has ended

    for point in report["points"]:
        title = "stations" + (f" at {report['sweep']['parameter']} = {point['value']}" if report.get("sweep") else "")
        if report["volume"]["sampled"]:
            title += " (counts at full volume, waits from the simulated sample)"
        stations = sorted(point["stations"].items(), key=lambda kv: (-(kv[1]["utilisation"]["mean"] or 0.0), kv[0]))
        if len(stations) > MAX_STATIONS_PRINTED:
            title += f": the {MAX_STATIONS_PRINTED} busiest of {len(stations)} (all in report.json and report.html)"
        table = Table(title=title + "; mean ± 95 % half-width")
        for col in ("station", "kind", "servers", "utilisation", "throughput/s", "mean wait", "p99 wait",
                    "mean jobs", "mean queue", "max queue", "Little err"):
            table.add_column(col, no_wrap=col != "station", overflow="fold")
        for name, st in stations[:MAX_STATIONS_PRINTED]:
            def iv(key: str, unit: str = "", st: dict[str, Any] = st) -> str:
                d = st[key]
                if d["mean"] is None:
                    return "—"
                if d["ci_low"] is None:
                    return fmt(d["mean"], unit)
                return f"{fmt(d['mean'], unit)} ±{fmt((d['ci_high'] - d['ci_low']) / 2, unit)}"
            table.add_row(name, st["kind"], fmt(st["servers"]), iv("utilisation", "share"), iv("throughput_per_s"),
                          iv("wait_mean", "s"), iv("wait_p99", "s"), iv("in_station_mean"), iv("queue_mean"),
                          fmt(st["queue_max"]), fmt(st["littles_law_error"]["max"]))
        console.print(table)


def run(args: argparse.Namespace) -> int:
    # local: start-up: the console, the reports (matplotlib) and the runner (scipy, dask) load only when a run starts
    from conformance.console import make_console
    from sim.report.html import render_html
    from sim.report.jsonreport import build_report, write_report
    from sim.report.junit import write_junit
    from sim.runner.executors import LOCAL, open_executor

    if args.audit and args.scheduler not in (None, LOCAL):
        raise SimError("--audit writes one file per replication where the replication runs, which on a remote "
                       "cluster is the workers' disks: use --workers or --scheduler local for an audited run")
    scenario = options.load_scenario(args)
    out = options.out_dir(args, DEFAULT_OUT, scenario)
    audit_dir = out / "audit" if args.audit else None
    points = len(scenario.run.sweep.values) if scenario.run.sweep is not None else 1

    console = make_console()
    target = args.precision if args.precision is not None else scenario.run.precision
    cap = None
    if target is not None:
        cap = args.max_replications if args.max_replications is not None else scenario.run.max_replications
    with open_executor(args.workers, args.scheduler) as map_fn, \
            options.progress(args.quiet, scenario, points, cap, args.workers or 1) as hooks:
        result = _execute(scenario, args, audit_dir, map_fn, hooks)
    report = build_report(result)
    out.mkdir(parents=True, exist_ok=True)
    write_report(report, out / "report.json")
    (out / "report.html").write_text(render_html(report), encoding="utf-8")
    if args.junit is not None:
        write_junit(report, args.junit)
    if args.stations:
        _print_stations(console, report)
    _print_verdicts(console, report, out, args.junit)
    return int(report["exit_code"])


def _execute(scenario: Any, args: argparse.Namespace, audit_dir: Path | None, map_fn: Any, hooks: Any) -> Any:
    # local: start-up: the runner loads scipy and dask
    from sim.runner import execute
    from sim.runner.executors import describe

    return execute(scenario, seed=args.seed, replications=args.replications, precision=args.precision,
                   max_replications=args.max_replications, audit_dir=audit_dir, map_fn=map_fn, progress=hooks,
                   executor=describe(args.workers, args.scheduler))
