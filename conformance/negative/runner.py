"""Running cases against a bus: set up what a case needs, send its mutated message, judge the answer.

    outcome = run_against_bus(case, BusClient(url))            # one case
    outcomes = run_catalogue(cases, url, seed=0)               # all of them, in order
    results = [o.result() for o in outcomes]                   # FileResults for `conformance.report`

A case passes when the bus answers exactly as expected (the fault and its reason, in the caller's version, with the
HTTP status; or the status; or the HTTP refusal; or, for a dropped connection, a clear client error and a bus that
still serves and processed the call at most once). A case marked `xfail` that fails is a warning (a known gap of the
double); one that passes is a warning too (its mark is stale). A case that forces a fault is skipped against a bus
without the double's control endpoint.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from conformance.bus.client import BusClient, Reply
from conformance.findings import FileResult, Finding, Location, Status
from conformance.negative import transport as wire
from conformance.negative.identities import identity
from conformance.negative.messages import default_registry, facts_for, mutate
from conformance.negative.model import Case
from conformance.negative.mutations import Facts, MutationError
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.operations import REQUEST_OF, Rpc
from conformance.protocol.samples import sample_message
from conformance.xmldsig.signer import signing_hook

if TYPE_CHECKING:
    from conformance.crypto import Backend

MAX_POLLS = 30


class SetupError(Exception):
    """What a case needs first (a delivered request, a forced fault) could not be had from the bus."""


@dataclass(frozen=True)
class Outcome:
    case: Case
    status: Status
    message: str
    answer: str
    seconds: float
    answer_matched: bool = False
    """The bus answered as the case expects (whatever the xfail mark says)."""

    def finding(self) -> Finding:
        where = Location(file=self.case.source or self.case.id, line=self.case.line)
        return Finding(self.case.expect.rule, self.status, self.message, where,
                       details=(("expected", self.case.expect.describe()), ("answered", self.answer),
                                ("seconds", f"{self.seconds:.3f}")))

    def result(self) -> FileResult:
        return FileResult(f"{self.case.id}: {self.case.title}", REQUEST_OF[self.case.rpc].value,
                          self.case.version.value, (self.finding(),))


def _signed_client(url: str, who: str, rpc: Rpc, version: object, backend: Backend | None) -> BusClient:

    person = identity(who, rpc)
    return BusClient(url, version=version, sign=signing_hook(person.key, person.certificate,
                                                                              backend=backend))  # type: ignore[arg-type]


def control_url(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def force_fault(url: str, case: Case) -> bool:
    """Ask the double to answer the case's call with its forced fault; False when the bus has no control endpoint."""
    assert case.force is not None
    caller = identity(case.signer or "caller", case.rpc).mnemonic
    reason = case.expect.reason.value if case.expect.reason else None
    spec = {"rpc": case.rpc.value, "fault": case.force.value, "times": 1, "caller": caller, "reason": reason}
    request = urllib.request.Request(control_url(url, "/_double/faults"), data=json.dumps(spec).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the bus URL the user gave
            return 200 <= answer.status < 300
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 405, 501):
            return False
        raise SetupError(f"the double refused the forced fault: HTTP {exc.code}") from None


def deliver_request(url: str, case: Case, facts: Facts, backend: Backend | None = None) -> None:
    """A valid request of the case's type from the consumer, taken (and acked with `ack`) by the provider."""
    registry = default_registry()
    spec = registry.find(case.start.type) if case.start.type else registry.first
    assert spec is not None
    consumer = _signed_client(url, "consumer", Rpc.SEND_REQUEST, case.version, backend)
    provider = _signed_client(url, "provider", Rpc.GET_REQUEST, case.version, backend)
    request_id = ids.new_message_id(facts.now, rng=facts.rng)
    message = sample_message(REQUEST_OF[Rpc.SEND_REQUEST], case.version, spec=spec, at=facts.now,
                             seed=facts.rng.randrange(1 << 30))
    assert isinstance(message, m.SendRequestRequest)
    message = m.SendRequestRequest(m.SenderProvidedRequestData(request_id, message.data.content))
    sent = consumer.call(message)
    if sent.status != 200:
        raise SetupError(f"setup deliver: the bus refused a valid SendRequest: {describe(sent)}")
    for _ in range(MAX_POLLS):
        got = provider.get_request(spec.request.namespace, spec.request.root)
        delivered = got.message
        if not isinstance(delivered, m.GetRequestResponse) or delivered.message is None:
            raise SetupError(f"setup deliver: the provider's GetRequest did not return the request: {describe(got)}")
        request = delivered.message.request
        if request.data.message_id == request_id:
            facts.delivered, facts.reply_to = request_id, request.reply_to
            if "ack" in case.setup:
                acked = provider.ack(request_id)
                if acked.status != 200:
                    raise SetupError(f"setup ack: {describe(acked)}")
            return
        provider.ack(request.data.message_id)  # an older request in the queue: take it out of the way
    raise SetupError(f"setup deliver: request {request_id} did not arrive in {MAX_POLLS} polls")


def describe(reply: Reply) -> str:
    """One line for what the bus answered."""
    if reply.fault is not None:
        reason = f"/{reply.fault.reason.value}" if reply.fault.reason else ""
        version = f" ({reply.parsed.version.value})" if reply.parsed else ""
        text = reply.fault.faultstring.strip().splitlines()[0][:160] if reply.fault.faultstring else ""
        return f"HTTP {reply.status} {reply.fault.name.value}{reason}{version}: {text}"
    if reply.parsed is not None:
        return f"HTTP {reply.status} {reply.parsed.operation.value}"
    return f"HTTP {reply.status} {reply.body[:80]!r}"


def _judge_fault(case: Case, reply: Reply) -> str | None:
    """None when the reply is the expected fault, else what is wrong."""
    expect = case.expect
    problems = []
    if reply.status not in (expect.http or (500,)):
        problems.append(f"HTTP {reply.status}, not {'|'.join(map(str, expect.http or (500,)))}")
    fault = reply.fault
    if fault is None:
        return "; ".join([*problems, "no SOAP fault"])
    if fault.name is not expect.fault:
        problems.append(f"{fault.name.value}, not {expect.fault.value}")  # type: ignore[union-attr]
    if expect.reason is not None and fault.reason is not expect.reason:
        problems.append(f"reason {fault.reason.value if fault.reason else 'none'}, not {expect.reason.value}")
    if reply.parsed is not None and reply.parsed.version is not case.version and not case.transport.content_type \
            and not case.transport.mime:
        problems.append(f"the fault is written in version {reply.parsed.version.value}, not the caller's "
                        f"{case.version.value}")
    if expect.faultcode is not None and fault.faultcode[1] != expect.faultcode:
        problems.append(f"faultcode {fault.faultcode[1]}, not {expect.faultcode}")
    return "; ".join(problems) or None


def _status_seen(url: str, case: Case, facts: Facts, backend: Backend | None) -> tuple[bool, str]:
    """Whether the consumer is told the expected status of the delivered request (GetStatus, then GetResponse)."""
    consumer = _signed_client(url, "consumer", Rpc.GET_STATUS, case.version, backend)
    seen = []
    for poll in (consumer.get_status, consumer.get_response):
        for _ in range(MAX_POLLS):
            reply = poll()
            status = _async_status(reply.message)
            if status is None:
                break
            seen.append(f"{status.original_message_id} {status.status_category.value}")
            if status.original_message_id == facts.delivered and status.status_category is case.expect.status:
                return True, f"status {status.status_category.value}"
    return False, "statuses seen: " + (", ".join(seen) if seen else "none")


def _async_status(message: object) -> m.AsyncProcessingStatus | None:
    if isinstance(message, m.GetStatusResponse) and message.message is not None:
        return message.message.data.status
    if isinstance(message, m.GetResponseResponse) and message.message is not None:
        answer = message.message.response.data.answer
        if isinstance(answer, m.AsyncProcessingStatus):
            return answer
    return None


def _bus_serves(url: str, version: object, backend: Backend | None) -> str | None:
    """None when a valid call still succeeds, else what went wrong."""
    try:
        reply = _signed_client(url, "consumer", Rpc.GET_STATUS, version, backend).get_status()
    except OSError as exc:
        return f"the bus no longer answers: {exc}"
    return None if reply.status == 200 else f"a valid GetStatus now gets {describe(reply)}"


def _run_transport_drop(case: Case, url: str, data: bytes, action: str,
                        backend: Backend | None) -> tuple[bool, str]:
    headers = wire.wire_headers(case.transport, action, len(data))
    valid = _signed_client(url, "consumer", case.rpc, case.version, backend)
    if case.transport.drop == "mid-request":
        wire.raw_request(url, method="POST", headers=headers, body=data, send_bytes=len(data) // 2, hang_up=True)
        problems = []
        full = valid.post(data, soap_action=action)
        if full.status != 200:
            problems.append(f"the complete message sent afterwards got {describe(full)} (the half one must "
                            "not have been processed)")
        answer = f"half a request, then the client hung up; the complete message afterwards: {describe(full)}"
        return not problems, "; ".join(problems) or answer
    proxy = wire.CuttingProxy(url)
    try:
        error = None
        try:
            reply = BusClient(proxy.url, version=case.version).post(data, soap_action=action)
        except Exception as exc:  # noqa: BLE001 - any clear exception is what the client must show
            error = f"{type(exc).__name__}: {exc}"
        else:
            if reply.parsed is not None or not reply.error:
                return False, f"the client took a cut answer as {describe(reply)} without an error"
            error = f"a reply flagged unreadable: {reply.error}"
    finally:
        proxy.close()
    resend = valid.post(data, soap_action=action)
    problems = []
    if not error.strip(": "):
        problems.append("the client's error says nothing")
    expected_resend = resend.fault is not None and resend.fault.name.value == "MessageIsAlreadySent"
    if case.rpc in (Rpc.SEND_REQUEST, Rpc.SEND_RESPONSE) and not expected_resend:
        problems.append(f"resending the same message got {describe(resend)}, not MessageIsAlreadySent (the bus "
                        "must have processed the cut call exactly once)")
    answer = f"client error {error}; resend: {describe(resend)}"
    return not problems, ("; ".join(problems) + f" ({answer})") if problems else answer


def run_against_bus(case: Case, client: BusClient, *, seed: int | str = 0, control: bool = True,
                    backend: Backend | None = None) -> Outcome:
    """Run one case against the bus `client` talks to (only its URL is used: the case signs as its identities,
    with `backend`; None: the automatic choice)."""
    started = time.monotonic()
    facts = facts_for(case, seed)
    url = client.url
    action = case.rpc.soap_action
    try:
        if "deliver" in case.setup:
            deliver_request(url, case, facts, backend)
        data = mutate(case, facts, backend=backend)
        if any(step.name == "repeat-message-id" for step in case.mutations):
            first = wire.post(client, data, case.transport, action)
            if first.status != 200:
                raise SetupError(f"the first sending of the repeated message was refused: {describe(first)}")
        if case.force is not None and not (control and force_fault(url, case)):
            return _outcome(case, Status.SKIP, "the bus has no control endpoint to force "
                            f"{case.force.value} ({case.force_reason})", "not run", started)
        ok, answer = _deliver_and_judge(case, client, url, data, action, facts, backend)
    except (SetupError, MutationError, OSError, http.client.HTTPException) as exc:
        return _outcome(case, Status.FAIL, f"{case.title}: could not run the case: {type(exc).__name__}: {exc}",
                        "not run", started)
    return _verdict(case, ok, answer, started)


def _deliver_and_judge(case: Case, client: BusClient, url: str, data: bytes, action: str,
                       facts: Facts, backend: Backend | None) -> tuple[bool, str]:
    transport = case.transport
    expect = case.expect
    if transport.drop is not None:
        ok, answer = _run_transport_drop(case, url, data, action, backend)
        served = _bus_serves(url, case.version, backend)
        return (ok and served is None), (answer if served is None else f"{answer}; {served}")
    if transport.method != "POST" or transport.declared_length is not None:
        body = b"" if transport.method in ("GET", "HEAD") else data
        raw = wire.raw_request(url, method=transport.method, headers=wire.wire_headers(transport, action, len(body)),
                               body=body, send_bytes=0 if transport.declared_length else None)
        served = _bus_serves(url, case.version, backend)
        answer = f"HTTP {raw.status or 'no status'}"
        ok = raw.status in expect.http and served is None
        return ok, answer if served is None else f"{answer}; {served}"
    reply = wire.post(client, data, transport, action)
    answer = describe(reply)
    if expect.kind == "fault":
        problem = _judge_fault(case, reply)
        return problem is None, answer if problem is None else f"{answer} [{problem}]"
    if expect.kind == "http":
        return reply.status in expect.http, answer
    if expect.kind == "status":
        if reply.status != 200:
            return False, f"the call itself was refused: {answer}"
        seen, text = _status_seen(url, case, facts, backend)
        return seen, text
    return False, f"expectation {expect.kind} cannot be judged for a plain POST"


def _outcome(case: Case, status: Status, message: str, answer: str, started: float,
             matched: bool = False) -> Outcome:
    return Outcome(case, status, message, answer, time.monotonic() - started, matched)


def _verdict(case: Case, ok: bool, answer: str, started: float) -> Outcome:
    expected = case.expect.describe()
    if case.xfail is not None:
        if ok:
            return _outcome(case, Status.WARN, f"{case.title}: marked xfail ({case.xfail}) but the bus now answers "
                            f"as expected ({answer}): remove the mark", answer, started, True)
        return _outcome(case, Status.WARN, f"{case.title}: known gap of the bus double ({case.xfail}): expected "
                        f"{expected}; answered {answer}", answer, started)
    if ok:
        return _outcome(case, Status.PASS, f"{case.title}: {answer}", answer, started, True)
    return _outcome(case, Status.FAIL, f"{case.title}: expected {expected}; the bus answered {answer}", answer,
                    started)


def run_catalogue(cases: list[Case], url: str, *, seed: int | str = 0, control: bool = True,
                  backend: Backend | None = None) -> list[Outcome]:
    client = BusClient(url)
    return [run_against_bus(case, client, seed=seed, control=control, backend=backend) for case in cases]
