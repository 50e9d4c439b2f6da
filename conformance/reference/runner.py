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

    def stop(self, timeout: float = 10.0) -> None:
        if self.trigger is not None:
            self.trigger.shutdown()
            self.trigger.server_close()
        self.stop_event.set()
        self.thread.join(timeout)
        self.participant.close()

    def __enter__(self) -> RunningParticipant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _start(participant: Provider | Consumer, name: str) -> RunningParticipant:
    stop = threading.Event()
    running = RunningParticipant(participant, None, stop)  # type: ignore[arg-type]

    def body() -> None:
        try:
            participant.run(stop)
        except Crash as exc:
            log.warning("%s", exc)
            running.crashed = True
        except Exception as exc:  # a thread must not die silently: keep the error for the caller
            log.exception("the reference %s stopped on an error", name)
            running.error = exc

    running.thread = threading.Thread(target=body, name=f"reference-{name}", daemon=True)
    running.thread.start()
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
