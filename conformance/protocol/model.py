"""The typed, immutable SMEV 3 message model (1.1, 1.2, 1.3).

One frozen dataclass per structure of the protocol facts page, named after its XML element. Field order follows
the schema's element order. Conventions:
- `None` means "absent"; a list of at least one item is a tuple (`None` when the list element is absent).
- Times are aware `datetime`s; identifiers and opaque strings are kept verbatim (a model can hold an invalid
  MessageID, so that the checks can report it).
- Opaque XML (business payload, `ds:Signature`, `BusinessProcessMetadata` content) is an `XmlFragment`, equal by its
  canonical bytes. A signature wrapper is a field holding the `ds:Signature` fragment, or `None` when absent.
- Version-specific fields (1.1 `DestinationName`, `SupplementaryData`, ...) are ignored when building another version.
Each body class carries its `OPERATION`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from conformance.protocol.codes import (
    FaultName,
    MessageType,
    RejectionReasonCode,
    SignatureVerificationReason,
    StatusCategory,
)
from conformance.protocol.operations import Operation
from conformance.protocol.xmlfragment import XmlFragment

# --- attachments ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveFile:
    """1.3: `Archive/File` of an attachment header, one file inside an archive attachment."""

    name: str
    namespace_uri: str


@dataclass(frozen=True)
class AttachmentHeader:
    """`basic:AttachmentHeader`: an attachment carried in `AttachmentContentList` (`content_id` = its `Id`).
    `namespace_uri` and `archive` exist from 1.3 on."""

    content_id: str
    mime_type: str
    signature_pkcs7: bytes | None = None
    namespace_uri: str | None = None
    archive: tuple[ArchiveFile, ...] | None = None


@dataclass(frozen=True)
class RefAttachmentHeader:
    """`basic:RefAttachmentHeader`: a file in the bus's file store; `hash` is the GOST hash of the file (raw bytes)."""

    uuid: str
    hash: bytes
    mime_type: str
    signature_pkcs7: bytes | None = None
    file_name: str | None = None
    namespace_uri: str | None = None
    archive: tuple[ArchiveFile, ...] | None = None
    """`file_name`, `namespace_uri` and `archive` exist from 1.3 on."""


@dataclass(frozen=True)
class AttachmentContent:
    """`basic:AttachmentContent`: travels outside the signed block."""

    id: str
    content: bytes


@dataclass(frozen=True)
class FSAttachment:
    """`basic:FSAttachment` of `FSAttachmentsList`: how the receiver fetches a file-store attachment."""

    uuid: str
    user_name: str
    password: str
    file_name: str


# --- selectors, acks, timestamps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageTypeSelector:
    """`basic:MessageTypeSelector`: which queue to poll (no namespace and root = any type)."""

    timestamp: datetime
    namespace_uri: str | None = None
    root_element_local_name: str | None = None
    node_id: str | None = None
    id: str | None = "SIGNED_BY_CALLER"


@dataclass(frozen=True)
class AckTargetMessage:
    """`basic:AckTargetMessage`: the id of the received message and whether the bus's signature on it verified."""

    message_id: str
    accepted: bool = True
    id: str | None = "SIGNED_BY_CALLER"


@dataclass(frozen=True)
class SignedTimestamp:
    """`basic:Timestamp` as GetStatus and GetIncomingQueueStatistics send it, with the `Id` the caller signs."""

    value: datetime
    id: str | None = "SIGNED_BY_CALLER"


# --- statuses ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ValidationError:
    """`InvalidContent/ValidationError`: one error with its `errorPosition` (an `xs:int` the schema requires; real
    SMEV writes -1 when it has no position)."""

    message: str
    error_position: int = -1


@dataclass(frozen=True)
class SmevFaultInfo:
    """`AsyncProcessingStatus/SmevFault`: `basic:SmevFault{Code?, Description?}`, or, with `type`, the extension of
    it that `xsi:type` names (e.g. `faults:InvalidContent` with its `ValidationError` children), as real SMEV writes
    an asynchronous rejection. Only faults with a complex type of their own can be a `type` (not the `basic:Void`
    ones): `conformance.protocol.schemafacts.FaultShape.named_type`."""

    code: str | None = None
    description: str | None = None
    type: FaultName | None = None
    reason: SignatureVerificationReason | None = None
    validation_errors: tuple[ValidationError, ...] = ()
    details: tuple[tuple[str, str], ...] = ()



@dataclass(frozen=True)
class AsyncProcessingStatus:
    """`AsyncProcessingStatus` (types namespace): how the bus reports the fate of a message asynchronously."""

    original_message_id: str
    status_category: StatusCategory
    status_details: str | None = None
    smev_fault: SmevFaultInfo | None = None
    routing_status: XmlFragment | None = None
    """1.3: `rout:RoutingStatus`, kept as it came."""


@dataclass(frozen=True)
class RequestRejected:
    """`RequestRejected`: a provider's refusal to answer with data."""

    code: RejectionReasonCode
    description: str


@dataclass(frozen=True)
class StatusParameter:
    key: str
    value: str


@dataclass(frozen=True)
class RequestStatus:
    """`RequestStatus`: an intermediate status of the provider's processing."""

    code: int
    description: str
    parameters: tuple[StatusParameter, ...] = ()


# --- what senders provide ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SenderProvidedRequestData:
    """`SenderProvidedRequestData`: the block a consumer signs. `content` is the business element."""

    message_id: str
    content: XmlFragment
    reference_message_id: str | None = None
    transaction_code: str | None = None
    node_id: str | None = None
    eol: datetime | None = None
    personal_signature: XmlFragment | None = None
    attachment_headers: tuple[AttachmentHeader, ...] | None = None
    ref_attachment_headers: tuple[RefAttachmentHeader, ...] | None = None
    business_process_metadata: tuple[XmlFragment, ...] | None = None
    test_message: bool = False
    id: str | None = "SIGNED_BY_CONSUMER"


@dataclass(frozen=True)
class BusinessAnswer:
    """The data answer of `SenderProvidedResponseData`: `MessagePrimaryContent` and its companions."""

    content: XmlFragment
    personal_signature: XmlFragment | None = None
    attachment_headers: tuple[AttachmentHeader, ...] | None = None
    ref_attachment_headers: tuple[RefAttachmentHeader, ...] | None = None


@dataclass(frozen=True)
class Rejection:
    """One or more `RequestRejected` elements answering a request."""

    reasons: tuple[RequestRejected, ...]


ResponseAnswer = BusinessAnswer | Rejection | RequestStatus | AsyncProcessingStatus
"""What `SenderProvidedResponseData` carries after `To`: exactly one of these."""


@dataclass(frozen=True)
class SenderProvidedResponseData:
    """`SenderProvidedResponseData`: the block a provider signs. `to` is the request's ReplyTo, verbatim."""

    message_id: str
    to: str
    answer: ResponseAnswer
    id: str | None = "SIGNED_BY_PROVIDER"


# --- what the bus adds ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """`Sender` / `Recipient` of `MessageMetadata`. `human_readable_name` is required by the 1.1 and 1.3 XSDs;
    real 1.2 answers carry `Mnemonic` alone (`None` here), which only 1.2 accepts."""

    human_readable_name: str | None
    mnemonic: str | None = None


@dataclass(frozen=True)
class SupplementaryData:
    """1.1 only: `MessageMetadata/SupplementaryData`."""

    interaction_type: str
    detected_content_type_name: str | None = None


@dataclass(frozen=True)
class MessageMetadata:
    """`MessageMetadata`: what the bus knows of a message. `sender` is mandatory in 1.1;
    `destination_name`, `supplementary_data` and `message_broker` exist only in 1.1."""

    message_type: MessageType
    sending_timestamp: datetime
    message_id: str | None = None
    sender: Party | None = None
    destination_name: str | None = None
    recipient: Party | None = None
    supplementary_data: SupplementaryData | None = None
    delivery_timestamp: datetime | None = None
    status: StatusCategory | None = None
    id: str | None = None
    """Set it (real traffic: SIGNED_BY_SMEV) where the bus signs the metadata itself, as in SendRequestResponse; inside
    a delivered Request or Response the bus signs the whole block, which carries that Id instead."""
    message_broker: str | None = None
    """1.1 only: `MessageBroker`, between SendingTimestamp and DestinationName."""


@dataclass(frozen=True)
class Request:
    """`Request`: a consumer's request as the bus delivers it to the provider. `reply_to` is mandatory in 1.1."""

    data: SenderProvidedRequestData
    metadata: MessageMetadata
    fs_attachments: tuple[FSAttachment, ...] | None = None
    reply_to: str | None = None
    sender_signature: XmlFragment | None = None
    id: str | None = "SIGNED_BY_SMEV"


@dataclass(frozen=True)
class Response:
    """`Response`: a provider's answer as the bus delivers it to the consumer."""

    data: SenderProvidedResponseData
    metadata: MessageMetadata
    original_message_id: str | None = None
    original_transaction_code: str | None = None
    reference_message_id: str | None = None
    fs_attachments: tuple[FSAttachment, ...] | None = None
    sender_signature: XmlFragment | None = None
    id: str | None = "SIGNED_BY_SMEV"


@dataclass(frozen=True)
class RequestMessage:
    """`RequestMessage` of `GetRequestResponse`; the bus's signature is inside it, after the attachments."""

    request: Request
    attachments: tuple[AttachmentContent, ...] | None = None
    smev_signature: XmlFragment | None = None


@dataclass(frozen=True)
class ResponseMessage:
    """`ResponseMessage` of `GetResponseResponse`."""

    response: Response
    attachments: tuple[AttachmentContent, ...] | None = None
    smev_signature: XmlFragment | None = None


@dataclass(frozen=True)
class AsyncProcessingStatusData:
    """`AsyncProcessingStatusData`: the block the bus signs in `GetStatusResponse`."""

    status: AsyncProcessingStatus
    id: str | None = "SIGNED_ASYNC_BY_SMEV"


@dataclass(frozen=True)
class SmevAsyncProcessingMessage:
    data: AsyncProcessingStatusData
    smev_signature: XmlFragment | None = None


@dataclass(frozen=True)
class QueueStatistics:
    """1.1 only: one queue of `GetIncomingQueueStatisticsResponse`."""

    queue_name: str
    pending_message_number: int


# --- SOAP bodies ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendRequestRequest:
    OPERATION: ClassVar[Operation] = Operation.SEND_REQUEST
    data: SenderProvidedRequestData
    attachments: tuple[AttachmentContent, ...] | None = None
    signature: XmlFragment | None = None
    routing: XmlFragment | None = None
    """1.3: `rout:Routing` (routing information and its own signature), kept as it came."""


@dataclass(frozen=True)
class SendRequestResponse:
    OPERATION: ClassVar[Operation] = Operation.SEND_REQUEST_RESPONSE
    metadata: MessageMetadata
    smev_signature: XmlFragment | None = None


@dataclass(frozen=True)
class SendResponseRequest:
    OPERATION: ClassVar[Operation] = Operation.SEND_RESPONSE
    data: SenderProvidedResponseData
    attachments: tuple[AttachmentContent, ...] | None = None
    signature: XmlFragment | None = None


@dataclass(frozen=True)
class SendResponseResponse:
    OPERATION: ClassVar[Operation] = Operation.SEND_RESPONSE_RESPONSE
    metadata: MessageMetadata
    smev_signature: XmlFragment | None = None


@dataclass(frozen=True)
class GetRequestRequest:
    OPERATION: ClassVar[Operation] = Operation.GET_REQUEST
    selector: MessageTypeSelector
    signature: XmlFragment | None = None


@dataclass(frozen=True)
class GetRequestResponse:
    """`message` is None when the queue is empty."""

    OPERATION: ClassVar[Operation] = Operation.GET_REQUEST_RESPONSE
    message: RequestMessage | None = None


@dataclass(frozen=True)
class GetResponseRequest:
    OPERATION: ClassVar[Operation] = Operation.GET_RESPONSE
    selector: MessageTypeSelector
    signature: XmlFragment | None = None


@dataclass(frozen=True)
class GetResponseResponse:
    """`message` is None when the queue is empty."""

    OPERATION: ClassVar[Operation] = Operation.GET_RESPONSE_RESPONSE
    message: ResponseMessage | None = None


@dataclass(frozen=True)
class AckRequest:
    OPERATION: ClassVar[Operation] = Operation.ACK
    target: AckTargetMessage
    signature: XmlFragment | None = None


@dataclass(frozen=True)
class AckResponse:
    OPERATION: ClassVar[Operation] = Operation.ACK_RESPONSE


@dataclass(frozen=True)
class GetStatusRequest:
    """The schema makes the caller's signature mandatory here; the model allows its absence so checks can see it."""

    OPERATION: ClassVar[Operation] = Operation.GET_STATUS
    timestamp: SignedTimestamp
    signature: XmlFragment | None = None


@dataclass(frozen=True)
class GetStatusResponse:
    """`message` is None when there is no status to report."""

    OPERATION: ClassVar[Operation] = Operation.GET_STATUS_RESPONSE
    message: SmevAsyncProcessingMessage | None = None


@dataclass(frozen=True)
class GetIncomingQueueStatisticsRequest:
    """1.1 only."""

    OPERATION: ClassVar[Operation] = Operation.GET_INCOMING_QUEUE_STATISTICS
    timestamp: SignedTimestamp
    node_id: str | None = None
    signature: XmlFragment | None = None


@dataclass(frozen=True)
class GetIncomingQueueStatisticsResponse:
    """1.1 only."""

    OPERATION: ClassVar[Operation] = Operation.GET_INCOMING_QUEUE_STATISTICS_RESPONSE
    statistics: tuple[QueueStatistics, ...] = ()




@dataclass(frozen=True)
class SoapFault:
    """A SOAP 1.1 fault whose `detail` carries the SMEV fault `name` (faults namespace).

    What the fault element may hold is its type in the version's faults XSD (`schemafacts.fault_shape`): nothing
    for a `basic:Void` fault (AccessDenied, SMEVFailure, ...: `code` and `description` must be None, the text
    travels in `faultstring`); else `basic:Code?`, `basic:Description?` and the extension's own elements:
    `reason` (the `SignatureVerificationFault` child), `validation_errors` (InvalidContent), and `details`, the
    other elements by local name in schema order (e.g. BusinessDataTypeIsNotSupported's `RootElementLocalName`).
    `faultcode` is a (namespace, local name) pair: real SMEV answers `soap:Server`.
    """

    OPERATION: ClassVar[Operation] = Operation.FAULT
    name: FaultName
    faultstring: str
    code: str | None = None
    description: str | None = None
    reason: SignatureVerificationReason | None = None
    validation_errors: tuple[ValidationError, ...] = ()
    faultcode: tuple[str, str] = ("http://schemas.xmlsoap.org/soap/envelope/", "Server")
    faultactor: str | None = None
    details: tuple[tuple[str, str], ...] = ()


Message = (SendRequestRequest | SendRequestResponse | SendResponseRequest | SendResponseResponse | GetRequestRequest
           | GetRequestResponse | GetResponseRequest | GetResponseResponse | AckRequest | AckResponse
           | GetStatusRequest | GetStatusResponse | GetIncomingQueueStatisticsRequest
           | GetIncomingQueueStatisticsResponse | SoapFault)
"""Any SOAP body of the protocol."""

MESSAGE_CLASSES: dict[Operation, type] = {cls.OPERATION: cls for cls in Message.__args__}
"""Operation -> the model class of its body."""
