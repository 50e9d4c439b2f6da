"""Parse SMEV 3 envelopes into the message model.

`parse(data)` accepts bytes (parsed with the hardened `conformance.xmlsafe`), an lxml tree or element. It detects
the operation and version, then reads the body strictly: elements in schema order, nothing unknown, required parts
present, values of the right type. Anything else raises `ProtocolError` naming the file, the line, the element and
the rule `MSG-SCHEMA-ENVELOPE`. Checks that must report *every* problem of a document work on the tree instead
(schema validation, the rule catalogue); this reader is for documents that are meant to be well-formed messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NoReturn, TypeVar

from lxml import etree

from conformance.protocol import model as m
from conformance.protocol.codes import (
    FaultName,
    MessageType,
    RejectionReasonCode,
    SignatureVerificationReason,
    StatusCategory,
)
from conformance.protocol.namespaces import SOAP_ENV, XSI, Namespaces, Version, ns, split_qname
from conformance.protocol.operations import Operation, ProtocolError, detect
from conformance.protocol.schemafacts import FaultShape, SchemaFactError, fault_shape, status_categories
from conformance.protocol.xmlfragment import XmlFragment
from conformance.protocol.xmltext import parse_base64, parse_bool, parse_datetime, parse_int
from conformance.xmlsafe import parse_bytes

RULE_STRUCTURE = "MSG-SCHEMA-ENVELOPE"
"""Whatever the reader refuses is something the envelope schema forbids: it is reported under that rule."""
"""Rule id reported when a body does not have the structure the protocol describes."""

T = TypeVar("T")
XSI_TYPE = f"{{{XSI}}}type"
_XSI_PREFIX = f"{{{XSI}}}"


@dataclass(frozen=True)
class ParsedMessage:
    """A parsed document: what it is and its model. `envelope` is the root element it was read from."""

    operation: Operation
    version: Version
    message: m.Message
    envelope: etree._Element | None = field(default=None, compare=False, repr=False)


def parse(data: bytes | etree._ElementTree | etree._Element, *, source: str | None = None) -> ParsedMessage:
    """Read an SMEV 3 SOAP envelope. `source` names the document in errors (default: the tree's URL)."""
    if isinstance(data, bytes | bytearray | memoryview):
        tree = parse_bytes(bytes(data), source=source or "<input>")
        root = tree.getroot()
    else:
        root = data.getroot() if isinstance(data, etree._ElementTree) else data
    src = source or root.getroottree().docinfo.URL or "<input>"
    detection = detect(root, source=src)
    message = _Reader(ns(detection.version), src).body(detection.operation, detection.body)
    return ParsedMessage(detection.operation, detection.version, message, root)


def parse_body(body: etree._Element, operation: Operation, version: Version, *, source: str = "<input>") -> m.Message:
    """Read the body element `body` (already known to be `operation` of `version`)."""
    return _Reader(ns(version), source).body(operation, body)


class _Children:
    """A cursor over an element's element children that consumes them in schema order."""

    def __init__(self, reader: _Reader, parent: etree._Element):
        self.reader = reader
        self.parent = parent
        self.items = [c for c in parent if isinstance(c.tag, str)]
        self.pos = 0
        for node in parent:
            if isinstance(node.tag, str):
                if node.tail and node.tail.strip():
                    reader.fail(parent, f"unexpected text {node.tail.strip()[:40]!r} in {_name(parent)}")
            elif node.tag is not etree.Comment and node.tag is not etree.PI:
                reader.fail(node, f"unexpected node in {_name(parent)}")
        if parent.text and parent.text.strip() and self.items:
            reader.fail(parent, f"unexpected text {parent.text.strip()[:40]!r} in {_name(parent)}")

    def peek(self, tag: str) -> bool:
        return self.pos < len(self.items) and self.items[self.pos].tag == tag

    def opt(self, tag: str) -> etree._Element | None:
        if self.peek(tag):
            self.pos += 1
            return self.items[self.pos - 1]
        return None

    def req(self, tag: str) -> etree._Element:
        element = self.opt(tag)
        if element is None:
            found = _name(self.items[self.pos]) if self.pos < len(self.items) else "the end of the element"
            self.reader.fail(self.parent, f"{_name(self.parent)} needs {_clark_name(tag)} here, found {found}")
        return element

    def many(self, tag: str) -> list[etree._Element]:
        found = []
        while self.peek(tag):
            found.append(self.items[self.pos])
            self.pos += 1
        return found

    def rest(self) -> list[etree._Element]:
        found = self.items[self.pos:]
        self.pos = len(self.items)
        return found

    def done(self) -> None:
        if self.pos < len(self.items):
            extra = self.items[self.pos]
            self.reader.fail(extra, f"unexpected element {_name(extra)} in {_name(self.parent)}")


class _Reader:
    def __init__(self, namespaces: Namespaces, source: str):
        self.v = namespaces
        self.t, self.b, self.f = namespaces.t, namespaces.b, namespaces.f  # Clark names per namespace
        self.source = source

    # -- primitives --

    def fail(self, element: etree._Element, message: str) -> NoReturn:
        raise ProtocolError(message, path=self.source, line=element.sourceline, rule=RULE_STRUCTURE)


    def text(self, element: etree._Element) -> str:
        if len([c for c in element if isinstance(c.tag, str)]):
            self.fail(element, f"{_name(element)} must hold text, not elements")
        if len(element):  # a comment or PI: c14n drops it from what is signed, `.text` stops at it
            self.fail(element[0], f"{_name(element)} holds a comment or processing instruction: the value signed "
                                  "is not the value read (signature wrapping); send its text alone")
        typing = next((key for key in element.attrib if key.startswith(_XSI_PREFIX)), None)
        if typing is not None:  # xsi:type/xsi:nil retype the field for a validator: the value read is not judged
            self.fail(element, f"unexpected attribute {typing} on {_name(element)}: an SMEV text field is typed by "
                               "its schema, not by the message")
        return element.text or ""

    def opt_text(self, element: etree._Element | None) -> str | None:
        return None if element is None else self.text(element)

    def convert(self, element: etree._Element, convert: Callable[[str], T]) -> T:
        value = self.text(element)
        try:
            return convert(value)
        except ValueError as exc:
            self.fail(element, f"{_name(element)}: {exc}")

    def opt_convert(self, element: etree._Element | None, convert: Callable[[str], T]) -> T | None:
        return None if element is None else self.convert(element, convert)

    def when(self, element: etree._Element) -> datetime:
        return self.convert(element, parse_datetime)

    def enum(self, element: etree._Element, kind: type[T]) -> T:
        value = self.text(element)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(item.value for item in kind)  # type: ignore[attr-defined]
            self.fail(element, f"{_name(element)}: {value!r} is not one of {allowed}")

    def attr_id(self, element: etree._Element) -> str | None:
        return element.get("Id")

    def no_attrs(self, element: etree._Element, *allowed: str) -> None:
        for key in element.attrib:
            if key not in allowed:
                self.fail(element, f"unexpected attribute {key} on {_name(element)}")

    def fragment(self, element: etree._Element) -> XmlFragment:
        return XmlFragment(element)

    def single_child(self, element: etree._Element) -> XmlFragment:
        children = _Children(self, element)
        items = children.rest()
        if len(items) != 1:
            self.fail(element, f"{_name(element)} must hold exactly one element, found {len(items)}")
        return XmlFragment(items[0])

    def signature(self, element: etree._Element | None) -> XmlFragment | None:
        return None if element is None else self.single_child(element)

    # -- bodies --

    def body(self, operation: Operation, element: etree._Element) -> m.Message:
        if operation is Operation.FAULT:
            return self.fault(element)
        cls = m.MESSAGE_CLASSES[operation]
        self.no_attrs(element)
        return getattr(self, f"_{cls.__name__}")(_Children(self, element))

    def _SendRequestRequest(self, c: _Children) -> m.SendRequestRequest:
        data = self.request_data(c.req(self.t("SenderProvidedRequestData")))
        attachments = self.attachments(c.opt(self.b("AttachmentContentList")))
        signature = self.signature(c.opt(self.t("CallerInformationSystemSignature")))
        routing = self.routing(c, "Routing")
        c.done()
        return m.SendRequestRequest(data, attachments, signature, routing)

    def routing(self, c: _Children, local: str) -> XmlFragment | None:
        """1.3's routing block, kept as it came (its content is the routing XSD's to judge)."""
        if self.v.routing is None:
            return None
        element = c.opt(f"{{{self.v.routing}}}{local}")
        return None if element is None else XmlFragment(element)

    def _SendRequestResponse(self, c: _Children) -> m.SendRequestResponse:
        metadata = self.metadata(c.req(self.t("MessageMetadata")))
        signature = self.signature(c.opt(self.t("SMEVSignature")))
        c.done()
        return m.SendRequestResponse(metadata, signature)

    def _SendResponseRequest(self, c: _Children) -> m.SendResponseRequest:
        data = self.response_data(c.req(self.t("SenderProvidedResponseData")))
        attachments = self.attachments(c.opt(self.b("AttachmentContentList")))
        signature = self.signature(c.opt(self.t("CallerInformationSystemSignature")))
        c.done()
        return m.SendResponseRequest(data, attachments, signature)

    def _SendResponseResponse(self, c: _Children) -> m.SendResponseResponse:
        metadata = self.metadata(c.req(self.t("MessageMetadata")))
        signature = self.signature(c.opt(self.t("SMEVSignature")))
        c.done()
        return m.SendResponseResponse(metadata, signature)

    def _GetRequestRequest(self, c: _Children) -> m.GetRequestRequest:
        selector = self.selector(c.req(self.b("MessageTypeSelector")))
        signature = self.signature(c.opt(self.t("CallerInformationSystemSignature")))
        c.done()
        return m.GetRequestRequest(selector, signature)

    def _GetResponseRequest(self, c: _Children) -> m.GetResponseRequest:
        selector = self.selector(c.req(self.b("MessageTypeSelector")))
        signature = self.signature(c.opt(self.t("CallerInformationSystemSignature")))
        c.done()
        return m.GetResponseRequest(selector, signature)

    def _GetRequestResponse(self, c: _Children) -> m.GetRequestResponse:
        holder = c.opt(self.t("RequestMessage"))
        message = None
        if holder is not None:
            self.no_attrs(holder)
            inner = _Children(self, holder)
            request = self.request(inner.req(self.t("Request")))
            attachments = self.attachments(inner.opt(self.b("AttachmentContentList")))
            signature = self.signature(inner.opt(self.t("SMEVSignature")))
            inner.done()
            message = m.RequestMessage(request, attachments, signature)
        c.done()
        return m.GetRequestResponse(message)

    def _GetResponseResponse(self, c: _Children) -> m.GetResponseResponse:
        holder = c.opt(self.t("ResponseMessage"))
        message = None
        if holder is not None:
            self.no_attrs(holder)
            inner = _Children(self, holder)
            response = self.response(inner.req(self.t("Response")))
            attachments = self.attachments(inner.opt(self.b("AttachmentContentList")))
            signature = self.signature(inner.opt(self.t("SMEVSignature")))
            inner.done()
            message = m.ResponseMessage(response, attachments, signature)
        c.done()
        return m.GetResponseResponse(message)

    def _AckRequest(self, c: _Children) -> m.AckRequest:
        element = c.req(self.b("AckTargetMessage"))
        self.no_attrs(element, "Id", "accepted")
        accepted_text = element.get("accepted")
        if accepted_text is None and self.v.version is Version.V1_1:
            self.fail(element, "AckTargetMessage needs the attribute accepted (required in 1.1)")
        try:  # optional from 1.2: an Ack without it takes the message off the queue, as accepted does
            accepted = True if accepted_text is None else parse_bool(accepted_text)
        except ValueError as exc:
            self.fail(element, f"AckTargetMessage/@accepted: {exc}")
        target = m.AckTargetMessage(self.text(element), accepted, self.attr_id(element))
        signature = self.signature(c.opt(self.t("CallerInformationSystemSignature")))
        c.done()
        return m.AckRequest(target, signature)

    def _AckResponse(self, c: _Children) -> m.AckResponse:
        c.done()
        return m.AckResponse()

    def signed_timestamp(self, element: etree._Element) -> m.SignedTimestamp:
        self.no_attrs(element, "Id")
        return m.SignedTimestamp(self.when(element), self.attr_id(element))

    def _GetStatusRequest(self, c: _Children) -> m.GetStatusRequest:
        timestamp = self.signed_timestamp(c.req(self.b("Timestamp")))
        signature = self.signature(c.opt(self.t("CallerInformationSystemSignature")))
        c.done()
        return m.GetStatusRequest(timestamp, signature)

    def _GetStatusResponse(self, c: _Children) -> m.GetStatusResponse:
        holder = c.opt(self.t("SmevAsyncProcessingMessage"))
        message = None
        if holder is not None:
            self.no_attrs(holder)
            inner = _Children(self, holder)
            data_element = inner.req(self.t("AsyncProcessingStatusData"))
            self.no_attrs(data_element, "Id")
            data_children = _Children(self, data_element)
            status = self.async_status(data_children.req(self.t("AsyncProcessingStatus")))
            data_children.done()
            signature = self.signature(inner.opt(self.t("SMEVSignature")))
            inner.done()
            message = m.SmevAsyncProcessingMessage(m.AsyncProcessingStatusData(status, self.attr_id(data_element)),
                                                   signature)
        c.done()
        return m.GetStatusResponse(message)

    def _GetIncomingQueueStatisticsRequest(self, c: _Children) -> m.GetIncomingQueueStatisticsRequest:
        node_id = self.opt_text(c.opt(self.t("NodeID")))
        timestamp = self.signed_timestamp(c.req(self.b("Timestamp")))
        signature = self.signature(c.opt(self.t("CallerInformationSystemSignature")))
        c.done()
        return m.GetIncomingQueueStatisticsRequest(timestamp, node_id, signature)

    def _GetIncomingQueueStatisticsResponse(self, c: _Children) -> m.GetIncomingQueueStatisticsResponse:
        items = []
        for element in c.many(self.t("QueueStatistics")):
            self.no_attrs(element, "queueName", "pendingMessageNumber")
            name = element.get("queueName")
            number = element.get("pendingMessageNumber")
            if name is None or number is None:
                self.fail(element, "QueueStatistics needs the attributes queueName and pendingMessageNumber")
            try:
                count = parse_int(number)
            except ValueError as exc:
                self.fail(element, f"QueueStatistics/@pendingMessageNumber: {exc}")
            items.append(m.QueueStatistics(name, count))
        c.done()
        return m.GetIncomingQueueStatisticsResponse(tuple(items))

    def fault(self, element: etree._Element) -> m.SoapFault:
        c = _Children(self, element)
        code_element = c.req("faultcode")
        faultcode = self.faultcode(code_element)
        faultstring = self.text(c.req("faultstring"))
        faultactor = self.opt_text(c.opt("faultactor"))
        detail = c.req("detail")
        c.done()
        items = [d for d in detail if isinstance(d.tag, str)]
        smev = [d for d in items if split_qname(d.tag)[0] == self.v.faults]
        if len(smev) != 1:
            self.fail(detail, f"detail must carry exactly one SMEV fault of version {self.v.version.value}, "
                              f"found {len(smev)}")
        item = smev[0]
        local = split_qname(item.tag)[1]
        try:
            name = FaultName(local)
        except ValueError:
            self.fail(item, f"{local} is not an SMEV fault; known: {', '.join(f.value for f in FaultName)}")
        if not name.exists_in(self.v.version):
            self.fail(item, f"fault {local} does not exist in version {self.v.version.value}")
        self.no_attrs(item)
        content = self.fault_content(item, self.shape(item, name))
        return m.SoapFault(name, faultstring, content.code, content.description, content.reason,
                           content.validation_errors, faultcode, faultactor, content.details)

    def shape(self, element: etree._Element, name: FaultName) -> FaultShape:
        try:
            return fault_shape(name, self.v.version)
        except SchemaFactError as exc:
            self.fail(element, str(exc))

    def fault_content(self, element: etree._Element, shape: FaultShape | None) -> m.SmevFaultInfo:
        """The content of a fault element by its XSD type (`shape` None: a plain `basic:SmevFault`); the fault's
        `type` is left to the caller."""
        what = shape.name.value if shape is not None else "SmevFault"
        c = _Children(self, element)
        if shape is not None and shape.void:
            if c.items or (element.text or "").strip():
                self.fail(element, f"{what} is basic:Void in {self.v.version.value}: it carries no content")
            return m.SmevFaultInfo()
        code = self.opt_text(c.opt(self.b("Code")))
        description = self.opt_text(c.opt(self.b("Description")))
        reason = None
        errors: list[m.ValidationError] = []
        details: list[tuple[str, str]] = []
        for item_field in shape.fields if shape is not None else ():
            found = c.many(self.f(item_field.name)) if item_field.repeated else [c.opt(self.f(item_field.name))]
            found = [e for e in found if e is not None]
            if item_field.required and not found:
                c.req(self.f(item_field.name))
            for item in found:
                if item_field.name == "ValidationError":
                    self.no_attrs(item, "errorPosition")
                    position = item.get("errorPosition")
                    if position is None:
                        self.fail(item, "ValidationError needs the attribute errorPosition")
                    try:
                        errors.append(m.ValidationError(self.text(item), parse_int(position)))
                    except ValueError as exc:
                        self.fail(item, f"ValidationError/@errorPosition: {exc}")
                elif item_field.name == "SignatureVerificationFault":
                    reason = self.enum(item, SignatureVerificationReason)
                else:
                    details.append((item_field.name, self.text(item)))
        c.done()
        return m.SmevFaultInfo(code, description, None, reason, tuple(errors), tuple(details))

    def faultcode(self, element: etree._Element) -> tuple[str, str]:
        value = self.text(element).strip()
        prefix, _, local = value.rpartition(":")
        uri = element.nsmap.get(prefix or None)
        if uri is None:
            self.fail(element, f"faultcode {value!r} uses an undeclared prefix")
        return uri, local

    # -- structures --

    def request_data(self, element: etree._Element) -> m.SenderProvidedRequestData:
        self.no_attrs(element, "Id")
        c = _Children(self, element)
        message_id = self.text(c.req(self.t("MessageID")))
        reference = self.opt_text(c.opt(self.t("ReferenceMessageID")))
        transaction = self.opt_text(c.opt(self.t("TransactionCode")))
        node_id = self.opt_text(c.opt(self.t("NodeID")))
        eol_element = c.opt(self.t("EOL"))
        eol = None if eol_element is None else self.when(eol_element)
        content, personal, headers, refs = self.primary_content(c, required=True)
        bpm_element = c.opt(self.t("BusinessProcessMetadata"))
        bpm = None
        if bpm_element is not None:
            bpm = tuple(XmlFragment(x) for x in _Children(self, bpm_element).rest())
        test_element = c.opt(self.t("TestMessage"))
        if test_element is not None and (len(test_element) or (test_element.text or "").strip()):
            self.fail(test_element, "TestMessage must be empty")
        c.done()
        return m.SenderProvidedRequestData(
            message_id=message_id, content=content, reference_message_id=reference, transaction_code=transaction,
            node_id=node_id, eol=eol, personal_signature=personal, attachment_headers=headers,
            ref_attachment_headers=refs, business_process_metadata=bpm, test_message=test_element is not None,
            id=self.attr_id(element))

    def primary_content(self, c: _Children, *, required: bool):
        holder = c.req(self.b("MessagePrimaryContent")) if required else c.opt(self.b("MessagePrimaryContent"))
        if holder is None:
            return None, None, None, None
        content = self.single_child(holder)
        personal = self.signature(c.opt(self.t("PersonalSignature")))
        headers = None
        header_list = c.opt(self.b("AttachmentHeaderList"))
        if header_list is not None:
            hc = _Children(self, header_list)
            headers = tuple(self.attachment_header(h) for h in hc.many(self.b("AttachmentHeader")))
            hc.done()
            if not headers:
                self.fail(header_list, "AttachmentHeaderList needs at least one AttachmentHeader")
        refs = None
        ref_list = c.opt(self.b("RefAttachmentHeaderList"))
        if ref_list is not None:
            rc = _Children(self, ref_list)
            refs = tuple(self.ref_header(r) for r in rc.many(self.b("RefAttachmentHeader")))
            rc.done()
            if not refs:
                self.fail(ref_list, "RefAttachmentHeaderList needs at least one RefAttachmentHeader")
        return content, personal, headers, refs

    def later_text(self, c: _Children, local: str) -> str | None:
        """A text field 1.3 added to attachment headers (absent from 1.1)."""
        return self.opt_text(c.opt(self.b(local))) if self.v.version is not Version.V1_1 else None

    def archive(self, c: _Children) -> tuple[m.ArchiveFile, ...] | None:
        element = c.opt(self.b("Archive")) if self.v.version is not Version.V1_1 else None
        if element is None:
            return None
        ac = _Children(self, element)
        files = []
        for item in ac.many(self.b("File")):
            fc = _Children(self, item)
            files.append(m.ArchiveFile(self.text(fc.req(self.b("Name"))), self.text(fc.req(self.b("NamespaceUri")))))
            fc.done()
        ac.done()
        if not files:
            self.fail(element, "Archive needs at least one File")
        return tuple(files)

    def attachment_header(self, element: etree._Element) -> m.AttachmentHeader:
        c = _Children(self, element)
        content_id = self.text(c.req(self.b("contentId")))
        namespace_uri = self.later_text(c, "NamespaceUri")
        mime = self.text(c.req(self.b("MimeType")))
        pkcs7 = self.opt_convert(c.opt(self.b("SignaturePKCS7")), parse_base64)
        archive = self.archive(c)
        c.done()
        return m.AttachmentHeader(content_id, mime, pkcs7, namespace_uri, archive)

    def ref_header(self, element: etree._Element) -> m.RefAttachmentHeader:
        c = _Children(self, element)
        uuid = self.text(c.req(self.b("uuid")))
        file_name = self.later_text(c, "FileName")
        namespace_uri = self.later_text(c, "NamespaceUri")
        digest = self.convert(c.req(self.b("Hash")), parse_base64)
        mime = self.text(c.req(self.b("MimeType")))
        pkcs7 = self.opt_convert(c.opt(self.b("SignaturePKCS7")), parse_base64)
        archive = self.archive(c)
        c.done()
        return m.RefAttachmentHeader(uuid, digest, mime, pkcs7, file_name, namespace_uri, archive)

    def response_data(self, element: etree._Element) -> m.SenderProvidedResponseData:
        self.no_attrs(element, "Id")
        c = _Children(self, element)
        message_id = self.text(c.req(self.t("MessageID")))
        to = self.text(c.req(self.t("To")))
        answer: m.ResponseAnswer
        if c.peek(self.b("MessagePrimaryContent")):
            content, personal, headers, refs = self.primary_content(c, required=True)
            answer = m.BusinessAnswer(content, personal, headers, refs)
        elif c.peek(self.t("RequestRejected")):
            reasons = []
            for item in c.many(self.t("RequestRejected")):
                ic = _Children(self, item)
                code = self.enum(ic.req(self.t("RejectionReasonCode")), RejectionReasonCode)
                description = self.text(ic.req(self.t("RejectionReasonDescription")))
                ic.done()
                reasons.append(m.RequestRejected(code, description))
            answer = m.Rejection(tuple(reasons))
        elif c.peek(self.t("RequestStatus")):
            item = c.req(self.t("RequestStatus"))
            ic = _Children(self, item)
            code = self.convert(ic.req(self.t("StatusCode")), parse_int)
            parameters = []
            for pair in ic.many(self.t("StatusParameter")):
                pc = _Children(self, pair)
                key = self.text(pc.req(self.t("Key")))
                value = self.text(pc.req(self.t("Value")))
                pc.done()
                parameters.append(m.StatusParameter(key, value))
            description = self.text(ic.req(self.t("StatusDescription")))
            ic.done()
            answer = m.RequestStatus(code, description, tuple(parameters))
        elif c.peek(self.t("AsyncProcessingStatus")):
            answer = self.async_status(c.req(self.t("AsyncProcessingStatus")))
        else:
            self.fail(element, "SenderProvidedResponseData needs, after To, MessagePrimaryContent, RequestRejected, "
                               "RequestStatus or AsyncProcessingStatus")
        c.done()
        return m.SenderProvidedResponseData(message_id, to, answer, self.attr_id(element))

    def async_status(self, element: etree._Element) -> m.AsyncProcessingStatus:
        c = _Children(self, element)
        original = self.text(c.req(self.t("OriginalMessageId")))
        category = self.status(c.req(self.t("StatusCategory")))
        details = self.opt_text(c.opt(self.t("StatusDetails")))
        routing_status = self.routing(c, "RoutingStatus")
        fault_element = c.opt(self.t("SmevFault"))
        fault = None
        if fault_element is not None:
            self.no_attrs(fault_element, XSI_TYPE)
            type_name = self.xsi_type(fault_element)
            shape = None if type_name is None else self.shape(fault_element, type_name)
            if shape is not None and not shape.named_type:
                self.fail(fault_element, f"xsi:type {type_name.value} is not a complex type of the faults schema")
            fault = replace(self.fault_content(fault_element, shape), type=type_name)
        c.done()
        return m.AsyncProcessingStatus(original, category, details, fault, routing_status)

    def xsi_type(self, element: etree._Element) -> FaultName | None:
        value = element.get(XSI_TYPE)
        if value is None:
            return None
        prefix, _, local = value.strip().rpartition(":")
        if element.nsmap.get(prefix or None) != self.v.faults:
            self.fail(element, f"xsi:type {value!r} is not a type of the faults namespace {self.v.faults}")
        try:
            return FaultName(local)
        except ValueError:
            self.fail(element, f"xsi:type {value!r} is not an SMEV fault type")

    def status(self, element: etree._Element) -> StatusCategory:
        category = self.enum(element, StatusCategory)
        if category not in status_categories(self.v.version):
            allowed = ", ".join(sorted(c.value for c in status_categories(self.v.version)))
            self.fail(element, f"{_name(element)}: {category.value!r} does not exist in version "
                               f"{self.v.version.value} (valid: {allowed})")
        return category

    def attachments(self, element: etree._Element | None) -> tuple[m.AttachmentContent, ...] | None:
        if element is None:
            return None
        c = _Children(self, element)
        items = []
        for item in c.many(self.b("AttachmentContent")):
            ic = _Children(self, item)
            content_id = self.text(ic.req(self.b("Id")))
            content = self.convert(ic.req(self.b("Content")), parse_base64)
            ic.done()
            items.append(m.AttachmentContent(content_id, content))
        c.done()
        if not items:
            self.fail(element, "AttachmentContentList needs at least one AttachmentContent")
        return tuple(items)

    def fs_attachments(self, element: etree._Element | None) -> tuple[m.FSAttachment, ...] | None:
        if element is None:
            return None
        c = _Children(self, element)
        items = []
        for item in c.many(self.b("FSAttachment")):
            ic = _Children(self, item)
            items.append(m.FSAttachment(self.text(ic.req(self.b("uuid"))), self.text(ic.req(self.b("UserName"))),
                                        self.text(ic.req(self.b("Password"))),
                                        self.text(ic.req(self.b("FileName")))))
            ic.done()
        c.done()
        if not items:
            self.fail(element, "FSAttachmentsList needs at least one FSAttachment")
        return tuple(items)

    def selector(self, element: etree._Element) -> m.MessageTypeSelector:
        self.no_attrs(element, "Id")
        c = _Children(self, element)
        namespace_uri = self.opt_text(c.opt(self.b("NamespaceURI")))
        root_name = self.opt_text(c.opt(self.b("RootElementLocalName")))
        timestamp = self.when(c.req(self.b("Timestamp")))
        node_id = self.opt_text(c.opt(self.b("NodeID")))
        c.done()
        return m.MessageTypeSelector(timestamp, namespace_uri, root_name, node_id, self.attr_id(element))

    def party(self, element: etree._Element | None) -> m.Party | None:
        if element is None:
            return None
        c = _Children(self, element)
        mnemonic = self.opt_text(c.opt(self.t("Mnemonic")))
        holder = c.opt(self.t("HumanReadableName")) if self.v.version is Version.V1_2 else \
            c.req(self.t("HumanReadableName"))  # real 1.2 answers carry the Mnemonic alone
        name = self.opt_text(holder)
        c.done()
        return m.Party(name, mnemonic)

    def metadata(self, element: etree._Element) -> m.MessageMetadata:
        self.no_attrs(element, "Id")
        legacy = self.v.version is Version.V1_1
        c = _Children(self, element)
        message_id = self.opt_text(c.opt(self.t("MessageId")))
        type_element = c.req(self.t("MessageType"))
        message_type = self.enum(type_element, MessageType)
        if not message_type.allowed_in(self.v.version):
            self.fail(type_element, f"MessageType {message_type.value} does not exist in version {self.v.version}")
        sender = self.party(c.opt(self.t("Sender")))
        sending = self.when(c.req(self.t("SendingTimestamp")))
        broker = self.opt_text(c.opt(self.t("MessageBroker"))) if legacy else None
        destination = self.opt_text(c.opt(self.t("DestinationName"))) if legacy else None
        recipient = self.party(c.opt(self.t("Recipient")))
        supplementary = None
        if legacy:
            sup = c.opt(self.t("SupplementaryData"))
            if sup is not None:
                sc = _Children(self, sup)
                detected = self.opt_text(sc.opt(self.t("DetectedContentTypeName")))
                interaction = self.text(sc.req(self.t("InteractionType")))
                sc.done()
                supplementary = m.SupplementaryData(interaction, detected)
        delivery_element = c.opt(self.t("DeliveryTimestamp"))
        delivery = None if delivery_element is None else self.when(delivery_element)
        status_element = c.opt(self.t("Status"))
        status = None if status_element is None else self.status(status_element)
        c.done()
        return m.MessageMetadata(message_type, sending, message_id, sender, destination, recipient, supplementary,
                                 delivery, status, self.attr_id(element), broker)

    def request(self, element: etree._Element) -> m.Request:
        self.no_attrs(element, "Id")
        c = _Children(self, element)
        data = self.request_data(c.req(self.t("SenderProvidedRequestData")))
        metadata = self.metadata(c.req(self.t("MessageMetadata")))
        fs = self.fs_attachments(c.opt(self.b("FSAttachmentsList")))
        reply_to = self.opt_text(c.opt(self.t("ReplyTo")))
        signature = self.signature(c.opt(self.t("SenderInformationSystemSignature")))
        c.done()
        return m.Request(data, metadata, fs, reply_to, signature, self.attr_id(element))

    def response(self, element: etree._Element) -> m.Response:
        self.no_attrs(element, "Id")
        c = _Children(self, element)
        original = self.opt_text(c.opt(self.t("OriginalMessageId")))
        original_tc = self.opt_text(c.opt(self.t("OriginalTransactionCode")))
        reference = self.opt_text(c.opt(self.t("ReferenceMessageID")))
        data = self.response_data(c.req(self.t("SenderProvidedResponseData")))
        metadata = self.metadata(c.req(self.t("MessageMetadata")))
        fs = self.fs_attachments(c.opt(self.b("FSAttachmentsList")))
        signature = self.signature(c.opt(self.t("SenderInformationSystemSignature")))
        c.done()
        return m.Response(data, metadata, original, original_tc, reference, fs, signature, self.attr_id(element))


def _name(element: etree._Element) -> str:
    if not isinstance(element.tag, str):
        return "a comment or processing instruction"
    return split_qname(element.tag)[1]


def _clark_name(tag: str) -> str:
    uri, local = split_qname(tag)
    if uri == SOAP_ENV:
        return f"soap:{local}"
    return local
