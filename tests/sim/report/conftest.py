"""What the command-line tests of the simulator's reports share."""

import pytest
from report_fakes import queue_simulate


@pytest.fixture
def stand_in_model(monkeypatch):
    """`smev-sim` runs the stand-in single-server queue (`report_fakes.queue_simulate`) instead of the model."""
    monkeypatch.setattr("sim.runner.orchestrator.default_simulate", lambda: queue_simulate)
