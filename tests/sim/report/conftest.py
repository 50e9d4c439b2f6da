"""What the command-line tests of the simulator's reports share."""

import io
import json
from contextlib import redirect_stdout
from types import SimpleNamespace

import pytest
from report_fakes import queue_simulate, tiny_file

from sim.cli import main


@pytest.fixture
def stand_in_model(monkeypatch):
    """`smev-sim` runs the stand-in single-server queue (`report_fakes.queue_simulate`) instead of the model."""
    monkeypatch.setattr("sim.runner.orchestrator.default_simulate", lambda: queue_simulate)


@pytest.fixture(scope="session")
def tagged_run(tmp_path_factory):
    """One real-model run of the tiny scenario with a 25 % tagged share (6 min, 2 replications), shared by the tests of
    what such a run reports: its `out` folder, `report` (report.json) and `printed` terminal output."""
    folder = tmp_path_factory.mktemp("tagged")
    out, printed = folder / "out", io.StringIO()
    with redirect_stdout(printed):
        code = main(["run", str(tiny_file(folder)), "-o", str(out), "-q", "--duration", "6min", "--replications", "2",
                     "--tagged-share", "25%"])
    assert code == 0
    return SimpleNamespace(out=out, report=json.loads((out / "report.json").read_text()), printed=printed.getvalue())
