"""The live assertions' examples, played: each `LiveExample` (a suite case and a participant's moves) runs through the
real suite engine and bus double against a scripted participant, in process, and gives the case's findings.

The scripted participant calls the bus as a real one does (built, and signed when the example runs with signatures,
with the reference participant's keys), only synchronously: it acts each time the engine waits. The bus double
takes the caller from its header and leaves signatures to the engine (which checks them when the example says
`signatures`), so that an unsigned call is judged by the assertion rather than refused before it. A provider polls
GetRequest and makes its moves for each request it takes; a consumer sends its request once, and resends after the
bus refused it. Moves (`LiveExample.moves`), in order:

- provider: `ack`, `refuse` (Ack accepted=false), `ack-other` (an Ack of another MessageID), `answer` (data, To copied
  from ReplyTo), `answer-to-rewritten`, `answer-no-to`, `answer-upper-case-id`, `answer-unsigned`, `reject`
  (RequestRejected NO_DATA), `status` (RequestStatus 1), `once` (answer each MessageID once: a journal);
- consumer: `send`, `send-test` (TestMessage), `resend` (a new MessageID, the same content), `resend-same-id`,
  `resend-other-content`, `poll` (GetResponse);
- both: `wait:SECONDS`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from conformance.bus.client import SENDER_HEADER, BusClient, Reply
from conformance.bus.credentials import load_credentials
from conformance.bus.registry_view import load_types
from conformance.bus.service import Bus, BusConfig
from conformance.findings import FileResult
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.codes import RejectionReasonCode
from conformance.protocol.namespaces import ns
from conformance.protocol.reader import parse
from conformance.protocol.xmlfragment import XmlFragment
from conformance.reference.identity import identity
from conformance.reference.participant_files import REGISTRY_FILE
from conformance.registry import Side, load_registry, make_payload
from conformance.rules.live.base import LiveExample
from conformance.suites.engine import Engine, RunSettings
from conformance.suites.participant import Participant, ParticipantType
from conformance.suites.schema import load_suite
from conformance.xmldsig.signer import signing_hook

CONSUMER_MOVES = frozenset({"send", "send-test", "resend", "resend-same-id", "resend-other-content", "poll"})
SETTINGS = RunSettings(registry_path=str(REGISTRY_FILE), deadline_scale=0.00002, ack_timeout=2.0, poll=0.02,
                       wait_scale=0.2)
"""Quick polls and short quiet windows: an example runs in a second or two."""
TYPE = "fns-inn-by-passport"


def role_of(example: LiveExample) -> str:
    return "consumer" if CONSUMER_MOVES & set(example.moves) else "provider"


def play(example: LiveExample) -> FileResult:
    """Run `example`'s case through the engine against a participant making its moves; the case's result."""
    role = role_of(example)
    who = identity(role)
    mnemonic = "REF_PROVIDER" if role == "provider" else "REF_CONSUMER"
    with tempfile.TemporaryDirectory(prefix="live-example-") as directory:
        suite_file = Path(directory) / "example.yaml"
        suite_file.write_text(_suite_text(example, role), encoding="utf-8")
        suite = load_suite(suite_file)
    participant = Participant(mnemonic, suite.role, "1.3", (ParticipantType(TYPE, 1),), "http://127.0.0.1:0/smev",
                              "example participant", certificate=who.certificate_path)
    credentials = load_credentials().with_participant(mnemonic, who.certificate)
    bus = Bus(load_types(str(REGISTRY_FILE)), config=BusConfig(ack_timeout=SETTINGS.ack_timeout, signatures=False),
              credentials=credentials)
    actor = _Scripted(bus, mnemonic, example.moves, sign=signing_hook(who.key, who.certificate)
                      if example.signatures else None)
    settings = replace(SETTINGS, signatures=example.signatures)
    engine = Engine(suite, participant, bus, settings, sleep=actor.tick)
    return engine.run()[0]


def _suite_text(example: LiveExample, role: str) -> str:
    steps = "".join(f"      {line}\n" for line in example.case.splitlines())
    return (f"suite: example\nrole: {role}\ncases:\n  - id: example\n    title: {example.summary!r}\n"
            f"    steps:\n{steps}")


class _InProcessClient(BusClient):
    """A bus client whose POST goes straight to the bus double's `handle`."""

    def __init__(self, bus: Bus, mnemonic: str, sign: Any):
        super().__init__("http://127.0.0.1:0/smev", sender=mnemonic, sign=sign)
        self.bus = bus

    def post(self, body: bytes, *, content_type: str = "text/xml; charset=utf-8", soap_action: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        sent = {"Content-Type": content_type, **({"SOAPAction": f'"{soap_action}"'} if soap_action else {}),
                **({SENDER_HEADER: self.sender} if self.sender else {}), **(headers or {})}
        answer = self.bus.handle("/smev", sent, body)
        try:
            parsed = parse(answer.body, source="bus answer")
        except Exception:  # noqa: BLE001 - a non-SMEV answer is what the participant got
            parsed = None
        return Reply(answer.status, answer.headers(), answer.body, parsed)


@dataclass
class _Scripted:
    """The participant: makes its moves when the engine waits."""

    bus: Bus
    mnemonic: str
    moves: tuple[str, ...]
    sign: Any = None
    answered: set[str] = field(default_factory=set)
    sent: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = _InProcessClient(self.bus, self.mnemonic, self.sign)
        self.refused = False
        self.first_id = ""
        self.spec = load_registry(str(REGISTRY_FILE)).by_name(TYPE)

    def tick(self, seconds: float) -> None:
        if CONSUMER_MOVES & set(self.moves):
            self._consumer()
        else:
            self._provider()
        time.sleep(seconds)

    # -- provider ----------------------------------------------------------------------------------------------------

    def _provider(self) -> None:
        reply = self.client.get_request()
        holder = getattr(reply.message, "message", None)
        if holder is None:
            return
        for move in self.moves:
            self._provider_move(move, holder.request)

    def _provider_move(self, move: str, request: Any) -> None:
        mid = request.data.message_id
        if move.startswith("wait:"):
            time.sleep(float(move.split(":", 1)[1]))
        elif move == "ack":
            self.client.ack(mid)
        elif move == "refuse":
            self.client.ack(mid, accepted=False)
        elif move == "ack-other":
            self.client.ack(ids.new_message_id())
        elif move.startswith(("answer", "reject", "status")):
            if "once" in self.moves and mid in self.answered:
                return
            self.answered.add(mid)
            self._answer(move, request)

    def _answer(self, move: str, request: Any) -> None:
        answer: m.ResponseAnswer
        if move == "reject":
            answer = m.Rejection((m.RequestRejected(RejectionReasonCode.NO_DATA, "no data"),))
        elif move == "status":
            answer = m.RequestStatus(code=1, description="in progress")
        else:
            answer = m.BusinessAnswer(content=XmlFragment(make_payload(self.spec, Side.RESPONSE, seed=1,
                                                                       request=request.data.content.element())))
        to = request.reply_to or ""
        if move == "answer-to-rewritten":
            to = "to:" + to[::-1]
        message_id = ids.new_message_id()
        if move == "answer-upper-case-id":
            message_id = message_id.upper()
        response = m.SendResponseRequest(data=m.SenderProvidedResponseData(message_id=message_id, to=to,
                                                                           answer=answer))
        self.client.call(response, sign=self._hook(move))

    def _hook(self, move: str) -> Any:
        """How the answer is finished: unsigned, without its To (then signed, as the integrator's code would), or
        signed as usual."""

        def finish(envelope: etree._Element, operation: Any, version: Any) -> None:
            if move == "answer-no-to":
                for element in envelope.iter(f"{{{ns(version).types}}}To"):
                    element.getparent().remove(element)
            if self.sign is not None and move != "answer-unsigned":
                self.sign(envelope, operation, version)

        return finish

    # -- consumer ----------------------------------------------------------------------------------------------------

    def _consumer(self) -> None:
        if not self.sent:
            self.sent.append("send")
            self._send(ids.new_message_id(), test="send-test" in self.moves)
        elif self.refused and len(self.sent) == 1:
            for move in self.moves:
                if move.startswith("wait:"):
                    time.sleep(float(move.split(":", 1)[1]))
                elif move.startswith("resend"):
                    self.sent.append(move)
                    same = move == "resend-same-id"
                    self._send(self.first_id if same else ids.new_message_id(),
                               seed=2 if move == "resend-other-content" else 1)
        if "poll" in self.moves:
            self.client.get_response()

    def _send(self, message_id: str, *, test: bool = False, seed: int = 1) -> None:
        if len(self.sent) == 1:
            self.first_id = message_id
        content = XmlFragment(make_payload(self.spec, Side.REQUEST, seed=seed))
        fields: dict[str, Any] = {"test_message": True} if test else {}
        reply = self.client.send_request(content, message_id=message_id, **fields)
        self.refused = reply.status != 200

