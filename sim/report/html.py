"""`report.html`: one self-contained file (inline CSS, plots as base64 PNG, no script, no external resource) drawn
from the report.json data alone, every text escaped."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from conformance.report.summary import printable
from sim.report import plots
from sim.report.format import fmt, unit_of

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em} h3{font-size:1em} code{font-family:ui-monospace,monospace}
table{border-collapse:collapse;margin:.5em 0 1em} th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;
vertical-align:top} th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}.inconclusive{color:#9a6700;font-weight:bold}
.box{padding:.6em 1em;border-radius:6px} .warn{background:#fff8c5;padding:.4em .8em;border-radius:6px}
.verdict-pass{background:#dafbe1}.verdict-fail{background:#ffebe9}.verdict-inconclusive{background:#fff8c5} img{max-width:100%;display:block;margin:.5em 0}
details{margin:.6em 0;border:1px solid #ddd;border-radius:6px;padding:.4em .8em} summary{cursor:pointer}
.meta td{border:none;padding:.1em .6em} .note{color:#555;font-size:.9em}
"""


def _e(text: object) -> str:
    return escape(printable(str(text)), quote=True)


def _img(b64: str | None, alt: str) -> str:
    if b64 is None:
        return f'<p class="note">{_e(alt)}: nothing to plot.</p>'
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{b64}">'


def _slo_table(report: dict[str, Any]) -> str:
    if not report["slos"]:
        return '<p class="note">The scenario states no SLOs.</p>'
    rows = []
    for s in report["slos"]:
        unit = unit_of(s["metric"])
        point = ", ".join(f"{k} = {v}" for k, v in s.get("point", {}).items())
        verdict = s["verdict"]
        mean = "beyond every deadline" if s.get("unbounded") else fmt(s["mean"], unit)
        high = "∞" if s.get("unbounded") else fmt(s["ci_high"], unit)
        rows.append(
            f'<tr><td class="{verdict}">{verdict.upper()}</td><td>{_e(s["name"])}</td>'
            f"<td><code>{_e(s['metric'])}</code></td><td>{_e(s['op'])} {_e(fmt(s['threshold'], unit))}</td>"
            f'<td class="num">{_e(mean)}</td>'
            f'<td class="num">[{_e(fmt(s["ci_low"], unit))}, {_e(high)}]</td>'
            f'<td class="num">{s["n"]}</td><td>{_e(point)}</td><td class="note">{_e(s["reason"])}</td></tr>')
    return ("<table><tr><th>verdict</th><th>SLO</th><th>metric</th><th>requirement</th><th>mean</th>"
            "<th>95 % interval</th><th>n</th><th>sweep point</th><th>why</th></tr>" + "".join(rows) + "</table>")


def _messages_table(messages: dict[str, int]) -> str:
    cells = "".join(f'<tr><td>{_e(k)}</td><td class="num">{_e(fmt(v))}</td></tr>' for k, v in messages.items())
    balance = messages["sent"] - (messages["delivered"] + messages["in_flight"] + messages["expired"]
                                  + messages["rejected"] + messages["lost"])
    note = ("every message is accounted for: sent = delivered + in flight + expired + rejected + lost"
            if balance == 0 else f"ACCOUNTING GAP of {balance} messages")
    return f"<table>{cells}</table><p class='{'note' if balance == 0 else 'fail'}'>{_e(note)}</p>"


def _counts(title: str, counts: dict[str, int]) -> str:
    if not counts:
        return ""
    rows = "".join(f'<tr><td>{_e(k)}</td><td class="num">{_e(fmt(v))}</td></tr>' for k, v in counts.items())
    return f"<h3>{_e(title)}</h3><table>{rows}</table>"


_KEY_METRICS = ("realtime.latency.p50", "realtime.latency.p99", "async.latency.p50", "async.latency.p99",
                "realtime.within_2s.share", "async.within_48h.share", "answered.share", "throughput.answered_per_s",
                "throughput.delivered_per_s", "portal.availability", "portal.login.success.share",
                "queue.max_depth", "utilisation.max", "participants.blocked", "littles_law.relative_error")


def _metrics_table(metrics: dict[str, dict[str, Any]]) -> str:
    names = [m for m in _KEY_METRICS if m in metrics and metrics[m]["mean"] is not None]
    others = [m for m in metrics if m not in names and metrics[m]["mean"] is not None]
    rows = []
    for name in names + others:
        iv, unit = metrics[name], unit_of(name)
        rows.append(f"<tr><td><code>{_e(name)}</code></td><td class='num'>{_e(fmt(iv['mean'], unit))}</td>"
                    f"<td class='num'>[{_e(fmt(iv['ci_low'], unit))}, {_e(fmt(iv['ci_high'], unit))}]</td>"
                    f"<td class='num'>{iv['n']}</td></tr>")
    head = "<tr><th>metric</th><th>mean</th><th>95 % interval</th><th>n</th></tr>"
    main = "".join(rows[: len(names)])
    rest = "".join(rows[len(names):])
    more = f"<details><summary>all {len(others)} other metrics</summary><table>{head}{rest}</table></details>" \
        if rest else ""
    return f"<table>{head}{main}</table>{more}"


def _iv(d: dict[str, Any], unit: str = "") -> str:
    if d["mean"] is None:
        return "—"
    if d["ci_low"] is None:
        return _e(fmt(d["mean"], unit))
    return f"{_e(fmt(d['mean'], unit))} <span class='note'>[{_e(fmt(d['ci_low'], unit))}, " \
           f"{_e(fmt(d['ci_high'], unit))}]</span>"


def _stations_table(stations: dict[str, dict[str, Any]], sampled: bool) -> str:
    """Per service centre, as JMT gives them (`sim.metrics.stations`), the busiest first."""
    if not stations:
        return ""
    rows = []
    for name, st in sorted(stations.items(), key=lambda kv: (-(kv[1]["utilisation"]["mean"] or 0.0), kv[0])):
        little = st["littles_law_error"]["max"]
        rows.append(
            f"<tr><td>{_e(name)}</td><td>{_e(st['kind'])}</td><td class='num'>{_e(fmt(st['servers']))}</td>"
            f"<td class='num'>{_iv(st['utilisation'], 'share')}</td><td class='num'>{_iv(st['throughput_per_s'])}</td>"
            f"<td class='num'>{_iv(st['wait_mean'], 's')}</td><td class='num'>{_iv(st['wait_p99'], 's')}</td>"
            f"<td class='num'>{_iv(st['in_station_mean'])}</td><td class='num'>{_iv(st['queue_mean'])}</td>"
            f"<td class='num'>{_e(fmt(st['queue_max']))}</td><td class='num'>{_e(fmt(little))}</td></tr>")
    note = ("Counts, utilisation and time averages at full volume (the simulated sample scaled by 1 / tagged share, "
            "background included); waits are the sample's; maxima are not known for a sampled station. "
            if sampled else "")
    return ("<h3>Stations (95 % intervals across replications)</h3>"
            f"<p class='note'>{note}Wait: from joining the station to the start of service. Jobs: in the station "
            "(waiting or served), time average. Little err: |L − λW| / L with L from the time integral of the "
            "number of jobs and W from per-job stamps, measured independently (blank for stations fed by whole "
            "schedules).</p><table><tr><th>station</th><th>kind</th><th>servers</th><th>utilisation</th>"
            "<th>throughput /s</th><th>mean wait</th><th>p99 wait</th><th>mean jobs</th><th>mean queue</th>"
            "<th>max queue</th><th>Little err</th></tr>" + "".join(rows) + "</table>")


def _counters_table(v: dict[str, Any]) -> str:
    """The model's labelled counters per replication: at full volume (and the sample's) when sampled."""
    counters = v.get("counters") or {}
    if not counters:
        return ""
    sampled = v["sampled"]
    head = ("<tr><th>counter, per replication</th><th>name</th><th>full volume</th><th>simulated sample</th></tr>"
            if sampled else "<tr><th>counter, per replication</th><th>name</th><th>mean</th></tr>")
    rows = "".join(
        f"<tr><td>{_e(c['label'])}</td><td>{_e(n)}</td><td class='num'>{_e(fmt(c['full_volume_per_replication']))}"
        f"</td>" + (f"<td class='num'>{_e(fmt(c['simulated_per_replication']))}</td>" if sampled else "") + "</tr>"
        for n, c in counters.items())
    return f"<h3>Model counters</h3><table>{head}{rows}</table>"


def _volume(report: dict[str, Any]) -> str:
    v = report.get("volume")
    if not v:
        return ""
    reps = v["replications"]
    if not v["sampled"]:
        return (f"<p class='note'>Every message simulated one by one; {fmt(v['participants'])} participants in the "
                f"topology; {reps} replications.</p>" + _counters_table(v))
    full, sim = v["full_volume_per_replication"], v["simulated_per_replication"]
    rows = "".join(f"<tr><td>{_e(k)}</td><td class='num'>{_e(fmt(round(full[k])))}</td>"
                   f"<td class='num'>{_e(fmt(round(sim[k])))}</td></tr>" for k in full)
    return (f"<h2>Volume</h2><p>Full volume estimated from a <b>{_e(fmt(v['tagged_share'], 'share'))}</b> sample "
            f"simulated message by message (the rest is background at the stations it loads): about "
            f"{_e(fmt(v['full_volume_sent_per_s']))} messages/s; {fmt(v['participants'])} participants in the "
            f"topology.</p><table><tr><th>per replication</th><th>full volume</th><th>simulated sample</th></tr>"
            f"{rows}</table>" + _counters_table(v))


def _components_table(components: dict[str, dict[str, Any]]) -> str:
    if not components:
        return ""
    rows = "".join(
        f"<tr><td>{_e(n)}</td><td class='num'>{c['capacity']}</td>"
        f"<td class='num'>{_e(fmt(c['utilisation']['mean'], 'share'))}</td>"
        f"<td class='num'>{_e(fmt(c['mean_depth']['mean']))}</td><td class='num'>{_e(fmt(c['max_depth']))}</td></tr>"
        for n, c in components.items())
    return ("<details><summary>Components: utilisation and queue depth</summary><table><tr><th>component</th>"
            "<th>servers</th><th>utilisation</th><th>mean depth</th><th>max depth</th></tr>" + rows
            + "</table></details>")


def _background_table(background: dict[str, Any]) -> str:
    """The background's offered load (a tagged run): what the untagged share of the traffic asks of each station."""
    if not background:
        return ""
    rows = "".join(f"<tr><td>{_e(n)}</td><td class='num'>{_e(fmt(rho, 'share'))}</td></tr>"
                   for n, rho in background["offered_utilisation"].items())
    note = (f"{fmt(background['jobs_per_replication'])} background jobs per replication"
            + (f", {fmt(background['dropped'])} dropped for want of a live node" if background["dropped"] else ""))
    return ("<details><summary>Background: offered utilisation of the untagged traffic</summary>"
            f"<p class='note'>{_e(note)}.</p><table><tr><th>component or group</th><th>offered utilisation</th></tr>"
            + rows + "</table></details>")


MAX_BILLS_SHOWN = 40


def _bills_table(participants: dict[str, dict[str, Any]], currency: str) -> str:
    """Messages counted and billed per participant (697 §6д, §6ц), the largest first."""
    rows = [(n, p) for n, p in participants.items() if p["billed_messages"]]
    if not rows:
        return ""
    rows.sort(key=lambda r: (-r[1]["billed_messages"], r[0]))
    shown = rows[:MAX_BILLS_SHOWN]
    body = "".join(f"<tr><td>{_e(n)}</td><td class='num'>{_e(fmt(p['billed_messages']))}</td>"
                   f"<td class='num'>{_e(fmt(p['billed_amount_mean']))}</td></tr>" for n, p in shown)
    more = (f" (the {len(shown)} largest bills of the {len(rows)} participants that sent a billed message)"
            if len(rows) > len(shown) else "")
    return (f"<details><summary>Messages counted and billed per participant{_e(more)}</summary><table><tr>"
            f"<th>participant</th><th>messages (all replications)</th><th>bill per replication, {_e(currency)}</th>"
            f"</tr>{body}</table></details>")


def _compliance_target(report: dict[str, Any]) -> float:
    """The compliance plot's target line: the strictest share SLO on deadlines, else 99.9 %."""
    shares = [s["threshold"] for s in report["slos"] if s["metric"].endswith("within_deadline.share")
              or s["metric"] in ("realtime.within_2s.share", "async.within_48h.share")]
    return max(shares) if shares else 0.999


def _point(report: dict[str, Any], point: dict[str, Any], label: str) -> str:
    sampled = bool(report.get("volume", {}).get("sampled"))
    share = float(report.get("volume", {}).get("tagged_share") or 1.0)
    run = report["configuration"].get("run", {}) if isinstance(report["configuration"], dict) else {}
    duration = float(run.get("duration") or point["series"]["step"] * len(point["series"]["t"]))
    warmup = float(point.get("warmup", {}).get("max_s", run.get("warmup") or 0.0))
    parts = [f"<h2>{_e(label)}</h2>" if label else "",
             f"<p class='note'>{point['replications']} replications.</p>",
             "<h3>Metrics (95 % intervals across replications)</h3>", _metrics_table(point["metrics"]),
             "<h3>Messages simulated (summed over replications" + (", the sample" if sampled else "") + ")</h3>",
             _messages_table(point["messages"]),
             _counts("Rejected, by reason", point["rejected_by_reason"]),
             _counts("Lost, by reason", point["lost_by_reason"]),
             _img(plots.timeline(point["series"], point["faults"], warmup, duration,
                                 "messages / s at full volume" if sampled else "messages / s",
                                 1.0 / share if sampled else 1.0),
                  "throughput and queues"),
             _img(plots.compliance(point["participants"], _compliance_target(report)),
                  "deadline compliance per provider"),
             _stations_table(point.get("stations", {}), bool(report.get("volume", {}).get("sampled"))),
             _warmup(point.get("warmup_detection", {}), point.get("warmup")),
             _components_table(point["components"]),
             _background_table(point.get("background", {})),
             _bills_table(point["participants"], _currency(report))]
    if point["blocked"]:
        rows = "".join(f"<tr><td>{_e(b['name'])}</td><td class='num'>{b['replications']}</td>"
                       f"<td class='num'>{_e(fmt(b['first_blocked_mean_s'], 's'))}</td></tr>" for b in point["blocked"])
        parts.append("<h3>Blocked participants (697 §6м)</h3><table><tr><th>participant</th><th>replications</th>"
                     f"<th>blocked at (mean)</th></tr>{rows}</table>")
    if point["faults"]:
        rows = "".join(f"<tr><td>{_e(f['name'])}</td><td>{_e(f['kind'])}</td><td>{_e(fmt(f['start'], 's'))}</td>"
                       f"<td>{_e(fmt(f['end'], 's') if f['end'] is not None else 'end of run')}</td></tr>"
                       for f in point["faults"])
        parts.append("<h3>Fault timeline</h3><table><tr><th>fault</th><th>kind</th><th>from</th><th>to</th></tr>"
                     f"{rows}</table>")
    ll = point["littles_law"]["relative_error"]
    parts.append(f"<p>Little's law L = λW, relative error |L − λW| / L: mean {_e(fmt(ll['mean']))}, "
                 f"max {_e(fmt(point['littles_law']['max_relative_error']))} "
                 "<span class='note'>(L: time-average number of messages in the system after warm-up; λ: their "
                 "arrival rate; W: mean time in the system of those that arrived after warm-up and left before the "
                 "end. A large error means messages accumulate, not a steady state, or a run too short)</span></p>")
    return "\n".join(parts)


def _warmup(detection: dict[str, Any], applied: dict[str, Any] | None = None) -> str:
    """The warm-up each replication's statistics exclude, and MSER-5's findings per series."""
    head = ""
    if applied:
        lengths = ", ".join(fmt(x, "s") for x in applied["applied_s"])
        head = (f"<p>Warm-up excluded ({_e(applied['mode'])}: {_e(applied['method'])}), per replication: "
                f"{_e(lengths)}.</p>")
    if not detection:
        return head
    rows = "".join(
        f"<tr><td>{_e(name)}</td><td class='num'>{_e(fmt(d['configured_s'], 's'))}</td>"
        f"<td class='num'>{_e(fmt(d['detected_max_s'], 's'))}</td><td class='num'>{d['insufficient']}</td>"
        f"<td class='num'>{d['never_settles']}</td><td class='num'>{d['trending']}</td></tr>"
        for name, d in detection.items())
    return ("<h3>Warm-up and stationarity (MSER-5 on the SLO metrics' series)</h3>" + head +
            "<table><tr><th>series</th><th>applied warm-up (first replication)</th><th>detected (max)</th>"
            "<th>replications short of it</th><th>never settle</th><th>trend after warm-up</th></tr>" + rows +
            "</table>")


def _currency(report: dict[str, Any]) -> str:
    config = report.get("configuration")
    policies = config.get("policies") if isinstance(config, dict) else None
    return str(policies.get("currency", "")) if isinstance(policies, dict) else ""


def render_html(report: dict[str, Any]) -> str:
    verdict = report["verdict"]
    failed = sum(1 for s in report["slos"] if s["verdict"] == "fail")
    open_ = sum(1 for s in report["slos"] if s["verdict"] == "inconclusive")
    total = len(report["slos"])
    headline = (f"PASS: all {total} SLOs hold" if verdict == "pass"
                else f"FAIL: {failed} of {total} SLO checks do not hold" + (f", {open_} inconclusive" if open_ else "")
                if verdict == "fail" else f"INCONCLUSIVE: {open_} of {total} SLO intervals straddle their threshold "
                "(none fails); more replications (--precision) would decide")
    headline += f" (exit {report.get('exit_code', '')})"
    versions = ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    points = report["points"]
    sweep = report.get("sweep")
    labels = [f"{sweep['parameter']} = {p['value']}" if sweep else "" for p in points]
    cdf = plots.latency_cdf([(lab, p["latency_cdf"]) for lab, p in zip(labels, points, strict=True)])
    body = [
        f"<h1>Simulation report: {_e(report['scenario'])}</h1>",
        f"<p>{_e(report.get('description') or '')}</p>",
        f'<div class="box verdict-{verdict}"><b>{_e(headline)}</b></div>',
        "<table class='meta'>"
        f"<tr><td>source</td><td><code>{_e(report.get('source'))}</code></td></tr>"
        f"<tr><td>seed</td><td>{_e(report['seed'])}</td></tr>"
        f"<tr><td>replications</td><td>{_e(report['replications'])}</td></tr>"
        f"<tr><td>versions</td><td>{_e(versions)}</td></tr>"
        f"<tr><td>run</td><td>{_e(report['timing'].get('started'))}, "
        f"{_e(report['timing'].get('wall_seconds'))} s wall</td></tr></table>",
        "<h2>SLO verdicts</h2><p class='note'>PASS: the whole 95 % confidence interval satisfies the SLO; FAIL: "
        "it violates it; INCONCLUSIVE: it straddles the threshold. Intervals: Student t across independent "
        "replications, kept inside the metric's range (shares in [0, 1], widened to the Wilson interval of the "
        "pooled counts; latencies and counts ≥ 0). Latency is client-side: from the consumer's send to the answer "
        "received (963 §10); requests never answered count as beyond every deadline.</p>",
        _slo_table(report),
        "".join(f"<p class='warn'>warning: {_e(w)}</p>" for w in report.get("warnings", [])),
        _volume(report),
    ]
    if report.get("precision"):
        for label, prec in zip(labels, report["precision"], strict=True):
            if prec:
                state = "reached" if prec["reached"] else f"NOT reached at the cap of {prec['cap']} replications"
                body.append(f"<p>Precision target {_e(fmt(prec['target'], 'share'))} relative half-width "
                            f"{_e(label)}: {_e(state)}.</p>")
    sample = " (the simulated sample)" if report.get("volume", {}).get("sampled") else ""
    body += [f"<h2>Messages simulated, all replications together{sample}</h2>", _messages_table(report["messages"]),
             "<h2>Latency</h2>", _img(cdf, "latency CDF")]
    if sweep:
        sc = sweep["scaleout_efficiency"]
        body += ["<h2>Sweep: throughput versus resources</h2>", _img(plots.sweep_curve(sweep), "sweep")]
        if sweep.get("efficiency_note"):
            body.append(f"<p>Scale-out efficiency: not shown: {_e(sweep['efficiency_note'])}.</p>")
        else:
            body.append(f"<p>Scale-out efficiency, largest point against the smallest: "
                        f"{_e(fmt(sc['mean'] if sc else None))} [{_e(fmt(sc['ci_low'] if sc else None))}, "
                        f"{_e(fmt(sc['ci_high'] if sc else None))}] <span class='note'>(paired over common random "
                        "numbers)</span></p>")
    for label, point in zip(labels, points, strict=True):
        body.append(_point(report, point, label))
    config = json.dumps(report["configuration"], indent=2, ensure_ascii=False)
    body.append(f"<details><summary>Effective configuration (SI units)</summary><pre>{_e(config)}</pre></details>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(report['scenario'])}: simulation report</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
