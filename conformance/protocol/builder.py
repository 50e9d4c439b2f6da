"""Build SOAP 1.1 envelopes from the message model, for any version.

`build(message, version)` gives the bytes of a whole envelope; `build_element` the envelope element; `build_body`
the body's element alone. A `sign` callable, when given, is applied to the envelope element before serialisation
(signing engines add their signatures with `place_signature`, which puts each wrapper where the schema wants it).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from conformance.protocol import model as m
from conformance.protocol.codes import FaultName, StatusCategory
from conformance.protocol.namespaces import SOAP_ENV, XSI, Namespaces, Version, ns
from conformance.protocol.operations import Operation, SigningSpec, locate
from conformance.protocol.schemafacts import (
    FaultShape,
    SchemaFactError,
    fault_shape,
    interaction_types,
    status_categories,
)
from conformance.protocol.xmlfragment import XmlFragment
from conformance.protocol.xmltext import format_base64, format_bool, format_datetime

Sign = Callable[[etree._Element, Operation, Version], None]
"""A signing hook: gets the envelope element, the body kind and the version, and adds signatures in place."""


class BuildError(ValueError):
    """The message cannot be written in the requested version (e.g. GetIncomingQueueStatistics in 1.3)."""


def build(message: m.Message, version: Version | str, *, sign: Sign | None = None,
          xml_declaration: bool = True) -> bytes:
    """The UTF-8 bytes of a SOAP 1.1 envelope carrying `message` in `version`."""
    version = Version(version)
    envelope = build_element(message, version)
    if sign is not None:
        sign(envelope, message.OPERATION, version)
    return etree.tostring(envelope, xml_declaration=xml_declaration, encoding="UTF-8")


def build_element(message: m.Message, version: Version | str) -> etree._Element:
    """The `soap:Envelope` element carrying `message` (a fresh tree)."""
    version = Version(version)
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    body.append(build_body(message, version))
    return envelope


def build_body(message: m.Message, version: Version | str) -> etree._Element:
    """The body's element (e.g. `tns:SendRequestRequest`) for `message` in `version`."""
    version = Version(version)
    operation = message.OPERATION
    if not operation.exists_in(version):
        raise BuildError(f"{operation.value} does not exist in version {version.value}")
    writer = _Writer(ns(version))
    return writer.body(message)


def place_signature(body: etree._Element, spec: SigningSpec, signature: etree._Element) -> etree._Element:
    """Put `signature` (a `ds:Signature`) into the wrapper `spec` names, creating or replacing the wrapper.

    The wrapper goes where the schema wants it: `PersonalSignature` right after `MessagePrimaryContent`, the caller's
    before 1.3's `Routing`, every other wrapper as the last child of its parent. Returns the wrapper.
    """
    parent = locate(body, spec.wrapper_path[:-1])
    if parent is None:
        raise BuildError(f"cannot place {spec.wrapper}: {'/'.join(spec.wrapper_path[:-1])} is absent")
    namespace = etree.QName(parent).namespace  # the types namespace, or 1.3's routing one for RoutingSignature
    existing = locate(parent, (spec.wrapper,))
    if existing is not None:
        parent.remove(existing)
    wrapper = etree.Element(f"{{{namespace}}}{spec.wrapper}")
    wrapper.append(signature)
    if spec.wrapper == "PersonalSignature":
        content = locate(parent, ("MessagePrimaryContent",))
        if content is None:
            raise BuildError("cannot place PersonalSignature: MessagePrimaryContent is absent")
        content.addnext(wrapper)
    elif spec.wrapper == "CallerInformationSystemSignature" and (routing := locate(parent, ("Routing",))) is not None:
        routing.addprevious(wrapper)  # 1.3's SendRequestRequest ends with the optional rout:Routing
    else:
        parent.append(wrapper)
    return wrapper


class _Writer:
    """Writes model objects as elements of one version's namespaces."""

    def __init__(self, namespaces: Namespaces):
        self.v = namespaces
        self.t, self.b, self.f = namespaces.t, namespaces.b, namespaces.f  # Clark names per namespace
        self.later = namespaces.version is not Version.V1_1
        """Attachment headers' NamespaceUri, FileName and Archive (1.3's, and the 1.2 set's that follows 1.3)."""

    # -- primitives --


    @staticmethod
    def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
        element = etree.SubElement(parent, tag)
        for key, value in attrs.items():
            if value is not None:
                element.set(key, value)
        if text is not None:
            element.text = text
        return element

    def opt(self, parent: etree._Element, tag: str, text: str | None) -> None:
        if text is not None:
            self.sub(parent, tag, text)

    def signature(self, parent: etree._Element, tag: str, fragment: XmlFragment | None) -> None:
        if fragment is not None:
            self.sub(parent, tag).append(fragment.element())

    # -- bodies --

    def body(self, message: m.Message) -> etree._Element:
        op = message.OPERATION
        if op is Operation.FAULT:
            return self.fault(message)
        root = etree.Element(self.t(op.value), nsmap={"tns": self.v.types, "basic": self.v.basic})
        getattr(self, f"_{type(message).__name__}")(root, message)
        return root

    def _SendRequestRequest(self, root: etree._Element, msg: m.SendRequestRequest) -> None:
        self.request_data(root, msg.data)
        self.attachments(root, msg.attachments)
        self.signature(root, self.t("CallerInformationSystemSignature"), msg.signature)
        if msg.routing is not None and self.v.routing is not None:
            root.append(msg.routing.element())

    def _SendRequestResponse(self, root: etree._Element, msg: m.SendRequestResponse) -> None:
        self.metadata(root, msg.metadata)
        self.signature(root, self.t("SMEVSignature"), msg.smev_signature)

    def _SendResponseRequest(self, root: etree._Element, msg: m.SendResponseRequest) -> None:
        self.response_data(root, msg.data)
        self.attachments(root, msg.attachments)
        self.signature(root, self.t("CallerInformationSystemSignature"), msg.signature)

    _SendResponseResponse = _SendRequestResponse

    def _GetRequestRequest(self, root: etree._Element, msg: m.GetRequestRequest) -> None:
        self.selector(root, msg.selector)
        self.signature(root, self.t("CallerInformationSystemSignature"), msg.signature)

    _GetResponseRequest = _GetRequestRequest

    def _GetRequestResponse(self, root: etree._Element, msg: m.GetRequestResponse) -> None:
        if msg.message is not None:
            holder = self.sub(root, self.t("RequestMessage"))
            self.request(holder, msg.message.request)
            self.attachments(holder, msg.message.attachments)
            self.signature(holder, self.t("SMEVSignature"), msg.message.smev_signature)

    def _GetResponseResponse(self, root: etree._Element, msg: m.GetResponseResponse) -> None:
        if msg.message is not None:
            holder = self.sub(root, self.t("ResponseMessage"))
            self.response(holder, msg.message.response)
            self.attachments(holder, msg.message.attachments)
            self.signature(holder, self.t("SMEVSignature"), msg.message.smev_signature)

    def _AckRequest(self, root: etree._Element, msg: m.AckRequest) -> None:
        target = msg.target
        if target.id is None:
            raise BuildError("AckTargetMessage needs its Id (the XSDs require it: the caller signs it)")
        self.sub(root, self.b("AckTargetMessage"), target.message_id, Id=target.id,
                 accepted=format_bool(target.accepted))
        self.signature(root, self.t("CallerInformationSystemSignature"), msg.signature)

    def _AckResponse(self, root: etree._Element, msg: m.AckResponse) -> None:
        return None

    def _GetStatusRequest(self, root: etree._Element, msg: m.GetStatusRequest) -> None:
        self.sub(root, self.b("Timestamp"), format_datetime(msg.timestamp.value), Id=msg.timestamp.id)
        self.signature(root, self.t("CallerInformationSystemSignature"), msg.signature)

    def _GetStatusResponse(self, root: etree._Element, msg: m.GetStatusResponse) -> None:
        if msg.message is None:
            return
        holder = self.sub(root, self.t("SmevAsyncProcessingMessage"))
        data = self.sub(holder, self.t("AsyncProcessingStatusData"), Id=msg.message.data.id)
        self.async_status(data, msg.message.data.status)
        self.signature(holder, self.t("SMEVSignature"), msg.message.smev_signature)

    def _GetIncomingQueueStatisticsRequest(self, root: etree._Element,
                                           msg: m.GetIncomingQueueStatisticsRequest) -> None:
        self.opt(root, self.t("NodeID"), msg.node_id)
        self.sub(root, self.b("Timestamp"), format_datetime(msg.timestamp.value), Id=msg.timestamp.id)
        self.signature(root, self.t("CallerInformationSystemSignature"), msg.signature)

    def _GetIncomingQueueStatisticsResponse(self, root: etree._Element,
                                            msg: m.GetIncomingQueueStatisticsResponse) -> None:
        for item in msg.statistics:
            self.sub(root, self.t("QueueStatistics"), queueName=item.queue_name,
                     pendingMessageNumber=str(item.pending_message_number))

    def fault(self, fault: m.SoapFault) -> etree._Element:
        if not fault.name.exists_in(self.v.version):
            raise BuildError(f"fault {fault.name.value} does not exist in version {self.v.version.value}")
        root = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soap": SOAP_ENV})
        code_ns, code_local = fault.faultcode
        if code_ns == SOAP_ENV:
            self.sub(root, "faultcode", f"soap:{code_local}")
        else:
            code = etree.SubElement(root, "faultcode", nsmap={"fc": code_ns})
            code.text = f"fc:{code_local}"
        self.sub(root, "faultstring", fault.faultstring)
        self.opt(root, "faultactor", fault.faultactor)
        detail = self.sub(root, "detail")
        item = etree.SubElement(detail, self.f(fault.name.value), nsmap={"faults": self.v.faults,
                                                                           "basic": self.v.basic})
        self.fault_content(item, self.shape(fault.name), fault)
        return root

    def shape(self, name: FaultName) -> FaultShape:
        try:
            return fault_shape(name, self.v.version)
        except SchemaFactError as exc:
            raise BuildError(str(exc)) from None

    def fault_content(self, item: etree._Element, shape: FaultShape | None,
                      content: m.SoapFault | m.SmevFaultInfo) -> None:
        """The content of a fault element as its XSD type wants it: nothing for `basic:Void`; else `basic:Code?`,
        `basic:Description?`, then the extension's own elements (`shape` None: a plain `basic:SmevFault`)."""
        what = shape.name.value if shape is not None else "SmevFault"
        if shape is not None and shape.void:
            carried = [label for label, value in (("Code", content.code), ("Description", content.description),
                                                  ("reason", content.reason),
                                                  ("ValidationError", content.validation_errors),
                                                  ("details", content.details)) if value]
            if carried:
                raise BuildError(f"{what} is basic:Void in {self.v.version.value}: it carries no content "
                                 f"(found {', '.join(carried)}; the text belongs in faultstring)")
            return
        self.opt(item, self.b("Code"), content.code)
        self.opt(item, self.b("Description"), content.description)
        fields = shape.fields if shape is not None else ()
        names = {f.name for f in fields}
        details = dict(content.details)
        unknown = sorted(set(details) - names) + [label for label, value, field in (
            ("reason", content.reason, "SignatureVerificationFault"),
            ("ValidationError", content.validation_errors, "ValidationError")) if value and field not in names]
        if unknown:
            raise BuildError(f"{what} of {self.v.version.value} has no {', '.join(unknown)}")
        for field in fields:
            if field.name == "ValidationError":
                for error in content.validation_errors:
                    self.sub(item, self.f("ValidationError"), error.message, errorPosition=str(error.error_position))
                values = [error.message for error in content.validation_errors]
            elif field.name == "SignatureVerificationFault":
                values = [content.reason.value] if content.reason is not None else []
                for value in values:
                    self.sub(item, self.f(field.name), value)
            else:
                values = [details[field.name]] if field.name in details else []
                for value in values:
                    self.sub(item, self.f(field.name), value)
            if field.required and not values:
                raise BuildError(f"{what} needs {field.name} ({self.v.version.value} faults schema)")

    # -- structures --

    def request_data(self, parent: etree._Element, data: m.SenderProvidedRequestData) -> None:
        root = self.sub(parent, self.t("SenderProvidedRequestData"), Id=data.id)
        self.sub(root, self.t("MessageID"), data.message_id)
        self.opt(root, self.t("ReferenceMessageID"), data.reference_message_id)
        self.opt(root, self.t("TransactionCode"), data.transaction_code)
        self.opt(root, self.t("NodeID"), data.node_id)
        if data.eol is not None:
            self.sub(root, self.t("EOL"), format_datetime(data.eol))
        self.primary_content(root, data.content, data.personal_signature, data.attachment_headers,
                             data.ref_attachment_headers)
        if data.business_process_metadata is not None:
            holder = self.sub(root, self.t("BusinessProcessMetadata"))
            for fragment in data.business_process_metadata:
                holder.append(fragment.element())
        if data.test_message:
            self.sub(root, self.t("TestMessage"))

    def primary_content(self, root: etree._Element, content: XmlFragment, personal: XmlFragment | None,
                        headers: tuple[m.AttachmentHeader, ...] | None,
                        ref_headers: tuple[m.RefAttachmentHeader, ...] | None) -> None:
        self.sub(root, self.b("MessagePrimaryContent")).append(content.element())
        self.signature(root, self.t("PersonalSignature"), personal)
        if headers is not None:
            holder = self.sub(root, self.b("AttachmentHeaderList"))
            for header in headers:
                item = self.sub(holder, self.b("AttachmentHeader"))
                self.sub(item, self.b("contentId"), header.content_id)
                if self.later:
                    self.opt(item, self.b("NamespaceUri"), header.namespace_uri)
                self.sub(item, self.b("MimeType"), header.mime_type)
                if header.signature_pkcs7 is not None:
                    self.sub(item, self.b("SignaturePKCS7"), format_base64(header.signature_pkcs7))
                self.archive(item, header.archive)
        if ref_headers is not None:
            holder = self.sub(root, self.b("RefAttachmentHeaderList"))
            for ref in ref_headers:
                item = self.sub(holder, self.b("RefAttachmentHeader"))
                self.sub(item, self.b("uuid"), ref.uuid)
                if self.later:
                    self.opt(item, self.b("FileName"), ref.file_name)
                    self.opt(item, self.b("NamespaceUri"), ref.namespace_uri)
                self.sub(item, self.b("Hash"), format_base64(ref.hash))
                self.sub(item, self.b("MimeType"), ref.mime_type)
                if ref.signature_pkcs7 is not None:
                    self.sub(item, self.b("SignaturePKCS7"), format_base64(ref.signature_pkcs7))
                self.archive(item, ref.archive)

    def archive(self, parent: etree._Element, files: tuple[m.ArchiveFile, ...] | None) -> None:
        """`Archive` of an attachment header (not in 1.1, where it is ignored like every later field)."""
        if files is None or not self.later:
            return
        if not 1 <= len(files) <= 1000:
            raise BuildError(f"an Archive lists 1 to 1000 files, not {len(files)}")
        holder = self.sub(parent, self.b("Archive"))
        for item in files:
            entry = self.sub(holder, self.b("File"))
            self.sub(entry, self.b("Name"), item.name)
            self.sub(entry, self.b("NamespaceUri"), item.namespace_uri)

    def response_data(self, parent: etree._Element, data: m.SenderProvidedResponseData) -> None:
        root = self.sub(parent, self.t("SenderProvidedResponseData"), Id=data.id)
        self.sub(root, self.t("MessageID"), data.message_id)
        self.sub(root, self.t("To"), data.to)
        answer = data.answer
        if isinstance(answer, m.BusinessAnswer):
            self.primary_content(root, answer.content, answer.personal_signature, answer.attachment_headers,
                                 answer.ref_attachment_headers)
        elif isinstance(answer, m.Rejection):
            if not answer.reasons:
                raise BuildError("a Rejection needs at least one RequestRejected")
            for reason in answer.reasons:
                item = self.sub(root, self.t("RequestRejected"))
                self.sub(item, self.t("RejectionReasonCode"), reason.code.value)
                self.sub(item, self.t("RejectionReasonDescription"), reason.description)
        elif isinstance(answer, m.RequestStatus):
            item = self.sub(root, self.t("RequestStatus"))
            self.sub(item, self.t("StatusCode"), str(answer.code))
            for parameter in answer.parameters:
                pair = self.sub(item, self.t("StatusParameter"))
                self.sub(pair, self.t("Key"), parameter.key)
                self.sub(pair, self.t("Value"), parameter.value)
            self.sub(item, self.t("StatusDescription"), answer.description)
        elif isinstance(answer, m.AsyncProcessingStatus):
            self.async_status(root, answer)
        else:
            raise BuildError(f"unknown SenderProvidedResponseData answer {type(answer).__name__}")

    def async_status(self, parent: etree._Element, status: m.AsyncProcessingStatus) -> None:
        root = self.sub(parent, self.t("AsyncProcessingStatus"))
        self.sub(root, self.t("OriginalMessageId"), status.original_message_id)
        self.sub(root, self.t("StatusCategory"), self.status(status.status_category).value)
        self.opt(root, self.t("StatusDetails"), status.status_details)
        if status.routing_status is not None and self.v.routing is not None:
            root.append(status.routing_status.element())
        info = status.smev_fault
        if info is not None:
            shape = None
            if info.type is not None:
                shape = self.shape(info.type)
                if not shape.named_type:
                    raise BuildError(f"{info.type.value} has no complex type of its own in {self.v.version.value} "
                                     "(it is basic:Void): it cannot be the xsi:type of an SmevFault")
            nsmap = {"faults": self.v.faults, "xsi": XSI} if shape is not None else None
            fault = etree.SubElement(root, self.t("SmevFault"), nsmap=nsmap)
            if shape is not None:
                fault.set(f"{{{XSI}}}type", f"faults:{shape.name.value}")
            self.fault_content(fault, shape, info)

    def status(self, category: StatusCategory) -> StatusCategory:
        if category not in status_categories(self.v.version):
            raise BuildError(f"status {category.value} does not exist in version {self.v.version.value} "
                             f"(valid: {', '.join(sorted(c.value for c in status_categories(self.v.version)))})")
        return category

    def attachments(self, parent: etree._Element, contents: tuple[m.AttachmentContent, ...] | None) -> None:
        if contents is None:
            return
        holder = self.sub(parent, self.b("AttachmentContentList"))
        for content in contents:
            item = self.sub(holder, self.b("AttachmentContent"))
            self.sub(item, self.b("Id"), content.id)
            self.sub(item, self.b("Content"), format_base64(content.content))

    def fs_attachments(self, parent: etree._Element, items: tuple[m.FSAttachment, ...] | None) -> None:
        if items is None:
            return
        holder = self.sub(parent, self.b("FSAttachmentsList"))
        for item in items:
            entry = self.sub(holder, self.b("FSAttachment"))
            self.sub(entry, self.b("uuid"), item.uuid)
            self.sub(entry, self.b("UserName"), item.user_name)
            self.sub(entry, self.b("Password"), item.password)
            self.sub(entry, self.b("FileName"), item.file_name)

    def selector(self, parent: etree._Element, selector: m.MessageTypeSelector) -> None:
        root = self.sub(parent, self.b("MessageTypeSelector"), Id=selector.id)
        self.opt(root, self.b("NamespaceURI"), selector.namespace_uri)
        self.opt(root, self.b("RootElementLocalName"), selector.root_element_local_name)
        self.sub(root, self.b("Timestamp"), format_datetime(selector.timestamp))
        self.opt(root, self.b("NodeID"), selector.node_id)

    def party(self, parent: etree._Element, tag: str, party: m.Party | None) -> None:
        if party is None:
            return
        if party.human_readable_name is None and self.v.version is not Version.V1_2:
            raise BuildError(f"{tag} needs HumanReadableName in version {self.v.version.value}")
        root = self.sub(parent, self.t(tag))
        self.opt(root, self.t("Mnemonic"), party.mnemonic)
        self.opt(root, self.t("HumanReadableName"), party.human_readable_name)

    def metadata(self, parent: etree._Element, meta: m.MessageMetadata) -> None:
        version = self.v.version
        if not meta.message_type.allowed_in(version):
            raise BuildError(f"MessageType {meta.message_type.value} does not exist in version {version.value}")
        legacy = version is Version.V1_1
        if legacy:  # 1.1's MessageMetadata requires what later versions made optional
            missing = [what for what, value in (
                ("Sender", meta.sender), ("Sender/Mnemonic", meta.sender and meta.sender.mnemonic),
                ("DestinationName", meta.destination_name), ("SupplementaryData", meta.supplementary_data),
                ("Recipient/Mnemonic", meta.recipient is None or meta.recipient.mnemonic)) if value is None]
            if missing:
                raise BuildError(f"1.1's MessageMetadata needs {', '.join(missing)}")
        root = self.sub(parent, self.t("MessageMetadata"), Id=meta.id)
        self.opt(root, self.t("MessageId"), meta.message_id)
        self.sub(root, self.t("MessageType"), meta.message_type.value)
        self.party(root, "Sender", meta.sender)
        self.sub(root, self.t("SendingTimestamp"), format_datetime(meta.sending_timestamp))
        if legacy:
            self.opt(root, self.t("MessageBroker"), meta.message_broker)
            self.opt(root, self.t("DestinationName"), meta.destination_name)
        self.party(root, "Recipient", meta.recipient)
        if legacy and meta.supplementary_data is not None:
            data = self.sub(root, self.t("SupplementaryData"))
            self.opt(data, self.t("DetectedContentTypeName"), meta.supplementary_data.detected_content_type_name)
            interaction = meta.supplementary_data.interaction_type
            if interaction not in interaction_types(version):
                raise BuildError(f"InteractionType {interaction!r} is not one of "
                                 f"{', '.join(sorted(interaction_types(version)))}")
            self.sub(data, self.t("InteractionType"), interaction)
        if meta.delivery_timestamp is not None:
            self.sub(root, self.t("DeliveryTimestamp"), format_datetime(meta.delivery_timestamp))
        if meta.status is not None:
            self.sub(root, self.t("Status"), self.status(meta.status).value)

    def request(self, parent: etree._Element, request: m.Request) -> None:
        root = self.sub(parent, self.t("Request"), Id=request.id)
        self.request_data(root, request.data)
        self.metadata(root, request.metadata)
        self.fs_attachments(root, request.fs_attachments)
        self.opt(root, self.t("ReplyTo"), request.reply_to)
        self.signature(root, self.t("SenderInformationSystemSignature"), request.sender_signature)

    def response(self, parent: etree._Element, response: m.Response) -> None:
        root = self.sub(parent, self.t("Response"), Id=response.id)
        self.opt(root, self.t("OriginalMessageId"), response.original_message_id)
        self.opt(root, self.t("OriginalTransactionCode"), response.original_transaction_code)
        self.opt(root, self.t("ReferenceMessageID"), response.reference_message_id)
        self.response_data(root, response.data)
        self.metadata(root, response.metadata)
        self.fs_attachments(root, response.fs_attachments)
        self.signature(root, self.t("SenderInformationSystemSignature"), response.sender_signature)
