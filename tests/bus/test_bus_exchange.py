"""The bus double over HTTP (signatures off): the whole exchange, queues, acks, redelivery, statuses, restart."""

from __future__ import annotations

import pytest
from bus_helpers import NS, inn_request, inn_response, serve

from conformance.bus.replyto import read_reply_to
from conformance.bus.store import BusStore
from conformance.protocol import model as m
from conformance.protocol.codes import FaultName, RejectionReasonCode, StatusCategory


@pytest.mark.parametrize("version", ["1.1", "1.2", "1.3"])
def test_request_response_round_trip(served, version):
    consumer, provider = served.client("MVD", version), served.client("FNS", version)
    sent = consumer.send_request(inn_request())
    assert sent.status == 200 and isinstance(sent.message, m.SendRequestResponse), sent.body
    assert sent.message.metadata.status is StatusCategory.REQUEST_IS_QUEUED

    got = provider.get_request()
    request = got.message.message.request
    assert request.metadata.sender.mnemonic == "MVD" and request.metadata.recipient.mnemonic == "FNS"
    assert request.data.content == inn_request()
    assert read_reply_to(request.reply_to) == (request.data.message_id, "MVD")
    assert provider.ack(request.data.message_id).status == 200

    answer = provider.send_response(request.reply_to, m.BusinessAnswer(content=inn_response()))
    assert answer.status == 200 and isinstance(answer.message, m.SendResponseResponse), answer.body
    assert consumer.get_request().message.message is None  # nothing for the consumer as a provider

    response = consumer.get_response().message.message.response
    assert response.original_message_id == request.data.message_id
    assert response.reference_message_id == request.data.message_id
    assert response.data.to == request.reply_to and response.data.answer.content == inn_response()
    assert consumer.ack(response.data.message_id).status == 200
    assert consumer.get_response().message.message is None


def test_rejection_travels_like_an_answer(served):
    consumer, provider = served.client("MVD"), served.client("FNS")
    consumer.send_request(inn_request())
    request = provider.get_request().message.message.request
    rejection = m.Rejection((m.RequestRejected(RejectionReasonCode.NO_DATA, "no such passport"),))
    assert provider.send_response(request.reply_to, rejection).status == 200
    got = consumer.get_response().message.message.response.data.answer
    assert got.reasons[0].code is RejectionReasonCode.NO_DATA


def test_queues_are_per_type_and_selector_filters(served):
    mfc, fns, sfr = served.client("MFC"), served.client("FNS"), served.client("SFR")
    from bus_helpers import OTHER_NS, XmlFragment, etree

    snils = XmlFragment(etree.fromstring(f'<s:SnilsRequest xmlns:s="{OTHER_NS}"><s:N>1</s:N></s:SnilsRequest>'))
    mfc.send_request(inn_request())
    mfc.send_request(snils)
    assert sfr.get_request().message.message.request.data.content == snils
    assert sfr.get_request().message.message is None
    assert fns.get_request(OTHER_NS, "SnilsRequest").fault.name is FaultName.UNKNOWN_MESSAGE_TYPE  # not its type
    assert fns.get_request(NS, "InnRequest").message.message.request.data.content == inn_request()


def test_unacked_message_is_redelivered_after_the_ack_timeout_and_acked_one_is_not(served):
    consumer, provider = served.client("MVD"), served.client("FNS")
    consumer.send_request(inn_request())
    first = provider.get_request().message.message.request
    assert provider.get_request().message.message is None  # leased
    served.clock.advance(31)
    again = provider.get_request().message.message.request
    assert again.data.message_id == first.data.message_id and again.reply_to == first.reply_to
    assert provider.ack(first.data.message_id).status == 200
    served.clock.advance(100)
    assert provider.get_request().message.message is None


def test_forced_redelivery_of_an_acked_message(served):
    consumer, provider = served.client("MVD"), served.client("FNS")
    consumer.send_request(inn_request())
    first = provider.get_request().message.message.request
    provider.ack(first.data.message_id)
    served.bus.redeliver(first.data.message_id)
    assert provider.get_request().message.message.request.data.message_id == first.data.message_id


def test_ack_accepted_false_is_recorded_as_a_rejection(served):
    consumer, provider = served.client("MVD"), served.client("FNS")
    consumer.send_request(inn_request())
    mid = provider.get_request().message.message.request.data.message_id
    provider.ack(mid, accepted=False)
    history = [e.category for e in served.bus.store.status_history(mid)]
    assert history == ["requestIsQueued", "requestIsRejectedBySmev"]
    assert served.bus.store.get(mid).accepted is False


def test_async_status_is_delivered_by_get_response_and_get_status(served):
    consumer, provider = served.client("MVD"), served.client("FNS")
    mid = consumer.send_request(inn_request()).message.metadata.message_id
    served.bus.notify_status(mid, StatusCategory.REQUEST_IS_REJECTED_BY_SMEV, details="payload refused",
                             fault=FaultName.INVALID_CONTENT)
    served.bus.notify_status(mid, StatusCategory.UNDER_PROCESSING)
    response = consumer.get_response().message.message.response
    status = response.data.answer
    assert isinstance(status, m.AsyncProcessingStatus)
    assert status.original_message_id == mid and status.status_category is StatusCategory.REQUEST_IS_REJECTED_BY_SMEV
    assert status.smev_fault.code == "InvalidContent"
    assert consumer.ack(response.data.message_id).status == 200
    by_status = consumer.get_status().message.message.data.status
    assert by_status.status_category is StatusCategory.UNDER_PROCESSING
    assert provider.get_status().message.message is None


def test_queue_statistics_in_1_1(served):
    consumer, provider = served.client("MVD", "1.1"), served.client("FNS", "1.1")
    consumer.send_request(inn_request())
    consumer.send_request(inn_request("4500 000001"))
    stats = provider.queue_statistics().message.statistics
    assert [(s.queue_name, s.pending_message_number) for s in stats] == [(f"{{{NS}}}InnRequest", 2)]


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "bus.sqlite"
    first = serve(store=BusStore(state))
    consumer = first.client("MVD")
    mid = consumer.send_request(inn_request()).message.metadata.message_id
    first.running.close()
    first.bus.store.close()

    second = serve(store=BusStore(state))
    try:
        request = second.client("FNS").get_request().message.message.request
        assert request.data.message_id == mid
        again = second.client("MVD").send_request(inn_request(), message_id=mid)
        assert again.fault.name is FaultName.MESSAGE_IS_ALREADY_SENT
        journal = second.bus.store.exchanges()
        assert [e.rpc for e in journal] == ["SendRequest", "GetRequest", "SendRequest"]
    finally:
        second.running.close()


def test_every_exchange_is_captured_raw(served):
    consumer = served.client("MVD")
    consumer.send_request(inn_request())
    consumer.post(b"not xml", soap_action="urn:SendRequest")
    journal = served.bus.store.exchanges()
    assert [(e.rpc, e.http_status, e.fault) for e in journal] == [("SendRequest", 200, None),
                                                                  (None, 500, "InvalidContent")]
    assert b"InnRequest" in journal[0].request_body and b"SendRequestResponse" in journal[0].response_body
    assert "X-Smev-Sender: MVD" in journal[0].request_headers or "X-SMEV-Sender: MVD" in journal[0].request_headers


def test_concurrent_senders_lose_and_duplicate_nothing(served):
    """Eight threads send at once; the provider then takes every request exactly once."""
    import threading

    sent: list[str] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        client = served.client("MVD" if n % 2 else "MFC")
        for i in range(5):
            reply = client.send_request(inn_request(f"45{n:02d} {i:06d}"))
            assert reply.status == 200, reply.body
            with lock:
                sent.append(reply.message.metadata.message_id)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    provider = served.client("FNS")
    taken = []
    while (got := provider.get_request().message.message) is not None:
        taken.append(got.request.data.message_id)
    assert sorted(taken) == sorted(sent) and len(set(taken)) == 40
