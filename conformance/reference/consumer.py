"""The reference consumer: sends a request of a type, polls GetResponse, acks what it receives.

- SendRequest carries a fresh lower-case UUID v1 MessageID and a fake request of the type (seeded).
  After SMEVFailure (or DestinationOverflow) it retries the same message after an exponential backoff; after
  MessageIsAlreadySent or StaleMessageId it sends the same content again under a new MessageID; any other fault
  is final (the request is `refused`).
- GetResponse: every message taken is acked (accepted=false, and ignored, when the bus's signature fails). A
  business answer or RequestRejected ends the request; RequestStatus and the bus's intermediate
  AsyncProcessingStatus keep it open; an asynchronous rejection (requestIsRejectedBySmev, ...) ends it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from lxml import etree

from conformance.protocol import model as m
from conformance.protocol.codes import FaultName, StatusCategory
from conformance.protocol.xmlfragment import XmlFragment
from conformance.reference.common import (
    Crash,
    Participant,
    Settings,
    backoff_delay,
    bus_signature_problem,
    call,
    log,
)
from conformance.reference.identity import CONSUMER
from conformance.reference.variants import AckMode
from conformance.reference.wire import message_id
from conformance.registry import make_payload

RETRY_SAME = frozenset({FaultName.SMEV_FAILURE, FaultName.DESTINATION_OVERFLOW})
RETRY_NEW_ID = frozenset({FaultName.MESSAGE_IS_ALREADY_SENT, FaultName.STALE_MESSAGE_ID})
FINAL_STATUSES = frozenset({StatusCategory.REQUEST_IS_REJECTED_BY_SMEV, StatusCategory.RESPONSE_IS_REJECTED_BY_SMEV,
                            StatusCategory.CANCELLED, StatusCategory.DOES_NOT_EXIST})


@dataclass(frozen=True)
class Sent:
    """The result of `send`: the MessageID the bus took (None when refused), each attempt, the final fault."""

    message_id: str | None
    attempts: tuple[str, ...]
    fault: str | None = None


@dataclass(frozen=True)
class Received:
    """One message taken by GetResponse: for which request, what it is, whether it ended the request."""

    message_id: str
    original_message_id: str | None
    kind: str
    """data | rejected | status | async-status | refused (bad bus signature)"""
    detail: str
    final: bool


class Consumer(Participant):
    def __init__(self, settings: Settings):
        super().__init__(settings, "consumer", CONSUMER)

    # -- sending ---------------------------------------------------------------------------------------------------

    def request_content(self, type_name: str, seed: int = 0) -> XmlFragment:
        return XmlFragment(make_payload(self.registry.by_name(type_name), "request", seed=seed))

    def send(self, type_name: str, *, seed: int = 0, test_message: bool = False,
             content: XmlFragment | None = None) -> Sent:
        """SendRequest of `type_name` (content: the fake request of `seed`), with the retries the faults call for."""
        content = content or self.request_content(type_name, seed)
        attempts: list[str] = []
        current = message_id(self.behaviour.message_id)
        fault: str | None = None
        for attempt in range(1, self.settings.attempts + 1):
            if self.stopping.is_set():
                break
            attempts.append(current)
            reply = call("SendRequest", lambda mid=current: self.client.send_request(
                content, message_id=mid, test_message=test_message))
            if reply is not None and reply.fault is None and reply.status == 200 and reply.message is not None:
                self.state.record_sent(current, type_name, attempts[0] if attempt > 1 else None, "queued")
                return Sent(current, tuple(attempts))
            name = reply.fault.name if reply is not None and reply.fault is not None else None
            fault = name.value if name else (f"HTTP {reply.status}" if reply is not None else "bus unreachable")
            log.warning("SendRequest %s (attempt %d) refused: %s", current, attempt, fault)
            self.state.record_sent(current, type_name, attempts[0] if attempt > 1 else None, "refused", fault)
            if name in RETRY_NEW_ID:
                current = message_id(self.behaviour.message_id)
                continue
            if name is None or name in RETRY_SAME:
                if attempt < self.settings.attempts:
                    self.stopping.wait(backoff_delay(self.settings, attempt))
                continue
            break
        return Sent(None, tuple(attempts), fault)

    # -- receiving -------------------------------------------------------------------------------------------------

    def _ack(self, target: str, accepted: bool) -> None:
        if self.behaviour.ack is AckMode.NEVER:
            return
        reply = call("Ack", lambda: self.client.ack(target, accepted=accepted))
        if reply is not None and reply.fault is not None:
            log.warning("Ack of %s refused: %s %s", target, reply.fault.name.value, reply.fault.faultstring)
        if self.settings.crash_after_ack or self.crash_requested.is_set():
            raise Crash(f"crash point after the Ack of {target}")

    def poll_once(self) -> Received | None:
        """One GetResponse; the message it brought (already acked and recorded), or None."""
        reply = call("GetResponse", self.client.get_response)
        if reply is None or reply.fault is not None or reply.message is None:
            if reply is not None and reply.fault is not None:
                log.warning("GetResponse refused: %s %s", reply.fault.name.value, reply.fault.faultstring)
            return None
        taken = reply.message.message  # type: ignore[union-attr]
        if taken is None:
            return None
        response = taken.response
        target = response.metadata.message_id or response.data.message_id
        original = response.original_message_id
        if self.settings.signatures and self.behaviour.honour_bad_bus_signature:
            problem = bus_signature_problem(reply, self.settings.backend)
            if problem is not None:
                log.warning("refusing %s: the bus's signature does not hold: %s", target, problem)
                self.state.record_received(target, original, "refused", accepted=False)
                self._ack(target, accepted=False)
                return Received(target, original, "refused", problem, final=False)
        kind, detail, final = describe(response.data.answer)
        first_time = self.state.record_received(target, original, kind, accepted=True)
        if first_time and original is not None and self.state.sent(original) is not None:
            body = None
            if isinstance(response.data.answer, m.BusinessAnswer):
                body = etree.tostring(response.data.answer.content.element())
            self.state.finish(original, "done" if final else "in-progress", kind, detail, body)
        self._ack(target, accepted=True)
        return Received(target, original, kind, detail, final)

    def await_final(self, request_id: str, timeout: float, stop: threading.Event | None = None) -> Received | None:
        """Poll until the request `request_id` gets a final answer (None on timeout)."""
        deadline = time.monotonic() + timeout
        stop = stop or self.stopping
        while time.monotonic() < deadline and not stop.is_set():
            got = self.poll_once()
            if got is None:
                stop.wait(self.settings.poll_interval)
            elif got.final and got.original_message_id == request_id:
                return got
        return None

    def exchange(self, type_name: str, *, seed: int = 0, timeout: float = 30.0,
                 test_message: bool = False) -> tuple[Sent, Received | None]:
        """Send one request and wait for its final answer."""
        sent = self.send(type_name, seed=seed, test_message=test_message)
        if sent.message_id is None:
            return sent, None
        return sent, self.await_final(sent.message_id, timeout)

    def run(self, stop: threading.Event | None = None, *, duration: float | None = None) -> None:
        """Keep polling GetResponse (acking everything) until stopped or `duration` has passed."""
        stop = self.stopping = stop or self.stopping
        deadline = None if duration is None else time.monotonic() + duration
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            if self.poll_once() is None:
                stop.wait(self.settings.poll_interval)


def describe(answer: m.ResponseAnswer) -> tuple[str, str, bool]:
    """(kind, detail, final) of what a response carries."""
    if isinstance(answer, m.BusinessAnswer):
        return "data", answer.content.local_name, True
    if isinstance(answer, m.Rejection):
        return "rejected", ", ".join(r.code.value for r in answer.reasons), True
    if isinstance(answer, m.RequestStatus):
        return "status", f"{answer.code} {answer.description}", False
    fault = f" ({answer.smev_fault.code})" if answer.smev_fault and answer.smev_fault.code else ""
    return "async-status", f"{answer.status_category.value}{fault}", answer.status_category in FINAL_STATUSES
