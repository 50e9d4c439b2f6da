"""The reference consumer: retries, new MessageIDs, statuses, asynchronous rejections, acks."""

from __future__ import annotations

from conformance.bus.client import BusClient
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.codes import FaultName, StatusCategory
from conformance.protocol.xmlfragment import XmlFragment
from conformance.reference.consumer import Consumer
from conformance.reference.identity import CONSUMER, PROVIDER, identity
from conformance.reference.provider import Provider
from conformance.reference.variants import Behaviour
from conformance.reference.wire import signing_hook
from conformance.registry import make_payload


def _send_requests(stand) -> list:
    return [stand.sent(e).message.data.message_id for e in stand.exchanges("SendRequest", CONSUMER)]


def test_reference_consumer_retries_same_message_with_backoff_after_smev_failure(stand):
    stand.bus.force_fault("SendRequest", FaultName.SMEV_FAILURE, times=1)
    consumer = Consumer(stand.settings(backoff=0.3, max_backoff=1.0))
    sent = consumer.send("fns-inn-by-passport", seed=1)
    assert sent.message_id is not None and sent.attempts == (sent.message_id, sent.message_id)
    first, second = stand.exchanges("SendRequest", CONSUMER)
    assert first.fault == "SMEVFailure" and second.fault is None
    assert second.at - first.at >= 0.3  # waited before retrying
    assert stand.sent(first).message.data.content == stand.sent(second).message.data.content


def test_reference_consumer_gives_up_after_its_attempts(stand):
    stand.bus.force_fault("SendRequest", FaultName.SMEV_FAILURE, times=5)
    sent = Consumer(stand.settings()).send("fns-inn-by-passport")
    assert sent.message_id is None and sent.fault == "SMEVFailure" and len(sent.attempts) == 2


def test_reference_consumer_makes_new_message_id_after_already_sent_and_stale(stand):
    for fault in (FaultName.MESSAGE_IS_ALREADY_SENT, FaultName.STALE_MESSAGE_ID):
        stand.bus.force_fault("SendRequest", fault, times=1)
        sent = Consumer(stand.settings()).send("sfr-snils-check", seed=2)
        refused, accepted = sent.attempts
        assert refused != accepted and sent.message_id == accepted
        assert ids.is_lower_uuid1(refused) and ids.is_lower_uuid1(accepted)
    assert len(_send_requests(stand)) == 4


def test_reference_consumer_does_not_retry_a_final_fault(stand):
    stand.bus.force_fault("SendRequest", FaultName.ACCESS_DENIED, times=1)
    sent = Consumer(stand.settings()).send("sfr-snils-check")
    assert sent.message_id is None and sent.fault == "AccessDenied" and len(sent.attempts) == 1


def test_reference_consumer_acks_async_rejection_and_ends_the_request(stand):
    consumer = Consumer(stand.settings())
    sent = consumer.send("mvd-passport-validity", seed=3)
    stand.bus.notify_status(sent.message_id, StatusCategory.REQUEST_IS_REJECTED_BY_SMEV,
                            fault=FaultName.INVALID_CONTENT, fault_description="bad payload")
    got = consumer.poll_once()
    assert (got.kind, got.final, got.original_message_id) == ("async-status", True, sent.message_id)
    assert "requestIsRejectedBySmev" in got.detail and "InvalidContent" in got.detail
    [ack] = stand.exchanges("Ack", CONSUMER)
    assert stand.sent(ack).message.target == m.AckTargetMessage(got.message_id, True)
    assert consumer.state.sent(sent.message_id)["state"] == "done"


def test_reference_consumer_keeps_waiting_after_request_status(stand):
    consumer = Consumer(stand.settings())
    sent = consumer.send("fns-inn-by-passport", seed=4)
    key, cert = identity("provider").key, identity("provider").certificate
    manual = BusClient(stand.url, sign=signing_hook(Behaviour(), key, cert))
    request = manual.get_request().message.message.request
    manual.ack(request.data.message_id)
    status = manual.send_response(request.reply_to, m.RequestStatus(3, "Запрос в обработке"))
    assert status.fault is None
    got = consumer.poll_once()
    assert (got.kind, got.final) == ("status", False)
    assert consumer.state.sent(sent.message_id)["state"] == "in-progress"
    assert consumer.await_final(sent.message_id, 0.3) is None  # still open
    spec = consumer.registry.by_name("fns-inn-by-passport")
    content = XmlFragment(make_payload(spec, "response", request=request.data.content.element()))
    assert manual.send_response(request.reply_to, m.BusinessAnswer(content)).fault is None
    final = consumer.await_final(sent.message_id, 5)
    assert final.kind == "data" and consumer.state.sent(sent.message_id)["state"] == "done"
    assert len(stand.exchanges("Ack", CONSUMER)) == 2


def test_reference_consumer_refuses_response_with_broken_bus_signature(stand):
    consumer = Consumer(stand.settings())
    sent = consumer.send("sfr-snils-check", seed=7)
    assert Provider(stand.settings()).poll_once()
    [response] = stand.exchanges("SendResponse", PROVIDER)
    response_id = stand.sent(response).message.data.message_id
    stand.bus.redeliver(response_id, bad_signature=True)
    got = consumer.poll_once()
    assert (got.kind, got.final) == ("refused", False)
    [ack] = stand.exchanges("Ack", CONSUMER)
    assert stand.sent(ack).message.target == m.AckTargetMessage(response_id, False)
    assert consumer.state.sent(sent.message_id)["state"] == "queued"
