"""The reference provider and consumer exchange real signed messages through the bus double over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from conformance.findings import Status
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.codes import RejectionReasonCode
from conformance.protocol.xmlfragment import XmlFragment
from conformance.reference.consumer import Consumer
from conformance.reference.identity import CONSUMER, PROVIDER, ca_certificate
from conformance.reference.participant_files import DIRECTORY, SAMPLE_TYPES
from conformance.reference.provider import Provider
from conformance.reference.runner import start_provider
from conformance.registry import inn_is_valid
from conformance.xmldsig.verifier import verify_message

REALTIME = {"sfr-snils-check", "mvd-passport-validity"}


def _text(element: etree._Element, local: str) -> str | None:
    found = element.find(f"{{{etree.QName(element).namespace}}}{local}")
    return found.text if found is not None else None


def _signature_failures(body: bytes) -> list[str]:
    tree = etree.fromstring(body)
    return [f"{f.rule_id}: {f.message}" for f in verify_message(tree, trust=[ca_certificate()])
            if f.status is Status.FAIL]


@pytest.mark.parametrize("type_name", SAMPLE_TYPES)
def test_reference_exchange_answers_each_sample_type(stand, type_name):
    provider, consumer = Provider(stand.settings()), Consumer(stand.settings())
    sent = consumer.send(type_name, seed=5)
    assert sent.message_id is not None and ids.is_lower_uuid1(sent.message_id)
    assert provider.poll_once()
    got = consumer.await_final(sent.message_id, 5)
    assert got is not None and got.kind == "data", got

    [send_request] = stand.exchanges("SendRequest", CONSUMER)
    [send_response] = stand.exchanges("SendResponse", PROVIDER)
    [delivery] = [e for e in stand.exchanges("GetRequest", PROVIDER) if e.message_id == sent.message_id]
    [provider_ack] = stand.exchanges("Ack", PROVIDER)
    assert delivery.id < provider_ack.id < send_response.id  # acked once committed, answered after
    assert stand.sent(provider_ack).message.target == m.AckTargetMessage(sent.message_id, True)

    request = stand.answered(delivery).message.message.request
    response = stand.sent(send_response).message
    assert response.data.to == request.reply_to  # To is the ReplyTo, verbatim
    assert ids.is_lower_uuid1(response.data.message_id)
    assert _signature_failures(send_request.request_body) == []
    assert _signature_failures(send_response.request_body) == []
    if type_name in REALTIME:
        assert send_response.at - send_request.at < 2.0

    asked, answer = request.data.content.element(), response.data.answer.content.element()
    if type_name == "fns-inn-by-passport":
        assert answer.get("RequestId") == asked.get("RequestId")
        assert inn_is_valid(_text(answer, "INN"))
    elif type_name == "sfr-snils-check":
        assert (_text(answer, "SNILS"), _text(answer, "Result")) == (_text(asked, "SNILS"), "MATCH")
    else:
        assert (_text(answer, "Series"), _text(answer, "Number")) == (_text(asked, "Series"), _text(asked, "Number"))
    [consumer_ack] = stand.exchanges("Ack", CONSUMER)
    assert stand.sent(consumer_ack).message.target.message_id == got.message_id
    assert consumer.state.sent(sent.message_id)["state"] == "done"


@pytest.mark.parametrize("type_name", SAMPLE_TYPES)
def test_reference_exchange_rejects_unknown_subject_with_no_data(stand, type_name):
    provider, consumer = Provider(stand.settings()), Consumer(stand.settings())
    content = XmlFragment.from_bytes((DIRECTORY / "no-data" / f"{type_name}.xml").read_bytes())
    sent = consumer.send(type_name, content=content)
    assert provider.poll_once()
    got = consumer.await_final(sent.message_id, 5)
    assert (got.kind, got.detail) == ("rejected", "NO_DATA")
    [send_response] = stand.exchanges("SendResponse", PROVIDER)
    answer = stand.sent(send_response).message.data.answer
    assert isinstance(answer, m.Rejection) and answer.reasons[0].code is RejectionReasonCode.NO_DATA


def test_reference_exchange_answers_test_message_without_changing_data(stand):
    provider, consumer = Provider(stand.settings()), Consumer(stand.settings())
    test = consumer.send("sfr-snils-check", seed=2, test_message=True)
    assert provider.poll_once()
    assert consumer.await_final(test.message_id, 5).kind == "data"
    assert provider.state.find(test.message_id).test_message
    assert provider.state.inquiry_count() == 0  # the audit of inquiries is untouched
    real = consumer.send("sfr-snils-check", seed=2)
    assert provider.poll_once()
    assert consumer.await_final(real.message_id, 5).kind == "data"
    assert provider.state.inquiry_count() == 1


def test_reference_exchange_refuses_broken_bus_signature(stand):
    provider, consumer = Provider(stand.settings()), Consumer(stand.settings())
    sent = consumer.send("mvd-passport-validity", seed=1)
    stand.bus.redeliver(sent.message_id, bad_signature=True)
    assert provider.poll_once()
    [ack] = stand.exchanges("Ack", PROVIDER)
    assert stand.sent(ack).message.target == m.AckTargetMessage(sent.message_id, False)
    assert stand.exchanges("SendResponse") == []
    assert provider.state.journal() == []  # not processed
    [(refused, reason)] = provider.state.refusals()
    assert refused == sent.message_id and "SIG-VALUE" in reason


def test_reference_exchange_redelivered_request_is_acked_not_answered_twice(stand):
    provider, consumer = Provider(stand.settings()), Consumer(stand.settings())
    sent = consumer.send("fns-inn-by-passport", seed=3)
    assert provider.poll_once()
    stand.bus.redeliver(sent.message_id)
    assert provider.poll_once()
    assert [stand.sent(a).message.target.message_id for a in stand.exchanges("Ack", PROVIDER)] == \
        [sent.message_id, sent.message_id]
    assert len(stand.exchanges("SendResponse")) == 1
    assert provider.state.find(sent.message_id).deliveries == 2


def test_reference_exchange_unacked_message_is_not_redelivered_after_ack(stand):
    provider, consumer = Provider(stand.settings()), Consumer(stand.settings())
    consumer.send("sfr-snils-check", seed=4)
    assert provider.poll_once()
    stand.clock.advance(120)  # far past the ack timeout: an acked message stays acked
    assert not provider.poll_once()


def test_reference_exchange_crash_after_ack_loses_nothing(stand, tmp_path):
    from conformance.reference.common import Crash

    state = tmp_path / "provider.sqlite"
    consumer = Consumer(stand.settings())
    sent = consumer.send("sfr-snils-check", seed=6)
    crashing = Provider(stand.settings(state=state, crash_after_ack=True))
    with pytest.raises(Crash):
        crashing.poll_once()
    crashing.close()
    assert len(stand.exchanges("Ack", PROVIDER)) == 1 and stand.exchanges("SendResponse") == []
    restarted = Provider(stand.settings(state=state))
    restarted.run(once=True)  # the committed answer waits in the outbox
    assert consumer.await_final(sent.message_id, 5).kind == "data"
    assert restarted.state.outbox() == []


def test_reference_exchange_threaded_provider_serves_every_type(stand):
    consumer = Consumer(stand.settings())
    with start_provider(stand.settings()) as running:
        outcomes = [consumer.exchange(name, seed=9, timeout=10)[1] for name in SAMPLE_TYPES]
    assert [o.kind for o in outcomes] == ["data"] * 3
    assert not running.thread.is_alive() and running.error is None and not running.crashed


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_reference_exchange_speaks_older_versions(stand, version):
    from conformance.protocol.namespaces import ns

    provider, consumer = Provider(stand.settings(version=version)), Consumer(stand.settings(version=version))
    sent = consumer.send("fns-inn-by-passport", seed=1)
    assert provider.poll_once()
    assert consumer.await_final(sent.message_id, 5).kind == "data"
    assert all(e.fault is None and e.version == version for e in stand.exchanges())
    [response] = stand.exchanges("SendResponse", PROVIDER)
    assert ns(version).types.encode() in response.request_body


def test_reference_exchange_refused_answer_waits_in_outbox_while_polling_goes_on(stand):
    from conformance.protocol.codes import FaultName

    stand.bus.force_fault("SendResponse", FaultName.SMEV_FAILURE, times=5)
    consumer = Consumer(stand.settings())
    first = consumer.send("sfr-snils-check", seed=20)
    second = consumer.send("sfr-snils-check", seed=21)
    provider = Provider(stand.settings(backoff=30.0, max_backoff=30.0))
    assert provider.poll_once() and provider.poll_once()  # the second is taken although the first is not answered
    assert [e.message_id for e in provider.state.outbox()] == [first.message_id, second.message_id]
    assert provider.state.outbox(due_at=0.0) == [] and provider.flush_outbox() == 0  # not due before the backoff
    assert provider.flush_outbox(due_only=False) == 0  # three more faults: attempts 2 of 2 spent for both
    assert [e.state for e in provider.state.journal()] == ["failed", "failed"]


def test_reference_exchange_crash_and_restart_keeps_serving_from_the_same_state(stand, tmp_path):
    consumer = Consumer(stand.settings())
    with start_provider(stand.settings(state=tmp_path / "p.sqlite")) as running:
        first = running.participant
        before = consumer.exchange("sfr-snils-check", seed=30, timeout=5)[1]
        running.crash_and_restart()  # what a suite's `crash` step calls (here between two requests)
        after = consumer.exchange("sfr-snils-check", seed=31, timeout=10)[1]
        assert running.participant is not first and running.restarts == 1
        assert [e.message_id for e in running.participant.state.journal()] == \
            [before.original_message_id, after.original_message_id]  # the fresh one reads the same journal
    assert (before.kind, after.kind) == ("data", "data")


def test_reference_exchange_answers_a_type_it_does_not_serve_with_unknown_request_description(stand):
    provider = Provider(stand.settings())
    foreign = XmlFragment(etree.fromstring(b'<x:Unheard xmlns:x="urn://nowhere/1.0"><x:Q>1</x:Q></x:Unheard>'))
    request = m.Request(data=m.SenderProvidedRequestData(message_id=ids.new_message_id(), content=foreign),
                        metadata=m.MessageMetadata(m.MessageType.REQUEST, datetime.now(UTC)))
    type_name, answer = provider.answer_for(request)
    assert type_name == "?" and answer.reasons[0].code is RejectionReasonCode.UNKNOWN_REQUEST_DESCRIPTION


def test_reference_exchange_rejects_a_request_its_schema_refuses(stand):
    from conformance.registry import load_registry, make_payload

    provider = Provider(stand.settings())
    spec = load_registry().by_name("mvd-passport-validity")
    element = make_payload(spec, "request", seed=3)  # a known citizen, but the series is spoiled
    element.find(f"{{{spec.request.namespace}}}Series").text = "12AB"
    request = m.Request(data=m.SenderProvidedRequestData(message_id=ids.new_message_id(),
                                                         content=XmlFragment(element)),
                        metadata=m.MessageMetadata(m.MessageType.REQUEST, datetime.now(UTC)))
    _, answer = provider.answer_for(request)
    reason = answer.reasons[0]
    assert reason.code is RejectionReasonCode.UNKNOWN_REQUEST_DESCRIPTION and "12AB" in reason.description
