"""Every refusal of the bus double is the protocol's fault, as a SOAP fault with its detail, in the caller's version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from bus_helpers import NS, inn_request, inn_response
from lxml import etree

from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import FaultName, RejectionReasonCode
from conformance.protocol.mtom import encode_multipart
from conformance.protocol.namespaces import SOAP_ENV, ns

VERSIONS = ["1.1", "1.2", "1.3"]


def _fault(reply, name: FaultName, version: str = "1.3") -> m.SoapFault:
    assert reply.status == 500, reply.body
    assert reply.fault is not None, reply.body
    assert reply.fault.name is name, reply.fault
    detail = etree.fromstring(reply.body).find(f".//{{{SOAP_ENV}}}Fault/detail/{{{ns(version).faults}}}{name.value}")
    assert detail is not None, f"no {name.value} of version {version} in the detail"
    return reply.fault


@pytest.mark.parametrize("version", VERSIONS)
def test_duplicate_message_id(served, version):
    consumer = served.client("MVD", version)
    mid = ids.new_message_id()
    assert consumer.send_request(inn_request(), message_id=mid).status == 200
    _fault(consumer.send_request(inn_request(), message_id=mid), FaultName.MESSAGE_IS_ALREADY_SENT, version)


@pytest.mark.parametrize("bad", [
    pytest.param(lambda: ids.new_message_id().upper(), id="upper-case"),
    pytest.param(lambda: str(uuid.uuid4()), id="version-4"),
])
def test_malformed_message_id(served, bad):
    _fault(served.client("MVD").send_request(inn_request(), message_id=bad()), FaultName.INVALID_MESSAGE_ID_FORMAT)


def test_stale_message_id(served):
    old = ids.new_message_id(datetime.now(UTC) - timedelta(days=3))
    _fault(served.client("MVD").send_request(inn_request(), message_id=old), FaultName.STALE_MESSAGE_ID)


def test_end_of_life(served):
    past = datetime.now(UTC) - timedelta(minutes=5)
    _fault(served.client("MVD").send_request(inn_request(), eol=past), FaultName.END_OF_LIFE_REACHED)


def test_unknown_business_type(served):
    from conformance.protocol.xmlfragment import XmlFragment

    unknown = XmlFragment(etree.fromstring('<x:Unknown xmlns:x="urn://x-artefacts-nobody/1.0"><x:a>1</x:a></x:Unknown>'))
    _fault(served.client("MVD").send_request(unknown), FaultName.BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED)


def test_access_matrix(served):
    _fault(served.client("SFR").send_request(inn_request()), FaultName.ACCESS_DENIED)


@pytest.mark.parametrize("sender", [None, "NOBODY"])
def test_unregistered_sender(served, sender):
    _fault(served.client(sender).send_request(inn_request()), FaultName.SENDER_IS_NOT_REGISTERED)


def test_ack_of_a_message_never_delivered_is_not_found_a_retried_ack_succeeds_again(served):
    consumer, provider = served.client("MVD"), served.client("FNS")
    _fault(provider.ack(ids.new_message_id()), FaultName.TARGET_MESSAGE_IS_NOT_FOUND)
    consumer.send_request(inn_request())
    mid = provider.get_request().message.message.request.data.message_id
    _fault(consumer.ack(mid), FaultName.TARGET_MESSAGE_IS_NOT_FOUND)  # not delivered to the consumer
    assert provider.ack(mid).status == 200
    history = served.bus.store.status_history(mid)
    retried = provider.ack(mid, accepted=False)  # the first answer was lost: the retry is answered alike
    assert retried.status == 200 and isinstance(retried.message, m.AckResponse), retried.body
    assert served.bus.store.status_history(mid) == history  # and changes nothing: the first Ack stands
    assert served.bus.store.get(mid).accepted is True
    assert consumer.get_status().message.message is None  # no rejection notice from the retried accepted=false
    _fault(consumer.ack(mid), FaultName.TARGET_MESSAGE_IS_NOT_FOUND)  # still nobody else's to ack


def _delivered(served):
    served.client("MVD").send_request(inn_request())
    return served.client("FNS").get_request().message.message.request


def test_response_to_a_reply_to_the_bus_never_issued(served):
    _delivered(served)
    _fault(served.client("FNS").send_response("bm90LWEtcmVwbHktdG8=", m.BusinessAnswer(content=inn_response())),
           FaultName.RECIPIENT_IS_NOT_FOUND)


def test_response_from_a_system_the_request_was_not_delivered_to(served):
    request = _delivered(served)
    _fault(served.client("SFR").send_response(request.reply_to, m.BusinessAnswer(content=inn_response())),
           FaultName.RECIPIENT_IS_NOT_FOUND)


def test_response_with_the_wrong_business_element(served):
    request = _delivered(served)
    _fault(served.client("FNS").send_response(request.reply_to, m.BusinessAnswer(content=inn_request())),
           FaultName.INCORRECT_RESPONSE_CONTENT_TYPE)


def test_rejection_needs_no_business_element(served):
    request = _delivered(served)
    rejection = m.Rejection((m.RequestRejected(RejectionReasonCode.ACCESS_DENIED, "no"),))
    assert served.client("FNS").send_response(request.reply_to, rejection).status == 200


def test_attachment_headers_without_content(served):
    header = m.AttachmentHeader(content_id="att-1", mime_type="application/pdf")
    _fault(served.client("MVD").send_request(inn_request(), attachment_headers=(header,)),
           FaultName.ATTACHMENT_CONTENT_MISCOORDINATION)


def test_unknown_selector_type(served):
    _fault(served.client("FNS").get_request("urn://nobody", "Nothing"), FaultName.UNKNOWN_MESSAGE_TYPE)


@pytest.mark.parametrize(("body", "what"), [
    (b"not xml at all", "not usable XML"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "document type declaration"),
    (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x:Other xmlns:x="urn:x"/>'
     b"</soap:Body></soap:Envelope>", "not in an SMEV 3 types namespace"),
])
def test_unusable_envelopes_are_invalid_content(served, body, what):
    fault = _fault(served.client("MVD").post(body), FaultName.INVALID_CONTENT)
    assert what in fault.faultstring


def test_a_bus_answer_sent_to_the_bus_is_invalid_content(served):
    meta = m.MessageMetadata(message_type=m.MessageType.REQUEST, sending_timestamp=datetime.now(UTC))
    _fault(served.client("MVD").call(m.SendRequestResponse(metadata=meta)), FaultName.INVALID_CONTENT)


def test_soap_action_must_match_the_body(served):
    envelope = build(m.SendRequestRequest(data=m.SenderProvidedRequestData(ids.new_message_id(), inn_request())),
                     "1.3")
    fault = _fault(served.client("MVD").post(envelope, soap_action="urn:GetRequest"), FaultName.INVALID_CONTENT)
    assert "SOAPAction" in fault.faultstring


def test_forced_fault_answers_the_next_calls_then_stops(served):
    served.bus.force_fault("SendRequest", FaultName.SMEV_FAILURE, times=2, caller="MVD")
    consumer = served.client("MVD")
    _fault(consumer.send_request(inn_request()), FaultName.SMEV_FAILURE)
    assert served.client("MFC").send_request(inn_request()).status == 200  # another caller is not affected
    _fault(consumer.send_request(inn_request()), FaultName.SMEV_FAILURE)
    assert consumer.send_request(inn_request()).status == 200


def test_forced_fault_over_http_control(served):
    import json
    import urllib.request

    control = served.running.url.replace("/smev", "/_double/faults")
    data = json.dumps({"rpc": "GetRequest", "fault": "SMEVFailure"}).encode()
    with urllib.request.urlopen(urllib.request.Request(control, data=data, method="POST")) as answer:
        assert answer.status == 204
    _fault(served.client("FNS").get_request(), FaultName.SMEV_FAILURE)
    journal = served.running.url.replace("/smev", "/_double/journal")
    with urllib.request.urlopen(journal) as answer:
        assert [e["fault"] for e in json.load(answer)] == ["SMEVFailure"]


# -- transport ---------------------------------------------------------------------------------------------------------


def _envelope() -> bytes:
    return build(m.SendRequestRequest(data=m.SenderProvidedRequestData(ids.new_message_id(), inn_request())), "1.3")


def test_wrong_content_type_is_415_with_a_client_fault(served):
    reply = served.client("MVD").post(_envelope(), content_type="application/json")
    assert reply.status == 415 and reply.fault.name is FaultName.INVALID_CONTENT
    assert reply.fault.faultcode == (SOAP_ENV, "Client")


def test_malformed_mime_boundary_is_400(served):
    ctype, body = encode_multipart(_envelope(), {})
    reply = served.client("MVD").post(body, content_type=ctype.replace("smev-double-boundary", "wrong"))
    assert reply.status == 400 and reply.fault.name is FaultName.INVALID_CONTENT
    assert "boundary" in reply.fault.faultstring


def test_mtom_request_with_xop_attachment_is_accepted_and_delivered_resolved(served):
    data = bytes(range(256)) * 4
    header = m.AttachmentHeader(content_id="att-1", mime_type="application/octet-stream")
    message = m.SendRequestRequest(data=m.SenderProvidedRequestData(ids.new_message_id(), inn_request(),
                                                                    attachment_headers=(header,)),
                                   attachments=(m.AttachmentContent(id="att-1", content=b"placeholder"),))
    envelope = etree.fromstring(build(message, "1.3"))
    content = envelope.find(f".//{{{ns('1.3').basic}}}Content")
    assert content is not None, "the builder writes AttachmentContent/Content"
    content.text = None
    etree.SubElement(content, "{http://www.w3.org/2004/08/xop/include}Include", href="cid:bin-1")
    ctype, body = encode_multipart(etree.tostring(envelope), {"bin-1": data})
    reply = served.client("MVD").post(body, content_type=ctype, soap_action="urn:SendRequest")
    assert reply.status == 200, reply.body
    delivered = served.client("FNS").get_request().message.message
    assert delivered.attachments[0].content == data


def test_dropped_connection_mid_body_leaves_the_bus_serving(served):
    import socket

    host, port = served.running.server.server_address[:2]
    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"POST /smev HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<soap")
    assert served.client("MVD").send_request(inn_request()).status == 200


def test_ns_of_request_element_is_namespace_exact(served):
    from conformance.protocol.xmlfragment import XmlFragment

    wrong_ns = XmlFragment(etree.fromstring(f'<i:InnRequest xmlns:i="{NS}/2"><i:P>1</i:P></i:InnRequest>'))
    _fault(served.client("MVD").send_request(wrong_ns), FaultName.BUSINESS_DATA_TYPE_IS_NOT_SUPPORTED)


def test_chunked_request_body_is_read(served):
    import http.client

    host, port = served.running.server.server_address[:2]
    envelope = _envelope()
    conn = http.client.HTTPConnection(host, port, timeout=5)
    chunks = iter([envelope[:100], envelope[100:]])
    conn.request("POST", "/smev", body=chunks, headers={"Content-Type": "text/xml", "X-SMEV-Sender": "MVD",
                                                        "SOAPAction": '"urn:SendRequest"'},
                 encode_chunked=True)
    answer = conn.getresponse()
    assert answer.status == 200 and b"SendRequestResponse" in answer.read()
    conn.close()


def test_missing_length_is_411_and_oversized_is_413(served):
    import http.client

    host, port = served.running.server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.putrequest("POST", "/smev")
    conn.putheader("Content-Type", "text/xml")
    conn.endheaders()
    assert conn.getresponse().status == 411
    conn.close()
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.putrequest("POST", "/smev")
    conn.putheader("Content-Length", str(10**9))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()


def test_envelope_schema_violation_is_invalid_content_with_positions(served):
    envelope = etree.fromstring(_envelope())
    data = envelope.find(f".//{{{ns('1.3').types}}}SenderProvidedRequestData")
    etree.SubElement(data, f"{{{ns('1.3').types}}}NotInTheProtocol").text = "x"
    fault = _fault(served.client("MVD").post(etree.tostring(envelope), soap_action="urn:SendRequest"),
                   FaultName.INVALID_CONTENT)
    assert fault.validation_errors, fault
    assert any("NotInTheProtocol" in e.message for e in fault.validation_errors)
    assert all(e.error_position > 0 for e in fault.validation_errors)  # the line: errorPosition is an xs:int
