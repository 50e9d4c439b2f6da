"""Hypothesis strategies for the SMEV message model: any message of any operation, valid for a given version.

Values are drawn so that they survive XML: no control characters or CR in text (XML parsers normalise CR to LF),
aware datetimes, version-specific fields only in the versions that have them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from functools import cache

from hypothesis import strategies as st
from lxml import etree

from conformance.protocol import model as m
from conformance.protocol.codes import (
    MessageType,
    RejectionReasonCode,
    SignatureVerificationReason,
)
from conformance.protocol.ids import new_message_id
from conformance.protocol.namespaces import XMLDSIG, Version
from conformance.protocol.operations import Operation
from conformance.protocol.schemafacts import fault_shapes, interaction_types, status_categories
from conformance.protocol.xmlfragment import XmlFragment

_ALPHABET = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.sampled_from("\t\n")
text = st.text(_ALPHABET, max_size=30)
nonempty = st.text(_ALPHABET, min_size=1, max_size=30)
ncname = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.\-]{0,12}\Z")
required_ids = st.sampled_from(["SIGNED_BY_CONSUMER", "SIGNED_BY_PROVIDER", "SIGNED_BY_CALLER", "SIGNED_BY_SMEV",
                                   "id-1", "PERSONAL_SIGNATURE"])
ids = st.none() | required_ids

offsets = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))])
when = st.builds(lambda dt, tz: dt.replace(tzinfo=tz), st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1)),
                 offsets)
message_ids = st.builds(lambda moment, seed: new_message_id(moment, rng=random.Random(seed)), when,
                        st.integers(0, 2**32))
blobs = st.binary(max_size=40)


@st.composite
def payloads(draw) -> XmlFragment:
    """A small business element in a namespace of its own, with attributes, children and text."""
    uri = f"urn://x-artefacts-test/{draw(ncname)}/1.0"
    root = etree.Element(f"{{{uri}}}{draw(ncname)}", nsmap={draw(st.sampled_from([None, "p", "q1"])): uri})
    for name in draw(st.lists(ncname, max_size=2, unique=True)):
        root.set(name, draw(text))
    for _ in range(draw(st.integers(0, 3))):
        child = etree.SubElement(root, f"{{{uri}}}{draw(ncname)}")
        child.text = draw(text)
    if len(root) == 0:
        root.text = draw(text)
    return XmlFragment(root)


@st.composite
def signatures(draw) -> XmlFragment:
    """An opaque ds:Signature (the model does not interpret it)."""
    sig = etree.Element(f"{{{XMLDSIG}}}Signature", nsmap={"ds": XMLDSIG})
    etree.SubElement(sig, f"{{{XMLDSIG}}}SignatureValue").text = draw(st.from_regex(r"\A[A-Za-z0-9+/]{4,40}\Z"))
    return XmlFragment(sig)


opt_signature = st.none() | signatures()


def opt(strategy):
    return st.none() | strategy


def tuples(strategy, min_size=1, max_size=3):
    return st.lists(strategy, min_size=min_size, max_size=max_size).map(tuple)


archives = tuples(st.builds(m.ArchiveFile, nonempty, nonempty))


def later(version: Version, strategy):
    """A field 1.3 added to attachment headers (the 1.2 set follows 1.3): absent in 1.1."""
    return st.none() if version is Version.V1_1 else opt(strategy)


def attachment_headers(version: Version):
    return st.builds(m.AttachmentHeader, nonempty, st.sampled_from(["text/plain", "application/pdf"]), opt(blobs),
                     later(version, nonempty), later(version, archives))


def ref_headers(version: Version):
    return st.builds(m.RefAttachmentHeader, st.uuids().map(str), blobs, st.just("application/xml"), opt(blobs),
                     later(version, nonempty), later(version, nonempty), later(version, archives))


attachment_contents = st.builds(m.AttachmentContent, ncname.map(lambda name: f"att_{name}"), blobs)  # an xs:ID
fs_attachments = st.builds(m.FSAttachment, st.uuids().map(str), nonempty, nonempty, nonempty)


def request_data(version: Version):
    return st.builds(
        m.SenderProvidedRequestData, message_id=message_ids, content=payloads(),
        reference_message_id=opt(message_ids), transaction_code=opt(nonempty), node_id=opt(nonempty), eol=opt(when),
        personal_signature=opt_signature, attachment_headers=opt(tuples(attachment_headers(version))),
        ref_attachment_headers=opt(tuples(ref_headers(version))),
        business_process_metadata=opt(tuples(payloads(), min_size=1, max_size=2)), test_message=st.booleans(), id=ids)


ROUTING = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/routing/1.3"


@st.composite
def routings(draw) -> XmlFragment:
    """A 1.3 `rout:Routing`: routing information (its MessageID, dynamic values) and its own signature."""
    root = etree.Element(f"{{{ROUTING}}}Routing", nsmap={"rout": ROUTING})
    info = etree.SubElement(root, f"{{{ROUTING}}}RoutingInformation")
    etree.SubElement(info, f"{{{ROUTING}}}MessageID").text = draw(message_ids)
    values = draw(st.lists(nonempty, max_size=2))
    if values:
        dynamic = etree.SubElement(info, f"{{{ROUTING}}}DynamicRouting")
        for value in values:
            etree.SubElement(dynamic, f"{{{ROUTING}}}DynamicValue").text = value
    etree.SubElement(root, f"{{{ROUTING}}}RoutingSignature").append(draw(signatures()).element())
    return XmlFragment(root)


@st.composite
def routing_statuses(draw) -> XmlFragment:
    root = etree.Element(f"{{{ROUTING}}}RoutingStatus", nsmap={"rout": ROUTING})
    for value in draw(st.lists(nonempty, max_size=2)):
        item = etree.SubElement(root, f"{{{ROUTING}}}DynamicRoutingStatus")
        etree.SubElement(item, f"{{{ROUTING}}}DynamicValue").text = value
        etree.SubElement(item, f"{{{ROUTING}}}RoutingStatusCode").text = draw(
            st.sampled_from(["success", "recipientNotFound", "signatureInvalid"]))
    return XmlFragment(root)


def only_1_3(version: Version, strategy):
    return opt(strategy) if version is Version.V1_3 else st.none()


validation_errors = st.builds(m.ValidationError, text, st.integers(-2**31, 2**31 - 1))
_FIELD_VALUES = {"RootElementLocalName": ncname, "RootElementNamespaceURI": nonempty,
                 "PermittedTotalAttachmentSize": st.integers(0, 2**40).map(str),
                 "RealTotalAttachmentSize": st.integers(0, 2**40).map(str),
                 "RemainedTotalQuoteSize": st.integers(0, 2**40).map(str),
                 "MessageBrokerAddress": nonempty, "DestinationName": nonempty}


def statuses(version: Version):
    return st.sampled_from(sorted(status_categories(version)))


@st.composite
def fault_content(draw, shape, **extra):
    """What a fault of `shape` (None: a plain basic:SmevFault) may carry in its XSD type, as model fields."""
    if shape is not None and shape.void:
        return dict(extra)
    fields = {"code": draw(opt(text)), "description": draw(opt(text)), **extra}
    details = []
    for field in shape.fields if shape is not None else ():
        if field.name == "ValidationError":
            fields["validation_errors"] = draw(tuples(validation_errors))
        elif field.name == "SignatureVerificationFault":
            fields["reason"] = draw(st.sampled_from(SignatureVerificationReason))
        else:
            details.append((field.name, draw(_FIELD_VALUES[field.name])))
    fields["details"] = tuple(details)
    return fields


@st.composite
def smev_fault_infos(draw, version: Version):
    typed = [s for s in fault_shapes(version).values() if s.named_type]
    shape = draw(st.none() | st.sampled_from(typed))
    return m.SmevFaultInfo(type=None if shape is None else shape.name, **draw(fault_content(shape)))


def async_statuses(version: Version):
    return st.builds(m.AsyncProcessingStatus, message_ids, statuses(version), opt(text),
                     opt(smev_fault_infos(version)), only_1_3(version, routing_statuses()))


def answers(version: Version):
    return st.one_of(
        st.builds(m.BusinessAnswer, payloads(), opt_signature, opt(tuples(attachment_headers(version))),
                  opt(tuples(ref_headers(version)))),
        st.builds(m.Rejection, tuples(st.builds(m.RequestRejected, st.sampled_from(RejectionReasonCode), text))),
        st.builds(m.RequestStatus, st.integers(-2**31, 2**31 - 1), text,
                  tuples(st.builds(m.StatusParameter, text, text), min_size=0)),
        async_statuses(version),
    )


def response_data(version: Version):
    return st.builds(m.SenderProvidedResponseData, message_ids, text, answers(version), ids)


parties = st.builds(m.Party, nonempty, opt(nonempty))
selectors = st.one_of(
    st.builds(m.MessageTypeSelector, when, st.none(), st.none(), opt(nonempty), ids),
    st.builds(m.MessageTypeSelector, when, st.just("urn://x-artefacts-test/any/1.0"), ncname, opt(nonempty), ids),
)
signed_timestamps = st.builds(m.SignedTimestamp, when, ids)


def parties_of(version: Version):
    """Real 1.2 answers name a party by its Mnemonic alone; 1.1 and 1.3 require HumanReadableName."""
    if version is Version.V1_2:
        return st.builds(m.Party, opt(nonempty), opt(nonempty))
    return parties


def metadata(version: Version):
    legacy = version is Version.V1_1
    types = st.sampled_from([t for t in MessageType if t.allowed_in(version)])
    if legacy:  # 1.1 requires the sender, its mnemonic, DestinationName and SupplementaryData
        return st.builds(
            m.MessageMetadata, message_type=types, sending_timestamp=when, message_id=opt(message_ids),
            sender=st.builds(m.Party, nonempty, nonempty), destination_name=nonempty,
            recipient=opt(st.builds(m.Party, nonempty, nonempty)),
            supplementary_data=st.builds(m.SupplementaryData, st.sampled_from(sorted(interaction_types(version))),
                                         opt(nonempty)),
            delivery_timestamp=opt(when), status=opt(statuses(version)), id=ids, message_broker=opt(nonempty))
    return st.builds(
        m.MessageMetadata, message_type=types, sending_timestamp=when, message_id=opt(message_ids),
        sender=opt(parties_of(version)), destination_name=st.none(), recipient=opt(parties_of(version)),
        supplementary_data=st.none(),
        delivery_timestamp=opt(when), status=opt(statuses(version)), id=ids)


def requests(version: Version):
    return st.builds(m.Request, request_data(version), metadata(version), opt(tuples(fs_attachments)),
                     text if version is Version.V1_1 else opt(text), opt_signature, ids)


def responses(version: Version):
    return st.builds(m.Response, response_data(version), metadata(version), opt(message_ids), opt(nonempty),
                     opt(message_ids), opt(tuples(fs_attachments)), opt_signature, ids)


def faults(version: Version):
    @st.composite
    def make(draw):
        shape = draw(st.sampled_from(sorted(fault_shapes(version).values(), key=lambda s: s.name.value)))
        return m.SoapFault(shape.name, draw(text), **draw(fault_content(shape)), faultactor=draw(
            opt(st.sampled_from(["urn://smev-gov-ru/node/1", "http://smev.example/actor"]))))

    return make()


@cache
def messages(operation: Operation, version: Version):
    """Any model message of `operation`, valid for `version`."""
    contents = opt(tuples(attachment_contents))
    return {
        Operation.SEND_REQUEST: st.builds(m.SendRequestRequest, request_data(version), contents, opt_signature,
                                          only_1_3(version, routings())),
        Operation.SEND_REQUEST_RESPONSE: st.builds(m.SendRequestResponse, metadata(version), opt_signature),
        Operation.SEND_RESPONSE: st.builds(m.SendResponseRequest, response_data(version), contents, opt_signature),
        Operation.SEND_RESPONSE_RESPONSE: st.builds(m.SendResponseResponse, metadata(version), opt_signature),
        Operation.GET_REQUEST: st.builds(m.GetRequestRequest, selectors, opt_signature),
        Operation.GET_REQUEST_RESPONSE: st.builds(
            m.GetRequestResponse, opt(st.builds(m.RequestMessage, requests(version), contents, opt_signature))),
        Operation.GET_RESPONSE: st.builds(m.GetResponseRequest, selectors, opt_signature),
        Operation.GET_RESPONSE_RESPONSE: st.builds(
            m.GetResponseResponse, opt(st.builds(m.ResponseMessage, responses(version), contents, opt_signature))),
        Operation.ACK: st.builds(m.AckRequest, st.builds(m.AckTargetMessage, message_ids, st.booleans(), required_ids),
                                 opt_signature),
        Operation.ACK_RESPONSE: st.just(m.AckResponse()),
        Operation.GET_STATUS: st.builds(m.GetStatusRequest, signed_timestamps, opt_signature),
        Operation.GET_STATUS_RESPONSE: st.builds(m.GetStatusResponse, opt(st.builds(
            m.SmevAsyncProcessingMessage, st.builds(m.AsyncProcessingStatusData, async_statuses(version), ids),
            opt_signature))),
        Operation.GET_INCOMING_QUEUE_STATISTICS: st.builds(m.GetIncomingQueueStatisticsRequest, signed_timestamps,
                                                           opt(nonempty), opt_signature),
        Operation.GET_INCOMING_QUEUE_STATISTICS_RESPONSE: st.builds(
            m.GetIncomingQueueStatisticsResponse,
            tuples(st.builds(m.QueueStatistics, text, st.integers(0, 10**9)), min_size=0)),
        Operation.FAULT: faults(version),
    }[operation]


PAIRS = tuple((op, v) for v in Version for op in Operation if op.exists_in(v))
"""Every (operation, version) that exists: 13 body kinds in each version plus GetIncomingQueueStatistics in 1.1."""


def any_message():
    """(operation, version, message) over every operation that exists in each version."""
    return st.one_of([messages(op, v).map(lambda msg, op=op, v=v: (op, v, msg)) for op, v in PAIRS])
