"""The participant under test run as a child process (`start:` of participant.yaml): started, crashed and restarted,
stopped, its output kept in a log. The suite engine and `redeliver` both run one, so it lives here, below both."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.errors import UsageError

if TYPE_CHECKING:
    from conformance.bus.service import Bus
    from conformance.suites.participant import Participant

RUN_DIRECTORY_ENV = "SMEV_CONFORMANCE_RUN_DIR"
"""Environment variable naming a directory fresh for the run, given to a participant the harness starts."""


class ParticipantProcess:
    """A participant the harness runs as a process (`start:` of participant.yaml)."""

    def __init__(self, participant: Participant, bus: Bus):
        assert participant.start is not None
        self.participant = participant
        self.spec = participant.start
        self.bus = bus
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.log_path: Path | None = None
        self._run_directory: str | None = None

    def _environment(self) -> dict[str, str]:
        """The participant's environment: ours, its `env:`, and RUN_DIRECTORY_ENV, a directory fresh for this run
        (the same across restarts) where a participant may keep its state so that earlier runs leak nothing."""
        if self._run_directory is None:
            self._run_directory = tempfile.mkdtemp(prefix=f"smev-run-{self.participant.mnemonic}-")
        return {**os.environ, RUN_DIRECTORY_ENV: self._run_directory, **self.spec.env}

    def _log(self):  # noqa: ANN202 - an open binary file
        """The participant's output goes to a log file (appended across restarts), so a failure can show it."""
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix=f"participant-{self.participant.mnemonic}-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        return self.log_path.open("ab")

    def log_tail(self, lines: int = 8) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no output)"
        text = self.log_path.read_bytes()[-8192:].decode("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:]) or "(no output)"

    def start(self, *, wait_ready: bool = False) -> None:
        """Start it; with `wait_ready`, until its first call reaches the bus (or `ready_timeout` passes)."""
        with self._lock:
            try:
                with self._log() as log:  # the child keeps its own descriptor
                    self.process = subprocess.Popen(list(self.spec.command), cwd=self.spec.cwd,
                                                    env=self._environment(),
                                                    stdout=log, stderr=subprocess.STDOUT)
            except OSError as exc:
                raise UsageError(f"{self.participant.path}: cannot start {self.spec.command[0]!r}: "
                                 f"{exc.strerror or exc}") from None
        if not wait_ready:
            return
        deadline = time.time() + self.spec.ready_timeout
        while time.time() < deadline:
            if self.bus.store.exchanges(caller=self.participant.mnemonic):
                return
            if self.process.poll() is not None:
                raise UsageError(f"{self.participant.path}: the participant exited with {self.process.returncode} "
                                 f"before it called the bus; the end of its output ({self.log_path}):\n"
                                 f"{self.log_tail()}")
            time.sleep(0.05)
        # A consumer may only call when it has something to do; the cases will tell.

    def crash_and_restart(self) -> None:
        with self._lock:
            if self.process is not None:
                self.process.kill()
                self.process.wait(timeout=5)
        self.start()

    def stop(self) -> None:
        with self._lock:
            if self.process is None:
                return
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._run_directory is not None:
            shutil.rmtree(self._run_directory, ignore_errors=True)
