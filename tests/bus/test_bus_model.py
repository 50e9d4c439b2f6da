"""Model-based property test of the bus double (no HTTP): whatever consumers and the provider do, in any order,
the bus delivers every accepted request to its provider and every answer to the request's consumer, redelivers
only what was not acked, and never delivers an acked message again."""

from __future__ import annotations

import pytest
from bus_helpers import TYPES, FakeClock, inn_request, inn_response
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from conformance.bus.service import Bus, BusConfig
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.reader import parse
from conformance.xmlsafe import parse_bytes

LEASE = 30.0


def _call(bus: Bus, sender: str, message: m.Message):
    from conformance.protocol.operations import detect

    body = build(message, "1.3")
    action = detect(parse_bytes(body)).operation.rpc.soap_action
    answer = bus.handle("/smev", {"Content-Type": "text/xml", "SOAPAction": f'"{action}"', "X-SMEV-Sender": sender},
                        body)
    return answer.status, parse(answer.body).message


def _selector() -> m.MessageTypeSelector:
    from datetime import UTC, datetime

    return m.MessageTypeSelector(timestamp=datetime.now(UTC))


class BusModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.bus = Bus(TYPES, config=BusConfig(signatures=False, run_rules=False, ack_timeout=LEASE),
                       clock=self.clock)
        self.requests: dict[str, str] = {}  # request id -> consumer
        self.reply_to: dict[str, str] = {}
        self.acked_requests: set[str] = set()
        self.leased: dict[str, float] = {}  # id -> lease end (requests and responses)
        self.responses: dict[str, str] = {}  # response id -> consumer
        self.acked_responses: set[str] = set()
        self.answered: set[str] = set()

    @rule(consumer=st.sampled_from(["MVD", "MFC"]))
    def send_request(self, consumer: str) -> None:
        status, answer = _call(self.bus, consumer, m.SendRequestRequest(
            data=m.SenderProvidedRequestData(ids.new_message_id(), inn_request())))
        assert status == 200
        self.requests[answer.metadata.message_id] = consumer

    @rule()
    def get_request(self) -> None:
        status, answer = _call(self.bus, "FNS", m.GetRequestRequest(selector=_selector()))
        assert status == 200
        now = self.clock.now
        deliverable = {mid for mid in self.requests if mid not in self.acked_requests
                       and self.leased.get(mid, -1) <= now}
        if answer.message is None:
            assert not deliverable
            return
        mid = answer.message.request.data.message_id
        assert mid in deliverable, "delivered something acked or still leased"
        self.leased[mid] = now + LEASE
        self.reply_to[mid] = answer.message.request.reply_to

    @precondition(lambda self: any(mid in self.leased for mid in self.requests))
    @rule(data=st.data())
    def ack_request(self, data) -> None:
        mid = data.draw(st.sampled_from(sorted(mid for mid in self.requests if mid in self.leased)))
        status, _ = _call(self.bus, "FNS", m.AckRequest(target=m.AckTargetMessage(mid)))
        assert status == 200  # a retried Ack of a message this provider acked before succeeds again, idempotently
        self.acked_requests.add(mid)

    @precondition(lambda self: bool(set(self.reply_to) - self.answered))
    @rule(data=st.data())
    def answer(self, data) -> None:
        mid = data.draw(st.sampled_from(sorted(set(self.reply_to) - self.answered)))
        status, answer = _call(self.bus, "FNS", m.SendResponseRequest(data=m.SenderProvidedResponseData(
            ids.new_message_id(), self.reply_to[mid], m.BusinessAnswer(content=inn_response()))))
        assert status == 200
        self.answered.add(mid)
        self.responses[answer.metadata.message_id] = self.requests[mid]

    @rule(consumer=st.sampled_from(["MVD", "MFC"]))
    def get_response(self, consumer: str) -> None:
        status, answer = _call(self.bus, consumer, m.GetResponseRequest(selector=_selector()))
        assert status == 200
        now = self.clock.now
        deliverable = {rid for rid, who in self.responses.items() if who == consumer
                       and rid not in self.acked_responses and self.leased.get(rid, -1) <= now}
        if answer.message is None:
            assert not deliverable
            return
        rid = answer.message.response.data.message_id
        assert rid in deliverable, "a response went to the wrong consumer, or again after its ack"
        self.leased[rid] = now + LEASE
        status, _ = _call(self.bus, consumer, m.AckRequest(target=m.AckTargetMessage(rid)))
        assert status == 200
        self.acked_responses.add(rid)

    @rule(seconds=st.sampled_from([1.0, 10.0, 31.0]))
    def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def nothing_is_lost(self) -> None:
        pending = self.bus.store.pending_counts("FNS")
        assert sum(pending.values()) == len(set(self.requests) - self.acked_requests)


BusModel.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_bus_model = BusModel.TestCase
test_bus_model.pytestmark = [pytest.mark.slow]  # measured: 6 s on a loaded 2-core machine
