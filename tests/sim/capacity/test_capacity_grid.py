"""`smev-sim capacity` over a grid: the minimal settings on judges whose answer is known, the refusals, the plots
read back from their figures, capacity.html, the command end to end, and an M/M/c grid against Erlang C."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import SimError
from sim.report.capacity import heatmap_figure, metrics_figure, render_capacity_html
from sim.runner.capacity import (
    FAIL,
    INCONCLUSIVE,
    LOAD_PARAMETER,
    MAX_GRID_CELLS,
    PASS,
    Answer,
    Evaluator,
    Point,
    SloResult,
    check_grid,
    grid,
    parse_axis,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import model_textbook as tb  # noqa: E402
from tiny_scenario import tiny  # noqa: E402

WORKERS = "topology.participants.provider.concurrency"


class Judge:
    """A judge from a function of the setting giving (verdict, mean, low, high) of one SLO `m <= 1`."""

    def __init__(self, measure) -> None:
        self.measure = measure
        self.points: dict[tuple, Point] = {}

    def __call__(self, setting: dict[str, float]) -> Point:
        key = tuple(sorted(setting.items()))
        if key not in self.points:
            verdict, mean, low, high = self.measure(setting)
            self.points[key] = Point(dict(setting), 4, [SloResult("s", "m.p99", "<=", 1.0, mean, low, high, verdict)])
        return self.points[key]


def _verdict_only(rule):
    return Judge(lambda s: (PASS if rule(s) else FAIL, 0.5, 0.4, 0.6))


@settings(max_examples=80, deadline=None)
@given(wa=st.integers(1, 4), wb=st.integers(1, 4), need=st.integers(2, 30))
def test_grid_answer_is_exactly_the_minimal_passing_cells(wa, wb, need):
    """PASS when wa a + wb b >= need (monotone in both resources): every answer passes, no answer is at least as
    large as another in both, and every passing cell is at least as large as some answer."""
    judge = _verdict_only(lambda s: wa * s["a"] + wb * s["b"] >= need)
    result = grid([parse_axis("a=1..5"), parse_axis("b=1,2,3,5,8")], judge)
    passing = [p.setting for p in result.points if p.verdict == PASS]
    assert len(result.points) == 25
    for f in result.found:
        assert f in passing
        assert not any(g != f and g["a"] <= f["a"] and g["b"] <= f["b"] for g in result.found)
    for p in passing:
        assert any(f["a"] <= p["a"] and f["b"] <= p["b"] for f in result.found)
    assert bool(result.found) == bool(passing)


def test_a_load_axis_gives_the_least_resources_per_load():
    """PASS when workers >= 4 x load + 1: for each load, the one smallest worker count."""
    judge = _verdict_only(lambda s: s[WORKERS] >= 4 * s[LOAD_PARAMETER] + 1)
    axes = [parse_axis(f"{WORKERS}=2..8"), parse_axis("0.5,1,1.25", LOAD_PARAMETER, integer=False)]
    result = grid(axes, judge)
    found = sorted((f[LOAD_PARAMETER], f[WORKERS]) for f in result.found)
    assert found == [(0.5, 3), (1.0, 5), (1.25, 6)]
    assert "per load" in result.note


def test_an_inconclusive_cell_is_not_an_answer_and_is_named():
    judge = Judge(lambda s: (PASS, 0.5, 0.4, 0.6) if s["a"] >= 3 else
                  (INCONCLUSIVE, 0.9, 0.7, 1.1) if s["a"] == 2 else (FAIL, 2.0, 1.5, 2.5))
    result = grid([parse_axis("a=1..4"), parse_axis("b=1,2")], judge)
    assert sorted((f["a"], f["b"]) for f in result.found) == [(3, 1)]
    assert "inconclusive at a = 2, b = 1; a = 2, b = 2" in result.note


@pytest.mark.parametrize(("axes", "needle"), [
    (["a=1..9", "b=1..9"], f"9 x 9 = 81 cells, more than the limit of {MAX_GRID_CELLS}"),
    (["a=1..3", "a=1,2"], "a is given twice"),
])
def test_bad_grids_are_refused_before_anything_runs(axes, needle):
    judge = _verdict_only(lambda s: True)
    with pytest.raises(SimError, match=needle.replace(".", r"\.")):
        grid([parse_axis(a) for a in axes], judge)
    assert judge.points == {}


def test_a_range_of_loads_cannot_be_a_grid_axis():
    with pytest.raises(SimError, match="a grid needs the values listed"):
        check_grid([parse_axis("a=1..3"), parse_axis("0.5..2", LOAD_PARAMETER, integer=False)])


@pytest.mark.parametrize("bad", ["a=", "a=3..3", "a=4..2", "a=,,", "a=2", "=1..3", "a=0..2", "a=1.5..3", "a=0,2",
                                 "a=-1,2", "a=x,2", "a=nan,2"])
def test_empty_or_malformed_axes_are_refused(bad):
    with pytest.raises(ValueError):
        parse_axis(bad)


# --- the plots, read back from their figures ------------------------------------------------------------------------

def _document(points: list[Point], parameters: list[str], kind: str = "grid") -> dict:
    answer = Answer(kind, parameters, [], "note", points)
    return {"scenario": "s", "source": "s.yaml", "seed": 1, "replications": 4, "max_replications": 16,
            **answer.to_dict()}


def _point(setting, mean, low, high, verdict, p99=None):
    p = Point(setting, 4, [SloResult("fast", "realtime.latency.p99", "<=", 2.0, mean, low, high, verdict)])
    if p99 is not None:
        p.p99["async.latency.p99"] = p99
    return p


def _flat(rows):
    return [v for row in rows for v in row]


def test_the_metrics_plot_draws_each_interval_and_the_threshold():
    points = [_point({"x": 1}, 3.0, 2.5, 3.6, FAIL, (10.0, 8.0, 12.0)),
              _point({"x": 2}, 1.9, 1.5, 2.2, INCONCLUSIVE, (6.0, 5.0, 7.5)),
              _point({"x": 3}, 1.0, 0.9, 1.2, PASS, (4.0, 3.5, 4.4)),
              _point({"x": 4}, math.inf, 1.0, math.inf, FAIL)]  # beyond every deadline
    fig = metrics_figure(_document(points, ["x"], "smallest"))
    slo_ax, p99_ax = fig.axes
    [bars] = [c for c in slo_ax.containers if hasattr(c, "has_yerr")]
    segments = sorted((s[0][0], s[0][1], s[1][1]) for s in bars.lines[2][0].get_segments())
    assert _flat(segments) == pytest.approx(_flat([(1, 2.5, 3.6), (2, 1.5, 2.2), (3, 0.9, 1.2)]))
    thresholds = [line for line in slo_ax.lines if line.get_linestyle() == "--"]
    assert [tuple(t.get_ydata()) for t in thresholds] == [(2.0, 2.0)]
    assert any(getattr(c, "get_paths", None) and len(c.get_offsets()) == 1 and c.get_offsets()[0][0] == 4
               for c in slo_ax.collections)  # the unanswered point, drawn at the top
    [p99_bars] = [c for c in p99_ax.containers if hasattr(c, "has_yerr")]
    p99_segments = sorted((s[0][0], s[0][1], s[1][1]) for s in p99_bars.lines[2][0].get_segments())
    assert _flat(p99_segments) == pytest.approx(_flat([(1, 8.0, 12.0), (2, 5.0, 7.5), (3, 3.5, 4.4)]))
    assert not [line for line in p99_ax.lines if line.get_linestyle() == "--"]  # no SLO: no threshold
    assert p99_ax.get_title() == "async.latency.p99"


def test_the_heatmap_shows_each_cell_verdict_and_metric():
    verdicts = {(1, 1): FAIL, (2, 1): INCONCLUSIVE, (1, 2): INCONCLUSIVE, (2, 2): PASS}
    means = {(1, 1): 3.0, (2, 1): 2.1, (1, 2): 1.95, (2, 2): 0.5}
    points = [_point({"a": a, "b": b}, means[a, b], means[a, b] - 0.2, means[a, b] + 0.2, verdicts[a, b])
              for a, b in verdicts]
    fig = heatmap_figure(_document(points, ["a", "b"]))
    verdict_ax, metric_ax = [ax for ax in fig.axes if ax.images]
    codes = verdict_ax.images[0].get_array()
    assert codes.tolist() == [[0, 1], [1, 2]]  # rows b = 1, 2 (origin lower); columns a = 1, 2
    assert metric_ax.images[0].get_array().tolist() == [[3.0, 2.1], [1.95, 0.5]]
    texts = sorted(t.get_text() for t in metric_ax.texts)
    assert texts == ["1.95 s ?", "2.1 s ?", "3 s ✗", "500 ms"]
    bar_ax = next(ax for ax in fig.axes if not ax.images and ax.lines)
    assert [tuple(line.get_ydata()) for line in bar_ax.lines] == [(2.0, 2.0)]  # the threshold on the colour bar


def test_capacity_html_escapes_and_colours_the_grid():
    points = [_point({"a": a, "b": b}, 1.0, 0.9, 1.1, PASS if a > 1 else FAIL) for a in (1, 2) for b in (1, 2)]
    document = _document(points, ["a", "b"])
    document["scenario"] = "<script>alert(1)</script>"
    page = render_capacity_html(document, None, None)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count('class="num cell-pass"') == 2 and page.count('class="num cell-fail"') == 2
    assert "NO ANSWER: note" in page


# --- the command, end to end -----------------------------------------------------------------------------------------



def test_capacity_grid_command_writes_json_html_heatmap_and_table(tmp_path, capsys):
    """M/D/c, 1 s service: at 1.5/s one worker cannot carry it (FAIL), three wait little (PASS)."""
    from sim.cli import main

    path = tmp_path / "tiny.yaml"
    path.write_text(tiny(rate=1.5, duration=300, warmup=30), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["capacity", str(path), "-r", f"{WORKERS}=1,3", "--load", "0.5,1", "-n", "3",
                 "--max-replications", "6", "-o", str(out)])
    document = json.loads((out / "capacity.json").read_text(encoding="utf-8"))
    assert document["kind"] == "grid" and document["parameters"] == [WORKERS, LOAD_PARAMETER]
    cells = {(p["setting"][WORKERS], p["setting"][LOAD_PARAMETER]): p["verdict"] for p in document["points"]}
    assert cells[1, 1] == FAIL and cells[3, 0.5] == PASS and cells[3, 1] in (PASS, INCONCLUSIVE)
    assert code == 0 and (3, 0.5) in {(f[WORKERS], f[LOAD_PARAMETER]) for f in document["found"]}
    assert all("async.latency.p99" in p["p99"] for p in document["points"])
    assert (out / "heatmap.png").stat().st_size > 1000 and (out / "capacity.png").stat().st_size > 1000
    page = (out / "capacity.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 and "cell-fail" in page
    printed = capsys.readouterr()
    assert "verdict per cell" in printed.out and "FAIL" in printed.out and "capacity.html" in printed.out
    progress = printed.err.splitlines()  # not a terminal: plain lines, as `run` gives them
    assert progress[0].startswith("smev-sim: textbook: 0/24 replications") and "over 4 points" in progress[0]
    assert progress[-1].endswith(", done")


@pytest.mark.parametrize(("argv", "needle"), [
    (["-r", "topology.participants.provider.concurency=1,2", "-r", "topology.bus.node_concurrency=1,2"],
     "did you mean 'concurrency'"),
    (["-r", f"{WORKERS}=1..20", "-r", "topology.bus.node_concurrency=1..20"], "400 cells, more than the limit"),
    (["-r", f"{WORKERS}=1..3", "--load", "0.5..2"], "a grid needs the values listed"),
    (["-r", f"{WORKERS}=3..1"], "is empty"),
    (["-r", f"{WORKERS}=", "-r", "topology.bus.node_concurrency=1,2"], "expected PATH=LO..HI"),
    (["-r", f"{WORKERS}=1,2", "-r", "run.tagged_share=0.5,2"], "share 2 is outside 0%..100%"),
    (["-r", f"{WORKERS}=1.5,2"], "bisected over whole numbers"),
])
def test_bad_grids_are_one_line_errors_with_exit_2(tmp_path, capsys, argv, needle):
    from sim.cli import main

    path = tmp_path / "tiny.yaml"
    path.write_text(tiny(rate=1.5, duration=300, warmup=30), encoding="utf-8")
    try:
        code = main(["capacity", str(path), *argv, "-o", str(tmp_path / "out"), "-q"])
    except SystemExit as exc:  # argparse refuses a malformed option itself
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if needle in line]) == 1
    assert not (tmp_path / "out").exists()


# --- theory: M/M/c over workers x arrival rate against Erlang C --------------------------------------------------------

@pytest.mark.slow
def test_mmc_grid_marks_exactly_the_cells_erlang_c_says():
    """`scenarios/mmc-sizing.yaml` (Poisson 4/s x traffic_scale, exp(1 s), mean time to the answer <= 1.25 s) over
    workers 4..7 x load 0.75, 1, 1.25: a PASS cell must meet the SLO by Erlang C, a FAIL cell must miss it, an
    INCONCLUSIVE one must straddle; and the cells far from the threshold (>= 0.15 s away) must be decided."""
    from sim.scenario import load, with_overrides

    scenario = load(Path(__file__).resolve().parents[3] / "scenarios" / "mmc-sizing.yaml")
    scenario = with_overrides(scenario, {"run.duration": "20min", "run.warmup": "2min"})
    judge = Evaluator(scenario, 7, 4, 8)
    result = grid([parse_axis(f"{WORKERS}=4..7"), parse_axis("0.75,1,1.25", LOAD_PARAMETER, integer=False)], judge)
    assert len(result.points) == 12
    for point in result.points:
        c, scale = int(point.setting[WORKERS]), point.setting[LOAD_PARAMETER]
        lam = 4.0 * scale
        theory = tb.mmc_sojourn(c, lam, 1.0) + tb.HOP_OVERHEAD_S if lam < c else math.inf
        mean = next(s for s in point.slos if s.name == "mean-answer")
        where = f"c = {c}, load {scale}: theory {theory:.3f} s, measured {mean.mean} [{mean.low}, {mean.high}]"
        if point.verdict == PASS:
            assert theory <= 1.25, where
        elif point.verdict == FAIL:
            assert theory > 1.25, where
        else:
            assert mean.low <= 1.25 <= mean.high, where
        if abs(theory - 1.25) >= 0.15:
            assert point.verdict != INCONCLUSIVE, where
    by_load = {f[LOAD_PARAMETER]: f[WORKERS] for f in result.found}
    for scale, c_star in {0.75: 5, 1.0: 6, 1.25: 7}.items():  # Erlang C's answer per load
        assert tb.mmc_sojourn(c_star, 4.0 * scale, 1.0) <= 1.25 < tb.mmc_sojourn(c_star - 1, 4.0 * scale, 1.0) \
            if 4.0 * scale < c_star - 1 else True
        cell = judge.points[tuple(sorted({WORKERS: float(c_star), LOAD_PARAMETER: scale}.items()))]
        if cell.verdict == PASS:
            assert by_load[scale] == c_star
        else:  # the answer's cell straddles: the search answers more workers, or nothing
            assert cell.verdict == INCONCLUSIVE and by_load.get(scale, math.inf) > c_star


def test_a_third_axis_splits_the_heatmap_and_the_tables_into_facets():
    from sim.report.capacity import grid_rows

    points = [_point({"a": a, "b": b, "c": c}, 1.0, 0.9, 1.1, PASS if a + b + c > 4 else FAIL)
              for a in (1, 2) for b in (1, 2, 3) for c in (1, 3)]
    document = _document(points, ["a", "b", "c"])
    fig = heatmap_figure(document)
    verdict_axes = [ax for ax in fig.axes if ax.images and ax.get_title().startswith("verdict")]
    assert [ax.get_title().splitlines()[1] for ax in verdict_axes] == ["c = 1", "c = 3"]
    assert [ax.images[0].get_array().shape for ax in verdict_axes] == [(3, 2), (3, 2)]
    tables = grid_rows(document)
    assert [title for title, _ in tables] == ["c = 1", "c = 3"]
    head, *body = tables[0][1]
    assert head == ["b \\ a", "1", "2"] and [row[0] for row in body] == ["3", "2", "1"]
    assert body[2][1].startswith("FAIL") and body[0][2].startswith("PASS")  # (a, b) = (1, 1) and (2, 3) at c = 1


# --- the evaluator: settings judged together, doubling while inconclusive, progress told --------------------------------

class Recorder:
    """The progress hooks, recorded."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def point(self, index, label, planned):
        self.events.append(("point", index, label, planned))

    def replan(self, planned, index=0):
        self.events.append(("replan", index, planned))

    def replication_done(self, index=0):
        self.events.append(("done", index))


def test_the_evaluator_doubles_an_undecided_setting_up_to_the_cap_and_tells_progress():
    """A stand-in model: at servers = 1 the mean alternates 0.5 s / 1.5 s around the 1 s threshold (never decided);
    at servers = 2 it is 0.5 s (decided at once)."""
    from dataclasses import replace

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "metrics"))
    from runner_fakes import FakeScenario, fake_overrides, fake_simulate, slo

    def simulate(scenario, seed, *, audit_path=None):
        index = seed.spawn_key[0]
        value = (0.5 if index % 2 == 0 else 1.5) if scenario.servers == 1 else 0.5 + 0.001 * index
        base = fake_simulate(scenario, seed)
        return replace(base, metrics={**base.metrics, "async.latency.mean": value})

    recorder = Recorder()
    scenario = FakeScenario(slos=(slo("async.latency.mean", "<=", 1.0),))
    judge = Evaluator(scenario, 7, 2, 8, simulate=simulate, progress=recorder, overrides=fake_overrides)
    shaky, sure = judge.many([{"servers": 1.0}, {"servers": 2.0}])
    assert (shaky.verdict, shaky.replications) == (INCONCLUSIVE, 8)
    assert (sure.verdict, sure.replications) == (PASS, 2)
    assert [e for e in recorder.events if e[0] == "point"] == [("point", 0, "servers = 1", 2),
                                                               ("point", 1, "servers = 2", 2)]
    assert [e for e in recorder.events if e[0] == "replan"] == [("replan", 0, 4), ("replan", 0, 8)]
    assert recorder.events.count(("done", 0)) == 8 and recorder.events.count(("done", 1)) == 2
    before = len(recorder.events)
    assert judge({"servers": 2.0}) is sure and len(recorder.events) == before  # judged once
