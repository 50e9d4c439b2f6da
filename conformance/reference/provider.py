"""The reference provider: polls GetRequest, checks the bus's signature, processes durably, acks, answers.

For each delivered request, in this order (the reference; a variant changes one step):
1. the bus's signature (and the consumer's inside it) must verify, else Ack accepted=false and nothing else;
2. a MessageID already in the journal is a redelivery: ack it again, do not answer again;
3. look the subject up in the registry of citizens: the business answer, or RequestRejected NO_DATA
   (UNKNOWN_REQUEST_DESCRIPTION for a type it does not provide or a request its type's XSD refuses); a TestMessage
   is answered the same way but leaves no trace in the audit of inquiries;
4. commit the request and its answer (the journal's outbox), then Ack: a crash after the ack loses nothing;
5. SendResponse with To = the request's ReplyTo verbatim and a new MessageID, signed; the row becomes `answered`
   when the bus takes it. After a fault the answer stays in the outbox and is resent, under a new MessageID, after
   an exponential backoff, while polling goes on; it becomes `failed` when its attempts are spent.
On start, answers left in the outbox by a previous run are sent first.
"""

from __future__ import annotations

import json
import os
import threading
import time

from lxml import etree

from conformance.bus.client import Reply
from conformance.protocol import model as m
from conformance.protocol.codes import RejectionReasonCode
from conformance.protocol.xmlfragment import XmlFragment
from conformance.reference import citizens
from conformance.reference.common import (
    Crash,
    Participant,
    Settings,
    backoff_delay,
    bus_signature_problem,
    call,
    log,
)
from conformance.reference.identity import PROVIDER
from conformance.reference.variants import AckMode
from conformance.reference.wire import message_id
from conformance.schemas.validation import validate_payload


def encode_answer(answer: m.ResponseAnswer) -> bytes:
    """The answer as the journal keeps it (JSON; a business element as its XML)."""
    if isinstance(answer, m.BusinessAnswer):
        return json.dumps({"kind": "data", "xml": etree.tostring(answer.content.element()).decode()}).encode()
    assert isinstance(answer, m.Rejection)
    reason = answer.reasons[0]
    return json.dumps({"kind": "rejected", "code": reason.code.value, "description": reason.description}).encode()


def decode_answer(data: bytes) -> m.ResponseAnswer:
    item = json.loads(data)
    if item["kind"] == "data":
        return m.BusinessAnswer(content=XmlFragment.from_bytes(item["xml"].encode(), source="journal"))
    return m.Rejection((m.RequestRejected(RejectionReasonCode(item["code"]), item["description"]),))


class Provider(Participant):
    """One reference provider over one state database. `run()` polls until stopped."""

    def __init__(self, settings: Settings):
        super().__init__(settings, "provider", PROVIDER)
        with self.state.lock:
            citizens.seed_citizens(self.state.db, self.registry, settings.citizens)
        self.handled = 0

    # -- the answer ------------------------------------------------------------------------------------------------

    def answer_for(self, request: m.Request) -> tuple[str, m.ResponseAnswer]:
        """(type name, answer) for a delivered request, from the registry of citizens (read only)."""
        content = request.data.content
        match = self.registry.by_root(content.namespace, content.local_name)
        if match is None or match.spec.sample is None:
            return "?", m.Rejection((m.RequestRejected(
                RejectionReasonCode.UNKNOWN_REQUEST_DESCRIPTION,
                f"this provider does not serve requests {content.tag}"),))
        if match.spec.request.xsd is not None:
            errors = validate_payload(content.element(), match.spec.request.xsd)
            if errors:
                return match.spec.name, m.Rejection((m.RequestRejected(
                    RejectionReasonCode.UNKNOWN_REQUEST_DESCRIPTION,
                    f"the request does not follow the type's schema: {errors[0].message}"),))
        with self.state.lock:
            element = citizens.answer(self.state.db, match.spec, content.element())
        if element is None:
            return match.spec.name, m.Rejection((m.RequestRejected(
                RejectionReasonCode.NO_DATA, "the registry holds no citizen with the data requested"),))
        return match.spec.name, m.BusinessAnswer(content=XmlFragment(element))

    # -- one delivery ----------------------------------------------------------------------------------------------

    def poll_once(self) -> bool:
        """One GetRequest and whatever it brings; True when a message was delivered."""
        reply = call("GetRequest", self.client.get_request)
        if reply is None or reply.fault is not None or reply.message is None:
            if reply is not None and reply.fault is not None:
                log.warning("GetRequest refused: %s %s", reply.fault.name.value, reply.fault.faultstring)
                self.stopping.wait(self.settings.backoff)
            return False
        delivered = reply.message.message  # type: ignore[union-attr]
        if delivered is None:
            return False
        self.handle(reply, delivered.request)
        self.handled += 1
        return True

    def _ack(self, target: str, accepted: bool) -> None:
        reply = call("Ack", lambda: self.client.ack(target, accepted=accepted))
        if reply is not None and reply.fault is not None:
            log.warning("Ack of %s refused: %s %s", target, reply.fault.name.value, reply.fault.faultstring)
        if self.settings.crash_after_ack or self.crash_requested.is_set():
            raise Crash(f"crash point after the Ack of {target}")

    def handle(self, reply: Reply, request: m.Request) -> None:
        behaviour = self.behaviour
        mid = request.data.message_id
        target = request.metadata.message_id or mid
        if self.settings.signatures and behaviour.honour_bad_bus_signature:
            problem = bus_signature_problem(reply, self.settings.backend)
            if problem is not None:
                log.warning("refusing %s: the bus's signature does not hold: %s", mid, problem)
                self.state.record_refusal(mid, problem)
                self._ack(target, accepted=False)
                return
        if behaviour.deduplicate:
            known = self.state.find(mid)
            if known is not None:
                log.info("%s was delivered again; acking, not answering twice", mid)
                self.state.count_delivery(mid)
                if behaviour.ack is not AckMode.NEVER:
                    self._ack(target, accepted=True)
                if known.state == "processed":
                    self.send_answer(known.message_id, known.reply_to, decode_answer(known.answer))
                return
        if behaviour.ack is AckMode.BEFORE_DURABLE:
            self._ack(target, accepted=True)
        type_name, answer = self.answer_for(request)
        self.state.record_processed(mid, type_name, request.reply_to, request.data.test_message,
                                    encode_answer(answer))
        if behaviour.ack is AckMode.AFTER_DURABLE:
            self._ack(target, accepted=True)
        self.send_answer(mid, request.reply_to, answer)

    def send_answer(self, request_id: str, reply_to: str | None, answer: m.ResponseAnswer) -> bool:
        """One SendResponse under a new MessageID; True when the bus took it. A refused answer stays in the outbox
        for a resend after a backoff (or becomes `failed` when its attempts are spent)."""
        if self.behaviour.answer_delay:
            self.stopping.wait(self.behaviour.answer_delay)
        response_id = message_id(self.behaviour.message_id)
        reply = call("SendResponse", lambda: self.client.send_response(reply_to or "", answer,
                                                                        message_id=response_id))
        if reply is not None and reply.fault is None and reply.status == 200 and reply.message is not None:
            self.state.mark_answered(request_id, response_id)
            return True
        why = f"{reply.fault.name.value}: {reply.fault.faultstring}" if reply is not None and reply.fault else \
            f"HTTP {reply.status}" if reply is not None else "no answer"
        entry = self.state.find(request_id)
        attempt = (entry.attempts if entry else 0) + 1
        retry = attempt < self.settings.attempts
        log.warning("SendResponse for %s (attempt %d) refused: %s%s", request_id, attempt, why,
                    "" if retry else "; giving up")
        self.state.attempt_failed(request_id, time.time() + backoff_delay(self.settings, attempt) if retry else None)
        return False

    # -- the loop --------------------------------------------------------------------------------------------------

    def flush_outbox(self, *, due_only: bool = True) -> int:
        """Send the committed answers that are due (all of them with `due_only=False`, as after a restart);
        returns how many the bus took."""
        sent = 0
        for entry in self.state.outbox(time.time() if due_only else None):
            if self.stopping.is_set():
                break
            log.info("sending the committed answer to %s", entry.message_id)
            sent += self.send_answer(entry.message_id, entry.reply_to, decode_answer(entry.answer))
        return sent

    def run(self, stop: threading.Event | None = None, *, once: bool = False, duration: float | None = None) -> int:
        """Poll until `stop` is set, `duration` has passed, or (with `once`) the queue is empty and no answer
        waits in the outbox. Returns the number of deliveries handled. A `Crash` ends the loop at once (in a
        process, the process exits)."""
        stop = self.stopping = stop or self.stopping
        deadline = None if duration is None else time.monotonic() + duration
        self.flush_outbox(due_only=False)
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            self.flush_outbox()
            got = self.poll_once()
            if once and not got and not self.state.outbox():
                break
            if not got:
                stop.wait(self.settings.poll_interval)
        return self.handled


def crash_exit() -> None:
    """What a crash is in a process: exit at once, without cleanup."""
    os._exit(70)
