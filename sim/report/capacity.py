"""The reports of `smev-sim capacity`, drawn from its capacity.json document alone: the metrics plot (each SLO's
metric and every p99 against the first parameter, intervals as error bars, thresholds drawn), the grid's heat-map
(the verdict per cell, and each metric per cell against its threshold), the grid as rows for a table, and
capacity.html (jinja2, autoescape)."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap, LogNorm, Normalize
from matplotlib.ticker import MaxNLocator

from sim.report.format import fmt, unit_of
from sim.report.html import templates
from sim.report.plots import DPI, plt

COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "INCONCLUSIVE": "#d4a72c"}
MARKS = {"PASS": "", "FAIL": " ✗", "INCONCLUSIVE": " ?"}
SHORT = {"PASS": "PASS", "FAIL": "FAIL", "INCONCLUSIVE": "INCONCL."}
HEATMAP_COLUMNS = 3


def panels(document: dict[str, Any]) -> list[dict[str, Any]]:
    """What is plotted per setting: every SLO's metric (with its threshold), then each p99 no SLO names (without)."""
    points = document["points"]
    out: list[dict[str, Any]] = []
    for s in points[0]["slos"] if points else []:
        threshold = fmt(s["threshold"], unit_of(s["metric"]))
        out.append({"key": s["name"], "title": f"{s['name']}: {s['metric']} {s['op']} {threshold}",
                    "metric": s["metric"], "threshold": s["threshold"]})
    named = {p["metric"] for p in out}
    for metric in sorted({m for p in points for m in p.get("p99", {})} - named):
        out.append({"key": metric, "title": metric, "metric": metric, "threshold": None})
    return out


def cell(point: dict[str, Any], panel: dict[str, Any]) -> dict[str, Any]:
    """One panel's value at a setting: mean, low, high (None when not measured), unbounded, verdict (None for a
    metric no SLO names)."""
    for s in point["slos"] if panel["threshold"] is not None else ():  # an SLO's panel, by the SLO's name
        if s["name"] == panel["key"]:
            return {"mean": s["mean"], "low": s["low"], "high": s["high"], "unbounded": s.get("unbounded", False),
                    "verdict": s["verdict"]}
    iv = point.get("p99", {}).get(panel["metric"], {})
    return {"mean": iv.get("mean"), "low": iv.get("ci_low"), "high": iv.get("ci_high"),
            "unbounded": iv.get("unbounded", False), "verdict": None}


def lead(document: dict[str, Any], shown: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The panel a table of the grid shows in its cells: the first SLO not met somewhere (it decides), else the
    first panel."""
    for panel in shown:
        if any(cell(p, panel)["verdict"] not in (None, "PASS") for p in document["points"]):
            return panel
    return shown[0] if shown else None


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _others(document: dict[str, Any], x_name: str) -> list[str]:
    return [k for k in document["parameters"] if k != x_name]


def plot_metrics(document: dict[str, Any]) -> bytes | None:
    """`metrics_figure` as PNG (None when there is nothing to plot)."""
    fig = metrics_figure(document)
    return _png(fig) if fig is not None else None


def metrics_figure(document: dict[str, Any]) -> Any:
    """One panel per SLO and per unnamed p99: the metric's mean and 95 % interval (error bars) against the first
    parameter, one line per value of the other parameters, each point coloured by its verdict, the threshold
    dashed. A point beyond every deadline (unanswered requests) is a triangle at the top."""
    shown = panels(document)
    points = sorted(document["points"], key=lambda p: tuple(p["setting"].values()))
    if not shown or not points:
        return None
    x_name = document["parameters"][0]
    others = _others(document, x_name)
    fig, axes = plt.subplots(len(shown), 1, figsize=(7.5, 2.7 * len(shown)), squeeze=False)
    groups = sorted({tuple(p["setting"][k] for k in others) for p in points})
    for ax, panel in zip(axes[:, 0], shown, strict=True):
        unit = unit_of(panel["metric"])
        finite = [c["mean"] for p in points if (c := cell(p, panel))["mean"] is not None]
        top = max(finite + ([panel["threshold"]] if panel["threshold"] is not None else []), default=1.0)
        for group in groups:
            sel = [p for p in points if tuple(p["setting"][k] for k in others) == group]
            xs, ys, err_lo, err_hi, colours, beyond = [], [], [], [], [], []
            for p in sel:
                c = cell(p, panel)
                if c["mean"] is None:
                    if c["unbounded"]:
                        beyond.append(p["setting"][x_name])
                    continue
                xs.append(p["setting"][x_name])
                ys.append(c["mean"])
                err_lo.append(max(0.0, c["mean"] - (c["low"] if c["low"] is not None else c["mean"])))
                err_hi.append(max(0.0, (c["high"] if c["high"] is not None else c["mean"]) - c["mean"]))
                colours.append(COLOURS.get(c["verdict"] or "", "#555555"))
            label = ", ".join(f"{k.rsplit('.', 1)[-1]} = {v:g}" for k, v in zip(others, group, strict=True)) or None
            line = ax.errorbar(xs, ys, yerr=[err_lo, err_hi], fmt="-", color=None if others else "grey",
                               alpha=0.7, capsize=3, label=label)
            ax.scatter(xs, ys, c=colours, zorder=3, s=22)
            if beyond:
                ax.scatter(beyond, [top * 1.15] * len(beyond), marker="^", color=line[0].get_color(), zorder=3,
                           label="beyond every deadline" if not others else None)
        if panel["threshold"] is not None:
            ax.axhline(panel["threshold"], color="#cf222e", linestyle="--", linewidth=1,
                       label=f"threshold {fmt(panel['threshold'], unit)}")
        positive = [v for v in finite if v > 0]
        if positive and max(positive + [top]) > 20 * min(positive):
            ax.set_yscale("log")  # an overloaded point would flatten the others
        ax.set_title(panel["title"], fontsize=9)
        ax.set_xlabel(x_name, fontsize=8)
        if all(float(p["setting"][x_name]).is_integer() for p in points):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle("mean and 95 % interval per setting; points green PASS, red FAIL, amber INCONCLUSIVE, grey no SLO",
                 fontsize=8)
    fig.tight_layout()
    return fig


def facets(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The grid as 2-D tables: x the first parameter, y the second (or none), one table per value of the others.
    Each: `title`, `xs`, `ys`, `rows` (y value, [point or None per x])."""
    params = document["parameters"]
    xk = params[0]
    yk = params[1] if len(params) > 1 else None
    rest = params[2:]
    points = document["points"]
    xs = sorted({p["setting"][xk] for p in points})
    ys = sorted({p["setting"][yk] for p in points}) if yk else [None]
    out = []
    for combo in sorted({tuple(p["setting"][k] for k in rest) for p in points}):
        at = {(p["setting"][xk], p["setting"][yk] if yk else None): p for p in points
              if tuple(p["setting"][k] for k in rest) == combo}
        title = ", ".join(f"{k} = {v:g}" for k, v in zip(rest, combo, strict=True))
        out.append({"title": title, "x": xk, "y": yk, "xs": xs, "ys": ys,
                    "rows": [(y, [at.get((x, y)) for x in xs]) for y in reversed(ys)]})
    return out


def plot_heatmap(document: dict[str, Any]) -> bytes | None:
    """`heatmap_figure` as PNG (None when the document is not a grid)."""
    fig = heatmap_figure(document)
    return _png(fig) if fig is not None else None


def heatmap_figure(document: dict[str, Any]) -> Any:
    """For a grid: per facet (values of the parameters beyond the first two), the verdict of every cell, then one
    heat-map per panel (`panels`): the metric's mean per cell in colour with the threshold marked on the colour bar,
    each cell labelled with its mean and, for an SLO, ✗ where it fails and ? where its interval straddles."""
    if document["kind"] != "grid" or len(document["parameters"]) < 2:
        return None
    shown = panels(document)
    tables = facets(document)
    per_table = 1 + len(shown)
    ncols = min(HEATMAP_COLUMNS, per_table)
    nrows = -(-per_table // ncols)
    first = tables[0]
    w, h = 0.9 * len(first["xs"]) + 2.4, 0.55 * len(first["ys"]) + 1.7
    fig, axes = plt.subplots(nrows * len(tables), ncols, figsize=(w * ncols, h * nrows * len(tables)),
                             squeeze=False)
    flat, block = list(axes.flat), nrows * ncols
    codes = {"FAIL": 0, "INCONCLUSIVE": 1, "PASS": 2}
    for t_index, table in enumerate(tables):
        row = flat[t_index * block: t_index * block + per_table]
        for ax in flat[t_index * block + per_table: (t_index + 1) * block]:
            ax.set_visible(False)
        xs, ys = table["xs"], [y for y, _ in table["rows"]][::-1]
        grid_rows = [cells for _, cells in table["rows"]][::-1]  # ascending y, for origin="lower"
        verdicts = np.full((len(ys), len(xs)), np.nan)
        for i, cells in enumerate(grid_rows):
            for j, p in enumerate(cells):
                if p is not None:
                    verdicts[i, j] = codes[p["verdict"]]
                    row[0].text(j, i, SHORT[p["verdict"]], ha="center", va="center", fontsize=7, color="white")
        row[0].imshow(verdicts, cmap=ListedColormap([COLOURS["FAIL"], COLOURS["INCONCLUSIVE"], COLOURS["PASS"]]),
                      vmin=-0.5, vmax=2.5, origin="lower", aspect="auto")
        row[0].set_title("verdict (every SLO)" + (f"\n{table['title']}" if table["title"] else ""), fontsize=8)
        for ax, panel in zip(row[1:], shown, strict=True):
            unit = unit_of(panel["metric"])
            values = np.full((len(ys), len(xs)), np.nan)
            for i, cells in enumerate(grid_rows):
                for j, p in enumerate(cells):
                    if p is None:
                        continue
                    c = cell(p, panel)
                    text = "∞" if c["unbounded"] else fmt(c["mean"], unit) if c["mean"] is not None else "—"
                    if c["mean"] is not None:
                        values[i, j] = c["mean"]
                    ax.text(j, i, text + MARKS.get(c["verdict"] or "", ""), ha="center", va="center", fontsize=6.5,
                            color="black", bbox={"facecolor": "white", "alpha": 0.6, "lw": 0, "pad": 1})
            known = values[np.isfinite(values)]
            marks = list(known) + ([panel["threshold"]] if panel["threshold"] is not None else [])
            lo, hi = (min(marks), max(marks)) if marks else (0.0, 1.0)
            norm = (LogNorm(lo, hi) if lo > 0 and hi > 20 * lo else Normalize(lo, hi if hi > lo else lo + 1.0))
            image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis", norm=norm, origin="lower", aspect="auto")
            bar = fig.colorbar(image, ax=ax, fraction=0.08)
            bar.ax.tick_params(labelsize=6)
            if panel["threshold"] is not None:
                bar.ax.axhline(panel["threshold"], color="#cf222e", linewidth=2)
                bar.ax.text(1.05, panel["threshold"], " threshold", color="#cf222e", fontsize=6,
                            transform=bar.ax.get_yaxis_transform(), va="center")
            ax.set_title(panel["title"] + (f"\n{table['title']}" if table["title"] else ""), fontsize=8)
        for ax in row:
            ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs], fontsize=7)
            ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys], fontsize=7)
            ax.set_xlabel(table["x"], fontsize=7)
            ax.set_ylabel(table["y"], fontsize=7)
    fig.tight_layout()
    return fig


def b64(png: bytes | None) -> str | None:
    return base64.b64encode(png).decode("ascii") if png is not None else None


def render_capacity_html(document: dict[str, Any], metrics_png: bytes | None, heatmap_png: bytes | None) -> str:
    """capacity.html: the answer, the grid as tables coloured by verdict, every setting's SLOs with intervals,
    and the plots, from the capacity.json document."""
    shown = panels(document)
    rows = []
    for p in sorted(document["points"], key=lambda p: tuple(p["setting"].values())):
        rows.append({"point": p, "cells": [(panel, cell(p, panel)) for panel in shown]})
    found = bool(document["found"])
    return templates().get_template("capacity.html.j2").render(
        doc=document, outcome="pass" if found else "fail",
        headline=("ANSWER: " if found else "NO ANSWER: ") + document["note"],
        meta=[("scenario", document["scenario"]), ("source", document.get("source")), ("seed", document["seed"]),
              ("search", document["kind"]), ("parameters", ", ".join(document["parameters"])),
              ("replications per setting", f"{document['replications']}, up to {document['max_replications']} "
                                           "while inconclusive")],
        panels=shown, rows=rows, facets=facets(document) if document["kind"] == "grid" else [],
        first=lead(document, shown), cell=cell, metrics_plot=b64(metrics_png), heatmap=b64(heatmap_png),
        scaleout=document.get("scaleout", []))


def grid_rows(document: dict[str, Any]) -> list[tuple[str, list[list[str]]]]:
    """The grid for a terminal: per facet, a header row (y \\ x values) and one row per y value, each cell the
    verdict and the first SLO's mean."""
    first = lead(document, panels(document))
    out = []
    for table in facets(document):
        head = [f"{(table['y'] or '').rsplit('.', 1)[-1]} \\ {table['x'].rsplit('.', 1)[-1]}",
                *(f"{x:g}" for x in table["xs"])]
        body = []
        for y, cells in table["rows"]:
            line = [f"{y:g}" if y is not None else ""]
            for p in cells:
                if p is None:
                    line.append("")
                    continue
                text = p["verdict"]
                if first is not None:
                    c = cell(p, first)
                    text += " " + ("∞" if c["unbounded"] else fmt(c["mean"], unit_of(first["metric"])))
                line.append(text)
            body.append(line)
        out.append((table["title"], [head, *body]))
    return out
