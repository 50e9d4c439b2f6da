"""An HTTP endpoint that makes the reference consumer send a request: how a harness triggers it.

    POST (or GET) http://HOST:PORT/send?type=NAME[&seed=N][&test=1]   -> 202 {"type": ..., "seed": ...}

The request is sent in the background (with the consumer's retries), so the call returns at once; the consumer's
polling loop takes the answer. An unknown type is a 404 naming the known ones.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from conformance.reference.common import log
from conformance.reference.consumer import Consumer


class _Handler(BaseHTTPRequestHandler):
    server: TriggerServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("trigger: " + format, *args)

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if parts.path.rstrip("/") != "/send":
            self._answer(404, {"error": "POST /send?type=NAME makes the consumer send a request"})
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        consumer = self.server.consumer
        name = query.get("type", "")
        if consumer.registry.find(name) is None:
            self._answer(404, {"error": f"unknown type {name!r}", "types": list(consumer.registry.names())})
            return
        try:
            seed = int(query.get("seed", "0"))
        except ValueError:
            self._answer(400, {"error": "seed must be an integer"})
            return
        test = query.get("test") in ("1", "true")
        threading.Thread(target=self.server.send, args=(name, seed, test), daemon=True,
                         name="reference-trigger-send").start()
        self._answer(202, {"type": name, "seed": seed, "test_message": test})

    do_POST = _send  # noqa: N815 - the stdlib's name
    do_GET = _send  # noqa: N815


class TriggerServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], consumer: Consumer):
        super().__init__(address, _Handler)
        self.consumer = consumer
        self.sent: list = []

    def send(self, name: str, seed: int, test: bool) -> None:
        try:
            self.sent.append(self.consumer.send(name, seed=seed, test_message=test))
        except Exception:  # a background send must not die silently
            log.exception("the triggered request of %s failed", name)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/send"


def serve_trigger(consumer: Consumer, host: str = "127.0.0.1", port: int = 0) -> TriggerServer:
    """Serve the trigger endpoint in a daemon thread; `.url` is where to call, `.shutdown()` stops it."""
    server = TriggerServer((host, port), consumer)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                     name="reference-trigger").start()
    return server
