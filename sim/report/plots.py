"""The report's plots, drawn with matplotlib's Agg backend from report.json data and returned as base64 PNG."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 90
MAX_PARTICIPANTS_PLOTTED = 30
_DEADLINES = {"realtime": 2.0, "async": 48 * 3600.0}
_LABELS = {"realtime": "real-time", "async": "asynchronous"}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _time_unit(duration: float) -> tuple[float, str]:
    if duration >= 3 * 3600:
        return 3600.0, "h"
    if duration >= 180:
        return 60.0, "min"
    return 1.0, "s"


def latency_cdf(cdfs: Sequence[tuple[str, dict[str, Any]]]) -> str | None:
    """Empirical CDF of end-to-end latency per class (one curve per class and sweep point), deadlines marked."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    drawn = set()
    lo, hi = float("inf"), 0.0
    for label, cdf in cdfs:
        edges = cdf["edges"][1:]
        for cls in ("realtime", "async"):
            if not cdf[cls]["total"]:
                continue
            name = _LABELS[cls] + (f" ({label})" if label else "")
            ax.step(edges, cdf[cls]["cdf"], where="post", label=name)
            drawn.add(cls)
            nonzero = [i for i, c in enumerate(cdf[cls]["counts"]) if c]
            lo, hi = min(lo, cdf["edges"][nonzero[0]]), max(hi, cdf["edges"][nonzero[-1] + 1])
    if not drawn:
        plt.close(fig)
        return None
    for cls in sorted(drawn):
        if not lo / 2 <= _DEADLINES[cls] <= hi * 2:
            continue
        ax.axvline(_DEADLINES[cls], color="grey", linestyle="--", linewidth=0.8)
        ax.text(_DEADLINES[cls], 0.02, " 2 s" if cls == "realtime" else " 48 h", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(lo / 2, hi * 2)
    ax.set_xlabel("end-to-end latency (s)")
    ax.set_ylabel("share of answered requests")
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Latency CDF (after warm-up, all replications pooled)")
    return _png(fig)


def _shade(ax: Any, faults: Sequence[dict[str, Any]], warmup: float, end: float, unit: float) -> None:
    if warmup > 0:
        ax.axvspan(0, warmup / unit, color="#bbbbbb", alpha=0.25, lw=0)
    for f in faults:
        stop = f["end"] if f["end"] is not None else end
        ax.axvspan(f["start"] / unit, stop / unit, color="#cf222e", alpha=0.15, lw=0)


def timeline(series: dict[str, Any], faults: Sequence[dict[str, Any]], warmup: float, duration: float,
             scale_label: str | None = None, factor: float = 1.0) -> str:
    """Throughput and queue depth over time; warm-up shaded grey, faults shaded red and labelled. Rates are
    multiplied by `factor` (1 / tagged share: the full volume a sample stands for) and `scale_label` says so."""
    unit, uname = _time_unit(duration)
    t = [(x + series["step"] / 2) / unit for x in series["t"]]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 5.2), sharex=True)
    # "sent" and "delivered" nearly coincide in a healthy run: sent is drawn last, thin and dashed over a wide pale
    # "delivered", and "answered" (a subset of the requests) in its own style, so none hides another
    def rates(key: str) -> list[float]:
        return [v * factor for v in series[key]]

    top.plot(t, rates("delivered_per_s"), label="delivered", linewidth=3.0, alpha=0.45, color="#1f77b4")
    top.plot(t, rates("answered_per_s"), label="answered", linewidth=1.2, linestyle=":", color="#2ca02c")
    top.plot(t, rates("sent_per_s"), label="sent", linewidth=1.0, linestyle="--", color="#d62728")
    top.set_ylabel(scale_label or "messages / s")
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    top.set_title("Throughput and queue depth over time (mean of replications)")
    bottom.plot(t, series["in_system"], label="in the system", color="black", linewidth=1)
    for name, values in series["queues"].items():
        bottom.plot(t, values, label=name, linewidth=0.9)
    bottom.set_ylabel("messages (bin maximum)" + (", sample" if factor != 1.0 else ""))
    bottom.set_xlabel(f"simulated time ({uname})")
    bottom.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax in (top, bottom):
        _shade(ax, faults, warmup, duration, unit)
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, duration / unit)
    for f in faults:
        top.text(f["start"] / unit, top.get_ylim()[1] * 0.97, f" {f['name']}", fontsize=7, color="#cf222e",
                 va="top")
    return _png(fig)


def compliance_axis_left(lows: Sequence[float], target: float) -> float:
    """The left end of the compliance axis: a quarter of the gap to 100 % below the lowest interval end shown or
    the target, whichever is lower, so that 99.9 % and 99.99 % are far apart when that is what matters."""
    worst = min([*lows, target])
    return max(0.0, 1.0 - (1.0 - worst) * 1.25)


def compliance(participants: dict[str, dict[str, Any]], target: float = 0.999) -> str | None:
    """Within-deadline share per provider (the worst ones first), with 95 % intervals, on an axis zoomed to the
    target (`target`, marked): a 0-1 axis makes 95 % and 99.99 % look the same full bar."""
    rows = [(name, p) for name, p in participants.items() if p["within_deadline_share"] is not None]
    if not rows:
        return None
    rows.sort(key=lambda r: (r[1]["within_deadline_share"], r[0]))
    measured = len(rows)  # providers with requests of known outcome: the one count this plot is about
    rows = rows[:MAX_PARTICIPANTS_PLOTTED]
    names = [r[0] for r in rows][::-1]
    shares = [r[1]["within_deadline_share"] for r in rows][::-1]
    errors = [[], []]
    for _, p in rows[::-1]:
        iv = p["within_deadline_interval"]
        lo = iv["ci_low"] if iv["ci_low"] is not None else iv["mean"]
        hi = iv["ci_high"] if iv["ci_high"] is not None else iv["mean"]
        share = p["within_deadline_share"]
        errors[0].append(max(0.0, share - max(lo, 0.0)) if lo is not None else 0.0)
        errors[1].append(max(0.0, min(hi, 1.0) - share) if hi is not None else 0.0)
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.22 * len(names)))
    colours = ["#cf222e" if s < target else "#1a7f37" for s in shares]
    left = compliance_axis_left([s - e for s, e in zip(shares, errors[0], strict=True)], target)
    ax.scatter(shares, names, color=colours, zorder=3)
    ax.errorbar(shares, names, xerr=errors, fmt="none", ecolor="#555555", capsize=2, zorder=2)
    ax.hlines(names, left, shares, colors=colours, linewidth=2, alpha=0.5, zorder=1)
    ax.axvline(target, color="#9a6700", linestyle="--", linewidth=1)
    ax.text(target, len(names) - 0.5, f" target {target:.4g}", color="#9a6700", fontsize=7, va="bottom")
    ax.set_xlim(left, 1.0 + (1.0 - left) * 0.02)
    ax.set_xlabel("share of requests answered within the deadline (2 s real-time, 48 h otherwise); "
                  "axis zoomed to the target")
    title = "Deadline compliance per provider (963 §10)"
    if measured > len(names):
        # not a participant count: the providers this plot can rank (the headline count is the topology's)
        title += f": the {len(names)} worst of the {measured} providers whose requests have a known outcome"
    ax.set_title(title)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(True, axis="x", alpha=0.3)
    return _png(fig)


def sweep_curve(sweep: dict[str, Any]) -> str:
    """Throughput versus the swept resource with 95 % intervals, the ideal linear scaling, and the efficiency where
    it means something (the first point at capacity: no `efficiency_note`)."""
    values = sweep["values"]
    try:
        xs = [float(v) for v in values]
        numeric = True
    except (TypeError, ValueError):
        xs = list(range(len(values)))
        numeric = False
    means = [iv["mean"] or 0.0 for iv in sweep["throughput"]]
    err = [iv["half_width"] or 0.0 for iv in sweep["throughput"]]
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ax.errorbar(xs, means, yerr=err, marker="o", capsize=3, label="delivered / s (95 % CI)")
    if sweep.get("goodput"):
        ax.errorbar(xs, [iv["mean"] or 0.0 for iv in sweep["goodput"]],
                    yerr=[iv["half_width"] or 0.0 for iv in sweep["goodput"]], marker="^", capsize=3,
                    linestyle="-.", label="answered / s (95 % CI)")
    if numeric and xs[0] > 0 and means[0] > 0:
        ax.plot(xs, [means[0] * x / xs[0] for x in xs], linestyle="--", color="grey", label="linear scaling")
    ax.set_xlabel(sweep["parameter"])
    ax.set_ylabel("messages per second")
    if not numeric:
        ax.set_xticks(xs, [str(v) for v in values])
    ax.grid(True, alpha=0.3)
    eff = [] if sweep.get("efficiency_note") else sweep["efficiency"]  # below capacity it means nothing
    if any(e is not None and e["mean"] is not None for e in eff):
        ax2 = ax.twinx()
        pts = [(x, e) for x, e in zip(xs, eff, strict=True) if e is not None and e["mean"] is not None]
        ax2.errorbar([p[0] for p in pts], [p[1]["mean"] for p in pts],
                     yerr=[p[1]["half_width"] or 0.0 for p in pts], color="#9a6700", marker="s", capsize=3,
                     linestyle=":", label="scale-out efficiency")
        ax2.set_ylabel("efficiency")
        ax2.set_ylim(0, max(1.6, max(p[1]["mean"] for p in pts) * 1.4))  # leave the top for the legend
        ax2.legend(fontsize=8, loc="lower right")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("Throughput versus resources")
    return _png(fig)
