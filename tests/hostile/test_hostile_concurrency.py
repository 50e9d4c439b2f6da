"""Concurrency and crash attacks on the bus double: several pollers of one participant at once, several Acks of one
message at once, and SIGKILL in the middle of SendResponse calls. What SMEV guarantees must hold: a message goes
to exactly one poll until its lease ends, an Ack is recorded once, and a response answered 200 survives the kill
while one cut off is either whole or absent (its retry is answered consistently)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bus"))
from bus_helpers import inn_request, serve  # noqa: E402
from test_bus_durability import _start, inn_by_passport  # noqa: E402

from conformance.bus.client import BusClient  # noqa: E402
from conformance.protocol import ids  # noqa: E402
from conformance.protocol import model as m  # noqa: E402
from conformance.protocol.codes import FaultName  # noqa: E402
from conformance.protocol.xmlfragment import XmlFragment  # noqa: E402


def _together(count: int, work) -> list:
    """Run `work(i)` in `count` threads released at the same instant; their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_pollers_of_one_participant_at_once_each_get_a_different_message():
    """30 queued requests, 6 pollers of FNS released together until the queue is empty: every message is delivered
    exactly once (the lease has not ended: the clock stands still)."""
    served = serve()
    try:
        sent = [served.client("MVD").send_request(inn_request()).message.metadata.message_id for _ in range(30)]

        def poll(_: int) -> list[str]:
            client, got = served.client("FNS"), []
            while (message := client.get_request().message.message) is not None:
                got.append(message.request.data.message_id)
            return got

        delivered = [mid for got in _together(6, poll) for mid in got]
        assert sorted(delivered) == sorted(sent), "a message went to two pollers, or to none"
    finally:
        served.running.close()


def test_acks_of_one_message_at_once_record_it_once():
    """8 Acks of one delivered message, sent by its recipient at the same instant: each answered (a retried Ack is
    a success), the message acked once, one delivered status."""
    served = serve()
    try:
        served.client("MVD").send_request(inn_request())
        mid = served.client("FNS").get_request().message.message.request.data.message_id
        replies = _together(8, lambda i: served.client("FNS").ack(mid))
        assert [r.status for r in replies] == [200] * 8, [r.body[:200] for r in replies]
        assert served.bus.store.get(mid).acked_at is not None
        delivered = [e for e in served.bus.store.status_history(mid) if e.category == "messageIsDelivered"]
        assert len(delivered) == 1, delivered
    finally:
        served.running.close()


def test_acks_with_opposite_verdicts_at_once_keep_the_first():
    """accepted=true and accepted=false at the same instant: one of them is the Ack, and the sender hears a refusal
    only if the refusal is the one recorded."""
    served = serve()
    try:
        served.client("MVD").send_request(inn_request())
        mid = served.client("FNS").get_request().message.message.request.data.message_id
        replies = _together(2, lambda i: served.client("FNS").ack(mid, accepted=bool(i)))
        assert [r.status for r in replies] == [200, 200]
        accepted = served.bus.store.get(mid).accepted
        notice = served.client("MVD").get_status().message.message
        assert (notice is None) is accepted
    finally:
        served.running.close()


def _inn_response() -> XmlFragment:
    from lxml import etree

    return XmlFragment(etree.fromstring('<INNByPassportResponse xmlns="urn://x-artefacts-fns-inn-by-passport/root/'
                                        '1.0.0"><INN>500100732259</INN></INNByPassportResponse>'))


@pytest.mark.slow  # measured: about 10 s
def test_kill_nine_during_send_responses_loses_nothing_and_queues_nothing_twice(tmp_path):
    """FNS answers 150 requests with SendResponse from two threads while the bus is killed with SIGKILL. Restarted
    on its file: every response answered 200 is delivered; every one whose answer the kill cut off is, retried with
    the same MessageID, either accepted (it was not committed) or MessageIsAlreadySent (it was); each response is
    delivered exactly once."""
    state = tmp_path / "state.db"
    proc, url = _start(state)
    consumer, provider = BusClient(url, sender="EPGU", timeout=10), BusClient(url, sender="FNS", timeout=10)
    reply_tos = []
    for _ in range(150):
        consumer.call(m.SendRequestRequest(m.SenderProvidedRequestData(ids.new_message_id(), inn_by_passport())))
        request = provider.get_request().message.message.request
        provider.ack(request.data.message_id)
        reply_tos.append(request.reply_to)
    answers = {to: m.SenderProvidedResponseData(ids.new_message_id(), to, m.BusinessAnswer(_inn_response()))
               for to in reply_tos}
    answered: set[str] = set()
    cut_off: set[str] = set()
    lock = threading.Lock()

    def answer(part: list[str]) -> None:
        client = BusClient(url, sender="FNS", timeout=5)
        for to in part:
            data = answers[to]
            try:
                reply = client.call(m.SendResponseRequest(data))
            except Exception:
                with lock:
                    cut_off.add(to)
                continue
            with lock:
                (answered if reply.status == 200 else cut_off).add(to)

    threads = [threading.Thread(target=answer, args=(reply_tos[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.6)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=30)
    proc, url = _start(state)
    try:
        provider, consumer = BusClient(url, sender="FNS", timeout=10), BusClient(url, sender="EPGU", timeout=10)
        for to in sorted(cut_off):
            retry = provider.call(m.SendResponseRequest(answers[to]))
            assert retry.status == 200 or retry.fault.name is FaultName.MESSAGE_IS_ALREADY_SENT, retry.body[:300]
        delivered: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(set(delivered)) < len(answered | cut_off):
            got = consumer.get_response().message.message
            if got is None:
                time.sleep(0.3)  # leases of the killed bus end after the 1 s ack timeout
                continue
            delivered.append(got.response.data.message_id)
            consumer.ack(got.response.data.message_id)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"kill -9 during SendResponse: {len(answered)} answered, {len(cut_off)} cut off or not sent")
    assert answered, "the kill came before any SendResponse: the test proved nothing"
    expected = {answers[to].message_id for to in answered | cut_off}
    assert len(delivered) == len(set(delivered)), "a response was delivered twice"
    assert set(delivered) == expected, (len(expected - set(delivered)), len(set(delivered) - expected))
