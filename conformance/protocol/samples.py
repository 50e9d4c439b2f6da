"""Valid sample messages of every operation x version, with fake payloads of a registered message type.

One seed and one moment (`at`) fix everything: MessageIDs are version-1 UUIDs made at `at` from the seeded
generator, payloads come from the registry's fake generators, and the messages of one seed form a coherent exchange
(the response answers the request: same chain, `To` = the request's `ReplyTo`, `OriginalMessageId` = its MessageID).

`sample_message(operation, version, variant=...)` gives one model object; `sample_envelope(...)` its bytes (with an
optional signing hook); `iter_samples(...)` every operation x version x variant, as `sample --all` writes them.
Tests mutate these to prove that each rule catches its subject.
"""

from __future__ import annotations

import base64
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from conformance.protocol import model as m
from conformance.protocol.builder import Sign, build
from conformance.protocol.codes import (
    FaultName,
    MessageType,
    RejectionReasonCode,
    SignatureVerificationReason,
    StatusCategory,
)
from conformance.protocol.ids import new_message_id
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import Operation, operations_for
from conformance.protocol.schemafacts import fault_shape, nearest_status
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry.loader import load_registry
from conformance.registry.model import MessageTypeSpec, Registry, Side
from conformance.registry.payloads import make_payload

DEFAULT_VARIANT = "default"

VARIANTS: dict[Operation, tuple[str, ...]] = {
    Operation.SEND_REQUEST: (DEFAULT_VARIANT, "attachments", "test-message"),
    Operation.SEND_REQUEST_RESPONSE: (DEFAULT_VARIANT,),
    Operation.SEND_RESPONSE: (DEFAULT_VARIANT, "rejected", "status", "async-status"),
    Operation.SEND_RESPONSE_RESPONSE: (DEFAULT_VARIANT,),
    Operation.GET_REQUEST: (DEFAULT_VARIANT, "any-type"),
    Operation.GET_REQUEST_RESPONSE: (DEFAULT_VARIANT, "empty"),
    Operation.GET_RESPONSE: (DEFAULT_VARIANT, "any-type"),
    Operation.GET_RESPONSE_RESPONSE: (DEFAULT_VARIANT, "rejected", "status", "async-status", "empty"),
    Operation.ACK: (DEFAULT_VARIANT, "rejected"),
    Operation.ACK_RESPONSE: (DEFAULT_VARIANT,),
    Operation.GET_STATUS: (DEFAULT_VARIANT,),
    Operation.GET_STATUS_RESPONSE: (DEFAULT_VARIANT, "empty"),
    Operation.GET_INCOMING_QUEUE_STATISTICS: (DEFAULT_VARIANT,),
    Operation.GET_INCOMING_QUEUE_STATISTICS_RESPONSE: (DEFAULT_VARIANT,),
    Operation.FAULT: tuple(f.value for f in FaultName),
}
"""Operation -> the variants `sample` can make; for `FAULT` a variant is the fault's name."""


def variants_for(operation: Operation, version: Version) -> tuple[str, ...]:
    """The variants of `operation` that exist in `version` (PersonalAccessDenied only in 1.3)."""
    if operation is Operation.FAULT:
        return tuple(f.value for f in FaultName if f.exists_in(version))
    return VARIANTS[operation]


class SampleError(ValueError):
    """An operation, version or variant that has no sample (the message lists what exists)."""


@dataclass(frozen=True)
class Sample:
    """One sample: what it is and its model. `name` is a file stem, e.g. `1.3-SendResponseRequest-rejected`."""

    operation: Operation
    version: Version
    variant: str
    message: m.Message

    @property
    def name(self) -> str:
        suffix = "" if self.variant == DEFAULT_VARIANT else f"-{self.variant}"
        return f"{self.version.value}-{self.operation.value}{suffix}"


class _Exchange:
    """The coherent facts of one seeded exchange: ids, times, parties, payloads."""

    def __init__(self, spec: MessageTypeSpec, seed: int, at: datetime):
        if at.tzinfo is None:
            raise SampleError("the sample time must be timezone-aware")
        self.spec = spec
        self.at = at.astimezone(UTC)
        rng = random.Random(seed)
        self.rng = rng
        self.request_sent = self.at - timedelta(seconds=3)
        self.response_sent = self.at - timedelta(seconds=1)
        self.request_id = new_message_id(self.request_sent, rng=rng)
        self.response_id = new_message_id(self.response_sent, rng=rng)
        self.bus_request_id = new_message_id(self.request_sent + timedelta(milliseconds=40), rng=rng)
        self.bus_response_id = new_message_id(self.response_sent + timedelta(milliseconds=40), rng=rng)
        self.poll_id = new_message_id(self.at, rng=rng)
        self.reply_to = base64.b64encode(rng.randbytes(48)).decode("ascii")
        request_element = make_payload(spec, Side.REQUEST, seed=seed, at=self.at)
        response_element = make_payload(spec, Side.RESPONSE, seed=seed, at=self.at, request=request_element)
        self.request_payload = XmlFragment(request_element)
        self.response_payload = XmlFragment(response_element)
        self.consumer = spec.consumers[0] if spec.consumers else "CONSUMER"
        self.provider = spec.providers[0]
        attachment = f"Выписка по запросу {self.request_id}\n".encode()
        self.attachment = m.AttachmentContent(f"att-{self.request_id[:8]}", attachment)

    def request_data(self, *, attachments: bool = False, test: bool = False) -> m.SenderProvidedRequestData:
        """The consumer's block; `test` marks a test message with an end of life a day ahead and a transaction
        code, as an integrator's trial request carries them."""
        headers = (m.AttachmentHeader(self.attachment.id, "text/plain"),) if attachments else None
        return m.SenderProvidedRequestData(
            message_id=self.request_id, content=self.request_payload, attachment_headers=headers,
            transaction_code=f"TX-{self.request_id[:8]}" if test else None,
            eol=self.at + timedelta(days=1) if test else None, test_message=test)

    def answer(self, variant: str, version: Version) -> m.ResponseAnswer:
        if variant in (DEFAULT_VARIANT, "data"):
            return m.BusinessAnswer(self.response_payload)
        if variant == "rejected":
            return m.Rejection((m.RequestRejected(RejectionReasonCode.NO_DATA,
                                                  "Сведения по запросу не найдены"),))
        if variant == "status":
            return m.RequestStatus(1, "Запрос принят в обработку",
                                   (m.StatusParameter("expectedAnswerDate", (self.at + timedelta(days=1)).date()
                                                      .isoformat()),))
        if variant == "async-status":
            return self.async_status(StatusCategory.REQUEST_IS_REJECTED_BY_SMEV, version)
        raise SampleError(f"no SenderProvidedResponseData variant {variant!r}")

    def async_status(self, category: StatusCategory, version: Version) -> m.AsyncProcessingStatus:
        """A status as the bus reports it; a rejection carries a plain `basic:SmevFault` (Code, Description).

        Real SMEV also writes an `xsi:type`d fault here (`faults:InvalidContent` with ValidationError children): the
        harness reads and checks that form (real traffic, the double's live answers), but a sample keeps to the base
        type, which validates against the types XSD alone as well as with the faults XSD the WSDL adds."""
        fault = None
        details = None
        if category.is_rejection:
            fault = m.SmevFaultInfo("SMEV-403", "Бизнес-данные сообщения не соответствуют схеме, зарегистрированной "
                                                f"в СМЭВ: содержимое элемента '{self.spec.request.root}' неполно")
            details = "Сообщение отклонено СМЭВ"
        return m.AsyncProcessingStatus(self.request_id, nearest_status(category, version), details, fault)

    def response_data(self, variant: str, version: Version) -> m.SenderProvidedResponseData:
        return m.SenderProvidedResponseData(self.response_id, self.reply_to, self.answer(variant, version))

    def party(self, mnemonic: str) -> m.Party:
        return m.Party(f"Информационная система {mnemonic}", mnemonic)

    def metadata(self, version: Version, *, message_id: str, message_type: MessageType, sender: str,
                 recipient: str, sent: datetime, delivered: datetime | None,
                 status: StatusCategory | None = None, signed: bool = True) -> m.MessageMetadata:
        """`signed=False` for metadata inside a delivered Request/Response: the bus signs the whole block there,
        so the metadata carries no Id of its own (Ids are unique in a document)."""
        legacy = version is Version.V1_1
        return m.MessageMetadata(
            message_type=message_type, sending_timestamp=sent, message_id=message_id, sender=self.party(sender),
            destination_name=self.spec.name if legacy else None, recipient=self.party(recipient),
            supplementary_data=m.SupplementaryData("NotDetected", self.spec.request.root) if legacy else None,
            delivery_timestamp=delivered, status=None if status is None else nearest_status(status, version),
            id="SIGNED_BY_SMEV" if signed else None)

    def selector(self, variant: str, side: str) -> m.MessageTypeSelector:
        if variant == "any-type":
            return m.MessageTypeSelector(self.at)
        payload = self.spec.request if side == "request" else self.spec.response
        return m.MessageTypeSelector(self.at, payload.namespace, payload.root)

    def request(self, version: Version) -> m.Request:
        meta = self.metadata(version, message_id=self.bus_request_id, message_type=MessageType.REQUEST,
                             sender=self.consumer, recipient=self.provider, sent=self.request_sent,
                             delivered=self.at, status=StatusCategory.REQUEST_IS_QUEUED, signed=False)
        return m.Request(self.request_data(), meta, reply_to=self.reply_to)

    def response(self, version: Version, variant: str) -> m.Response:
        meta = self.metadata(version, message_id=self.bus_response_id, message_type=MessageType.RESPONSE,
                             sender=self.provider, recipient=self.consumer, sent=self.response_sent,
                             delivered=self.at, status=StatusCategory.RESPONSE_IS_QUEUED, signed=False)
        if variant == "async-status":
            data = m.SenderProvidedResponseData(self.bus_response_id, self.reply_to,
                                                self.async_status(StatusCategory.REQUEST_IS_REJECTED_BY_SMEV, version))
        else:
            data = self.response_data(variant, version)
        return m.Response(data, meta, original_message_id=self.request_id, reference_message_id=self.request_id)


_SAMPLE_FAULT_DETAILS: dict[str, str] = {
    "RootElementLocalName": "UnknownRequest",
    "RootElementNamespaceURI": "urn://x-artefacts-example/unknown/1.0.0",
    "PermittedTotalAttachmentSize": "5242880",
    "RealTotalAttachmentSize": "7340032",
    "RemainedTotalQuoteSize": "1048576",
    "MessageBrokerAddress": "smev-broker-1:7676",
    "DestinationName": "provider-requests",
}
"""A value for every element an extension of basic:SmevFault adds (the XSDs' own; a new one fails loudly)."""


def _fault(name: FaultName, version: Version) -> m.SoapFault:
    """A sample fault with everything its XSD type allows: nothing for a basic:Void fault."""
    if not name.exists_in(version):
        raise SampleError(f"fault {name.value} does not exist in version {version.value}")
    shape = fault_shape(name, version)
    if shape.void:
        return m.SoapFault(name, f"{name.value}: sample fault")
    reason = None
    errors: tuple[m.ValidationError, ...] = ()
    details = []
    for field in shape.fields:
        if field.name == "SignatureVerificationFault":
            reason = SignatureVerificationReason.SIGNATURE_IS_INVALID
        elif field.name == "ValidationError":
            errors = (m.ValidationError("cvc-pattern-valid: Value 'ABC' is not facet-valid with respect to pattern",
                                        420),)
        elif field.name in _SAMPLE_FAULT_DETAILS:
            details.append((field.name, _SAMPLE_FAULT_DETAILS[field.name]))
        else:
            raise SampleError(f"no sample value for {name.value}/{field.name} (a new element of the faults XSD)")
    return m.SoapFault(name, f"{name.value}: sample fault", code=f"SMEV-{name.value}",
                       description=f"Sample {name.value} fault", reason=reason, validation_errors=errors,
                       details=tuple(details))


def sample_message(operation: Operation | str, version: Version | str = Version.V1_3, *,
                   spec: MessageTypeSpec | None = None, registry: Registry | None = None, seed: int = 0,
                   at: datetime | None = None, variant: str = DEFAULT_VARIANT) -> m.Message:
    """A valid model of `operation` in `version`. `spec` defaults to the registry's first type (shipped registry
    when `registry` is None); `at` (default now) is the moment the message is made."""
    operation = Operation.parse(operation) if isinstance(operation, str) else operation
    version = Version(version)
    if not operation.exists_in(version):
        raise SampleError(f"{operation.value} does not exist in version {version.value}")
    allowed = variants_for(operation, version)
    if variant not in allowed:
        raise SampleError(f"{operation.value} has no variant {variant!r} in {version.value}; "
                          f"valid: {', '.join(allowed)}")
    if operation is Operation.FAULT:
        return _fault(FaultName(variant), version)
    if spec is None:
        if registry is None:
            registry = load_registry()
        spec = registry.first
    x = _Exchange(spec, seed, at or datetime.now(UTC))
    sent = x.at - timedelta(milliseconds=60)
    match operation:
        case Operation.SEND_REQUEST:
            with_files = variant == "attachments"
            return m.SendRequestRequest(x.request_data(attachments=with_files, test=variant == "test-message"),
                                        (x.attachment,) if with_files else None)
        case Operation.SEND_REQUEST_RESPONSE:
            return m.SendRequestResponse(x.metadata(
                version, message_id=x.bus_request_id, message_type=MessageType.REQUEST, sender=x.consumer,
                recipient=x.provider, sent=x.request_sent, delivered=None,
                status=StatusCategory.REQUEST_IS_QUEUED))
        case Operation.SEND_RESPONSE:
            return m.SendResponseRequest(x.response_data(variant, version))
        case Operation.SEND_RESPONSE_RESPONSE:
            return m.SendResponseResponse(x.metadata(
                version, message_id=x.bus_response_id, message_type=MessageType.RESPONSE, sender=x.provider,
                recipient=x.consumer, sent=x.response_sent, delivered=None,
                status=StatusCategory.RESPONSE_IS_QUEUED))
        case Operation.GET_REQUEST:
            return m.GetRequestRequest(x.selector(variant, "request"))
        case Operation.GET_REQUEST_RESPONSE:
            if variant == "empty":
                return m.GetRequestResponse()
            return m.GetRequestResponse(m.RequestMessage(x.request(version)))
        case Operation.GET_RESPONSE:
            return m.GetResponseRequest(x.selector(variant, "response"))
        case Operation.GET_RESPONSE_RESPONSE:
            if variant == "empty":
                return m.GetResponseResponse()
            return m.GetResponseResponse(m.ResponseMessage(x.response(version, variant)))
        case Operation.ACK:
            return m.AckRequest(m.AckTargetMessage(x.bus_request_id, accepted=variant != "rejected"))
        case Operation.ACK_RESPONSE:
            return m.AckResponse()
        case Operation.GET_STATUS:
            return m.GetStatusRequest(m.SignedTimestamp(sent))
        case Operation.GET_STATUS_RESPONSE:
            if variant == "empty":
                return m.GetStatusResponse()
            status = x.async_status(StatusCategory.REQUEST_IS_PROCESSED, version)
            return m.GetStatusResponse(m.SmevAsyncProcessingMessage(m.AsyncProcessingStatusData(status)))
        case Operation.GET_INCOMING_QUEUE_STATISTICS:
            return m.GetIncomingQueueStatisticsRequest(m.SignedTimestamp(sent))
        case Operation.GET_INCOMING_QUEUE_STATISTICS_RESPONSE:
            return m.GetIncomingQueueStatisticsResponse((
                m.QueueStatistics(f"{x.provider}:{x.spec.request.root}", 3),
                m.QueueStatistics(f"{x.provider}:{x.spec.name}:responses", 0)))
    raise SampleError(f"no sample for {operation.value}")  # pragma: no cover - every operation is matched


def sample_envelope(operation: Operation | str, version: Version | str = Version.V1_3, *,
                    sign: Sign | None = None, **options) -> bytes:
    """`build(sample_message(...), version, sign=sign)`: the bytes of a sample envelope."""
    version = Version(version)
    return build(sample_message(operation, version, **options), version, sign=sign)


def iter_samples(*, versions: tuple[Version, ...] = tuple(Version), spec: MessageTypeSpec | None = None,
                 registry: Registry | None = None, seed: int = 0, at: datetime | None = None) -> Iterator[Sample]:
    """Every operation x version x variant, in a stable order (the set `sample --all` writes)."""
    if spec is None:
        if registry is None:
            registry = load_registry()
        spec = registry.first
    moment = at or datetime.now(UTC)
    for version in versions:
        for operation in operations_for(version):
            for variant in variants_for(operation, version):
                message = sample_message(operation, version, spec=spec, seed=_exchange_seed(seed, version, variant),
                                         at=moment, variant=variant)
                yield Sample(operation, version, variant, message)


def _exchange_seed(seed: int, version: Version, variant: str) -> int:
    """One exchange per version and variant: the operations of one variant (a rejected response as sent and as
    delivered) stay coherent, while alternatives never share a MessageID, as the bus would refuse the second."""
    return zlib.crc32(f"{seed}/{version.value}/{variant}".encode())


__all__ = ["DEFAULT_VARIANT", "VARIANTS", "Sample", "SampleError", "iter_samples", "sample_envelope",
           "sample_message", "variants_for"]
