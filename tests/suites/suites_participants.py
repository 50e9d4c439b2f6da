"""Small live participants for the engine tests: a provider that does everything right, and its broken twins."""

from __future__ import annotations

import contextlib
import threading
import time

from lxml import etree

from conformance.bus.client import BusClient
from conformance.findings import Status
from conformance.protocol import model as m
from conformance.protocol.codes import RejectionReasonCode
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry import Side, load_registry, make_payload
from conformance.xmldsig.verifier import verify_message

REGISTRY = load_registry()


class Provider(threading.Thread):
    """Polls GetRequest; verifies the bus's signature (acks accepted=false when it fails); answers each request
    once, with data or NO_DATA when the request is `no_data`; resends after a fault with a new MessageID.
    `mistakes` switches realistic errors on: no-ack, answer-twice, rewrite-to, ignore-bad-signature."""

    def __init__(self, url: str, *, sender: str | None, sign=None, trust=(), no_data: XmlFragment | None = None,
                 mistakes: frozenset[str] = frozenset()):
        super().__init__(daemon=True)
        self.client = BusClient(url, sender=sender, sign=sign, timeout=5)
        self.trust = list(trust)
        self.no_data = no_data
        self.mistakes = mistakes
        self.answered: set[str] = set()
        self.pending: list[tuple[str, m.ResponseAnswer]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(OSError):  # the bus is stopping or not up yet
                self._once()
            time.sleep(0.05)

    def _bus_signature_holds(self, body: bytes) -> bool:
        if self.client.sign is None:
            return True
        findings = verify_message(etree.fromstring(body), trust=self.trust)
        return not [f for f in findings if f.status is Status.FAIL]

    def _once(self) -> None:
        for to, answer in list(self.pending):
            if self.client.send_response(to, answer).status == 200:
                self.pending.remove((to, answer))
        reply = self.client.get_request()
        holder = getattr(reply.message, "message", None)
        if holder is None:
            return
        request = holder.request
        mid = request.data.message_id
        if "ignore-bad-signature" not in self.mistakes and not self._bus_signature_holds(reply.body):
            self.client.ack(mid, accepted=False)
            return
        if "no-ack" not in self.mistakes:
            self.client.ack(mid)
        if mid in self.answered and "answer-twice" not in self.mistakes:
            return
        self.answered.add(mid)
        spec = REGISTRY.by_element(request.data.content.element()).spec
        answer: m.ResponseAnswer
        if self.no_data is not None and request.data.content == self.no_data:
            answer = m.Rejection((m.RequestRejected(RejectionReasonCode.NO_DATA, "no such person"),))
        else:
            answer = m.BusinessAnswer(content=XmlFragment(make_payload(spec, Side.RESPONSE, seed=3,
                                                                       request=request.data.content.element())))
        to = request.reply_to + ("x" if "rewrite-to" in self.mistakes else "")
        if "no-to" in self.mistakes:
            from conformance.protocol import ids

            def strip_to(envelope, operation, version) -> None:
                for element in envelope.iter("{*}To"):
                    element.getparent().remove(element)
                if self.client.sign is not None:  # then sign what is sent, as the integrator's code would
                    self.client.sign(envelope, operation, version)

            self.client.call(m.SendResponseRequest(data=m.SenderProvidedResponseData(ids.new_message_id(), to, answer)),
                             sign=strip_to)
            return
        if self.client.send_response(to, answer).status != 200:
            self.pending.append((to, answer))


class Consumer(threading.Thread):
    """Sends a request of `type_name` each time its trigger URL is POSTed; polls GetResponse and acks what it gets;
    after SMEVFailure retries the same message after `backoff` seconds; after MessageIsAlreadySent or
    StaleMessageId sends again with a new MessageID. `mistakes`: no-backoff, same-id, no-ack."""

    def __init__(self, url: str, type_name: str, *, sender: str | None, sign=None, backoff: float = 1.1,
                 mistakes: frozenset[str] = frozenset()):
        super().__init__(daemon=True)
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.client = BusClient(url, sender=sender, sign=sign, timeout=5)
        self.spec = REGISTRY.by_name(type_name)
        self.backoff = backoff
        self.mistakes = mistakes
        self.triggers: list[int] = []
        self.stop = threading.Event()
        consumer = self

        class Trigger(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                consumer.triggers.append(len(consumer.triggers))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.trigger_server = ThreadingHTTPServer(("127.0.0.1", 0), Trigger)
        threading.Thread(target=self.trigger_server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def trigger_url(self) -> str:
        return f"http://127.0.0.1:{self.trigger_server.server_address[1]}/send"

    def run(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(OSError):
                self._once()
            time.sleep(0.05)
        self.trigger_server.shutdown()

    def _send(self, number: int) -> None:
        from conformance.protocol import ids

        content = XmlFragment(make_payload(self.spec, Side.REQUEST, seed=1000 + number))
        message_id = ids.new_message_id()
        for _attempt in range(5):
            reply = self.client.send_request(content, message_id=message_id)
            fault = reply.fault
            if fault is None:
                return
            if fault.name.value == "SMEVFailure":
                time.sleep(0 if "no-backoff" in self.mistakes else self.backoff)
            elif "same-id" not in self.mistakes:
                message_id = ids.new_message_id()

    def _once(self) -> None:
        while self.triggers:
            self._send(self.triggers.pop(0))
        reply = self.client.get_response()
        holder = getattr(reply.message, "message", None)
        if holder is not None and "no-ack" not in self.mistakes:
            self.client.ack(holder.response.data.message_id)
