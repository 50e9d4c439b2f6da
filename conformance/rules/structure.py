"""Family `MSG-…`, structure: the SOAP envelope, one SMEV version, only the blocks the protocol describes, Ids,
field lengths and the place of `TestMessage`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from lxml import etree

from conformance.findings import Severity
from conformance.protocol.facts import smev_name
from conformance.protocol.namespaces import SOAP_ENV, XMLDSIG, XOP, XSI, Role, Version, classify, split_qname
from conformance.protocol.operations import RULE_ENVELOPE, RULE_OPERATION
from conformance.protocol.schemafacts import fault_shapes
from conformance.rules import recipes as ex
from conformance.rules.catalogue import examples, rule
from conformance.rules.context import CheckContext, NotApplicable, Violation, applies
from conformance.rules.helpers import text_of

_PROTOCOL_STRUCTURES = "SMEV 3 protocol: Main structures"


@examples(bad=[ex.broken("the SendRequest in a SOAP 1.2 envelope", "send_request", ex.soap12)],
          good=[ex.valid("send_request")])
@rule(RULE_ENVELOPE, "The document is a SOAP 1.1 envelope with exactly one body element", Severity.ERROR,
      "SMEV 3 protocol: Transport and versions (SOAP 1.1, document/literal)")
def soap_envelope(ctx: CheckContext) -> Iterator[Violation]:
    error = ctx.detection_error
    if error is not None and error.rule == RULE_ENVELOPE:
        if ctx.foreign is not None:  # e.g. SOAP 1.2: say what it is, once
            yield Violation(ctx.foreign.description, ctx.foreign.element)
        else:
            yield Violation(error.detail, _element_at(ctx, error.line))
        return
    if ctx.foreign is None:  # another protocol's message (SMEV 2) is named once, by MSG-SOAP-OPERATION
        yield from _must_understand(ctx.root)


_MUST_UNDERSTAND = f"{{{SOAP_ENV}}}mustUnderstand"
_ACTOR = f"{{{SOAP_ENV}}}actor"
_ACTOR_NEXT = "http://schemas.xmlsoap.org/soap/actor/next"


def _must_understand(root: etree._Element) -> Iterator[Violation]:
    """SOAP 1.1 §4.2.3: a header block with mustUnderstand="1" for the ultimate receiver (no actor, or the "next"
    one) must be processed or the message refused. SMEV 3 defines no SOAP header block, so the bus answers such a
    message with a soap:MustUnderstand fault (typically a WS-Security header kept from SMEV 2)."""
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        return
    for header in root.iterchildren(f"{{{SOAP_ENV}}}Header"):
        for block in header:
            if not isinstance(block.tag, str):
                continue
            flag = (block.get(_MUST_UNDERSTAND) or "").strip()
            actor = (block.get(_ACTOR) or "").strip()
            if flag in ("1", "true") and actor in ("", _ACTOR_NEXT):
                yield Violation(f"header block {block.tag} carries soap:mustUnderstand=\"{flag}\" for the bus: "
                                "SMEV 3 processes no SOAP header block, so it refuses the message with a "
                                "soap:MustUnderstand fault", block)


@examples(bad=[ex.broken("the SendRequest's body element renamed SendMessageRequest", "send_request",
                         ex.unknown_operation)],
          good=[ex.valid("send_request")])
@rule(RULE_OPERATION, "The body element is an SMEV 3 operation of version 1.1, 1.2 or 1.3", Severity.ERROR,
      "SMEV 3 protocol: Operations; Transport and versions",
      "A document that is no SMEV 3 message is named once, here (an SMEV 2 message, a SOAP message of another "
      "service), and every other rule skips it. A plain SOAP fault without SMEV detail is the bus's own answer to a "
      "call it could not process: this rule and all others skip it, naming it, instead of calling it unsigned.")
def soap_operation(ctx: CheckContext) -> Iterator[Violation]:
    error = ctx.detection_error
    if error is not None and error.rule == RULE_ENVELOPE:
        raise NotApplicable("the document is not a SOAP envelope with one body element (MSG-SOAP-ENVELOPE)")
    if ctx.foreign is not None and ctx.foreign.legitimate:
        raise NotApplicable(ctx.foreign.description)
    if ctx.foreign is not None:
        yield Violation(ctx.foreign.description, ctx.foreign.element)
    elif error is not None:
        yield Violation(error.detail, _element_at(ctx, error.line))


def _element_at(ctx: CheckContext, line: int | None) -> etree._Element:
    if line is not None:
        for element in ctx.root.iter():
            if isinstance(element.tag, str) and element.sourceline == line:
                return element
    return ctx.root


@examples(bad=[ex.broken("a 1.3 SendRequest whose MessageID is in the 1.2 namespace", "send_request", ex.mixed_version,
                         "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-NS-VERSION", "Every SMEV namespace in the message is of the same schema version", Severity.ERROR,
      f"697 §11о; {_PROTOCOL_STRUCTURES} (namespaces carry the version)",
      "Judges the SMEV part of the message only: business payloads (MessagePrimaryContent, BusinessProcessMetadata, "
      "StatusDetails, …) and signatures are other parties' XML, where any namespace, an SMEV one of another version "
      "included (a payload quoting an envelope), is legitimate.")
def one_version(ctx: CheckContext) -> Iterator[Violation]:
    version = ctx.version
    if version is None:
        raise NotApplicable("the message's version is unknown (see MSG-SOAP-OPERATION)")
    for element in _protocol_elements(ctx.body):
        known = classify(split_qname(element.tag)[0])
        if known is not None and known[0] is not version:
            yield Violation(f"{split_qname(element.tag)[1]} is in the {known[0].value} namespace "
                            f"{split_qname(element.tag)[0]}, but the message is version {version.value}", element)


def _protocol_elements(body: etree._Element) -> Iterator[etree._Element]:
    """The elements of the SMEV part of a message, in document order: the business payloads (the children of the
    any-content blocks) and the contents of signatures left out."""
    stack = [body]
    while stack:
        element = stack.pop()
        yield element
        if smev_name(element) in _ANY_CONTENT or split_qname(element.tag)[0] == XMLDSIG:
            continue
        stack.extend(reversed([child for child in element if isinstance(child.tag, str)]))


# The blocks and elements of the protocol: parent -> children it may hold (local names in the SMEV namespaces).
# Checked against the official 1.1 and 1.3 XSDs by tests/rules/test_rules_official_blocks.py: every parent/child
# pair and attribute they declare is described here (1.2 lies between them).
_TYPED_FAULT_FIELDS = frozenset(field.name for version in Version for shape in fault_shapes(version).values()
                                 if shape.named_type for field in shape.fields)
"""What an `xsi:type`d SmevFault may hold beyond Code and Description: the faults XSDs' extension elements."""
_SIGNATURE_WRAPPERS = frozenset({"CallerInformationSystemSignature", "SMEVSignature",
                                 "SenderInformationSystemSignature", "PersonalSignature", "RecordSignature",
                                 "RoutingSignature"})
_ANY_CONTENT = frozenset({"MessagePrimaryContent", "BusinessProcessMetadata", "StatusDetails", "RecordContent"})

_CHILDREN: dict[str, frozenset[str]] = {name: frozenset(children.split()) for name, children in {
    "SendRequestRequest": "SenderProvidedRequestData Routing AttachmentContentList CallerInformationSystemSignature",
    "SendRequestResponse": "MessageMetadata SMEVSignature",
    "SendResponseRequest": "SenderProvidedResponseData AttachmentContentList CallerInformationSystemSignature",
    "SendResponseResponse": "MessageMetadata SMEVSignature",
    "GetRequestRequest": "MessageTypeSelector CallerInformationSystemSignature",
    "GetRequestResponse": "RequestMessage",
    "GetResponseRequest": "MessageTypeSelector CallerInformationSystemSignature",
    "GetResponseResponse": "ResponseMessage",
    "AckRequest": "AckTargetMessage CallerInformationSystemSignature",
    "AckResponse": "",
    "GetStatusRequest": "Timestamp CallerInformationSystemSignature",
    "GetStatusResponse": "SmevAsyncProcessingMessage",
    "GetIncomingQueueStatisticsRequest": "NodeID Timestamp CallerInformationSystemSignature",
    "GetIncomingQueueStatisticsResponse": "QueueStatistics",
    "RequestMessage": "Request Cancel AttachmentContentList SMEVSignature",
    "Cancel": "MessageID MessageReference MessageMetadata SenderInformationSystemSignature",
    "ResponseMessage": "Response AttachmentContentList SMEVSignature",
    "SmevAsyncProcessingMessage": "AsyncProcessingStatusData SMEVSignature",
    "AsyncProcessingStatusData": "AsyncProcessingStatus",
    "SenderProvidedRequestData": "MessageID ReferenceMessageID TransactionCode NodeID EOL MessagePrimaryContent "
                                 "PersonalSignature AttachmentHeaderList RefAttachmentHeaderList "
                                 "BusinessProcessMetadata TestMessage",
    "SenderProvidedResponseData": "MessageID To MessagePrimaryContent PersonalSignature AttachmentHeaderList "
                                  "RefAttachmentHeaderList RequestRejected RequestStatus AsyncProcessingStatus",
    "RequestRejected": "RejectionReasonCode RejectionReasonDescription",
    "RequestStatus": "StatusCode StatusParameter StatusDescription",
    "StatusParameter": "Key Value",
    "AsyncProcessingStatus": "OriginalMessageId StatusCategory StatusDetails SmevFault RoutingStatus",
    # basic:SmevFault, and what its xsi:type extensions in the faults namespace add (InvalidContent: ValidationError+)
    "SmevFault": "Code Description " + " ".join(sorted(_TYPED_FAULT_FIELDS)),
    "Request": "SenderProvidedRequestData MessageMetadata FSAttachmentsList ReplyTo SenderInformationSystemSignature",
    "Response": "OriginalMessageId OriginalTransactionCode ReferenceMessageID SenderProvidedResponseData "
                "MessageMetadata FSAttachmentsList SenderInformationSystemSignature",
    "MessageMetadata": "MessageId MessageType Sender SendingTimestamp MessageBroker DestinationName Recipient "
                       "SupplementaryData DeliveryTimestamp Status",
    "Sender": "Mnemonic HumanReadableName",
    "Recipient": "Mnemonic HumanReadableName",
    "SupplementaryData": "DetectedContentTypeName InteractionType",
    "MessageTypeSelector": "NamespaceURI RootElementLocalName Timestamp NodeID",
    "AttachmentHeaderList": "AttachmentHeader",
    "AttachmentHeader": "contentId MimeType SignaturePKCS7 Archive NamespaceUri",
    "RefAttachmentHeaderList": "RefAttachmentHeader",
    "RefAttachmentHeader": "uuid Hash MimeType SignaturePKCS7 FileName Archive NamespaceUri",
    "Archive": "File",
    "File": "Name NamespaceUri",
    "AttachmentContentList": "AttachmentContent",
    "AttachmentContent": "Id Content",
    "FSAttachmentsList": "FSAttachment",
    "FSAttachment": "uuid UserName Password FileName",
    "QueueStatistics": "",
    # 1.3 routing (namespace .../routing/1.3) and directive (registries of records)
    "Routing": "RoutingInformation RoutingSignature",
    "RoutingInformation": "MessageID DynamicRouting IdentifierRouting RegistryRouting",
    "DynamicRouting": "DynamicValue",
    "IdentifierRouting": "IdentifierValue",
    "RegistryRouting": "RegistryRecordRouting",
    "RegistryRecordRouting": "RecordId UseGeneralRouting DynamicRouting IdentifierRouting",
    "RoutingStatus": "DynamicRoutingStatus IdentifierRoutingStatus RegistryRoutingStatus",
    "DynamicRoutingStatus": "DynamicValue RoutingStatusCode",
    "IdentifierRoutingStatus": "IdentifierValue RoutingStatusCode",
    "RegistryRoutingStatus": "RecordId RoutingStatusCode DynamicRoutingStatus IdentifierRoutingStatus",
    "Registry": "RegistryRecord",
    "RegistryRecord": "RecordId Record RecordSignature",
    "Record": "RecordContent PersonalSignature AttachmentHeaderList RefAttachmentHeaderList",
}.items()}
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "AckTargetMessage": frozenset({"Id", "accepted"}),
    "QueueStatistics": frozenset({"queueName", "pendingMessageNumber"}),
    "SmevFault": frozenset({"Id", f"{{{XSI}}}type"}),  # an asynchronous fault names its kind by xsi:type
    "ValidationError": frozenset({"errorPosition"}),
}


def _element_children(element: etree._Element) -> Iterator[etree._Element]:
    return (child for child in element if isinstance(child.tag, str))


@examples(bad=[ex.broken("a Priority element the protocol does not describe, in SenderProvidedRequestData",
                         "send_request", ex.extra_block, "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-BLOCKS-DESCRIBED", "Only the blocks, elements and attributes the protocol describes are used",
      Severity.ERROR, "697 §11о (blocks and data elements other than those described are not allowed); 697 §6л",
      "Walks the SMEV part of the message (not the business payload, not ds:Signature contents) and reports every "
      "element that its parent may not hold and every attribute the protocol does not describe.")
def blocks_described(ctx: CheckContext) -> Iterator[Violation]:
    body = ctx.body
    if ctx.operation is not None and ctx.operation.value == "Fault":
        raise NotApplicable("a SOAP fault is the bus's answer; its detail is checked by the schema")
    stack = [body]
    while stack:
        element = stack.pop()
        local = smev_name(element)
        if local is None:
            continue
        allowed_attrs = _ATTRIBUTES.get(local, frozenset({"Id"}))
        for name in element.attrib:
            if name not in allowed_attrs:
                yield Violation(f"attribute {name} is not described on {local}", element)
        if local in _ANY_CONTENT:
            continue
        for child in _element_children(element):
            uri, child_local = split_qname(child.tag)
            if local in _SIGNATURE_WRAPPERS:
                if uri != XMLDSIG or child_local != "Signature":
                    yield Violation(f"{local} may hold only ds:Signature, not {child_local}", child)
                continue
            if uri == XOP and child_local == "Include" and local not in _CHILDREN:
                continue  # MTOM: any base64Binary value (Content, SignaturePKCS7, …) may be sent as a MIME part
            if classify(uri) is None:
                yield Violation(f"{child_local} (namespace {uri or 'none'}) is not an element of the protocol "
                                f"and may not appear in {local}", child)
                continue
            if local not in _CHILDREN:
                yield Violation(f"{local} is a value element and may not hold the element {child_local}", child)
                continue
            if child_local not in _CHILDREN[local]:
                yield Violation(f"{child_local} is not described as a part of {local}", child)
                continue
            stack.append(child)


@examples(bad=[ex.broken("MessagePrimaryContent carries the Id of the signed block", "send_request", ex.duplicate_id,
                         "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-XMLID-UNIQUE", "Id attributes are unique in the document", Severity.ERROR,
      "SMEV 3 protocol: Signatures (a Reference URI=\"#Id\" must name one element); XML 1.0 ID validity",
      "Two elements with the same Id make a signature's target ambiguous, the classic signature-wrapping attack. "
      "In the SMEV part, `Id` and `ID` attributes count; a lower-case `id`, and any Id inside a business payload "
      "(whose own schema decides what its `ID` attributes mean: repeated ones are common there), only when a "
      "ds:Reference points at its value, which is what wrapping needs.")
def ids_unique(ctx: CheckContext) -> Iterator[Violation]:
    referenced = {uri[1:] for uri in ctx.xpath("//ds:Reference/@URI") if uri.startswith("#")}
    payload = {id(e) for block in ctx.root.iter() if smev_name(block) in _ANY_CONTENT
               for e in block.iterdescendants()}
    seen: dict[str, list[etree._Element]] = defaultdict(list)
    for element in ctx.root.iter():
        if isinstance(element.tag, str):
            inside_payload = id(element) in payload
            for name, value in element.attrib.items():
                local = split_qname(name)[1]
                if (local in ("Id", "ID") and not inside_payload) or (local in ("Id", "ID", "id")
                                                                      and value in referenced):
                    seen[value].append(element)
    if not seen:
        raise NotApplicable("no element carries an Id")
    for value, elements in seen.items():
        for element in elements[1:]:
            yield Violation(f"Id {value!r} is used {len(elements)} times (first at line {elements[0].sourceline})",
                            element)


def _length_rule(ctx: CheckContext, name: str, limit: int, empty_allowed: bool = False) -> Iterator[Violation]:
    found = [e for e in ctx.elements_named(name) if smev_name(e.getparent()) in
             ("SenderProvidedRequestData", "MessageTypeSelector", "GetIncomingQueueStatisticsRequest")]
    if not found:
        raise NotApplicable(f"the message has no {name}")
    for element in found:
        value = text_of(element)
        if not value.strip() and not empty_allowed:
            yield Violation(f"{name} is empty", element)
        elif len(value) > limit:
            yield Violation(f"{name} is {len(value)} characters long; at most {limit} are allowed", element)


@examples(bad=[ex.broken("a TransactionCode of 1501 characters", "send_request",
                         ex.set_text("TransactionCode", "x" * 1501), "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-FIELD-TRANSACTION-CODE", "TransactionCode is not empty and at most 1500 characters", Severity.ERROR,
      f"{_PROTOCOL_STRUCTURES} (TransactionCode ≤ 1500); fault TransactionCodeInvalid")
def transaction_code(ctx: CheckContext) -> Iterator[Violation]:
    yield from _length_rule(ctx, "TransactionCode", 1500)


@examples(bad=[ex.broken("a NodeID of 51 characters", "send_request", ex.set_text("NodeID", "n" * 51),
                         "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-FIELD-NODE-ID", "NodeID is at most 50 characters", Severity.ERROR,
      f"{_PROTOCOL_STRUCTURES} (NodeID ≤ 50); official XSD basic:string-50 (no minimum length)",
      "An empty NodeID is allowed: the official XSDs give NodeID no minimum length and the bus queues messages with "
      "an empty <NodeID/> (real 1.1 traffic, Rosreestr). Only the 50-character limit is a fault.")
def node_id(ctx: CheckContext) -> Iterator[Violation]:
    yield from _length_rule(ctx, "NodeID", 50, empty_allowed=True)


@examples(bad=[ex.broken("TestMessage moved before the content", "send_request", ex.misplaced_test_message,
                         "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-TEST-MESSAGE", "TestMessage is empty, appears once, last in SenderProvidedRequestData only",
      Severity.ERROR, f"{_PROTOCOL_STRUCTURES} (SenderProvidedRequestData: ..., TestMessage? as an empty element); "
      "SMEV 3 protocol: Identifiers and time (TestMessage)",
      "A test message must be recognisable as one by the provider (which must not change its data); a TestMessage "
      "anywhere else is not described and would be ignored.")
def test_message(ctx: CheckContext) -> Iterator[Violation]:
    found = applies(ctx.elements_named("TestMessage"), "the message is not marked as a test message")
    last: dict[etree._Element, tuple[etree._Element, int]] = {}  # parent -> (last child, TestMessages): once each
    for element in found:
        parent = element.getparent()
        if smev_name(parent) != "SenderProvidedRequestData":
            yield Violation(f"TestMessage may appear only in SenderProvidedRequestData, not in {smev_name(parent)}",
                            element)
            continue
        if len(element) or text_of(element).strip():
            yield Violation("TestMessage must be an empty element", element)
        if parent not in last:
            siblings = list(_element_children(parent))
            last[parent] = (siblings[-1], sum(1 for c in siblings if smev_name(c) == "TestMessage"))
        final, count = last[parent]
        if final is not element:
            yield Violation("TestMessage must be the last element of SenderProvidedRequestData", element)
        if count > 1 and element is not final:
            yield Violation("TestMessage appears more than once", element)


def _directive_registry(element: etree._Element) -> bool:
    """`directive:Registry` of 1.3 (official directive XSD): the business content of a directive message type, its
    records' own business elements inside `RecordContent`; the basic XSD's `##other` wildcard admits it."""
    known = classify(split_qname(element.tag)[0])
    return known is not None and known[1] is Role.DIRECTIVE and etree.QName(element).localname == "Registry"


@examples(bad=[ex.broken("a second business element in MessagePrimaryContent", "send_request",
                         ex.second_business_element, "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-CONTENT-SINGLE", "MessagePrimaryContent holds exactly one business element, of a non-SMEV namespace",
      Severity.ERROR, f"{_PROTOCOL_STRUCTURES} (basic:MessagePrimaryContent: exactly one business element of another "
      "namespace); 697 §6л")
def content_single(ctx: CheckContext) -> Iterator[Violation]:
    found = applies(ctx.elements_named("MessagePrimaryContent"), "the message has no MessagePrimaryContent")
    for content in found:
        children = list(_element_children(content))
        if (content.text or "").strip() or any((c.tail or "").strip() for c in content):
            yield Violation("MessagePrimaryContent holds text outside its business element", content)
        if len(children) != 1:
            yield Violation(f"MessagePrimaryContent holds {len(children)} elements, not exactly one", content)
            continue
        uri = split_qname(children[0].tag)[0]
        if _directive_registry(children[0]):
            continue  # 1.3's directive message types carry their records in directive:Registry
        if uri is None or classify(uri) is not None or uri in (XMLDSIG, XOP, SOAP_ENV):
            yield Violation(f"the business element {split_qname(children[0].tag)[1]} must be in its own namespace, "
                            f"not {uri or 'no namespace'}", children[0])
