"""The valid messages pass every MSG-/FLOW-/TIME- rule, and rules that look across messages or at special cases
fail where they must (each rule's own bad example is a test in `test_rules_examples.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from lxml import etree
from rules_messages import (
    AT,
    MESSAGES,
    REGISTRY,
    REQUEST_ID,
    TYPE,
    check,
    envelope,
    failed,
)

from conformance.findings import Status
from conformance.protocol.ids import new_message_id
from conformance.rules.corpus import Corpus
from conformance.rules.recipes import edited, one, set_text

VERSIONS = ("1.1", "1.2", "1.3")


def edit(message: str, change: Callable[[etree._Element], None], version: str = "1.3") -> bytes:
    return edited(message, change, version)()


@pytest.mark.parametrize("name", sorted(MESSAGES))
@pytest.mark.parametrize("version", VERSIONS)
def test_valid_messages_pass_every_rule(name: str, version: str):
    result = check(envelope(name, version))
    problems = [(f.rule_id, f.message) for f in result.findings if f.status in (Status.FAIL, Status.WARN)]
    assert problems == []
    assert result.operation is not None and result.version == version


def test_rules_that_held_on_the_valid_message_were_judged_not_skipped():
    """The fixtures must exercise the rules: on the rich SendRequest most rules apply rather than skip."""
    result = check(envelope("send_request"))
    skipped = {f.rule_id for f in result.findings if f.status is Status.SKIP}
    assert skipped <= {"FLOW-ORIGINAL-ID", "FLOW-ACK-TARGET", "FLOW-REPLY-TO", "MSG-SELECTOR-REGISTERED",
                       "MSG-ACCESS-MATRIX", "FLOW-ID-UNIQUE", "FLOW-MESSAGE-TYPE", "TIME-METADATA-ORDER",
                       "TIME-ANSWER-DEADLINE"}, skipped


def test_a_message_alone_in_its_corpus_holds_flow_id_unique():
    corpus = Corpus()
    corpus.add("message.xml", etree.ElementTree(etree.fromstring(envelope("send_request"))))
    result = check(envelope("send_request"), corpus=corpus)
    assert [f.status for f in result.findings if f.rule_id == "FLOW-ID-UNIQUE"] == [Status.PASS]


def test_response_must_be_of_the_type_its_request_asked_for():
    """Across files: the request (found by OriginalMessageId) asked for another type than the answer carries."""
    other = next(spec for spec in REGISTRY.types if spec.name != TYPE.name)
    corpus = Corpus(requests={REQUEST_ID: (other.request.namespace, other.request.root)})
    result = check(envelope("get_response_response"), corpus=corpus)
    problems = [f for f in result.findings if f.rule_id == "MSG-CONTENT-RESPONSE-TYPE" and f.status is Status.FAIL]
    assert problems and other.name in problems[0].message
    same = Corpus(requests={REQUEST_ID: (TYPE.request.namespace, TYPE.request.root)})
    assert "MSG-CONTENT-RESPONSE-TYPE" not in failed(check(envelope("get_response_response"), corpus=same))


def test_realtime_types_must_answer_within_two_seconds():
    realtime = next((spec for spec in REGISTRY.types if spec.realtime), None)
    assert realtime is not None, "the shipped registry has a real-time type"

    def answer_realtime_late(root: etree._Element) -> None:
        content = one(root, "MessagePrimaryContent")
        content.replace(content[0], etree.Element(f"{{{realtime.response.namespace}}}{realtime.response.root}"))
        one(one(root, "SenderProvidedResponseData"), "MessageID").text = new_message_id(AT + timedelta(seconds=5))

    result = check(edit("get_response_response", answer_realtime_late))
    late = [f for f in result.findings if f.rule_id == "TIME-ANSWER-DEADLINE"]
    assert [f.status for f in late] == [Status.WARN] and "2 seconds" in late[0].message


def test_sent_after_delivered_is_reported_at_the_delivery_timestamp():
    def delivered_early(root: etree._Element) -> None:
        sending = one(root, "SendingTimestamp")
        delivery = etree.Element(sending.tag.replace("SendingTimestamp", "DeliveryTimestamp"))
        delivery.text = (AT - timedelta(days=1)).isoformat()
        sending.getparent().append(delivery)

    result = check(edit("get_request_response", delivered_early))
    found = [f for f in result.findings if f.rule_id == "TIME-METADATA-ORDER"]
    assert found and found[0].status is Status.FAIL and found[0].location.xpath.endswith("DeliveryTimestamp")


def test_a_delivered_message_is_judged_stale_at_its_sending_timestamp():
    """Checked long after delivery, a request is not stale: the bus accepted it at SendingTimestamp."""
    later = AT + timedelta(days=30)
    result = check(envelope("get_request_response"), at=later)
    assert [f.status for f in result.findings if f.rule_id == "TIME-ID-STALE"] == [Status.PASS]
    late_send = edit("get_request_response", set_text("SendingTimestamp", (AT + timedelta(days=3)).isoformat()))
    found = [f for f in check(late_send).findings if f.rule_id == "TIME-ID-STALE"]
    assert [f.status for f in found] == [Status.FAIL] and "SendingTimestamp" in found[0].message
