"""The bus double's requests per second and the latency it adds, under a local load generator, against a bare
`http.server` measured in the same run on the same loopback.

The load generator is `THREADS` threads, each a consumer and a provider (`BusClient`, SMEV 1.3, signatures off so
callers are named by header; the double still runs the rule catalogue on what it receives) going through whole
exchanges: SendRequest, GetRequest, Ack, SendResponse, GetResponse, Ack. Every call's wall latency is recorded as the
client sees it. The baseline server answers each SOAPAction with a fixed body: the bus's own answer to that call,
captured in a warm-up exchange, so the client's work (build, send, parse) is the same on both sides and the
difference is what the double adds. Each server runs in its own process, as `smev-conformance serve` does, so that
the load generator's threads and the server's do not take turns on one interpreter lock (which would count the
client's own parsing as the server's latency). The two servers are loaded alternately, `ROUNDS` times each, and the
latencies pooled. Bounded by a number of exchanges per thread and a time cap per round; 127.0.0.1 only.

- `bus_requests_per_s`: calls per second through the double under `THREADS` concurrent clients, baseline the bare
  server's, ratio.
- `bus_added_latency_p50_ms`, `bus_added_latency_p99_ms`: the double's latency percentile minus the bare server's for
  one client calling in sequence, as a participant under test does (target: <= 5 ms at p99, so that a 2-second
  real-time verdict measured through the double is honest).
- `bus_signed_added_latency_p50_ms`, `..._p99_ms`: the same with signatures on: callers sign with GOST keys of the
  negative catalogue's test PKI, the double verifies every call and signs every delivery (the bare server answers
  the double's signed bodies, so the clients' signing and parsing cost is the same on both sides).
- `bus_paced_added_latency_p50_ms`, `..._p99_ms`: unsigned, under an open-loop load generator: exchanges due at a
  fixed rate, half the double's closed-loop throughput (`PACED_SHARE`), latency counted from when each was due.
- `bus_loaded_added_latency_p50_ms`, `..._p99_ms`: unsigned, under the `THREADS` closed-loop clients at saturation,
  where each call also waits for the others' (the double serves one call's rule checks at a time: one
  interpreter). A stress figure: at saturation, latency is queueing, whatever the server.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
THREADS = 4
ROUNDS = 2
CALLS_PER_EXCHANGE = 6
PACED_SHARE = 0.5  # the paced load: this share of the double's closed-loop throughput
NS = "urn://x-artefacts-bench/inn/1.0"


def _types() -> Any:
    from conformance.bus.types import TypeTable
    from conformance.registry.model import MessageTypeSpec, PayloadSpec

    return TypeTable([MessageTypeSpec("inn", PayloadSpec(NS, "InnRequest"), PayloadSpec(NS, "InnResponse"), ("FNS",),
                                      ("MFC", "EPGU"))])


def _double(signed: bool) -> Any:
    """The double: callers named by header, or (`signed`) known by their certificates of the negative catalogue's
    test PKI, every call's signature verified and every delivery signed."""
    from conformance.bus.service import Bus, BusConfig

    if not signed:
        return Bus(_types(), config=BusConfig(signatures=False))
    from conformance.negative.identities import bus_credentials

    return Bus(_types(), credentials=bus_credentials())


def _clients(url: str, signed: bool) -> tuple[Any, Any]:
    """(consumer, provider) clients; signed ones sign every call as EPGU and FNS."""
    from conformance.bus.client import BusClient

    if not signed:
        return BusClient(url, sender="MFC", version="1.3"), BusClient(url, sender="FNS", version="1.3")
    from conformance.negative.identities import identities
    from conformance.xmldsig.signer import signing_hook

    people = identities()
    return tuple(BusClient(url, version="1.3", sign=signing_hook(people[who].key, people[who].certificate))
                 for who in ("consumer", "provider"))  # type: ignore[return-value]


def _fragment(xml: str) -> Any:
    from lxml import etree

    from conformance.protocol.xmlfragment import XmlFragment

    return XmlFragment(etree.fromstring(xml))


REQUEST = f'<i:InnRequest xmlns:i="{NS}"><i:Passport>4500 123456</i:Passport></i:InnRequest>'
ANSWER = f'<i:InnResponse xmlns:i="{NS}"><i:INN>500100732259</i:INN></i:InnResponse>'


class _Exchange:
    """One thread's whole exchange, recording (rpc, seconds) of every call; returns the answers by rpc."""

    def __init__(self, url: str, signed: bool) -> None:
        self.consumer, self.provider = _clients(url, signed)
        self.request = _fragment(REQUEST)
        self.answer = _fragment(ANSWER)
        self.latencies: list[tuple[str, float]] = []
        self.bodies: dict[str, bytes] = {}

    def _timed(self, rpc: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        reply = call(*args, **kwargs)
        self.latencies.append((rpc, time.perf_counter() - started))
        if reply.status != 200:
            raise AssertionError(f"{rpc} answered HTTP {reply.status}: {reply.body[:300]!r}")
        self.bodies.setdefault(rpc, reply.body)
        return reply

    def once(self) -> None:
        from conformance.protocol import model as m

        self._timed("SendRequest", self.consumer.send_request, self.request)
        got = self._timed("GetRequest", self.provider.get_request).message
        request = got.message.request if got is not None and got.message is not None else None
        if request is None:
            return  # another thread took it: that thread answers it
        self._timed("Ack", self.provider.ack, request.data.message_id)
        self._timed("SendResponse", self.provider.send_response, request.reply_to, m.BusinessAnswer(content=self.answer))
        got = self._timed("GetResponse", self.consumer.get_response).message
        response = got.message.response if got is not None and got.message is not None else None
        if response is not None:
            self._timed("Ack", self.consumer.ack, response.data.message_id)


def _bare_server(bodies: dict[str, bytes]) -> ThreadingHTTPServer:
    """A stdlib threading server answering each SOAPAction's POST with a fixed body, like the double's transport."""
    fallback = bodies["GetRequest"]

    class Fixed(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
            pass

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            action = (self.headers.get("SOAPAction") or "").strip('"').rsplit(":", 1)[-1]  # urn:SendRequest
            body = bodies.get(action, fallback)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return ThreadingHTTPServer(("127.0.0.1", 0), Fixed)


def _serve(kind: str, bodies_file: str | None) -> None:
    """Child process: run the double (`bus`) or the bare server (`bare`, bodies from a JSON file), print its URL,
    serve until standard input closes."""
    if kind in ("bus", "bus-signed"):
        from conformance.bus.server import start

        with start(_double(kind == "bus-signed")) as running:
            print(running.url, flush=True)
            sys.stdin.read()
        return
    bodies = {rpc: base64.b64decode(body) for rpc, body in json.loads(Path(bodies_file).read_text()).items()}
    bare = _bare_server(bodies)
    serving = threading.Thread(target=bare.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    print(f"http://127.0.0.1:{bare.server_address[1]}/smev", flush=True)
    sys.stdin.read()
    bare.shutdown()
    bare.server_close()


@contextmanager
def _server(kind: str, bodies: dict[str, bytes] | None = None):
    """A server in a child process; yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, str(Path(__file__).resolve()), "--serve", kind]
        if bodies is not None:
            path = Path(tmp) / "bodies.json"
            path.write_text(json.dumps({rpc: base64.b64encode(body).decode() for rpc, body in bodies.items()}))
            args.append(str(path))
        child = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 cwd=HERE.parent.parent)
        try:
            url = child.stdout.readline().strip()
            if not url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"bench_bus: the {kind} server did not start (said {url!r})")
            yield url
        finally:
            child.stdin.close()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _in_threads(work: list[Callable[[], None]]) -> float:
    """Run each function in its own thread; the wall time of all. The first error of any re-raises here."""
    errors: list[BaseException] = []

    def guarded(function: Callable[[], None]) -> None:
        try:
            function()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(f,)) for f in work]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def _load(url: str, exchanges: int, cap_s: float, threads: int = THREADS,
          signed: bool = False) -> tuple[list[tuple[str, float]], float, dict[str, bytes]]:
    """`threads` threads doing `exchanges` exchanges each (or until `cap_s`); all latencies and the wall time."""
    workers = [_Exchange(url, signed) for _ in range(threads)]
    deadline = time.perf_counter() + cap_s

    def drive(worker: _Exchange) -> None:
        for _ in range(exchanges):
            if time.perf_counter() > deadline:
                break
            worker.once()

    wall = _in_threads([lambda w=w: drive(w) for w in workers])
    bodies: dict[str, bytes] = {}
    for w in workers:
        for rpc, body in w.bodies.items():
            bodies.setdefault(rpc, body)
    return [x for w in workers for x in w.latencies], wall, bodies


def _paced(url: str, exchanges_per_s: float, seconds: float) -> list[tuple[str, float]]:
    """An open-loop load: exchanges due at a fixed rate, shared by THREADS threads, for `seconds`. A call's latency
    counts from when it was due, not from when a late thread got to it (no coordinated omission)."""
    period = 1.0 / exchanges_per_s
    workers = [_Exchange(url, False) for _ in range(THREADS)]
    start = time.perf_counter() + 0.05
    count = int(seconds * exchanges_per_s)

    def drive(k: int, worker: _Exchange) -> None:
        for n in range(k, count, THREADS):
            due = start + n * period
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            late = time.perf_counter() - due
            before = len(worker.latencies)
            worker.once()
            rpc, first = worker.latencies[before]
            worker.latencies[before] = (rpc, first + late)

    _in_threads([lambda k=k, w=w: drive(k, w) for k, w in enumerate(workers)])
    return [x for w in workers for x in w.latencies]


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q))


def run(quick: bool = False) -> dict[str, Any]:
    exchanges, cap_s = (25, 15.0) if quick else (125, 60.0)
    paced_s = 3.0 if quick else 15.0
    paced: dict[str, list[tuple[str, float]]] = {"bus": [], "bare": []}
    loaded: dict[str, list[tuple[str, float]]] = {"bus": [], "bare": []}
    single: dict[str, list[tuple[str, float]]] = {"bus": [], "bare": []}
    walls = {"bus": 0.0, "bare": 0.0}
    with _server("bus") as bus_url:
        _, _, bodies = _load(bus_url, 2, 30.0)  # warm-up; captures the double's answers
        with _server("bare", bodies) as bare_url:
            _load(bare_url, 2, 30.0)
            urls = {"bus": bus_url, "bare": bare_url}
            for _ in range(ROUNDS):  # alternate, so that drifting load on the machine hits both sides alike
                for side, url in urls.items():
                    latencies, wall, _ = _load(url, exchanges, cap_s)
                    loaded[side] += latencies
                    walls[side] += wall
                    single[side] += _load(url, exchanges, cap_s, threads=1)[0]
            rate = PACED_SHARE * len(loaded["bus"]) / walls["bus"] / CALLS_PER_EXCHANGE  # exchanges/s
            for _ in range(ROUNDS):
                for side, url in urls.items():
                    paced[side] += _paced(url, rate, paced_s)

    signed: dict[str, list[tuple[str, float]]] = {"bus": [], "bare": []}
    with _server("bus-signed") as bus_url:
        _, _, bodies = _load(bus_url, 2, 30.0, signed=True)
        with _server("bare", bodies) as bare_url:
            _load(bare_url, 2, 30.0, signed=True)
            for _ in range(ROUNDS):
                for side, url in (("bus", bus_url), ("bare", bare_url)):
                    signed[side] += _load(url, exchanges, cap_s, threads=1, signed=True)[0]

    bus_rate, base_rate = len(loaded["bus"]) / walls["bus"], len(loaded["bare"]) / walls["bare"]
    figures: dict[str, Any] = {
        "bus_requests_per_s": {"value": round(bus_rate, 1), "unit": "calls/s", "baseline": round(base_rate, 1),
                               "ratio": round(bus_rate / base_rate, 4)},
        "bus_calls_measured": {"value": len(loaded["bus"]) + len(single["bus"]), "unit": "calls",
                               "baseline": len(loaded["bare"]) + len(single["bare"])},
    }
    for prefix, pools in (("bus_added", single), ("bus_signed_added", signed), ("bus_paced_added", paced),
                          ("bus_loaded_added", loaded)):
        bus_all = [s for _, s in pools["bus"]]
        base_all = [s for _, s in pools["bare"]]
        for q in (50, 99):
            bus_q, base_q = _percentile(bus_all, q) * 1000, _percentile(base_all, q) * 1000
            figures[f"{prefix}_latency_p{q}_ms"] = {"value": round(bus_q - base_q, 3), "unit": "ms",
                                                    "baseline": round(base_q, 3), "ratio": round(bus_q / base_q, 4),
                                                    "bus_latency_ms": round(bus_q, 3)}
    for rpc in sorted({r for r, _ in single["bus"]}):
        mine = [s for r, s in single["bus"] if r == rpc]
        theirs = [s for r, s in single["bare"] if r == rpc] or [s for _, s in single["bare"]]
        figures[f"bus_{rpc}_p99_ms"] = {"value": round(_percentile(mine, 99) * 1000, 3), "unit": "ms",
                                        "baseline": round(_percentile(theirs, 99) * 1000, 3),
                                        "ratio": round(_percentile(mine, 99) / _percentile(theirs, 99), 4)}
    return figures


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent))
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
