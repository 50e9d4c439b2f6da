"""Every broken twin really makes its mistake on the wire, and a check modelled on the suite case its finding names
catches it while the reference passes the same check (the mutation score of these checks is 100 %).

Each `check_*` plays one suite case against the bus double and returns what it finds (empty: it holds).
"""

from __future__ import annotations

import contextlib

import pytest
from lxml import etree
from reference_helpers import Stand, make_stand

from conformance.findings import Status
from conformance.reference.common import Crash
from conformance.reference.consumer import Consumer
from conformance.reference.identity import CONSUMER, PROVIDER, ca_certificate
from conformance.reference.provider import Provider
from conformance.reference.variants import REFERENCE, VARIANTS, Variant
from conformance.xmldsig.verifier import verify_message

REALTIME_TYPE = "sfr-snils-check"


def _fault_text(stand: Stand, exchange) -> str:
    fault = stand.answered(exchange).message
    reason = f" {fault.reason.value}" if fault.reason else ""
    diagnosis = [f.message for f in verify_message(etree.fromstring(exchange.request_body), trust=[ca_certificate()])
                 if f.status is Status.FAIL]
    return f"{exchange.rpc}: {fault.name.value}{reason}: {fault.faultstring} | {' | '.join(diagnosis)}"


def _refusals(stand: Stand, caller: str) -> list[str]:
    return [_fault_text(stand, e) for e in stand.exchanges(caller=caller) if e.fault]


def check_answers_valid_request(stand: Stand, variant: Variant, tmp_path) -> list[str]:
    """answers-valid-request: acked, answered within 2 s (a real-time type), signed, To = ReplyTo."""
    sent = Consumer(stand.settings()).send(REALTIME_TYPE, seed=8)
    Provider(stand.settings(variant)).poll_once()
    found = _refusals(stand, PROVIDER)
    acks = [e for e in stand.exchanges("Ack", PROVIDER) if not e.fault]
    if not acks:
        found.append("flow acked: no Ack of the delivered request")
    answers = [e for e in stand.exchanges("SendResponse", PROVIDER) if not e.fault]
    if not answers:
        found.append("flow answers: no accepted SendResponse")
    for answer in answers:
        [request] = stand.exchanges("SendRequest", CONSUMER)
        if answer.at - request.at > 2.0:
            found.append(f"timing: answered after {answer.at - request.at:.1f} s; a real-time type allows 2 s")
        [delivery] = [e for e in stand.exchanges("GetRequest", PROVIDER) if e.message_id == sent.message_id]
        if stand.sent(answer).message.data.to != stand.answered(delivery).message.message.request.reply_to:
            found.append("flow reply_to_copied: To is not the ReplyTo")
    return found


def check_acked_request_survives_restart(stand: Stand, variant: Variant, tmp_path) -> list[str]:
    """The participant stops dead right after its Ack and restarts on the same state: the request is answered."""
    state = tmp_path / f"{variant.name}.sqlite"
    sent = Consumer(stand.settings()).send(REALTIME_TYPE, seed=9)
    first = Provider(stand.settings(variant, state=state, crash_after_ack=True))
    with contextlib.suppress(Crash):
        first.poll_once()
    first.close()
    Provider(stand.settings(variant, state=state)).run(once=True)
    answered = [e for e in stand.exchanges("SendResponse", PROVIDER) if not e.fault]
    acked = stand.exchanges("Ack", PROVIDER)
    if acked and not answered:
        return [f"flow answers: {sent.message_id} was acked but never answered after a restart (lost)"]
    return []


def check_answers_redelivery_once(stand: Stand, variant: Variant, tmp_path) -> list[str]:
    sent = Consumer(stand.settings()).send(REALTIME_TYPE, seed=10)
    provider = Provider(stand.settings(variant))
    provider.poll_once()
    stand.bus.redeliver(sent.message_id)
    provider.poll_once()
    answers = [e for e in stand.exchanges("SendResponse", PROVIDER) if not e.fault]
    return [f"flow not_answered_twice: {len(answers)} answers to {sent.message_id}"] if len(answers) > 1 else []


def check_refuses_bad_bus_signature(stand: Stand, variant: Variant, tmp_path) -> list[str]:
    sent = Consumer(stand.settings()).send(REALTIME_TYPE, seed=11)
    stand.bus.redeliver(sent.message_id, bad_signature=True)
    Provider(stand.settings(variant)).poll_once()
    found = []
    if any(stand.sent(e).message.target.accepted for e in stand.exchanges("Ack", PROVIDER)):
        found.append("flow acked accepted=false: the broken delivery was acked accepted=true")
    if stand.exchanges("SendResponse", PROVIDER):
        found.append("flow not_answered: the broken delivery was answered")
    return found


def check_sends_valid_request(stand: Stand, variant: Variant, tmp_path) -> list[str]:
    Consumer(stand.settings(variant)).send(REALTIME_TYPE, seed=12)
    return _refusals(stand, CONSUMER)


def check_polls_and_acks_response(stand: Stand, variant: Variant, tmp_path) -> list[str]:
    consumer = Consumer(stand.settings(variant))
    sent = consumer.send(REALTIME_TYPE, seed=13)
    Provider(stand.settings()).poll_once()
    consumer.await_final(sent.message_id, 5)
    stand.clock.advance(120)  # past the ack timeout: an unacked response comes again
    consumer.poll_once()
    found = [] if stand.exchanges("Ack", CONSUMER) else ["flow acked: the response was never acked"]
    taken = [e for e in stand.exchanges("GetResponse", CONSUMER) if e.message_id]
    if len(taken) > 1:
        found.append(f"the bus delivered the response {len(taken)} times (never acked)")
    return found


PROVIDER_CHECKS = {
    "answers-valid-request": check_answers_valid_request,
    "acked-request-survives-restart": check_acked_request_survives_restart,
    "answers-redelivery-once": check_answers_redelivery_once,
    "refuses-bad-bus-signature": check_refuses_bad_bus_signature,
}
CONSUMER_CHECKS = {
    "sends-valid-request": check_sends_valid_request,
    "polls-and-acks-response": check_polls_and_acks_response,
}

# variant -> what its check must find on the wire (provider role; consumer role below)
EXPECTED = {
    "no-ack": "flow acked",
    "ack-before-durable": "never answered after a restart",
    "upper-case-id": "InvalidMessageIdFormat: MSG-ID-UUID1: MessageID",
    "uuid4-id": "is a version 4 UUID",
    "wrong-reference": "SignatureVerificationFault IncorrectSignatureTarget",
    "indented-signed-info": "diagnosis: SignedInfo was indented after signing",
    "inclusive-c14n": "diagnosis: SignedInfo canonicalised with inclusive instead of exclusive c14n",
    "rs-order": "diagnosis: r‖s instead of s‖r",
    "slow": "a real-time type allows 2 s",
    "answers-twice": "flow not_answered_twice: 2 answers",
    "no-to": "SendResponse: InvalidContent",
    "expired-certificate": "SignatureVerificationFault CertificateIsExpired",
    "ignores-bad-signature": "was acked accepted=true",
}
EXPECTED_CONSUMER = {
    "no-ack": "flow acked: the response was never acked",
    "upper-case-id": "has upper-case letters",
    "uuid4-id": "is a version 4 UUID",
    "wrong-reference": "IncorrectSignatureTarget",
    "indented-signed-info": "SignedInfo was indented after signing",
    "inclusive-c14n": "inclusive instead of exclusive c14n",
    "rs-order": "r‖s instead of s‖r",
    "expired-certificate": "CertificateIsExpired",
}


def _case(variant: Variant, role: str) -> str:
    return variant.finding_for(role).split(":", 1)[0]


def _run(check, variant: Variant, role: str, tmp_path) -> list[str]:
    stand = make_stand(provider=variant if role == "provider" else REFERENCE,
                       consumer=variant if role == "consumer" else REFERENCE)
    try:
        return check(stand, variant, tmp_path)
    finally:
        stand.close()


def test_reference_variants_table_is_complete():
    assert len(VARIANTS) >= 12
    assert set(EXPECTED) == set(VARIANTS)
    assert set(EXPECTED_CONSUMER) == {name for name, v in VARIANTS.items() if "consumer" in v.roles}
    for v in VARIANTS.values():
        assert _case(v, "provider") in PROVIDER_CHECKS, v.name
        if "consumer" in v.roles:
            assert _case(v, "consumer") in CONSUMER_CHECKS, v.name


@pytest.mark.parametrize("name", list(VARIANTS))
def test_reference_variants_provider_mistake_is_caught(name, tmp_path):
    v = VARIANTS[name]
    found = _run(PROVIDER_CHECKS[_case(v, "provider")], v, "provider", tmp_path)
    assert any(EXPECTED[name] in item for item in found), found


@pytest.mark.parametrize("name", [n for n, v in VARIANTS.items() if "consumer" in v.roles])
def test_reference_variants_consumer_mistake_is_caught(name, tmp_path):
    v = VARIANTS[name]
    found = _run(CONSUMER_CHECKS[_case(v, "consumer")], v, "consumer", tmp_path)
    assert any(EXPECTED_CONSUMER[name] in item for item in found), found


@pytest.mark.parametrize("case", list(PROVIDER_CHECKS))
def test_reference_variants_reference_provider_passes_every_check(case, tmp_path):
    assert _run(PROVIDER_CHECKS[case], REFERENCE, "provider", tmp_path) == []


@pytest.mark.parametrize("case", list(CONSUMER_CHECKS))
def test_reference_variants_reference_consumer_passes_every_check(case, tmp_path):
    assert _run(CONSUMER_CHECKS[case], REFERENCE, "consumer", tmp_path) == []


def test_reference_variants_no_ack_leaves_the_request_to_be_redelivered(tmp_path):
    stand = make_stand(provider=VARIANTS["no-ack"])
    try:
        sent = Consumer(stand.settings()).send(REALTIME_TYPE, seed=14)
        provider = Provider(stand.settings(VARIANTS["no-ack"]))
        assert provider.poll_once()
        stand.clock.advance(120)  # past the bus's ack timeout
        assert provider.poll_once()
        deliveries = [e for e in stand.exchanges("GetRequest", PROVIDER) if e.message_id == sent.message_id]
        assert len(deliveries) == 2 and stand.exchanges("Ack", PROVIDER) == []
        assert len(stand.exchanges("SendResponse", PROVIDER)) == 1  # its journal still stops a second answer
    finally:
        stand.close()


def test_reference_variants_reference_resends_after_fault_with_new_message_id(stand):
    from conformance.protocol.codes import FaultName

    stand.bus.force_fault("SendResponse", FaultName.SMEV_FAILURE, times=1)
    sent = Consumer(stand.settings()).send(REALTIME_TYPE, seed=15)
    provider = Provider(stand.settings())
    assert provider.run(once=True) == 1  # the refused answer waits in the outbox for its backoff, then goes out
    assert provider.state.find(sent.message_id).attempts == 1
    refused, resent = stand.exchanges("SendResponse", PROVIDER)
    assert refused.fault == "SMEVFailure" and resent.fault is None
    first, second = stand.sent(refused).message.data, stand.sent(resent).message.data
    assert first.message_id != second.message_id
    assert (first.to, first.answer) == (second.to, second.answer)
    assert Consumer(stand.settings()).await_final(sent.message_id, 5).kind == "data"
