"""The reference participant in-process: start a provider or a consumer in a thread, stop it, restart it.

    running = start_provider(Settings(bus_url=url, state=path, variant=variant("no-ack")))
    ...
    running.stop()          # sets the stop flag, waits for the thread, closes the database

A `Crash` (the crash-after-ack test hook) ends the thread at once; `running.crashed` tells.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from conformance.reference.common import Crash, Settings, log
from conformance.reference.consumer import Consumer
from conformance.reference.provider import Provider
from conformance.reference.trigger import TriggerServer, serve_trigger


@dataclass
class RunningParticipant:
    participant: Provider | Consumer
    thread: threading.Thread
    stop_event: threading.Event
    crashed: bool = False
    error: BaseException | None = field(default=None)
    trigger: TriggerServer | None = None
    """The consumer's trigger endpoint, when it serves one (`trigger.url`)."""
    restarts: int = 0
    restarting: threading.Thread | None = None

    def stop(self, timeout: float = 10.0) -> None:
        if self.restarting is not None:
            self.restarting.join(timeout)
        if self.trigger is not None:
            self.trigger.shutdown()
            self.trigger.server_close()
        self.stop_event.set()
        self.thread.join(timeout)
        self.participant.close()

    def crash_and_restart(self) -> None:
        """Kill the participant as a crash would and start a fresh one on the same state (what a harness's `crash`
        step does; `conformance.suites.engine.ParticipantControl`). Safe to call from the bus while it holds the
        answer to the participant's Ack: the old one stops dead when that call returns (no further writes), and
        the new one starts once the old thread has ended."""
        old = self.participant
        old.crash_requested.set()
        old.stopping.set()
        self.restarts += 1

        def restart() -> None:
            self.thread.join(30)
            old.close()
            fresh = type(old)(old.settings)
            self.participant = fresh
            self.stop_event = fresh.stopping
            if self.trigger is not None:
                self.trigger.consumer = fresh  # type: ignore[assignment]
            self.thread = _thread(self, fresh, "provider" if isinstance(fresh, Provider) else "consumer")

        self.restarting = threading.Thread(target=restart, name="reference-restart", daemon=True)
        self.restarting.start()

    def __enter__(self) -> RunningParticipant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _thread(running: RunningParticipant, participant: Provider | Consumer, name: str) -> threading.Thread:
    def body() -> None:
        try:
            participant.run(running.stop_event)
        except Crash as exc:
            log.warning("%s", exc)
            running.crashed = True
        except Exception as exc:  # a thread must not die silently: keep the error for the caller
            log.exception("the reference %s stopped on an error", name)
            running.error = exc

    thread = threading.Thread(target=body, name=f"reference-{name}", daemon=True)
    thread.start()
    return thread


def _start(participant: Provider | Consumer, name: str) -> RunningParticipant:
    running = RunningParticipant(participant, None, participant.stopping)  # type: ignore[arg-type]
    running.thread = _thread(running, participant, name)
    return running


def start_provider(settings: Settings) -> RunningParticipant:
    """A provider polling in a background thread."""
    return _start(Provider(settings), "provider")


def start_consumer(settings: Settings, *, trigger: tuple[str, int] | None = None) -> RunningParticipant:
    """A consumer polling GetResponse in a background thread (send requests with `.participant.send(...)`);
    with `trigger` (host, port; port 0: any) it also serves the HTTP trigger endpoint (`.trigger.url`)."""
    consumer = Consumer(settings)
    server = serve_trigger(consumer, *trigger) if trigger is not None else None
    running = _start(consumer, "consumer")
    running.trigger = server
    return running
