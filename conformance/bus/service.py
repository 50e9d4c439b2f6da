"""The bus double: the SMEV 3 operations over the store, independent of HTTP.

`Bus.handle(path, headers, body)` takes one HTTP call and returns the answer: it reads the body (MTOM included),
parses it with the hardened parser, detects operation and version, identifies the caller, verifies its signature,
runs the rule catalogue, and then does what the operation does to the queues. Whatever it refuses becomes the SMEV
fault the protocol names; whatever goes wrong inside becomes SMEVFailure, never a crash. Every call is captured raw
in the store's journal.

Order of checks for a SendRequest (the first that fails answers):
transport -> XML -> operation -> caller's signature (SignatureVerificationFault) and the caller it identifies
(SenderIsNotRegistered; `conformance.bus.signatures` decides both, once, for every operation) -> faults forced by a
test -> catalogue rules (InvalidMessageIdFormat, StaleMessageId, EndOfLifeReached,
AttachmentContentMiscoordination, otherwise InvalidContent) -> structure (InvalidContent) -> MessageID format,
staleness -> type registered (BusinessDataTypeIsNotSupported) -> access matrix (AccessDenied) -> provider exists
(RecipientIsNotFound) -> EOL (EndOfLifeReached) -> duplicate MessageID (MessageIsAlreadySent) -> the recipient's
queue full (DestinationOverflow, `BusConfig.max_pending`) -> queued.

SendRequest, SendResponse and Ack each change the store in one transaction (`BusStore.transaction`): the MessageID
is spent together with the message queued and its status recorded, or not at all, so a failure half-way leaves
the call retryable. The answer is built before the commit, so nothing after the commit can fail but the network.
A retried Ack of a message the same caller acked already is answered with success again (idempotent; the first
Ack's `accepted` stands; the protocol does not say what the real bus answers): only an id never delivered to the
caller gets TargetMessageIsNotFound.

A signed poll (GetRequest, GetResponse, GetStatus, GetIncomingQueueStatistics) is fresh or refused: its signed
`Timestamp` must lie within `BusConfig.poll_window` (default ±5 minutes) of the double's clock at receipt, after
the signature and the rules, before any queue is touched. Without it whoever holds one captured signed poll of a
participant reads that participant's queue for ever. The fault is InvalidContent: the only fault the schemas let a
poll carry that says "this content is not acceptable" (StaleMessageId is declared for Send* only and speaks of a
MessageID, which a poll has none of); its ValidationError names the Timestamp and the window. With signatures off
the Timestamp proves nothing (anyone names any caller), so the window applies to signed polls only.

Inside the window a signed poll is good for one call: the double remembers the SignatureValue (its bytes) of every signed poll
it accepted for twice the window (in memory) and refuses the same signature again with the same fault. Without
this, whoever captures a participant's poll replays it within the five minutes and takes a message leased away
from that participant. A client signs each poll anew (GOST signatures differ at every signing), so only a byte-
for-byte replay is refused; a double restarted within the window forgets what it saw.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lxml import etree

from conformance import xmlsafe
from conformance.bus.credentials import BusCredentials
from conformance.bus.faults import DOUBLE_FAULT_DETAILS, RULES_THE_BUS_DECIDES_ITSELF, BusFault, fault_for_findings
from conformance.bus.replyto import make_reply_to, read_reply_to
from conformance.bus.signatures import caller_identifier
from conformance.bus.store import AckResult, BusStore, Kind, QueuedMessage
from conformance.bus.types import TypeTable
from conformance.crypto import resolve_backend
from conformance.findings import Status
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build_element, place_signature
from conformance.protocol.codes import FaultName, MessageType, SignatureVerificationReason, StatusCategory
from conformance.protocol.mtom import TransportError, read_body, resolve_xop
from conformance.protocol.namespaces import LATEST, Version
from conformance.protocol.operations import (
    SIGNATURES,
    SIGNING,
    Operation,
    ProtocolError,
    Rpc,
    Signer,
    SigningSpec,
    detect,
    faults_for,
    locate,
)
from conformance.protocol.reader import parse
from conformance.protocol.schemafacts import fault_shape, nearest_status
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry.model import MessageTypeSpec
from conformance.rules import catalogue
from conformance.rules.attachments import INLINE_LIMIT, decoded_size
from conformance.rules.engine import CheckSettings, check_tree
from conformance.xmldsig.signer import build_signature

if TYPE_CHECKING:
    from conformance.bus.signatures import Identifier
    from conformance.crypto import Backend

SENDER_HEADER = "X-SMEV-Sender"
"""With signatures off, the caller names itself in this header (the double's convention)."""

FORCED_HEADER = "X-SMEV-Double-Forced"
"""On an answer whose fault a test armed (`force_fault`, a suite's `fault` step): the fault's name. Replays and
readers of a capture tell such a fault from one the call itself caused."""

BUS_MNEMONIC = "SMEV"
FLAG_BAD_SIGNATURE = "bad-bus-signature"
"""A queued message with this flag is delivered with a broken bus signature (a negative test)."""


@dataclass(frozen=True)
class BusConfig:
    """How the double behaves. Times in seconds."""

    ack_timeout: float = 60.0
    """A delivered message not acked within this time is delivered again."""
    stale_after: float = ids.STALE_AFTER.total_seconds()
    poll_window: float | None = 300.0
    """A signed poll's signed Timestamp must lie within this many seconds of the bus's clock at receipt, before or
    after; None: no window (a double replaying captured polls byte for byte, `conformance.bus.replay`)."""
    signatures: bool = True
    """Verify callers' signatures and sign what the bus delivers; False: identify callers by `X-SMEV-Sender`."""
    run_rules: bool = True
    """Run the static rule catalogue on what callers send and refuse failures with the matching fault."""
    max_pending: int | None = 10_000
    """Messages queued for one recipient and not yet acked, at most: a SendRequest or SendResponse that would queue
    one more is refused with DestinationOverflow (the SMEV fault for a full destination queue). None: no bound."""
    max_pending_bytes: int | None = 1024 * 1024 * 1024
    """The same bound in bytes of queued payload (the state file cannot outgrow what the recipients leave unacked)."""
    bus_name: str = "SMEV 3 test double (smev-tools)"
    backend: Backend | None = None
    """The GOST backend the double verifies and signs with: commands pass the one `--crypto` chose; None is the
    automatic choice (native when present), resolved once when the `Bus` is made."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str
    body: bytes
    rpc: str | None = None
    version: str | None = None
    caller: str | None = None
    fault: str | None = None
    message_id: str | None = None
    forced: bool = False
    """The fault was armed by a test (`force_fault`), not caused by the call: sent as the FORCED_HEADER."""

    def headers(self) -> dict[str, str]:
        """The HTTP headers of the answer (the server adds Content-Length)."""
        extra = {FORCED_HEADER: self.fault or "yes"} if self.forced else {}
        return {"Content-Type": self.content_type, **extra}


@dataclass
class _Call:
    """What is known about the call being handled (for the journal, even when it fails half-way)."""

    rpc: Rpc | None = None
    version: Version | None = None
    caller: str | None = None
    message_id: str | None = None


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _version_from_path(path: str) -> Version | None:
    for version in Version:
        if f"/{version.value}" in path or f"/v{version.value}" in path:
            return version
    return None


class Bus:
    """The SMEV 3 bus double. Thread-safe: the store serialises state changes."""

    def __init__(self, types: TypeTable, *, store: BusStore | None = None, config: BusConfig | None = None,
                 credentials: BusCredentials | None = None, clock: Callable[[], float] = time.time,
                 verifier: Identifier | None = None):
        self.types = types
        self.store = store or BusStore()
        self.config = config or BusConfig()
        self.credentials = credentials
        self.clock = clock
        self._verifier = verifier
        self.backend = self._backend()
        self._sign_lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._polls_seen: dict[bytes, float] = {}
        """SHA-256 of each accepted signed poll's SignatureValue -> when it may be forgotten (bus clock)."""
        self._polls_order: deque[tuple[float, bytes]] = deque()
        self._ack_hooks: dict[str, Callable[[], None]] = {}
        if self.config.signatures:
            if credentials is None:
                raise ValueError("a bus that checks signatures needs credentials (or BusConfig(signatures=False))")
            if self._verifier is None:

                self._verifier = caller_identifier(credentials, self.backend)

    def _backend(self) -> Backend:

        return resolve_backend(self.config.backend)

    # -- HTTP entry ------------------------------------------------------------------------------------------------

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> HttpAnswer:
        """Answer one HTTP POST. Never raises."""
        now = self.clock()
        call = _Call(version=_version_from_path(path))
        try:
            envelope = self._handle(call, headers, body, now)
            answer = HttpAnswer(200, "text/xml; charset=utf-8", envelope)
        except TransportError as exc:
            fault = BusFault(FaultName.INVALID_CONTENT, str(exc), client=True, http_status=exc.status,
                             validation_errors=(m.ValidationError(f"[{exc.reason}] {exc}"),))
            answer = self._fault_answer(call, fault)
        except BusFault as fault:
            call.caller = call.caller or fault.claimed_caller  # journalled only: the call did nothing
            answer = self._fault_answer(call, fault)
        except Exception as exc:  # the double must answer, whatever happens inside: one line, never a traceback
            print(f"smev-bus-double: internal error on {call.rpc.value if call.rpc else 'a call'}: "
                  f"{type(exc).__name__}: {exc}"[:1000], file=sys.stderr, flush=True)
            answer = self._fault_answer(call, BusFault(FaultName.SMEV_FAILURE, "internal error of the bus double"))
        answer = replace(answer, rpc=call.rpc.value if call.rpc else None,
                         version=call.version.value if call.version else None, caller=call.caller,
                         message_id=call.message_id)
        try:
            self.store.record_exchange(
                at=now, caller=call.caller, rpc=answer.rpc, version=answer.version, message_id=call.message_id,
                http_status=answer.status, fault=answer.fault,
                request_headers="\n".join(f"{k}: {v}" for k, v in headers.items()), request_body=body,
                response_headers="\n".join(f"{k}: {v}" for k, v in answer.headers().items()),
                response_body=answer.body)
        except Exception as exc:  # the call is done (its state committed): a journal failure must not hide it
            print(f"smev-bus-double: the journal could not record a call: {type(exc).__name__}: {exc}"[:1000],
                  file=sys.stderr, flush=True)
        return answer

    def _fault_answer(self, call: _Call, fault: BusFault) -> HttpAnswer:
        version = call.version or LATEST
        if not fault.name.exists_in(version):
            fault = BusFault(FaultName.ACCESS_DENIED, fault.description)
        envelope = build_element(fault.model(version), version)
        return HttpAnswer(fault.http_status, "text/xml; charset=utf-8", _serialize(envelope), fault=fault.name.value,
                          forced=fault.forced)

    def _handle(self, call: _Call, headers: Mapping[str, str], body: bytes, now: float) -> bytes:
        lower = {k.lower(): v for k, v in headers.items()}
        soap = read_body(lower.get("content-type"), body)
        try:
            tree = xmlsafe.parse_bytes(soap.envelope, source="request")
        except xmlsafe.XmlInputError as exc:
            raise BusFault(FaultName.INVALID_CONTENT, f"the envelope is not usable XML: {exc.detail}",
                           validation_errors=(m.ValidationError(f"[{exc.rule}] {exc.detail}", _position(exc.line)),)
                           ) from None
        resolve_xop(tree.getroot(), soap.parts)
        try:
            detection = detect(tree, source="request")
        except ProtocolError as exc:
            raise BusFault(FaultName.INVALID_CONTENT, exc.detail, validation_errors=(
                m.ValidationError(exc.detail, _position(exc.line)),)) from None
        operation, version = detection.operation, detection.version
        call.version = version
        if operation.is_response:
            raise BusFault(FaultName.INVALID_CONTENT, f"{operation.value} is what the bus answers, not a request")
        rpc = operation.rpc
        assert rpc is not None
        call.rpc = rpc
        if "soapaction" not in lower:
            raise BusFault(FaultName.INVALID_CONTENT, f"the SOAPAction HTTP header is missing (SOAP 1.1 §6.1.1 "
                           f"requires it on every POST; send SOAPAction: \"{rpc.soap_action}\")", client=True,
                           http_status=400)
        action = lower["soapaction"].strip().strip('"')
        if action and action != rpc.soap_action:
            raise BusFault(FaultName.INVALID_CONTENT, f"SOAPAction {action!r} does not match the body "
                           f"{operation.value} (expected {rpc.soap_action!r})")
        call.caller = self._identify(tree, operation, lower, now)
        forced = self.store.consume_forced_fault(rpc.value, call.caller)
        if forced is not None:
            reason = SignatureVerificationReason(forced.reason) if forced.reason else None
            fault = BusFault(FaultName(forced.fault), forced.description or f"{forced.fault} (forced by the test)",
                             reason=reason)
            fault.forced = True
            raise fault
        _check_inline_size(tree, rpc, version)
        if self.config.run_rules:
            self._run_rules(tree, rpc, version, now)
        try:
            parsed = parse(tree, source="request")
        except ProtocolError as exc:
            raise BusFault(FaultName.INVALID_CONTENT, exc.detail, validation_errors=(
                m.ValidationError(exc.detail, _position(exc.line)),)) from None
        self._check_poll_fresh(parsed.message, now)
        handler = {
            Rpc.SEND_REQUEST: self._send_request,
            Rpc.SEND_RESPONSE: self._send_response,
            Rpc.GET_REQUEST: self._get_request,
            Rpc.GET_RESPONSE: self._get_response,
            Rpc.ACK: self._ack,
            Rpc.GET_STATUS: self._get_status,
            Rpc.GET_INCOMING_QUEUE_STATISTICS: self._queue_statistics,
        }[rpc]
        envelope = handler(call, parsed.message, version, tree, now)
        return _serialize(envelope)

    # -- caller, signature, rules ------------------------------------------------------------------------------------

    def _identify(self, tree: etree._ElementTree, operation: Operation, headers: Mapping[str, str],
                  now: float) -> str:
        """The caller: with signatures on, the registered holder of the key that verified the call's signature
        (judged at receipt); a `X-SMEV-Sender` header naming anyone else is refused. With signatures off, the
        header."""
        known = self.types.participants()
        claimed = (headers.get(SENDER_HEADER.lower()) or "").strip()
        if self.config.signatures:
            assert self._verifier is not None
            mnemonic = self._verifier(tree, operation, _utc(now))
            if claimed and claimed != mnemonic:
                raise BusFault(FaultName.SENDER_IS_NOT_REGISTERED, f"the {SENDER_HEADER} header names {claimed!r}, "
                               f"but the signature is that of {mnemonic!r}: the caller is who signs")
            return mnemonic
        mnemonic = claimed
        if not mnemonic:
            raise BusFault(FaultName.SENDER_IS_NOT_REGISTERED, f"with signatures off the caller names itself in "
                           f"the {SENDER_HEADER} HTTP header; it is missing")
        if mnemonic not in known and mnemonic not in (self.credentials.participants if self.credentials else {}):
            raise BusFault(FaultName.SENDER_IS_NOT_REGISTERED, f"participant {mnemonic!r} is not in the registry's "
                           "access matrix")
        return mnemonic

    def _run_rules(self, tree: etree._ElementTree, rpc: Rpc, version: Version, now: float) -> None:

        settings = CheckSettings(rules=_bus_rules(self.config.signatures), at=_utc(now), registry=self._registry(),
                                 backend=self.backend)
        result = check_tree("request", tree, settings)
        failures = [f for f in result.findings if f.status is Status.FAIL]
        if not self.config.signatures:  # the schema's mandatory caller signature is what the switch turns off
            failures = [f for f in failures if not _only_missing_signature(f.message)]
        fault = fault_for_findings(failures, faults_for(rpc, version))
        if fault is not None:
            raise fault

    def _check_poll_fresh(self, message: object, now: float) -> None:
        """InvalidContent for a signed poll whose signed Timestamp is outside `poll_window` of `now` (see the
        module's docstring: a captured poll must not be a key to the caller's queue)."""
        window = self.config.poll_window
        if window is None or not self.config.signatures:
            return
        if isinstance(message, m.GetRequestRequest | m.GetResponseRequest):
            stamp, where = message.selector.timestamp, "MessageTypeSelector/Timestamp"
        elif isinstance(message, m.GetStatusRequest | m.GetIncomingQueueStatisticsRequest):
            stamp, where = message.timestamp.value, "Timestamp"
        else:
            return
        skew = stamp.timestamp() - now
        if abs(skew) > window:
            side = "before" if skew < 0 else "after"
            text = (f"the signed {where} {stamp.isoformat()} is {abs(skew):.0f} s {side} the bus's clock at "
                    f"receipt ({_utc(now).isoformat()}); a signed poll is accepted within ±{window:g} s only "
                    "(an older one may be a replay of a captured call): sign each poll with the current time")
            raise BusFault(FaultName.INVALID_CONTENT, text, validation_errors=(m.ValidationError(text),))
        self._use_poll_once(message, now, window)

    def _use_poll_once(self, message: object, now: float, window: float) -> None:
        """InvalidContent for a signed poll whose exact signature was accepted before (see the module docstring)."""
        signature = getattr(message, "signature", None)
        value = signature.element().find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue") \
            if signature is not None else None
        if value is None:
            return
        try:  # the value's bytes, not its text: whitespace or spare base64 padding bits must not make a replay new
            key = hashlib.sha256(base64.b64decode("".join((value.text or "").split()), validate=True)).digest()
        except (binascii.Error, ValueError):
            return  # not reached: the signature verified
        with self._poll_lock:
            while self._polls_order and self._polls_order[0][0] <= now:
                self._polls_seen.pop(self._polls_order.popleft()[1], None)
            if key in self._polls_seen:
                text = ("this signed poll was received before: a poll's signature is good for one call (a second "
                        "use may be a replay of a captured call); sign each poll anew")
                raise BusFault(FaultName.INVALID_CONTENT, text, validation_errors=(m.ValidationError(text),))
            self._polls_seen[key] = now + 2 * window
            self._polls_order.append((now + 2 * window, key))

    def _registry(self) -> object | None:
        return getattr(self.types, "registry", None)

    # -- operations --------------------------------------------------------------------------------------------------

    def _check_new_message_id(self, message_id: str, now: float) -> None:
        verdict = ids.check_message_id(message_id)
        if not verdict:
            raise BusFault(FaultName.INVALID_MESSAGE_ID_FORMAT, verdict.reason)
        age = now - ids.uuid1_time(message_id).timestamp()
        if age >= self.config.stale_after:
            raise BusFault(FaultName.STALE_MESSAGE_ID, f"MessageID {message_id} was made {age / 3600:.1f} h ago; "
                           f"the bus refuses ids older than {self.config.stale_after / 3600:.0f} h")

    def _send_request(self, call: _Call, msg: m.SendRequestRequest, version: Version, tree: etree._ElementTree,
                      now: float) -> etree._Element:
        data = msg.data
        call.message_id = data.message_id
        self._check_new_message_id(data.message_id, now)
        btype = self.types.by_request(data.content.namespace, data.content.local_name)
        if btype is None:
            raise BusFault(FaultName.BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED,
                           f"no registered type has the request element {data.content.tag}",
                           details={"RootElementLocalName": data.content.local_name,
                                    "RootElementNamespaceURI": data.content.namespace or ""})
        assert call.caller is not None
        if not btype.may_consume(call.caller):
            raise BusFault(FaultName.ACCESS_DENIED, f"the access matrix does not let {call.caller} request "
                           f"{btype.name!r}")
        if not btype.providers:
            raise BusFault(FaultName.RECIPIENT_IS_NOT_FOUND, f"type {btype.name!r} has no provider")
        if data.eol is not None and data.eol.timestamp() <= now:
            raise BusFault(FaultName.END_OF_LIFE_REACHED, f"EOL {data.eol.isoformat()} has passed")
        self._check_attachments(data.attachment_headers, msg.attachments)
        recipient = btype.providers[0]
        metadata = m.MessageMetadata(message_type=MessageType.REQUEST, sending_timestamp=_utc(now),
                                     message_id=data.message_id, status=StatusCategory.REQUEST_IS_QUEUED,
                                     **self._metadata_extras(version, sender=call.caller, recipient=recipient,
                                                             btype=btype))
        answer = self._signed(build_element(m.SendRequestResponse(metadata=metadata), version))
        payload = _serialize(tree.getroot())
        with self.store.transaction():  # the id is spent only with the message queued: all or nothing
            if not self.store.remember_id(data.message_id, call.caller, Rpc.SEND_REQUEST.value, now):
                raise BusFault(FaultName.MESSAGE_IS_ALREADY_SENT, f"MessageID {data.message_id} was sent before")
            self._check_room(recipient, len(payload), f"{{{btype.request.namespace}}}{btype.request.root}")
            self.store.enqueue(message_id=data.message_id, kind=Kind.REQUEST, version=version.value,
                               namespace=btype.request.namespace, root=btype.request.root, sender=call.caller,
                               recipient=recipient, payload=payload, at=now,
                               reply_to=make_reply_to(data.message_id, call.caller))
            self.store.record_status(data.message_id, StatusCategory.REQUEST_IS_QUEUED.value, now)
        return answer

    def _send_response(self, call: _Call, msg: m.SendResponseRequest, version: Version, tree: etree._ElementTree,
                       now: float) -> etree._Element:
        data = msg.data
        call.message_id = data.message_id
        self._check_new_message_id(data.message_id, now)
        assert call.caller is not None
        request = self._request_answered(data.to, call.caller)
        btype = self.types.by_request(request.namespace, request.root)
        assert btype is not None
        if isinstance(data.answer, m.BusinessAnswer):
            element = (data.answer.content.namespace or "", data.answer.content.local_name)
            if element != btype.response.key:
                raise BusFault(FaultName.INCORRECT_RESPONSE_CONTENT_TYPE,
                               f"a response to {btype.name!r} carries {{{btype.response.namespace}}}{btype.response.root}, "
                               f"not {{{element[0]}}}{element[1]}")
            self._check_attachments(data.answer.attachment_headers, msg.attachments)
        metadata = m.MessageMetadata(message_type=MessageType.RESPONSE, sending_timestamp=_utc(now),
                                     message_id=data.message_id,
                                     status=nearest_status(StatusCategory.RESPONSE_IS_QUEUED, version),
                                     **self._metadata_extras(version, sender=call.caller or "",
                                                             recipient=request.sender, btype=btype))
        answer = self._signed(build_element(m.SendResponseResponse(metadata=metadata), version))
        payload = _serialize(tree.getroot())
        with self.store.transaction():  # the id is spent only with the response queued: all or nothing
            if not self.store.remember_id(data.message_id, call.caller or "", Rpc.SEND_RESPONSE.value, now):
                raise BusFault(FaultName.MESSAGE_IS_ALREADY_SENT, f"MessageID {data.message_id} was sent before")
            self._check_room(request.sender, len(payload), f"{{{btype.response.namespace}}}{btype.response.root}")
            self.store.enqueue(message_id=data.message_id, kind=Kind.RESPONSE, version=version.value,
                               namespace=btype.response.namespace, root=btype.response.root, sender=call.caller or "",
                               recipient=request.sender, payload=payload, at=now,
                               original_message_id=request.message_id, reply_to=data.to)
            self.store.record_status(request.message_id, StatusCategory.RESPONSE_IS_QUEUED.value, now)
        return answer

    def _check_room(self, recipient: str, size: int, queue: str) -> None:
        """DestinationOverflow when one more message of `size` bytes would take `recipient`'s unacked messages past
        `max_pending` or `max_pending_bytes` (inside the Send* transaction: the MessageID stays unspent)."""
        count, held = self.store.pending_load(recipient)
        limit, limit_bytes = self.config.max_pending, self.config.max_pending_bytes
        if (limit is not None and count + 1 > limit) or (limit_bytes is not None and held + size > limit_bytes):
            raise BusFault(FaultName.DESTINATION_OVERFLOW, f"the queue of {recipient} is full: {count} messages, "
                           f"{held} bytes not yet acked (the double holds at most {limit} messages, {limit_bytes} "
                           "bytes per recipient); retry once it has taken and acked some",
                           details={"DestinationName": queue})

    def _request_answered(self, to: str | None, caller: str) -> QueuedMessage:
        """The request a SendResponse's `To` answers: one this bus delivered to `caller`, whose ReplyTo `To` copies
        verbatim. Everything else gets the same RecipientIsNotFound with the same text, whatever the reason (not a
        ReplyTo, an unknown MessageID, another participant's request, a ReplyTo whose consumer or id was rewritten),
        so that a participant learns nothing about which requests exist; only the caller's own request is looked
        at any closer."""
        target = read_reply_to(to)
        request = self.store.find_request(target[0]) if target is not None else None
        if (request is None or request.recipient != caller
                or (to or "").strip() != (request.reply_to or make_reply_to(request.message_id, request.sender))):
            raise BusFault(FaultName.RECIPIENT_IS_NOT_FOUND, f"To is not the ReplyTo of a request this bus "
                           f"delivered to {caller} (copy the request's ReplyTo verbatim)")
        return request

    def _selector_type(self, selector: m.MessageTypeSelector) -> MessageTypeSpec | None:
        if selector.root_element_local_name is None:
            return None
        btype = self.types.by_any(selector.namespace_uri, selector.root_element_local_name)
        if btype is None:
            raise BusFault(FaultName.UNKNOWN_MESSAGE_TYPE, f"no registered type has the element "
                           f"{{{selector.namespace_uri or ''}}}{selector.root_element_local_name}")
        return btype

    def _get_request(self, call: _Call, msg: m.GetRequestRequest, version: Version, tree: etree._ElementTree,
                     now: float) -> etree._Element:
        btype = self._selector_type(msg.selector)
        assert call.caller is not None
        if btype is not None and not btype.is_provider(call.caller):
            raise BusFault(FaultName.UNKNOWN_MESSAGE_TYPE, f"{call.caller} does not provide {btype.name!r}")
        queued = self.store.take(recipient=call.caller, kinds=(Kind.REQUEST,), at=now, lease=self.config.ack_timeout,
                                 namespace=btype.request.namespace if btype else None,
                                 root=btype.request.root if btype else None)
        if queued is None:
            return build_element(m.GetRequestResponse(), version)
        call.message_id = queued.message_id
        return self._deliver_request(queued, version, now)

    def _deliver_request(self, queued: QueuedMessage, version: Version, now: float) -> etree._Element:
        original = parse(xmlsafe.parse_bytes(queued.payload, source="queued request"), source="queued request")
        sent: m.SendRequestRequest = original.message  # type: ignore[assignment]
        btype = self.types.by_request(queued.namespace, queued.root)
        metadata = m.MessageMetadata(
            message_type=MessageType.REQUEST, sending_timestamp=_utc(queued.enqueued_at), message_id=queued.message_id,
            delivery_timestamp=_utc(now), status=nearest_status(StatusCategory.MESSAGE_IS_DELIVERED, version), id=None,
            **self._metadata_extras(version, sender=queued.sender, recipient=queued.recipient, btype=btype))
        request = m.Request(data=sent.data, metadata=metadata, reply_to=queued.reply_to,
                            sender_signature=sent.signature)
        envelope = build_element(m.GetRequestResponse(message=m.RequestMessage(request, sent.attachments)), version)
        if Version(queued.version) is version:
            _keep_original(envelope, original.envelope, ("RequestMessage", "Request", "SenderProvidedRequestData"),
                           ("SenderProvidedRequestData",))
        return self._signed(envelope, broken=FLAG_BAD_SIGNATURE in queued.flags)

    def _get_response(self, call: _Call, msg: m.GetResponseRequest, version: Version, tree: etree._ElementTree,
                      now: float) -> etree._Element:
        btype = self._selector_type(msg.selector)
        assert call.caller is not None
        queued = self.store.take(recipient=call.caller, kinds=(Kind.RESPONSE, Kind.STATUS), at=now,
                                 lease=self.config.ack_timeout,
                                 namespace=btype.response.namespace if btype else None,
                                 root=btype.response.root if btype else None)
        if queued is None:
            return build_element(m.GetResponseResponse(), version)
        call.message_id = queued.message_id
        return self._deliver_response(queued, version, now)

    def _deliver_response(self, queued: QueuedMessage, version: Version, now: float) -> etree._Element:
        btype = self.types.by_response(queued.namespace, queued.root)
        request = self.store.get(queued.original_message_id or "")
        extras = self._metadata_extras(version, sender=queued.sender, recipient=queued.recipient, btype=btype)
        metadata = m.MessageMetadata(message_type=MessageType.RESPONSE, sending_timestamp=_utc(queued.enqueued_at),
                                     message_id=queued.message_id, delivery_timestamp=_utc(now),
                                     status=nearest_status(StatusCategory.MESSAGE_IS_DELIVERED, version), id=None,
                                     **extras)
        original = None
        if queued.kind is Kind.STATUS:
            status = json.loads(queued.payload)
            data = m.SenderProvidedResponseData(message_id=queued.message_id, to=queued.reply_to or "",
                                                answer=_async_status(status, version), id="SIGNED_ASYNC_BY_SMEV")
            sender_signature, attachments = None, None
        else:
            original = parse(xmlsafe.parse_bytes(queued.payload, source="queued response"), source="queued response")
            sent: m.SendResponseRequest = original.message  # type: ignore[assignment]
            data, sender_signature, attachments = sent.data, sent.signature, sent.attachments
        reference = None
        if request is not None:
            reference = _reference_of(request)
        response = m.Response(data=data, metadata=metadata, original_message_id=queued.original_message_id,
                              reference_message_id=reference, sender_signature=sender_signature)
        envelope = build_element(m.GetResponseResponse(message=m.ResponseMessage(response, attachments)), version)
        if original is not None and Version(queued.version) is version:
            _keep_original(envelope, original.envelope, ("ResponseMessage", "Response", "SenderProvidedResponseData"),
                           ("SenderProvidedResponseData",))
        if queued.kind is Kind.STATUS and self.config.signatures:
            self._sign_path(envelope, ("ResponseMessage", "Response", "SenderProvidedResponseData"),
                            ("ResponseMessage", "Response", "SenderInformationSystemSignature"))
        return self._signed(envelope, broken=FLAG_BAD_SIGNATURE in queued.flags)

    def _ack(self, call: _Call, msg: m.AckRequest, version: Version, tree: etree._ElementTree,
             now: float) -> etree._Element:
        target = msg.target
        call.message_id = target.message_id
        answer = build_element(m.AckResponse(), version)
        with self.store.transaction():  # the ack, its status and the refusal's notice: all or nothing
            result, queued = self.store.ack(message_id=target.message_id, recipient=call.caller or "",
                                            accepted=target.accepted, at=now)
            if result is AckResult.NOT_FOUND or queued is None:
                raise BusFault(FaultName.TARGET_MESSAGE_IS_NOT_FOUND, f"message {target.message_id} was never "
                               f"delivered to {call.caller}")
            if result is AckResult.ACKED:
                self._record_ack(call, queued, target.accepted, now)
        # A retried Ack of a message this caller acked before (its first answer lost on the way) is answered with
        # success again and changes nothing: the first Ack's `accepted` stands. An id never delivered to the
        # caller (another participant's message included) stays TargetMessageIsNotFound.
        if result is AckResult.ACKED:
            hook = self._ack_hooks.pop(target.message_id, None)
            if hook is not None:
                hook()  # e.g. a test kills the participant now: the ack is recorded, its answer not yet sent
        return answer

    def _record_ack(self, call: _Call, queued: QueuedMessage, accepted: bool, now: float) -> None:
        """The statuses an Ack makes: delivered, or (accepted=false) rejected with a notice to the sender."""
        subject = queued.original_message_id or queued.message_id
        if accepted:
            self.store.record_status(subject, StatusCategory.MESSAGE_IS_DELIVERED.value, now,
                                     f"{queued.kind.value} {queued.message_id} acked by {call.caller}")
        elif queued.kind is not Kind.STATUS:  # a refused status is the end of that story: nobody to tell
            category = StatusCategory.REQUEST_IS_REJECTED_BY_SMEV if queued.kind is Kind.REQUEST else \
                StatusCategory.RESPONSE_IS_REJECTED_BY_SMEV
            details = f"{call.caller} refused {queued.message_id} (accepted=false)"
            self.store.record_status(subject, category.value, now, details)
            # The sender learns it through GetStatus (and a consumer through GetResponse): the status names the
            # refused message itself (for a refused response, the provider's own MessageID).
            self._queue_status(original_message_id=queued.message_id, recipient=queued.sender, category=category,
                               details=details, version=queued.version, reply_to=queued.reply_to,
                               element=self._answer_element(queued), now=now)

    def _answer_element(self, queued: QueuedMessage) -> tuple[str, str]:
        """The (namespace, root) a status about `queued` is filed under: the type's response element."""
        if queued.kind is Kind.REQUEST:
            btype = self.types.by_request(queued.namespace, queued.root)
            if btype is not None:
                return btype.response.key
        return queued.namespace, queued.root

    def _queue_status(self, *, original_message_id: str, recipient: str, category: StatusCategory,
                      details: str | None, version: str, reply_to: str | None, element: tuple[str, str],
                      now: float, fault: FaultName | None = None, fault_description: str | None = None) -> str:
        """Queue an asynchronous status for `recipient` (GetStatus; GetResponse too); returns its MessageID."""
        status_id = ids.new_message_id(_utc(now))
        payload = {"original": original_message_id, "category": category.value, "details": details,
                   "fault": fault.value if fault else None, "fault_description": fault_description}
        self.store.enqueue(message_id=status_id, kind=Kind.STATUS, version=version, namespace=element[0],
                           root=element[1], sender=BUS_MNEMONIC, recipient=recipient,
                           payload=json.dumps(payload).encode(), at=now, original_message_id=original_message_id,
                           reply_to=reply_to)
        return status_id

    def _get_status(self, call: _Call, msg: m.GetStatusRequest, version: Version, tree: etree._ElementTree,
                    now: float) -> etree._Element:
        queued = self.store.take(recipient=call.caller or "", kinds=(Kind.STATUS,), at=now,
                                 lease=self.config.ack_timeout)
        if queued is None:
            return build_element(m.GetStatusResponse(), version)
        call.message_id = queued.message_id
        status = _async_status(json.loads(queued.payload), version)
        envelope = build_element(m.GetStatusResponse(message=m.SmevAsyncProcessingMessage(
            m.AsyncProcessingStatusData(status))), version)
        return self._signed(envelope, broken=FLAG_BAD_SIGNATURE in queued.flags)

    def _queue_statistics(self, call: _Call, msg: m.GetIncomingQueueStatisticsRequest, version: Version,
                          tree: etree._ElementTree, now: float) -> etree._Element:
        counts = self.store.pending_counts(call.caller or "")
        stats = tuple(m.QueueStatistics(f"{{{ns_}}}{root}", n) for (ns_, root), n in counts.items())
        return build_element(m.GetIncomingQueueStatisticsResponse(statistics=stats), version)

    # -- helpers -----------------------------------------------------------------------------------------------------

    def _check_attachments(self, headers: tuple[m.AttachmentHeader, ...] | None,
                           contents: tuple[m.AttachmentContent, ...] | None) -> None:
        declared = {h.content_id for h in headers or ()}
        carried = {c.id for c in contents or ()}
        if declared != carried:
            missing, extra = sorted(declared - carried), sorted(carried - declared)
            parts = ([f"headers without content: {', '.join(missing)}"] if missing else []) + \
                ([f"content without a header: {', '.join(extra)}"] if extra else [])
            raise BusFault(FaultName.ATTACHMENT_CONTENT_MISCOORDINATION, "; ".join(parts))

    def _metadata_extras(self, version: Version, *, sender: str, recipient: str,
                         btype: MessageTypeSpec | None) -> dict[str, object]:
        extras: dict[str, object] = {"sender": m.Party(human_readable_name=sender, mnemonic=sender),
                                     "recipient": m.Party(human_readable_name=recipient, mnemonic=recipient)}
        if version is Version.V1_1:
            extras["destination_name"] = btype.name if btype else "unknown"
            extras["supplementary_data"] = m.SupplementaryData(
                interaction_type="NotDetected" if btype is None else "PGU2OIV")
        return extras

    def _signed(self, envelope: etree._Element, *, broken: bool = False) -> etree._Element:
        """Add the bus's signature(s) the answer's body kind carries (the first SMEV spec); `broken` spoils it."""
        if not self.config.signatures:
            return envelope
        detection = detect(envelope)
        specs = [s for s in SIGNATURES.get(detection.operation, ()) if s.signer.value == "smev"]
        if not specs or locate(detection.body, specs[0].signed_path) is None:
            return envelope
        signature = self._sign_path(envelope, specs[0].signed_path, specs[0].wrapper_path)
        if broken and signature is not None:
            value = signature.find("{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
            if value is not None and value.text:
                text = value.text.strip()
                value.text = ("B" if text[0] != "B" else "C") + text[1:]
        return envelope

    def _sign_path(self, envelope: etree._Element, signed_path: tuple[str, ...],
                   wrapper_path: tuple[str, ...]) -> etree._Element | None:
        assert self.credentials is not None
        body = detect(envelope).body
        target = locate(body, signed_path)
        if target is None:
            return None
        if not target.get("Id"):
            target.set("Id", "SIGNED_BY_SMEV")
        with self._sign_lock:
            signature = build_signature(target, self.credentials.key, self.credentials.certificate,  # type: ignore[arg-type]
                                        backend=self.backend)
        place_signature(body, SigningSpec(signed_path, wrapper_path, Signer.SMEV, None, False), signature)
        return signature

    # -- control: what a test or a suite does to the bus -------------------------------------------------------------

    def force_fault(self, rpc: Rpc | str, fault: FaultName | str, *, times: int = 1, caller: str | None = None,
                    reason: SignatureVerificationReason | str | None = None, description: str | None = None) -> None:
        """Answer the next `times` calls of `rpc` (from `caller`, or anyone) with `fault`."""
        self.store.force_fault(rpc=Rpc(rpc).value, fault=FaultName(fault).value, caller=caller,
                               reason=SignatureVerificationReason(reason).value if reason else None,
                               description=description, times=times)

    def notify_status(self, original_message_id: str, category: StatusCategory | str, *, details: str | None = None,
                      fault: FaultName | str | None = None, fault_description: str | None = None) -> str:
        """Queue an asynchronous status of a request for its sender (delivered by GetResponse and GetStatus);
        returns the status message's id."""
        request = self.store.find_request(original_message_id)
        if request is None:
            raise KeyError(f"no request {original_message_id} passed through the bus")
        now = self.clock()
        status_id = self._queue_status(original_message_id=original_message_id, recipient=request.sender,
                                       category=StatusCategory(category), details=details, version=request.version,
                                       reply_to=request.reply_to, element=self._answer_element(request), now=now,
                                       fault=FaultName(fault) if fault else None, fault_description=fault_description)
        self.store.record_status(original_message_id, StatusCategory(category).value, now, details)
        return status_id

    def inject_request(self, sender: str, content: XmlFragment, *, version: Version | str = LATEST,
                       test_message: bool = False, bad_signature: bool = False) -> QueuedMessage:
        """Queue a request from `sender` for the type's provider as if it came through SendRequest (checks
        skipped); it is signed with the bus's key as the sender's signature when signatures are on. Returns it."""
        version = Version(version)
        btype = self.types.by_request(content.namespace, content.local_name)
        if btype is None or not btype.providers:
            raise KeyError(f"no registered type with a provider has the request element {content.tag}")
        now = self.clock()
        message_id = ids.new_message_id(_utc(now))
        message = m.SendRequestRequest(data=m.SenderProvidedRequestData(message_id=message_id, content=content,
                                                                        test_message=test_message))
        envelope = build_element(message, version)
        if self.config.signatures:
            spec = SIGNING[Operation.SEND_REQUEST]
            self._sign_path(envelope, spec.signed_path, spec.wrapper_path)
        with self.store.transaction():
            self.store.remember_id(message_id, sender, Rpc.SEND_REQUEST.value, now)
            self.store.enqueue(message_id=message_id, kind=Kind.REQUEST, version=version.value,
                               namespace=btype.request.namespace, root=btype.request.root, sender=sender,
                               recipient=btype.providers[0], payload=_serialize(envelope), at=now,
                               reply_to=make_reply_to(message_id, sender),
                               flags={FLAG_BAD_SIGNATURE} if bad_signature else set())
            self.store.record_status(message_id, StatusCategory.REQUEST_IS_QUEUED.value, now)
        queued = self.store.get(message_id)
        assert queued is not None
        return queued

    def inject_response(self, original_message_id: str, answer: m.ResponseAnswer, *,
                        bad_signature: bool = False) -> QueuedMessage:
        """Queue an answer to a request that passed through the bus, as if its provider had sent it."""
        request = self.store.find_request(original_message_id)
        if request is None:
            raise KeyError(f"no request {original_message_id} passed through the bus")
        btype = self.types.by_request(request.namespace, request.root)
        if btype is None:
            raise KeyError(f"the request {original_message_id} has no registered type")
        now = self.clock()
        message_id = ids.new_message_id(_utc(now))
        version = Version(request.version)
        data = m.SenderProvidedResponseData(message_id=message_id, to=request.reply_to or "", answer=answer)
        envelope = build_element(m.SendResponseRequest(data=data), version)
        if self.config.signatures:
            spec = SIGNING[Operation.SEND_RESPONSE]
            self._sign_path(envelope, spec.signed_path, spec.wrapper_path)
        provider = btype.providers[0] if btype.providers else BUS_MNEMONIC
        with self.store.transaction():
            self.store.remember_id(message_id, provider, Rpc.SEND_RESPONSE.value, now)
            self.store.enqueue(message_id=message_id, kind=Kind.RESPONSE, version=version.value,
                               namespace=btype.response.namespace, root=btype.response.root, sender=provider,
                               recipient=request.sender, payload=_serialize(envelope), at=now,
                               original_message_id=original_message_id, reply_to=request.reply_to,
                               flags={FLAG_BAD_SIGNATURE} if bad_signature else set())
        queued = self.store.get(message_id)
        assert queued is not None
        return queued

    def on_ack(self, message_id: str, hook: Callable[[], None]) -> None:
        """Call `hook` once, when the bus has recorded an Ack of `message_id` and before it answers the Ack."""
        self._ack_hooks[message_id] = hook

    def redeliver(self, message_id: str, *, bad_signature: bool = False) -> None:
        """Deliver a message again under the same MessageID (acked or not), optionally with a broken signature."""
        if not self.store.redeliver(message_id, {FLAG_BAD_SIGNATURE} if bad_signature else set()):
            raise KeyError(f"no message {message_id} in the bus")


# -- module helpers --------------------------------------------------------------------------------------------------


def _serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _check_inline_size(tree: etree._ElementTree, rpc: Rpc, version: Version) -> None:
    """Refuse inline attachments (MTOM parts included, resolved into the tree) over 5 MiB in total with
    AttachmentSizeLimitExceeded: the bus takes larger files only through its file store (rule MSG-ATTACH-SIZE).
    Checked before the rules, which would spend seconds hashing the oversized content."""
    if FaultName.ATTACHMENT_SIZE_LIMIT_EXCEEDED not in faults_for(rpc, version):
        return
    total = 0
    biggest: tuple[int, str] = (0, "")
    for element in tree.getroot().iter():
        if not isinstance(element.tag, str) or etree.QName(element).localname != "AttachmentContent":
            continue
        payload = next((c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == "Content"), None)
        ident = next((c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == "Id"), None)
        size = decoded_size(payload.text or "") if payload is not None else 0
        total += size
        biggest = max(biggest, (size, (ident.text or "").strip() if ident is not None else "?"))
    if total > INLINE_LIMIT:
        raise BusFault(FaultName.ATTACHMENT_SIZE_LIMIT_EXCEEDED, f"[MSG-ATTACH-SIZE] inline attachments total {total} "
                       f"bytes, over the bus's {INLINE_LIMIT}: send the largest ({biggest[1]!r}, {biggest[0]} bytes) "
                       "through the file store (RefAttachmentHeader)",
                       details={"PermittedTotalAttachmentSize": str(INLINE_LIMIT),
                                "RealTotalAttachmentSize": str(total)})


def _keep_original(envelope: etree._Element, original: etree._Element | None, path: tuple[str, ...],
                   original_path: tuple[str, ...]) -> None:
    """Put the sender's element back verbatim (its signature was made over those exact bytes)."""
    if original is None:
        return
    built = locate(detect(envelope).body, path)
    source = locate(detect(original).body, original_path)
    if built is None or source is None:
        return

    built.getparent().replace(built, copy.deepcopy(source))


def _reference_of(request: QueuedMessage) -> str | None:
    try:
        parsed = parse(xmlsafe.parse_bytes(request.payload, source="queued request"), source="queued request")
    except Exception:
        return None
    data = parsed.message.data  # type: ignore[union-attr]
    return data.reference_message_id or data.message_id


def _position(line: int | None) -> int:
    """`ValidationError/@errorPosition` is an xs:int: the line, or -1 when unknown (as real SMEV writes)."""
    return -1 if line is None else line


def _async_status(payload: dict, version: Version) -> m.AsyncProcessingStatus:
    """A queued status as `version` writes it: its nearest status category, and a fault that names itself the way
    real SMEV does, as the `xsi:type` of the SmevFault when the faults XSD has a type of that name."""
    fault = None
    if payload.get("fault"):
        name = FaultName(payload["fault"])
        description = payload.get("fault_description") or name.value
        typed = name.exists_in(version) and fault_shape(name, version).named_type
        fault = m.SmevFaultInfo(
            code=name.value, description=description, type=name if typed else None,
            reason=SignatureVerificationReason.SIGNATURE_IS_INVALID
            if typed and name is FaultName.SIGNATURE_VERIFICATION_FAULT else None,
            validation_errors=(m.ValidationError(description),) if typed and name is FaultName.INVALID_CONTENT
            else (),
            details=tuple((f.name, DOUBLE_FAULT_DETAILS[f.name]) for f in fault_shape(name, version).fields
                          if f.required and f.name in DOUBLE_FAULT_DETAILS) if typed else ())
    return m.AsyncProcessingStatus(original_message_id=payload["original"],
                                   status_category=nearest_status(StatusCategory(payload["category"]), version),
                                   status_details=payload.get("details"), smev_fault=fault)


def _only_missing_signature(message: str) -> bool:
    return "Missing child element" in message and "CallerInformationSystemSignature" in message and \
        message.count("Expected is") == 1 and message.rstrip(" .)").endswith("CallerInformationSystemSignature")


_BUS_RULES: dict[bool, list] = {}


def _bus_rules(signatures: bool) -> list:
    """The catalogue rules the bus runs on what it receives: all but those it decides itself; with signatures on,
    also the attachments' CMS signatures (the XML signatures are verified before, by `signatures.py`)."""
    if signatures not in _BUS_RULES:
        _BUS_RULES[signatures] = [
            r for r in catalogue.registered()
            if not r.rule.id.startswith(RULES_THE_BUS_DECIDES_ITSELF) or (signatures and r.rule.id == "SIG-ATTACH-CMS")]
    return _BUS_RULES[signatures]


__all__ = ["FORCED_HEADER", "SENDER_HEADER", "Bus", "BusConfig", "HttpAnswer"]
