"""`conformance.xmldsig.signedfields`: the message's own time is read from the signed element's SMEV fields only,
named by the field it came from, for every operation and version; the signing path is followed strictly."""

from __future__ import annotations

import pytest
from lxml import etree
from xmldsig_messages import AT, REQUEST_ID, SIGNED_OPERATIONS, signed

from conformance.protocol.ids import uuid1_time
from conformance.protocol.operations import Operation, detect
from conformance.xmldsig.signedfields import hidden_nodes, locate_signed, message_time

EXPECTED_FIELD = {
    Operation.SEND_REQUEST: "SenderProvidedRequestData/MessageID (version 1 UUID)",
    Operation.SEND_RESPONSE: "SenderProvidedResponseData/MessageID (version 1 UUID)",
    Operation.GET_REQUEST: "MessageTypeSelector/Timestamp",
    Operation.GET_RESPONSE: "MessageTypeSelector/Timestamp",
    Operation.ACK: "AckTargetMessage (the acked message's version 1 UUID)",
    Operation.GET_STATUS: "Timestamp",
    Operation.GET_INCOMING_QUEUE_STATISTICS: "Timestamp",
    Operation.SEND_REQUEST_RESPONSE: "MessageMetadata/SendingTimestamp",
    Operation.SEND_RESPONSE_RESPONSE: "MessageMetadata/SendingTimestamp",
    Operation.GET_REQUEST_RESPONSE: "Request/MessageMetadata/SendingTimestamp",
    Operation.GET_RESPONSE_RESPONSE: "Response/MessageMetadata/SendingTimestamp",
    Operation.GET_STATUS_RESPONSE: None,  # the status data carries only the original's id: no time of its own
}
CASES = [(op, version) for version in ("1.1", "1.3") for op in SIGNED_OPERATIONS if op.exists_in(version)]


@pytest.mark.parametrize(("operation", "version"), CASES, ids=[f"{o.value}-{v}" for o, v in CASES])
def test_every_operation_has_its_time_from_the_signed_field(operation: Operation, version: str) -> None:
    found = message_time(signed(operation, version).getroot())
    expected = EXPECTED_FIELD[operation]
    if expected is None:
        assert found is None
        return
    assert found is not None and found.field == expected, found
    assert abs((found.at - AT).total_seconds()) <= 5 * 60  # the test messages are dated minutes before AT
    if operation is Operation.ACK:
        assert found.at == uuid1_time(REQUEST_ID)


def test_a_twin_beside_a_step_is_an_ambiguity_in_any_namespace() -> None:
    tree = signed(Operation.SEND_REQUEST, "1.3")
    body = detect(tree).body
    assert locate_signed(body, ("SenderProvidedRequestData",)).ambiguity is None
    etree.SubElement(body, "{urn:evil}SenderProvidedRequestData")
    located = locate_signed(body, ("SenderProvidedRequestData",))
    assert located.element is not None and "2 SenderProvidedRequestData" in located.ambiguity


def test_hidden_nodes_are_found_in_smev_fields_not_in_business_content() -> None:
    tree = signed(Operation.SEND_REQUEST, "1.3")
    block = locate_signed(detect(tree).body, ("SenderProvidedRequestData",)).element
    business = block.find(".//{*}MessagePrimaryContent")[0]
    business[0].append(etree.Comment("business data is the provider's to read"))
    assert hidden_nodes(block) == []
    message_id = block.find("{*}MessageID")
    message_id.append(etree.ProcessingInstruction("x"))
    assert [(field.tag, node.tag) for field, node in hidden_nodes(block)] == [(message_id.tag, etree.PI)]
