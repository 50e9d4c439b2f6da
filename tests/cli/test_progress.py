"""The progress display: silent for short work, a plain line per interval in logs, an honest estimate of time left."""

from __future__ import annotations

import io
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.progress import Progress, track


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_line_counts_and_estimates_from_the_mean_pace():
    clock = Clock()
    progress = Progress("check", total=10, unit="file", stream=io.StringIO(), mode="off", clock=clock)
    progress.__enter__()
    assert progress.line() == "check: 0/10 files (0 %), 0 s elapsed"
    clock.now += 20
    progress.advance(4, note="a.xml")
    assert progress.remaining() == 30.0
    assert progress.line() == "check: 4/10 files (40 %), 20 s elapsed, about 30 s left (a.xml)"
    progress.set_total(20)  # e.g. more replications needed: the estimate follows the new total
    assert progress.remaining() == 80.0
    clock.now += 100
    progress.advance(16)
    assert progress.line() == "check: 20/20 files (100 %), 2 min 00 s elapsed"


@given(st.integers(1, 500), st.integers(0, 500), st.floats(0.1, 1e4))
def test_the_estimate_is_the_mean_time_per_step_times_the_steps_left(total, done, elapsed):
    clock = Clock()
    progress = Progress("x", total=total, stream=io.StringIO(), mode="off", clock=clock)
    progress.__enter__()
    done = min(done, total)
    clock.now += elapsed
    progress.advance(done)
    left = progress.remaining()
    if done == 0:
        assert left is None
    else:
        assert abs(left - elapsed / done * (total - done)) <= 1e-6 * max(1.0, left)
        assert left == 0 or done < total


def test_plain_mode_is_silent_for_short_work_and_prints_periodic_lines_for_long_work():
    quick = io.StringIO()
    with Progress("run", total=3, unit="case", stream=quick, mode="plain", interval=5.0) as progress:
        progress.advance(3)
    assert quick.getvalue() == "", "a short command prints nothing extra"
    log = io.StringIO()
    with Progress("run", total=3, unit="case", stream=log, mode="plain", interval=0.05) as progress:
        progress.advance()
        time.sleep(0.2)
        progress.advance(2)
    lines = log.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("run: ") for line in lines)
    assert lines[0].startswith("run: 1/3 cases (33 %)") and "left" in lines[0]
    assert lines[-1].startswith("run: 3/3 cases (100 %)"), "a long piece of work says when it ended"


def test_off_prints_nothing_and_the_environment_chooses(monkeypatch):
    monkeypatch.setenv("SMEV_PROGRESS", "off")
    assert Progress("x", stream=io.StringIO()).mode == "off"
    monkeypatch.setenv("SMEV_PROGRESS", "plain")
    assert Progress("x", stream=io.StringIO()).mode == "plain"
    monkeypatch.delenv("SMEV_PROGRESS")
    assert Progress("x", stream=io.StringIO()).mode == "plain", "not a terminal: plain lines"


def test_track_yields_every_item_and_advances():
    seen = []
    for item in track([1, 2, 3], "work"):
        seen.append(item)
    assert seen == [1, 2, 3]


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
def test_check_on_many_files_reports_progress_in_a_log(tmp_path, capsys, monkeypatch):
    from conformance.cli import main
    from conformance.progress import Progress as Real

    monkeypatch.setattr("conformance.progress.INTERVAL", 0.0)
    made: list[Real] = []

    class Recording(Real):
        def __init__(self, *args, **kwargs):
            kwargs["interval"] = 0.01
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr("conformance.progress.Progress", Recording)
    assert main(["sample", "--all", "--output", str(tmp_path), "--seed", "1"]) == 0
    capsys.readouterr()
    main(["check", str(tmp_path), "--ignore", "TIME"])
    assert made and made[0].total == len(list(tmp_path.glob("*.xml"))) and made[0].done == made[0].total
