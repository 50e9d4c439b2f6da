"""Replaying against the participant: deliver a captured request to a provider again and watch what it does.

A capture of a live run holds the participant's calls; among them, the GetRequest answers that delivered requests.
`redeliver` serves the bus double at the participant's bus URL (as `run` does), starts the participant when its
participant.yaml says how, queues each captured request again (same sender, same business content, test flag and
version; a fresh MessageID, as a redelivery after a restart of the bus would not have), and records the participant's
reactions to it, its Ack and SendResponse with the bus's answers, until it has sent a response or `timeout` passed.
The reactions are compared with the captured ones (the captured Ack and SendResponse about the same request).

    redone = redeliver(deliveries(calls), participant, timeout=10)   # -> list[Redelivered]
    redone[0].verdict                                                # reproduced | no-longer-fails | ...
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from conformance import xmlsafe
from conformance.bus.credentials import BusCredentials, load_certificate_file, load_credentials
from conformance.bus.process import ParticipantProcess
from conformance.bus.registry_view import load_types
from conformance.bus.replay import AnswerSummary, CapturedCall, HttpMessage, Verdict, _header_lines, summarize
from conformance.bus.replyto import read_reply_to
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.errors import UsageError
from conformance.protocol import model as m
from conformance.protocol.mtom import read_body
from conformance.protocol.reader import parse
from conformance.suites.participant import Participant, bound, bus_address

if TYPE_CHECKING:
    from conformance.crypto import Backend
    from conformance.protocol.xmlfragment import XmlFragment

POLL = 0.05
ACK_GRACE = 0.5
"""After the response, how long to wait for an Ack that comes after it."""


@dataclass(frozen=True)
class Delivery:
    """A request the bus delivered to the participant in the capture (a GetRequest answer)."""

    call: CapturedCall
    index: int
    """The delivery's position among the captured calls: its reactions come after it."""
    message_id: str
    sender: str
    content: XmlFragment
    version: str
    test_message: bool


@dataclass(frozen=True)
class Reaction:
    """One call of the participant about a delivered request, and what the bus answered."""

    rpc: str
    answer: AnswerSummary

    def describe(self) -> str:
        return f"{self.rpc}: {self.answer.describe()}"


@dataclass(frozen=True)
class Redelivered:
    delivery: Delivery
    captured: tuple[Reaction, ...]
    now: tuple[Reaction, ...]
    message_id: str | None
    """The MessageID of the request delivered again (None when it could not be)."""
    skipped: str | None = None
    """Why the request was not delivered again."""

    @staticmethod
    def _failures(reactions: tuple[Reaction, ...]) -> set[tuple[str, str | None, str | None]]:
        found = {(r.rpc, r.answer.fault, r.answer.reason) for r in reactions if r.answer.fails}
        if not any(r.rpc == "SendResponse" for r in reactions):
            found.add(("SendResponse", "no response", None))
        return found

    @property
    def verdict(self) -> Verdict:
        if self.skipped is not None:
            return Verdict.SKIPPED
        before, after = self._failures(self.captured), self._failures(self.now)
        if before and after:
            return Verdict.REPRODUCED if before == after else Verdict.FAILS_DIFFERENTLY
        if before:
            return Verdict.NO_LONGER_FAILS
        return Verdict.NOW_FAILS if after else Verdict.STILL_SUCCEEDS


def _envelope(message: HttpMessage) -> bytes:
    return read_body(message.header("Content-Type"), message.body).envelope


def deliveries(calls: list[CapturedCall]) -> list[Delivery]:
    """The requests delivered by the captured GetRequest answers, in capture order."""
    found = []
    for index, call in enumerate(calls):
        if call.answer is None or call.answer.status != 200:
            continue
        try:
            parsed = parse(_envelope(call.answer), source=call.source)
        except Exception:  # noqa: BLE001 - not a delivery: skipped
            continue
        message = parsed.message
        if not isinstance(message, m.GetRequestResponse) or message.message is None:
            continue
        request = message.message.request
        sender = request.metadata.sender.mnemonic if request.metadata and request.metadata.sender else None
        if not sender:
            continue
        found.append(Delivery(call, index, request.data.message_id, sender, request.data.content, parsed.version.value,
                              bool(request.data.test_message)))
    return found


def _about(call: CapturedCall) -> tuple[str, str | None] | None:
    """(rpc, the MessageID it is about) of an Ack or a SendResponse, read leniently: a SendResponse whose To is
    missing or no ReplyTo of this bus gives None as the id (the protocol reader would refuse it outright)."""
    try:
        root = xmlsafe.parse_bytes(_envelope(call.request), source=call.source).getroot()
    except Exception:  # noqa: BLE001 - unreadable: about nothing
        return None
    body = next((c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "Body"), None)
    operation = next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    if operation is None:
        return None
    name = etree.QName(operation).localname

    def text(local: str) -> str | None:
        found = operation.xpath(f".//*[local-name()='{local}']")
        return (found[0].text or "").strip() if found else None

    if name == "AckRequest":
        return "Ack", text("AckTargetMessage")
    if name == "SendResponseRequest":
        target = read_reply_to(text("To"))
        return "SendResponse", target[0] if target else None
    return None


def reactions(calls: list[CapturedCall], message_id: str, *, unaddressed: bool = False) -> tuple[Reaction, ...]:
    """The calls about the delivered request `message_id`: Acks of it, SendResponses whose To names it, and with
    `unaddressed` also SendResponses whose To names no request (a missing To is the mistake being replayed)."""
    out = []
    for call in calls:
        about = _about(call)
        if about is None or not (about[1] == message_id or (unaddressed and about == ("SendResponse", None))):
            continue
        answer = summarize(call.answer.status, call.answer.body) if call.answer else AnswerSummary(None, error="none")
        out.append(Reaction(about[0], answer))
    return tuple(out)


def _captured_reactions(calls: list[CapturedCall], delivery: Delivery, following: int | None) -> tuple[Reaction, ...]:
    """The captured reactions to `delivery`: calls after it; unaddressed responses only before the next delivery."""
    after = calls[delivery.index + 1:]
    addressed = reactions(after, delivery.message_id)
    window = calls[delivery.index + 1: following] if following is not None else after
    loose = tuple(r for r in reactions(window, delivery.message_id, unaddressed=True) if r not in addressed)
    return addressed + loose


def related_failures(calls: list[CapturedCall]) -> list[Delivery]:
    """The deliveries whose captured reactions failed (a refused Ack or SendResponse, or no response)."""
    found = deliveries(calls)
    return [d for i, d in enumerate(found)
            if Redelivered._failures(_captured_reactions(calls, d, found[i + 1].index if i + 1 < len(found) else None))]


def _bus_for(participant: Participant, *, registry: str | None, credentials: BusCredentials | None, signatures: bool,
             backend: Backend | None) -> Bus:
    credentials = credentials or load_credentials()
    if signatures:
        if participant.certificate is None:
            raise UsageError(f"{participant.path}: keys.certificate is needed to verify the participant's signatures "
                             "(or replay with --no-signatures)")
        credentials = credentials.with_participant(participant.mnemonic, load_certificate_file(participant.certificate))
    return Bus(load_types(registry), config=BusConfig(signatures=signatures, backend=backend), credentials=credentials)


def _call_of(exchange: object) -> CapturedCall:
    e = exchange
    return CapturedCall(f"journal #{e.id}", "the bus double of this replay",  # type: ignore[attr-defined]
                        HttpMessage("POST /smev HTTP/1.1", _header_lines(e.request_headers), e.request_body),  # type: ignore[attr-defined]
                        HttpMessage(f"HTTP/1.1 {e.http_status}", _header_lines(e.response_headers),  # type: ignore[attr-defined]
                                    e.response_body))  # type: ignore[attr-defined]


def redeliver(chosen: list[Delivery], all_calls: list[CapturedCall], participant: Participant, *,
              registry: str | None = None, credentials: BusCredentials | None = None, signatures: bool = True,
              timeout: float = 10.0, backend: Backend | None = None) -> list[Redelivered]:
    """Deliver each chosen request to the participant again, through a double at its bus URL that signs with
    `credentials` (default: the shipped test PKI); see the module."""
    host, port = bus_address(participant)
    bus = _bus_for(participant, registry=registry, credentials=credentials, signatures=signatures, backend=backend)
    try:
        running = start(bus, host, port)
    except OSError as exc:
        raise UsageError(f"cannot serve the bus double at {participant.bus_url}: {exc.strerror or exc}") from None
    participant = bound(participant, running.url)
    process = None
    results = []
    try:
        if participant.start is not None:
            process = ParticipantProcess(participant, bus)
            process.start()
        indexes = sorted(d.index for d in deliveries(all_calls))
        for delivery in chosen:
            following = next((i for i in indexes if i > delivery.index), None)
            captured = _captured_reactions(all_calls, delivery, following)
            try:
                queued = bus.inject_request(delivery.sender, delivery.content, version=delivery.version,
                                            test_message=delivery.test_message)
            except KeyError as exc:  # e.g. a suite's deliberately wrong delivery: the double will not queue it
                results.append(Redelivered(delivery, captured, (), None, f"not delivered again: {exc.args[0]}"))
                continue
            start_id = max((e.id for e in bus.store.exchanges()), default=0)
            now = _watch(bus, participant.mnemonic, queued.message_id, timeout, after=start_id)
            results.append(Redelivered(delivery, captured, now, queued.message_id))
    finally:
        if process is not None:
            process.stop()
        running.close()
        bus.store.close()
    return results


def _watch(bus: Bus, mnemonic: str, message_id: str, timeout: float, *, after: int) -> tuple[Reaction, ...]:
    """The participant's reactions to `message_id` (calls after journal id `after`; one request is outstanding, so a
    response without a usable To is its) until its first SendResponse and a short grace for a late Ack, or
    `timeout`."""
    deadline = time.monotonic() + timeout
    seen: tuple[Reaction, ...] = ()
    answered_at = None
    while time.monotonic() < deadline:
        calls = [_call_of(e) for e in bus.store.exchanges(caller=mnemonic, after=after)]
        seen = reactions(calls, message_id, unaddressed=True)
        if answered_at is None and any(r.rpc == "SendResponse" for r in seen):
            answered_at = time.monotonic()
        if answered_at is not None and (any(r.rpc == "Ack" for r in seen) or time.monotonic() - answered_at > ACK_GRACE):
            break
        time.sleep(POLL)
    return seen
