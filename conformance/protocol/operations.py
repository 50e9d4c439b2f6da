"""SMEV 3 operations: what each SOAP body element is, what may be signed in it and by whom, which faults it may get.

`Operation` names a *body element kind*: the request a client sends (`SEND_REQUEST` = `SendRequestRequest`),
the bus's answer to it (`SEND_REQUEST_RESPONSE` = `SendRequestResponse`), ..., and `FAULT` (`soap:Fault`).
`Operation.rpc` gives the RPC it belongs to (`Rpc.SEND_REQUEST`); `detect` reads the kind and version of a document.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from conformance.errors import InputError
from conformance.protocol.codes import FaultName
from conformance.protocol.namespaces import SOAP_ENV, Role, Version, classify, split_qname

RULE_ENVELOPE = "MSG-SOAP-ENVELOPE"
"""Rule id reported when a document is not a SOAP 1.1 envelope with one body element."""
RULE_OPERATION = "MSG-SOAP-OPERATION"
"""Rule id reported when the body element is not an SMEV operation of a known version."""


class ProtocolError(InputError):
    """A document that is not an SMEV 3 message the protocol core can read (names the file, line, element, rule)."""


class Rpc(StrEnum):
    """The SOAP operations of the SMEV 3 service (`SOAPAction: "urn:<value>"`)."""

    SEND_REQUEST = "SendRequest"
    SEND_RESPONSE = "SendResponse"
    GET_REQUEST = "GetRequest"
    GET_RESPONSE = "GetResponse"
    ACK = "Ack"
    GET_STATUS = "GetStatus"
    GET_INCOMING_QUEUE_STATISTICS = "GetIncomingQueueStatistics"

    @property
    def soap_action(self) -> str:
        return f"urn:{self.value}"

    def exists_in(self, version: Version) -> bool:
        return self is not Rpc.GET_INCOMING_QUEUE_STATISTICS or Version(version) is Version.V1_1


class Operation(StrEnum):
    """A kind of SOAP body element; the value is its local name."""

    SEND_REQUEST = "SendRequestRequest"
    SEND_REQUEST_RESPONSE = "SendRequestResponse"
    SEND_RESPONSE = "SendResponseRequest"
    SEND_RESPONSE_RESPONSE = "SendResponseResponse"
    GET_REQUEST = "GetRequestRequest"
    GET_REQUEST_RESPONSE = "GetRequestResponse"
    GET_RESPONSE = "GetResponseRequest"
    GET_RESPONSE_RESPONSE = "GetResponseResponse"
    ACK = "AckRequest"
    ACK_RESPONSE = "AckResponse"
    GET_STATUS = "GetStatusRequest"
    GET_STATUS_RESPONSE = "GetStatusResponse"
    GET_INCOMING_QUEUE_STATISTICS = "GetIncomingQueueStatisticsRequest"
    GET_INCOMING_QUEUE_STATISTICS_RESPONSE = "GetIncomingQueueStatisticsResponse"
    FAULT = "Fault"

    @property
    def rpc(self) -> Rpc | None:
        """The RPC this body belongs to; `None` for `FAULT` (a fault answers any RPC)."""
        if self is Operation.FAULT:
            return None
        return _RPC_OF[self]

    @property
    def is_response(self) -> bool:
        """True for what the bus answers (including faults), False for what a client sends."""
        return self is Operation.FAULT or self.value.endswith("Response")

    @property
    def counterpart(self) -> Operation | None:
        """Request kind <-> response kind of the same RPC; `None` for `FAULT`."""
        return _COUNTERPART.get(self)

    def exists_in(self, version: Version) -> bool:
        rpc = self.rpc
        return rpc is None or rpc.exists_in(version)

    @classmethod
    def parse(cls, text: str) -> Operation:
        """Accept `SendRequest` (the request side), `SendRequestRequest`, `SendRequestResponse`, `SEND_REQUEST`,
        `send-request`, case-insensitively; raise `ValueError` listing valid values."""
        key = text.strip().replace("-", "").replace("_", "").lower()
        for op in cls:
            if key in (op.value.lower(), op.name.replace("_", "").lower()):
                return op
        for rpc in Rpc:
            if key == rpc.value.lower():
                return REQUEST_OF[rpc]
        raise ValueError(f"unknown operation {text!r}; valid: {', '.join(op.value for op in cls)} "
                         f"(or an RPC name such as SendRequest for its request side)")


_PAIRS: dict[Rpc, tuple[Operation, Operation]] = {
    Rpc.SEND_REQUEST: (Operation.SEND_REQUEST, Operation.SEND_REQUEST_RESPONSE),
    Rpc.SEND_RESPONSE: (Operation.SEND_RESPONSE, Operation.SEND_RESPONSE_RESPONSE),
    Rpc.GET_REQUEST: (Operation.GET_REQUEST, Operation.GET_REQUEST_RESPONSE),
    Rpc.GET_RESPONSE: (Operation.GET_RESPONSE, Operation.GET_RESPONSE_RESPONSE),
    Rpc.ACK: (Operation.ACK, Operation.ACK_RESPONSE),
    Rpc.GET_STATUS: (Operation.GET_STATUS, Operation.GET_STATUS_RESPONSE),
    Rpc.GET_INCOMING_QUEUE_STATISTICS: (Operation.GET_INCOMING_QUEUE_STATISTICS,
                                        Operation.GET_INCOMING_QUEUE_STATISTICS_RESPONSE),
}
_RPC_OF: dict[Operation, Rpc] = {op: rpc for rpc, pair in _PAIRS.items() for op in pair}
_COUNTERPART: dict[Operation, Operation] = {
    **{req: resp for req, resp in _PAIRS.values()}, **{resp: req for req, resp in _PAIRS.values()}}
REQUEST_OF: dict[Rpc, Operation] = {rpc: pair[0] for rpc, pair in _PAIRS.items()}
RESPONSE_OF: dict[Rpc, Operation] = {rpc: pair[1] for rpc, pair in _PAIRS.items()}


def operations_for(version: Version) -> tuple[Operation, ...]:
    """Every body kind that exists in `version`, in declaration order."""
    return tuple(op for op in Operation if op.exists_in(version))


# --- signatures -------------------------------------------------------------------------------------------------


class Signer(StrEnum):
    """Who puts a signature into a message."""

    CALLER = "caller"
    """The information system calling the bus (consumer or provider): `CallerInformationSystemSignature`."""
    SMEV = "smev"
    """The bus: `SMEVSignature`."""
    SENDER = "sender"
    """The original sender, as the bus delivers its signature to the other side: `SenderInformationSystemSignature`."""
    PERSON = "person"
    """An official: `PersonalSignature` over the business element."""


@dataclass(frozen=True)
class SigningSpec:
    """Where one detached signature of a body kind lives.

    `signed` and `wrapper` are paths of local names from the body element (e.g. `SendRequestRequest`): the element
    whose `@Id` the `ds:Reference` points to, and the wrapper element holding the `ds:Signature`. A `*` step means
    "the single element child" (the business element under `MessagePrimaryContent`, which carries no Id: a personal
    signature refers to it by an Id the signer adds, or by URI ""). `default_id` is the Id seen in real traffic.
    """

    signed_path: tuple[str, ...]
    wrapper_path: tuple[str, ...]
    signer: Signer
    default_id: str | None
    required: bool = True
    """The real bus rejects the message without this signature (the schemas make most optional)."""

    @property
    def signed(self) -> str:
        """Local name of the signed element."""
        return self.signed_path[-1]

    @property
    def wrapper(self) -> str:
        """Local name of the wrapper element."""
        return self.wrapper_path[-1]


def _caller(signed: tuple[str, ...], default_id: str) -> SigningSpec:
    return SigningSpec(signed, ("CallerInformationSystemSignature",), Signer.CALLER, default_id)


SIGNING: dict[Operation, SigningSpec] = {
    Operation.SEND_REQUEST: _caller(("SenderProvidedRequestData",), "SIGNED_BY_CONSUMER"),
    Operation.SEND_RESPONSE: _caller(("SenderProvidedResponseData",), "SIGNED_BY_PROVIDER"),
    Operation.GET_REQUEST: _caller(("MessageTypeSelector",), "SIGNED_BY_CALLER"),
    Operation.GET_RESPONSE: _caller(("MessageTypeSelector",), "SIGNED_BY_CALLER"),
    Operation.ACK: _caller(("AckTargetMessage",), "SIGNED_BY_CALLER"),
    Operation.GET_STATUS: _caller(("Timestamp",), "SIGNED_BY_CALLER"),
    Operation.GET_INCOMING_QUEUE_STATISTICS: _caller(("Timestamp",), "SIGNED_BY_CALLER"),
}
"""The caller's signature of each client-side body kind (protocol facts, table "Operations")."""

_REQ = ("RequestMessage", "Request")
_RESP = ("ResponseMessage", "Response")
_CANCEL = ("RequestMessage", "Cancel")

SIGNATURES: dict[Operation, tuple[SigningSpec, ...]] = {
    Operation.SEND_REQUEST: (
        SIGNING[Operation.SEND_REQUEST],
        SigningSpec(("SenderProvidedRequestData", "MessagePrimaryContent", "*"),
                    ("SenderProvidedRequestData", "PersonalSignature"), Signer.PERSON, "PERSONAL_SIGNATURE", False),
        # 1.3's optional dynamic routing: the caller signs rout:RoutingInformation into rout:RoutingSignature
        SigningSpec(("Routing", "RoutingInformation"), ("Routing", "RoutingSignature"), Signer.CALLER, None, False),
    ),
    Operation.SEND_RESPONSE: (
        SIGNING[Operation.SEND_RESPONSE],
        SigningSpec(("SenderProvidedResponseData", "MessagePrimaryContent", "*"),
                    ("SenderProvidedResponseData", "PersonalSignature"), Signer.PERSON, "PERSONAL_SIGNATURE", False),
    ),
    Operation.GET_REQUEST: (SIGNING[Operation.GET_REQUEST],),
    Operation.GET_RESPONSE: (SIGNING[Operation.GET_RESPONSE],),
    Operation.ACK: (SIGNING[Operation.ACK],),
    Operation.GET_STATUS: (SIGNING[Operation.GET_STATUS],),
    Operation.GET_INCOMING_QUEUE_STATISTICS: (SIGNING[Operation.GET_INCOMING_QUEUE_STATISTICS],),
    Operation.SEND_REQUEST_RESPONSE: (
        SigningSpec(("MessageMetadata",), ("SMEVSignature",), Signer.SMEV, "SIGNED_BY_SMEV", False),),
    Operation.SEND_RESPONSE_RESPONSE: (
        SigningSpec(("MessageMetadata",), ("SMEVSignature",), Signer.SMEV, "SIGNED_BY_SMEV", False),),
    Operation.GET_REQUEST_RESPONSE: (
        SigningSpec(_REQ, ("RequestMessage", "SMEVSignature"), Signer.SMEV, "SIGNED_BY_SMEV", False),
        SigningSpec((*_REQ, "SenderProvidedRequestData"), (*_REQ, "SenderInformationSystemSignature"),
                    Signer.SENDER, "SIGNED_BY_CONSUMER", False),
        SigningSpec((*_REQ, "SenderProvidedRequestData", "MessagePrimaryContent", "*"),
                    (*_REQ, "SenderProvidedRequestData", "PersonalSignature"), Signer.PERSON,
                    "PERSONAL_SIGNATURE", False),
        # 1.1 delivers a cancellation instead of a Request: "ЭП-СМЭВ. Подписан элемент //Request, либо //Cancel".
        # The sender's signature in it signs "//SenderProvidedCancelData", which no schema declares: the Id-carrying
        # MessageReference (the cancelled request) is what it can sign.
        SigningSpec(_CANCEL, ("RequestMessage", "SMEVSignature"), Signer.SMEV, "SIGNED_BY_SMEV", False),
        SigningSpec((*_CANCEL, "MessageReference"), (*_CANCEL, "SenderInformationSystemSignature"),
                    Signer.SENDER, None, False),
    ),
    Operation.GET_RESPONSE_RESPONSE: (
        SigningSpec(_RESP, ("ResponseMessage", "SMEVSignature"), Signer.SMEV, "SIGNED_BY_SMEV", False),
        SigningSpec((*_RESP, "SenderProvidedResponseData"), (*_RESP, "SenderInformationSystemSignature"),
                    Signer.SENDER, "SIGNED_BY_PROVIDER", False),
        SigningSpec((*_RESP, "SenderProvidedResponseData", "MessagePrimaryContent", "*"),
                    (*_RESP, "SenderProvidedResponseData", "PersonalSignature"), Signer.PERSON,
                    "PERSONAL_SIGNATURE", False),
    ),
    Operation.GET_STATUS_RESPONSE: (
        SigningSpec(("SmevAsyncProcessingMessage", "AsyncProcessingStatusData"),
                    ("SmevAsyncProcessingMessage", "SMEVSignature"), Signer.SMEV, "SIGNED_ASYNC_BY_SMEV", False),),
    Operation.ACK_RESPONSE: (),
    Operation.GET_INCOMING_QUEUE_STATISTICS_RESPONSE: (),
    Operation.FAULT: (),
}
"""Every signature that may appear in each body kind, the caller's first. The SMEV and sender signatures are
optional in the schemas and in emulators; the caller's are required by the real bus (`SigningSpec.required`)."""


def locate(body: etree._Element, path: tuple[str, ...]) -> etree._Element | None:
    """Follow `path` (local names, `*` = the single element child) from the body element; `None` when absent.

    Steps match SMEV-namespace elements only (any version), so the helper works on documents of every version.
    """
    current = body
    for step in path:
        children = [c for c in current if isinstance(c.tag, str)]
        if step == "*":
            if len(children) != 1:
                return None
            current = children[0]
            continue
        found = None
        for child in children:
            uri, local = split_qname(child.tag)
            if local == step and classify(uri) is not None:
                found = child
                break
        if found is None:
            return None
        current = found
    return current


# --- faults -----------------------------------------------------------------------------------------------------

_SEND_REQUEST_FAULTS = frozenset({
    FaultName.BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED, FaultName.TRANSACTION_CODE_INVALID,
    FaultName.SIGNATURE_VERIFICATION_FAULT, FaultName.INVALID_CONTENT, FaultName.ATTACHMENT_CONTENT_MISCOORDINATION,
    FaultName.ATTACHMENT_SIZE_LIMIT_EXCEEDED, FaultName.QUOTE_LIMIT_EXCEEDED, FaultName.ACCESS_DENIED,
    FaultName.PERSONAL_ACCESS_DENIED, FaultName.SENDER_IS_NOT_REGISTERED, FaultName.RECIPIENT_IS_NOT_FOUND,
    FaultName.DESTINATION_OVERFLOW, FaultName.SMEV_FAILURE, FaultName.MESSAGE_IS_ALREADY_SENT,
    FaultName.INVALID_MESSAGE_ID_FORMAT, FaultName.STALE_MESSAGE_ID, FaultName.END_OF_LIFE_REACHED,
})
_POLL_FAULTS = frozenset({
    FaultName.INVALID_CONTENT, FaultName.SIGNATURE_VERIFICATION_FAULT, FaultName.SENDER_IS_NOT_REGISTERED,
    FaultName.UNKNOWN_MESSAGE_TYPE, FaultName.SMEV_FAILURE,
})

FAULTS: dict[Rpc, frozenset[FaultName]] = {
    Rpc.SEND_REQUEST: _SEND_REQUEST_FAULTS,
    Rpc.SEND_RESPONSE: (_SEND_REQUEST_FAULTS - {
        FaultName.TRANSACTION_CODE_INVALID, FaultName.ACCESS_DENIED, FaultName.PERSONAL_ACCESS_DENIED,
        FaultName.END_OF_LIFE_REACHED}) | {FaultName.INCORRECT_RESPONSE_CONTENT_TYPE},
    Rpc.GET_REQUEST: _POLL_FAULTS,
    Rpc.GET_RESPONSE: _POLL_FAULTS,
    Rpc.GET_STATUS: _POLL_FAULTS,
    Rpc.ACK: frozenset({
        FaultName.INVALID_CONTENT, FaultName.SIGNATURE_VERIFICATION_FAULT, FaultName.SENDER_IS_NOT_REGISTERED,
        FaultName.SMEV_FAILURE, FaultName.TARGET_MESSAGE_IS_NOT_FOUND}),
    Rpc.GET_INCOMING_QUEUE_STATISTICS: _POLL_FAULTS - {FaultName.UNKNOWN_MESSAGE_TYPE},
}
"""Which faults the bus may answer each RPC with (protocol facts, "Faults"): exactly the faults the official 1.1 and
1.3 WSDLs declare per operation, GetIncomingQueueStatistics included (tested against them)."""


def faults_for(rpc: Rpc, version: Version) -> frozenset[FaultName]:
    """The faults `rpc` may get in `version` (PersonalAccessDenied only from 1.3)."""
    return frozenset(f for f in FAULTS[rpc] if f.exists_in(version))


# --- detection --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """What a document is. Unpacks as `operation, version = detect(tree)`; `body` is the body element."""

    operation: Operation
    version: Version
    body: etree._Element

    def __iter__(self):
        yield self.operation
        yield self.version


def soap_body(tree: etree._ElementTree | etree._Element, *, source: str | None = None) -> etree._Element:
    """The single element child of `soap:Body`; raises `ProtocolError` (rule `MSG-SOAP-ENVELOPE`) otherwise."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    src = source or _source_of(root)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise ProtocolError(f"root element is {_show(root)}, not a SOAP 1.1 Envelope ({{{SOAP_ENV}}}Envelope)",
                            path=src, line=root.sourceline, rule=RULE_ENVELOPE)
    bodies = [c for c in root if c.tag == f"{{{SOAP_ENV}}}Body"]
    if len(bodies) != 1:
        raise ProtocolError(f"the Envelope has {len(bodies)} soap:Body elements, expected exactly one",
                            path=src, line=root.sourceline, rule=RULE_ENVELOPE)
    children = [c for c in bodies[0] if isinstance(c.tag, str)]
    if len(children) != 1:
        raise ProtocolError(f"soap:Body has {len(children)} element children, expected exactly one",
                            path=src, line=bodies[0].sourceline, rule=RULE_ENVELOPE)
    return children[0]


def detect(tree: etree._ElementTree | etree._Element, *, source: str | None = None) -> Detection:
    """Operation and version of an SMEV 3 SOAP document, from the QName of the body's element.

    A `soap:Fault` takes its version from the namespace of the SMEV fault in its `detail`. Raises `ProtocolError`
    naming the element when the document is not an SMEV 3 message.
    """
    body = soap_body(tree, source=source)
    src = source or _source_of(body)
    uri, local = split_qname(body.tag)
    if uri == SOAP_ENV and local == "Fault":
        return Detection(Operation.FAULT, _fault_version(body, src), body)
    known = classify(uri)
    if known is None or known[1] is not Role.TYPES:
        raise ProtocolError(f"body element {_show(body)} is not in an SMEV 3 types namespace "
                            f"(urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1|1.2|1.3)",
                            path=src, line=body.sourceline, rule=RULE_OPERATION)
    version = known[0]
    try:
        operation = Operation(local)
    except ValueError:
        raise ProtocolError(f"body element {_show(body)} is not an SMEV 3 operation; expected one of "
                            f"{', '.join(op.value for op in operations_for(version) if op is not Operation.FAULT)}",
                            path=src, line=body.sourceline, rule=RULE_OPERATION) from None
    if not operation.exists_in(version):
        raise ProtocolError(f"{local} does not exist in version {version.value} (only in 1.1)",
                            path=src, line=body.sourceline, rule=RULE_OPERATION)
    return Detection(operation, version, body)


def _fault_version(fault: etree._Element, source: str) -> Version:
    for child in fault:
        if isinstance(child.tag, str) and split_qname(child.tag)[1] == "detail":
            for item in child:
                if not isinstance(item.tag, str):
                    continue
                known = classify(split_qname(item.tag)[0])
                if known is not None and known[1] is Role.FAULTS:
                    return known[0]
    raise ProtocolError("soap:Fault carries no SMEV fault in its detail, so its version is unknown",
                        path=source, line=fault.sourceline, rule=RULE_OPERATION)


def _show(element: etree._Element) -> str:
    uri, local = split_qname(element.tag) if isinstance(element.tag, str) else (None, repr(element.tag))
    return f"{{{uri}}}{local}" if uri else local


def _source_of(element: etree._Element) -> str:
    url = element.getroottree().docinfo.URL
    return url or "<input>"
