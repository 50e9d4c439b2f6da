"""The engine that runs a suite against a live participant, with the bus double in the middle.

The harness serves the bus double (in process) at the URL the participant polls, starts the participant when its
`participant.yaml` says how, and plays each case: `deliver` puts a message into the participant's queue (a valid,
no-data, test or deliberately broken request; or an answer, rejection, status or asynchronous rejection to one of
its requests), `trigger` makes a consumer send a request, `fault` arms the bus to refuse the participant's next
call, `wait` lets time pass, and `expect` watches the bus's journal for the participant's call and checks the
step's assertions on it. Each assertion gives one `Finding` (rule id `<FAMILY>-LIVE-<CHECK>` of
`conformance.rules.live`, or the static rule that failed for `structure`/`signature`); the bus's refusals of the
participant's own calls that no step arranged are reported too (FLOW-LIVE-REFUSED and the rules that say why), grouped per case (and per type for `for_each: type`) as `FileResult`s
that every report format renders.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from lxml import etree

from conformance import xmlsafe
from conformance.bus.credentials import BusCredentials, load_certificate_file, load_credentials
from conformance.bus.process import ParticipantProcess
from conformance.bus.registry_view import load_types
from conformance.bus.replyto import read_reply_to
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.bus.store import Exchange
from conformance.errors import UsageError
from conformance.findings import FileResult, Finding, Location, Status
from conformance.protocol import model as m
from conformance.protocol.codes import RejectionReasonCode, StatusCategory
from conformance.protocol.facts import envelope_facts
from conformance.protocol.mtom import read_body
from conformance.protocol.namespaces import SOAP_ENV, XMLDSIG, ns
from conformance.protocol.reader import parse
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry import Side, load_registry, make_payload
from conformance.rules import catalogue
from conformance.rules.engine import CheckSettings, check_bytes
from conformance.rules.live import ASSERTIONS as LIVE_ASSERTIONS
from conformance.rules.live import (
    CALL_MISSING_RULE,
    CASE_RULE,
    NEGATIVE_RULE,
    NOT_CALLED_RULE,
    REFUSED_RULE,
    WITHIN_RULE,
    assertion_rule_id,
)
from conformance.suites import lint
from conformance.suites.model import Assertion, Case, Role, Step, StepKind, Suite
from conformance.suites.negative import Undeliverable, enqueue, select_cases, signature_duty
from conformance.suites.participant import Participant, bound, bus_address
from conformance.xmldsig.verifier import verify_message

if TYPE_CHECKING:
    from conformance.crypto import Backend

REALTIME_LIMIT = 2.0
"""963 §10: a real-time type is answered within 2 seconds."""
DEADLINE = 48 * 3600.0
"""963 §10: every other type within 48 hours (scaled by the suite's `deadline_scale` in a run)."""
DEFAULT_QUIET = 3.0
"""How long `expect … times: 0` watches for a call that must not come."""


class CaseFailed(Exception):
    """A step could not go on (the participant never called, a reference is missing): the case stops here.
    `rule` is the live rule the failure counts against (FLOW-LIVE-CASE unless the step knows better)."""

    def __init__(self, message: str, rule: str = CASE_RULE):
        super().__init__(message)
        self.rule = rule


class CaseSkipped(Exception):
    """The case cannot apply to this run (e.g. it breaks the bus's signature, and signatures are off)."""


@dataclass
class Seen:
    """What a named step stands for: a message the bus delivered, or a call the participant made."""

    message_id: str | None
    at: float
    exchange: Exchange | None = None
    parsed: Any = None
    reply_to: str | None = None
    """For a message the bus delivered: the ReplyTo it carried. For a call of the participant: the To it wrote."""
    content: XmlFragment | None = None


@dataclass
class RunSettings:
    deadline_scale: float = 0.0001
    ack_timeout: float = 5.0
    poll: float = 0.05
    signatures: bool = True
    seed: int = 0
    registry_path: str | None = None
    realtime_limit: float = REALTIME_LIMIT
    wait_scale: float = 1.0
    """Factor on `wait` steps and on the quiet window of `expect … times: 0` (tests shorten them)."""
    negative: int | None = 0
    """Negative catalogue deliveries after a provider suite's cases: that many (0: none), None: every one."""
    negative_ids: tuple[str, ...] = ()
    """When given: only these negative cases (of those `negative` selects)."""
    backend: Backend | None = None
    """The GOST backend of the run (`--crypto`): the bus double's, and the engine verifies with the double's. None:
    the automatic choice, resolved once when the double is made."""


@dataclass(frozen=True)
class Planned:
    """One thing a live run plays: a case (for one type) or a negative delivery; `subject` is its result's path."""

    subject: str
    title: str
    case: Case | None = None
    type_name: str = ""
    negative: Any = None
    """A `conformance.negative.model.Case` for a negative delivery."""

    @property
    def case_id(self) -> str:
        return self.case.id if self.case is not None else self.negative.id


def planned(suite: Suite, participant: Participant, settings: RunSettings) -> list[Planned]:
    """What a run of `suite` against `participant` plays, in order: each case (per type for `for_each: type`,
    else for the first type), then, for a provider suite, the negative deliveries `settings` selects."""
    items: list[Planned] = []
    for case in suite.cases:
        types = [t.name for t in participant.types] if case.for_each_type else [participant.types[0].name]
        for type_name in types:
            label = f"[{type_name}]" if case.for_each_type else ""
            items.append(Planned(f"{suite.name}/{case.id}{label}", case.title, case=case, type_name=type_name))
    if suite.role is Role.PROVIDER and settings.negative != 0:
        for negative in select_cases(settings.negative, settings.seed, participant.version):
            if not settings.negative_ids or negative.id in settings.negative_ids:
                items.append(Planned(f"{suite.name}/negative/{negative.id}", negative.title, negative=negative))
    return items


@dataclass
class _CaseRun:
    case: Case
    type_name: str | None
    started: float
    findings: list[Finding] = field(default_factory=list)
    named: dict[str, Seen] = field(default_factory=dict)


class ParticipantControl(Protocol):
    """What the harness can do to a participant it runs (for `crash` steps)."""

    def crash_and_restart(self) -> None:
        """Kill the participant at once (no cleanup, as a crash) and start it again."""


class Engine:
    """Runs `suite` against `participant` through `bus` (already serving at the participant's bus URL).
    `control` lets `crash` steps kill and restart the participant (None: those cases are skipped)."""

    def __init__(self, suite: Suite, participant: Participant, bus: Bus, settings: RunSettings | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 control: ParticipantControl | None = None,
                 on_result: Callable[[FileResult], None] | None = None):
        self.control = control
        self.on_result = on_result
        self.suite = suite
        self.participant = participant
        self.bus = bus
        self.settings = settings or RunSettings()
        self.clock = clock
        self.sleep = sleep

        self.registry = load_registry(self.settings.registry_path)

    # -- running ---------------------------------------------------------------------------------------------------

    def plan(self) -> list[Planned]:
        """What `run` will play, in order: one entry per case (and type, for a case run for each type), then the
        negative deliveries (see `planned`)."""
        return planned(self.suite, self.participant, self.settings)

    def run(self) -> list[FileResult]:
        return [self.run_one(item) for item in self.plan()]

    def run_one(self, item: Planned) -> FileResult:
        """Play one planned case (or negative delivery), timed; `on_result` hears of it."""
        started, clock = time.time(), time.perf_counter()
        if item.negative is not None:
            result = self._run_negative(item.negative)
        else:
            assert item.case is not None
            result = self._run_case(item.case, item.type_name if item.case.for_each_type else None, item.type_name)
        result = replace(result, started=started, duration=time.perf_counter() - clock)
        if self.on_result is not None:
            self.on_result(result)
        return result

    # -- negative deliveries ---------------------------------------------------------------------------------------

    def _run_negative(self, case) -> FileResult:  # noqa: ANN001 - a conformance.negative.model.Case
        """Deliver one spoiled request of the negative catalogue and judge how the participant takes it."""
        where = Location(case.source, case.line, case.id)
        subject = f"{self.suite.name}/negative/{case.id}"
        type_name = self.participant.types[0].name
        spec = self.bus.types.by_name(type_name)
        sender = next((c for c in spec.consumers if c != self.participant.mnemonic), spec.consumers[0]) \
            if spec is not None and spec.consumers else "HARNESS"
        self.bus.store.clear_forced_faults()
        if signature_duty(case) and not self.settings.signatures:
            return FileResult(subject, None, self.participant.version, (Finding(
                NEGATIVE_RULE, Status.SKIP, f"{case.title}: a broken signature needs signatures on (the run has "
                "--no-signatures)", where),))
        try:
            queued = enqueue(self.bus, case, type_name, self.registry, provider=self.participant.mnemonic,
                             sender=sender, seed=self.settings.seed, clock=self.clock)
        except Undeliverable as exc:
            return FileResult(subject, None, self.participant.version,
                              (Finding(NEGATIVE_RULE, Status.SKIP, f"{case.title}: {exc}", where),))
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            return FileResult(subject, None, self.participant.version, (Finding(
                NEGATIVE_RULE, Status.FAIL, f"the harness could not deliver {case.id}: {type(exc).__name__}: {exc}",
                where),))
        verdict, message = self._judge_negative(queued.message_id, type_name, signature_duty(case))
        return FileResult(subject, None, self.participant.version, (Finding(
            NEGATIVE_RULE, Status.PASS if verdict else Status.FAIL, f"{case.title}: {message}", where),))

    def _judge_negative(self, message_id: str, type_name: str, signature: bool) -> tuple[bool, str]:
        """Watch the participant's Ack and answers to `message_id`. A broken sender `signature` must be refused
        (Ack accepted=false, no answer); bad content refused or answered RequestRejected. An answer with data, no
        Ack, or an accepted delivery left unanswered fails."""
        realtime = bool(self.registry.by_name(type_name).realtime)
        answer_limit = self.settings.realtime_limit if realtime else DEADLINE * self.settings.deadline_scale
        start = self.clock()
        deadline = start + self.settings.ack_timeout + answer_limit
        quiet = max(0.5, 1.0 * self.settings.wait_scale)
        refused_at: float | None = None
        while True:
            ack = next((self._seen(e).parsed for e in self.bus.store.exchanges(
                caller=self.participant.mnemonic, rpc="Ack") if e.message_id == message_id and e.at >= start), None)
            accepted = getattr(getattr(ack, "target", None), "accepted", None)
            answers = [self._seen(e) for e in self.bus.store.exchanges(caller=self.participant.mnemonic,
                                                                           rpc="SendResponse") if e.at >= start]
            mine = [a for a in answers if (read_reply_to(a.reply_to) or ("",))[0] == message_id]
            replies = [getattr(getattr(a.parsed, "data", None), "answer", None) for a in mine]
            if any(isinstance(r, m.BusinessAnswer) for r in replies):
                return False, "answered with data as if the request were valid"
            rejected = next((r for r in replies if isinstance(r, m.Rejection)), None)
            if rejected is not None:
                codes = ", ".join(x.code.value for x in rejected.reasons)
                if signature:
                    return False, (f"processed a request whose sender signature does not hold (answered "
                                   f"RequestRejected {codes}); Ack it with accepted=false instead")
                return True, f"answered RequestRejected {codes}"
            if accepted is False:
                refused_at = refused_at or self.clock()
                if self.clock() - refused_at >= quiet:
                    return True, "refused with Ack accepted=false and not answered"
            if self.clock() >= deadline:
                if ack is None:
                    return False, f"not acked within {self.settings.ack_timeout + answer_limit:g} s"
                if mine:
                    return False, "answered with neither data nor RequestRejected: " + \
                        ", ".join(type(r).__name__ for r in replies)
                return False, (f"acked accepted=true but neither rejected nor refused within "
                               f"{self.settings.ack_timeout + answer_limit:g} s")
            self.sleep(self.settings.poll)

    def _run_case(self, case: Case, label: str | None, type_name: str) -> FileResult:
        run = _CaseRun(case, type_name, started=self.clock())
        subject = f"{self.suite.name}/{case.id}" + (f"[{label}]" if label else "")
        self.bus.store.clear_forced_faults()  # what an earlier case armed and the participant never triggered
        current: Step | None = None
        try:
            self._check_applicable(case)
            for current in case.steps:
                self._step(run, current)
        except CaseFailed as exc:  # located at the step that could not go on
            run.findings.append(self._finding(run, exc.rule, Status.FAIL, str(exc), current))
        except CaseSkipped as exc:
            run.findings.append(self._finding(run, CASE_RULE, Status.SKIP, str(exc), None))
        except Exception as exc:  # noqa: BLE001 - whatever a participant sends, the run reports it, never a traceback
            run.findings.append(self._finding(run, CASE_RULE, Status.FAIL, f"the harness could not go on at this "
                                              f"step: {type(exc).__name__}: {exc}", current))
        run.findings.extend(self._refusals(run))
        if not run.findings:
            run.findings.append(self._finding(run, CASE_RULE, Status.PASS, case.title, None))
        return FileResult(subject, None, self.participant.version, tuple(run.findings))

    def _refusals(self, run: _CaseRun) -> list[Finding]:
        """The bus's refusals of the participant's own calls during the case that no `fault` step arranged and no
        assertion judged: one finding per distinct fault (with how often), and the catalogue rules that say why."""
        forced = {(s.fields.get("operation"), s.fields.get("fault")) for s in run.case.steps if s.kind is StepKind.FAULT}
        judged = {seen.exchange.id for seen in run.named.values() if seen.exchange is not None}
        groups: dict[str, list[Exchange]] = {}
        for exchange in self.bus.store.exchanges(caller=self.participant.mnemonic):
            if exchange.fault is None or exchange.at < run.started or exchange.id in judged \
                    or (exchange.rpc, exchange.fault) in forced:
                continue
            groups.setdefault(f"{exchange.rpc}: {_fault_text(exchange)}", []).append(exchange)
        findings: list[Finding] = []
        for text, exchanges in groups.items():
            times = f" ({len(exchanges)} calls)" if len(exchanges) > 1 else ""
            findings.append(self._finding(run, REFUSED_RULE, Status.FAIL, f"the bus refused the participant's "
                                          f"{text}{times}", None))
            findings.extend(self._diagnosis(run, exchanges[0]))
        return findings

    def _diagnosis(self, run: _CaseRun, exchange: Exchange) -> list[Finding]:
        """The catalogue rules a refused call breaks: its signature's when the bus refused the signature, else the
        static rules'."""
        envelope = _envelope_of(exchange)
        try:
            if exchange.fault == "SignatureVerificationFault" and self.settings.signatures:
                trust = [c for c in (self.bus.credentials.ca,) if c is not None] if self.bus.credentials else []
                found = verify_message(etree.fromstring(envelope), trust=trust, backend=self.bus.backend)
            else:
                found = list(check_bytes(f"{exchange.rpc} call", envelope, CheckSettings(
                    rules=_static_rules(self.settings.signatures), registry=self.registry,
                    backend=self.bus.backend)).findings)
        except Exception:  # noqa: BLE001 - unreadable: the refusal itself is the finding
            return []
        return [self._finding(run, f.rule_id, Status.FAIL, f"{exchange.rpc}: {f.message}", None)
                for f in found if f.status is Status.FAIL]

    def _check_applicable(self, case: Case) -> None:
        """Skip, before any step runs (a half-run case would leave messages behind), what this run cannot do."""
        for step in case.steps:
            if step.kind is StepKind.CRASH and self.control is None:
                raise CaseSkipped("a crash step needs a participant the harness starts (`start:` in "
                                  "participant.yaml)")
            if step.kind is StepKind.DELIVER and step.fields.get("variant") == "bad-bus-signature" \
                    and not self.settings.signatures:
                raise CaseSkipped("a broken bus signature needs signatures on (the run has --no-signatures)")

    def _finding(self, run: _CaseRun, rule_id: str, status: Status, message: str, step: Step | None,
                 assertion: Assertion | None = None) -> Finding:
        line = assertion.line if assertion else (step.line if step else run.case.line)
        return Finding(rule_id, status, message, Location(self.suite.path, line, run.case.id))

    def _step(self, run: _CaseRun, step: Step) -> None:
        handler = {StepKind.DELIVER: self._deliver, StepKind.TRIGGER: self._trigger, StepKind.EXPECT: self._expect,
                   StepKind.FAULT: self._fault, StepKind.WAIT: self._wait, StepKind.CRASH: self._crash}[step.kind]
        handler(run, step)

    def _spec(self, run: _CaseRun, step: Step | None = None):
        named = step.fields.get("type") if step is not None else None
        return self.registry.by_name(named or run.type_name or self.participant.types[0].name)

    def _ref(self, run: _CaseRun, name: str | None) -> Seen:
        if name is None or name not in run.named:
            raise CaseFailed(f"step {name!r} has nothing to refer to (an earlier step did not happen)")
        return run.named[name]

    # -- steps -------------------------------------------------------------------------------------------------------

    def _deliver(self, run: _CaseRun, step: Step) -> None:
        message, variant = step.fields.get("message"), step.fields.get("variant", "valid")
        spec = self._spec(run, step)
        now = self.clock()
        if message == "request":
            if variant == "redelivery":
                seen = self._ref(run, step.fields.get("of"))
                self.bus.redeliver(seen.message_id or "")
                if step.name:
                    run.named[step.name] = Seen(seen.message_id, now, reply_to=seen.reply_to, content=seen.content)
                return
            if variant == "bad-bus-signature" and not self.settings.signatures:
                raise CaseSkipped("a broken bus signature needs signatures on (the run has --no-signatures)")
            content = self._request_content(spec, variant, run)
            sender = next((c for c in spec.consumers if c != self.participant.mnemonic), spec.consumers[0])
            queued = self.bus.inject_request(sender, content, version=self.participant.version,
                                             test_message=variant == "test-message",
                                             bad_signature=variant == "bad-bus-signature")
            seen = Seen(queued.message_id, now, reply_to=queued.reply_to, content=content)
        else:
            target = self._ref(run, step.fields.get("to"))
            if target.message_id is None:
                raise CaseFailed("the request to answer has no MessageID")
            if self.bus.store.find_request(target.message_id) is None:
                refused = target.exchange.fault if target.exchange is not None else None
                why = (f"the bus refused the participant's {target.exchange.rpc} with {_fault_text(target.exchange)}"
                       if refused and target.exchange is not None else "the bus never accepted it")
                raise CaseFailed(f"cannot deliver the {message} to request {target.message_id}: {why}, so there is "
                                 "no request to answer", rule=REFUSED_RULE if refused else CASE_RULE)
            if message == "async-rejection":
                status_id = self.bus.notify_status(target.message_id, step.fields.get("status")
                                                   or StatusCategory.REQUEST_IS_REJECTED_BY_SMEV,
                                                   fault=step.fields.get("fault"), details="rejected by the harness")
                seen = Seen(status_id, now)
            else:
                answer: m.ResponseAnswer
                if message == "rejection":
                    code = RejectionReasonCode(step.fields.get("code") or RejectionReasonCode.NO_DATA)
                    answer = m.Rejection((m.RequestRejected(code, "rejected by the harness"),))
                elif message == "status":
                    answer = m.RequestStatus(code=int(step.fields.get("code") or 1), description="in progress")
                else:
                    request_element = target.content.element() if target.content is not None else None
                    answer = m.BusinessAnswer(content=XmlFragment(make_payload(
                        spec, Side.RESPONSE, seed=self.settings.seed, request=request_element)))
                queued = self.bus.inject_response(target.message_id, answer,
                                                  bad_signature=variant == "bad-bus-signature")
                seen = Seen(queued.message_id, now)
        if step.name:
            run.named[step.name] = seen

    def _request_content(self, spec, variant: str, run: _CaseRun) -> XmlFragment:
        if variant == "no-data":
            ptype = next((t for t in self.participant.types if t.name == spec.name), None)
            if ptype is not None and ptype.no_data_request is not None:
                return XmlFragment.from_bytes(ptype.no_data_request.read_bytes(), source=str(ptype.no_data_request))
            return XmlFragment(make_payload(spec, Side.REQUEST, seed=self.settings.seed + 1_000_003))
        return XmlFragment(make_payload(spec, Side.REQUEST, seed=self.settings.seed))

    def _trigger(self, run: _CaseRun, step: Step) -> None:
        trigger = self.participant.trigger
        if trigger is None:
            raise CaseFailed("the participant has no `trigger:` to make it send a request")
        values = {"type": step.fields.get("type") or run.type_name or "", "variant": step.fields.get("variant", "valid")}
        if trigger.command:
            args = [a.format(**values) for a in trigger.command]
            try:
                done = subprocess.run(args, capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise CaseFailed(f"trigger command {args[0]!r} failed: {exc}") from None
            if done.returncode != 0:
                raise CaseFailed(f"trigger command exited {done.returncode}: {done.stderr.decode(errors='replace')}")
        elif trigger.http_url:
            url = trigger.http_url.format(**values)
            try:
                urllib.request.urlopen(urllib.request.Request(url, method=trigger.http_method,  # noqa: S310
                                                              data=b"" if trigger.http_method != "GET" else None),
                                       timeout=30).close()
            except OSError as exc:
                raise CaseFailed(f"trigger call {url} failed: {exc}") from None

    def _fault(self, run: _CaseRun, step: Step) -> None:
        self.bus.force_fault(step.fields["operation"], step.fields["fault"], times=step.fields.get("times", 1),
                             caller=self.participant.mnemonic, reason=step.fields.get("reason"))

    def _crash(self, run: _CaseRun, step: Step) -> None:
        if self.control is None:
            raise CaseSkipped("a crash step needs a participant the harness starts (`start:` in participant.yaml)")
        target = self._ref(run, step.fields.get("of"))
        self.bus.on_ack(target.message_id or "", self.control.crash_and_restart)

    def _wait(self, run: _CaseRun, step: Step) -> None:
        self.sleep(float(step.fields.get("duration") or 0) * self.settings.wait_scale)

    def _limit(self, run: _CaseRun, value: object) -> float:
        if value == "auto":
            realtime = bool(self._spec(run).realtime)
            return self.settings.realtime_limit if realtime else DEADLINE * self.settings.deadline_scale
        return float(value)  # type: ignore[arg-type]

    def _expect(self, run: _CaseRun, step: Step) -> None:
        operation = step.fields["operation"]
        times = step.fields.get("times")
        if times == 0:
            within = self._limit(run, step.fields.get("within", DEFAULT_QUIET)) * self.settings.wait_scale
        else:
            within = self._limit(run, step.fields.get("within", "auto"))
        matcher = self._matcher(run, step)
        start = self.clock()
        deadline = start + within
        seen_ids = {e.id for seen in run.named.values() if seen.exchange for e in [seen.exchange]}
        found: Exchange | None = None
        while True:
            for exchange in self.bus.store.exchanges(caller=self.participant.mnemonic, rpc=operation):
                if exchange.id in seen_ids or exchange.at < run.started:
                    continue
                if times == 0 and (exchange.fault is not None or exchange.http_status != 200):
                    continue  # a call the bus refused is not the call the step forbids (e.g. a second answer)
                if matcher(exchange):
                    found = exchange
                    break
            if found is not None or self.clock() >= deadline:
                break
            self.sleep(self.settings.poll)
        if times == 0:
            status = Status.FAIL if found is not None else Status.PASS
            message = (f"the participant called {operation} (at line {step.line} it must not)" if found else
                       f"no {operation} within {within:g} s, as required")
            for assertion in step.assertions:
                run.findings.append(self._finding(run, _rule(assertion), status, message, step, assertion))
            if not step.assertions:
                run.findings.append(self._finding(run, NOT_CALLED_RULE, status, message, step))
            return
        if found is None:
            if step.fields.get("optional"):
                return
            deadline_rule = operation == "SendResponse" and step.fields.get("within", "auto") == "auto"
            what = (f"no SendResponse within {within:g} s, the deadline of a "
                    f"{'real-time type (963 §10)' if self._spec(run).realtime else 'type (48 h scaled, 963 §10)'}"
                    if deadline_rule else f"the participant did not call {operation} within {within:g} s")
            raise CaseFailed(f"{what} (step at line {step.line})",
                             rule=WITHIN_RULE if deadline_rule else CALL_MISSING_RULE)
        seen = self._seen(found)
        if step.name:
            run.named[step.name] = seen
        else:
            run.named[f"_{step.line}"] = seen
        for assertion in step.assertions:
            run.findings.extend(self._assert(run, step, assertion, seen))

    def _matcher(self, run: _CaseRun, step: Step) -> Callable[[Exchange], bool]:
        operation = step.fields["operation"]
        of = step.fields.get("of")
        answering = step.fields.get("answering")
        if operation == "Ack" and of:
            target = self._ref(run, of)
            return lambda e: e.message_id == target.message_id
        if operation == "SendResponse" and answering:
            target = self._ref(run, answering)

            def answers(e: Exchange) -> bool:
                to = self._seen(e).reply_to  # for a call the participant made: its To
                ref = read_reply_to(to)
                # An answer whose To is missing or unreadable answers nothing else: take it as this answer, so that
                # the assertions (reply_to_copied) name the mistake instead of a timeout.
                return ref is None or ref[0] == target.message_id or to == target.reply_to

            return answers
        return lambda e: True

    def _seen(self, exchange: Exchange) -> Seen:
        parsed, content, message_id, to = None, None, exchange.message_id, None
        try:
            parsed = parse(_envelope_of(exchange), source="captured").message
        except Exception:  # noqa: BLE001 - an unreadable call is judged by the assertions, not here
            parsed = None
        data = getattr(parsed, "data", None)
        if data is not None:
            message_id = getattr(data, "message_id", message_id)
            to = getattr(data, "to", None)
            content = getattr(data, "content", None) or getattr(getattr(data, "answer", None), "content", None)
        elif parsed is None:  # the protocol reader refused it (e.g. To missing): read what can be read
            message_id, to = _loose_fields(exchange, message_id)
        return Seen(message_id, exchange.at, exchange, parsed, reply_to=to, content=content)

    # -- assertions --------------------------------------------------------------------------------------------------

    def _assert(self, run: _CaseRun, step: Step, assertion: Assertion, seen: Seen) -> list[Finding]:
        """Judge `seen` by the assertion's unit (`conformance.rules.live`)."""
        assert seen.exchange is not None
        unit = LIVE_ASSERTIONS.get(assertion.family, {}).get(assertion.check)
        if unit is None:
            return [self._finding(run, _rule(assertion), Status.SKIP, f"{assertion.family} {assertion.check} is not "
                                  "evaluated by this engine version", step, assertion)]
        said = unit.judge(_LiveCall(self, run, step, seen), assertion.params)
        return [self._finding(run, s.rule or unit.rule_id, s.status, s.message, step, assertion) for s in said]

    def _answers_to(self, ref: Seen) -> int:
        count = 0
        for exchange in self.bus.store.exchanges(caller=self.participant.mnemonic, rpc="SendResponse"):
            if exchange.http_status != 200:
                continue
            target = read_reply_to(self._seen(exchange).reply_to)
            if target is not None and target[0] == ref.message_id:
                count += 1
        return count


class _LiveCall:
    """What a live assertion sees of the call it judges (`conformance.rules.live.base.LiveContext`)."""

    def __init__(self, engine: Engine, run: _CaseRun, step: Step, seen: Seen):
        self.engine, self.run, self.step, self.call = engine, run, step, seen
        self.signatures = engine.settings.signatures

    def ref(self, name: str) -> Seen:
        return self.engine._ref(self.run, name)

    def answers_to(self, ref: Seen) -> int:
        return self.engine._answers_to(ref)

    def previous_call_at(self) -> float | None:
        seen = self.call
        return max((s.at for s in self.run.named.values() if s is not seen and s.exchange is not None
                    and s.at <= seen.at), default=None)

    def polled(self, operation: str, window: float) -> bool:
        engine = self.engine
        return any(e.at >= self.call.at - window for e in engine.bus.store.exchanges(
            caller=engine.participant.mnemonic, rpc=operation))

    def limit(self, value: object) -> float:
        return self.engine._limit(self.run, value)

    def answered_id(self, to: str | None) -> str | None:
        target = read_reply_to(to)
        return target[0] if target is not None else None

    def envelope(self) -> bytes:
        assert self.call.exchange is not None
        return _envelope_of(self.call.exchange)

    def prefixes(self) -> dict[str, str]:
        return _prefixes(self.call)

    def static_findings(self) -> list[Finding]:
        engine = self.engine
        result = check_bytes(f"{self.run.case.id}:{self.step.line}", self.envelope(), CheckSettings(
            rules=_static_rules(engine.settings.signatures), registry=engine.registry, backend=engine.bus.backend))
        return list(result.findings)

    def signature_findings(self) -> list[Finding]:
        credentials = self.engine.bus.credentials
        trust = [c for c in (credentials.ca,) if c is not None] if credentials else []
        return verify_message(etree.fromstring(self.envelope()), trust=trust, backend=self.engine.bus.backend)


def _rule(assertion: Assertion) -> str:
    return assertion_rule_id(assertion.family, assertion.check)


def _fault_text(exchange: Exchange) -> str:
    """`Fault [reason]: faultstring` of the bus's answer to a refused call (the fault name when unreadable)."""
    try:
        fault = parse(exchange.response_body, source="bus answer").message
        reason = getattr(fault, "reason", None)
        return (f"{exchange.fault}{f' {reason.value}' if reason is not None else ''}: "
                f"{getattr(fault, 'faultstring', '')}")
    except Exception:  # noqa: BLE001 - the fault's name is what there is
        return str(exchange.fault)


def _envelope_of(exchange: Exchange) -> bytes:
    content_type = next((line.split(":", 1)[1].strip() for line in exchange.request_headers.splitlines()
                         if line.lower().startswith("content-type:")), "text/xml")
    try:
        return read_body(content_type, exchange.request_body).envelope
    except Exception:  # noqa: BLE001 - the raw body is what there is
        return exchange.request_body


def _loose_fields(exchange: Exchange, message_id: str | None) -> tuple[str | None, str | None]:
    """MessageID and To of a call the protocol reader refused, from the lenient envelope facts (None where absent)."""
    try:
        root = xmlsafe.parse_bytes(_envelope_of(exchange), source="captured").getroot()
    except Exception:  # noqa: BLE001 - not XML at all: nothing to read
        return message_id, None
    facts = envelope_facts(root)
    to = facts.to
    return facts.message_id or message_id, to.text.strip() if to is not None else None


def _prefixes(seen: Seen) -> dict[str, str]:
    version = seen.exchange.version if seen.exchange and seen.exchange.version else "1.3"
    names = ns(version)  # type: ignore[arg-type]
    return {"soap": SOAP_ENV, "ds": XMLDSIG, "tns": names.types, "basic": names.basic}


_STATIC: list | None = None


def _static_rules(signatures: bool = True) -> list:
    """The catalogue's static rules (not the live ones this engine reports), without SIG/CERT when signatures are off."""
    global _STATIC
    if _STATIC is None:
        _STATIC = [e for e in catalogue.registered() if e.module != "conformance.rules.live"]
    return [e for e in _STATIC if signatures or not e.rule.id.startswith(("SIG-", "CERT-"))]


# -- the whole run: bus, participant process, engine -------------------------------------------------------------------


@dataclass
class LiveRun:
    results: list[FileResult]
    exchanges: list[Exchange]
    bus_url: str = ""
    """Where the bus double served this run (the real port when participant.yaml or --port said 0)."""


def run_suite(suite: Suite, participant: Participant, *, settings: RunSettings | None = None,
              keys_dir: str | None = None, credentials: BusCredentials | None = None,
              port: int | None = None, on_result: Callable[[FileResult], None] | None = None) -> LiveRun:
    """Serve the bus at the participant's bus URL (or on `port`; 0: any free port), start the participant if asked
    (with the placeholders of its start command filled in, `participant.bound`), run every case, stop both.

    The bus signs with `credentials` (default: those of `keys_dir`, else the shipped test PKI) and knows the
    participant by the certificate its participant.yaml names. The registry is `settings.registry_path`, else the
    one participant.yaml names. `on_result` hears of each case's result as it ends (progress)."""
    with LiveSession(suite, participant, settings=settings, keys_dir=keys_dir, credentials=credentials,
                     port=port, on_result=on_result) as session:
        results = session.engine.run()
        return LiveRun(results, session.bus.store.exchanges(), session.participant.bus_url)


class LiveSession:
    """The bus double serving a participant (started, when participant.yaml says how) for a live run; `engine`
    plays the cases, all at once (`run_suite`) or one at a time (the pytest plugin, one item per case).

    Entering checks what `lint.cross_check` checks (raising `SchemaErrors`) and raises `UsageError` when the bus
    cannot be served or the participant does not start; leaving stops both."""

    def __init__(self, suite: Suite, participant: Participant, *, settings: RunSettings | None = None,
                 keys_dir: str | None = None, credentials: BusCredentials | None = None, port: int | None = None,
                 on_result: Callable[[FileResult], None] | None = None):
        self.suite = suite
        self.participant = participant
        self.settings = settings or RunSettings()
        self.settings.deadline_scale = float(suite.settings.get("deadline_scale", self.settings.deadline_scale))
        self.settings.realtime_limit = float(suite.settings.get("realtime_limit", self.settings.realtime_limit))
        self.settings.poll = float(suite.settings.get("poll_interval", self.settings.poll))
        self.settings.ack_timeout = float(suite.settings.get("ack_timeout", self.settings.ack_timeout))
        self.settings.registry_path = lint.registry_for(participant, self.settings.registry_path)
        self.keys_dir = keys_dir
        self.credentials = credentials
        self.port = port
        self.on_result = on_result
        self.running: Any = None
        self.process: ParticipantProcess | None = None

    def __enter__(self) -> LiveSession:
        participant, settings = self.participant, self.settings
        host, bus_port = bus_address(participant, self.port)
        credentials = self.credentials or load_credentials(self.keys_dir)
        if settings.signatures:
            if participant.certificate is None:
                raise UsageError(f"{participant.path}: keys.certificate is needed to verify the participant's "
                                 "signatures (or run with --no-signatures)")
            credentials = credentials.with_participant(participant.mnemonic,
                                                       load_certificate_file(participant.certificate))
        self.bus = Bus(load_types(settings.registry_path),
                       config=BusConfig(ack_timeout=settings.ack_timeout, signatures=settings.signatures,
                                        backend=settings.backend),
                       credentials=credentials)
        problems = [p for p in lint.cross_check(self.suite, participant, self.bus.types)
                    if settings.signatures or p.path != "keys"]
        lint.raise_problems(problems)
        try:
            self.running = start(self.bus, host, bus_port)
        except OSError as exc:
            raise UsageError(f"cannot serve the bus double at {host}:{bus_port} ({participant.path}): "
                             f"{exc.strerror or exc}") from None
        self.participant = bound(participant, self.running.url)
        try:
            if self.participant.start is not None:
                self.process = ParticipantProcess(self.participant, self.bus)
                self.process.start(wait_ready=True)
        except BaseException:
            self.__exit__()
            raise
        self.engine = Engine(self.suite, self.participant, self.bus, settings, control=self.process,
                             on_result=self.on_result)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self.running is not None:
            self.running.close()
            self.running = None


__all__ = ["Engine", "LiveRun", "LiveSession", "Planned", "planned", "ParticipantControl", "ParticipantProcess", "RunSettings", "run_suite"]
