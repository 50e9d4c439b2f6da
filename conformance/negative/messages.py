"""`mutate(case, facts) -> bytes`: the mutated message of a case, independent of where it is delivered.

The bus double gets these bytes as a call; a later provider suite can put the same spoiled message in front of a
participant. Order: a valid seeded sample of the case's operation and type -> its MessageID (and `To`, Ack
target) from `facts` -> `tree` mutations -> the caller's signature (unless `signer` is None) -> `signed` mutations
-> serialisation -> `bytes` mutations.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from lxml import etree

from conformance.crypto import bus_credentials
from conformance.errors import InputError
from conformance.negative.identities import identity
from conformance.negative.model import Case
from conformance.negative.mutations import BYTES, MUTATIONS, SIGNED, TREE, Facts, MutationError, phase_of
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build_element, place_signature
from conformance.protocol.operations import REQUEST_OF, SIGNATURES, Operation, Rpc, Signer, detect, locate
from conformance.protocol.samples import SampleError, sample_message
from conformance.registry.loader import load_registry
from conformance.xmldsig.signer import sign_message
from conformance.xmlsafe import parse_bytes

if TYPE_CHECKING:
    from conformance.crypto import Backend
    from conformance.registry.model import Registry


@cache
def default_registry() -> Registry:
    return load_registry()


def start_message(case: Case, facts: Facts, registry: Registry | None = None) -> m.Message:
    """The valid model the case starts from, carrying the run's ids."""
    registry = registry or default_registry()
    spec = registry.find(case.start.type) if case.start.type else registry.first
    if spec is None:
        raise MutationError(f"start.type {case.start.type!r} is not a registered type; known: "
                            f"{', '.join(registry.names())}")
    try:
        message = sample_message(REQUEST_OF[case.rpc], case.version, spec=spec, seed=facts.rng.randrange(1 << 30),
                                 at=facts.now, variant=case.start.variant)
    except SampleError as exc:
        raise MutationError(str(exc)) from None
    if isinstance(message, m.SendRequestRequest):
        return dataclasses.replace(message, data=dataclasses.replace(message.data, message_id=facts.message_id))
    if isinstance(message, m.SendResponseRequest):
        data = dataclasses.replace(message.data, message_id=facts.message_id, to=facts.reply_to or message.data.to)
        return dataclasses.replace(message, data=data)
    if isinstance(message, m.AckRequest):
        target = dataclasses.replace(message.target, message_id=facts.delivered or facts.message_id)
        return dataclasses.replace(message, target=target)
    return message


def facts_for(case: Case, seed: int | str = 0, now: datetime | None = None) -> Facts:
    """The facts a case is mutated with: `now` (default: the current time), a generator seeded by the run's seed and
    the case id, and a fresh MessageID made from both (the setup adds ReplyTo and the delivered id)."""
    moment = now or datetime.now(UTC)
    rng = random.Random(f"{seed}/{case.id}")
    return Facts(now=moment, rng=rng, message_id=ids.new_message_id(moment, rng=rng))


def _apply(case: Case, envelope: etree._Element, phase: str, facts: Facts) -> None:
    for step in case.mutations:
        if phase_of(step.name, step.args) == phase:
            try:
                MUTATIONS[step.name].apply(envelope, step.args, facts, case.version)
            except MutationError as exc:
                raise MutationError(f"{case.id}: mutation {step.name} (line {step.line}): {exc}") from None


def mutate(case: Case, facts: Facts, *, registry: Registry | None = None, backend: Backend | None = None) -> bytes:
    """The bytes of the case's spoiled message, signed (when the case is) with `backend` (None: automatic)."""

    envelope = build_element(start_message(case, facts, registry), case.version)
    _apply(case, envelope, TREE, facts)
    if case.signer is not None:
        who = identity(case.signer, case.rpc)
        try:
            sign_message(envelope, REQUEST_OF[case.rpc], who.key, who.certificate, backend=backend)
        except InputError as exc:
            raise MutationError(f"{case.id}: cannot sign the mutated message as {who.name}: {exc}") from None
    _apply(case, envelope, SIGNED, facts)
    data = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    for step in case.mutations:
        if phase_of(step.name, step.args) == BYTES:
            data = MUTATIONS[step.name].apply(data, step.args, facts)
    return data


def reaches_participant(case: Case) -> bool:
    """Whether the case's spoiled content would reach a provider inside a delivery (a provider suite can put
    `mutate(case, facts)`'s SenderProvidedRequestData in front of the participant, which must refuse it): a
    SendRequest whose mutations act on the message itself, not on the bytes or the transport, and no forced fault."""
    return (case.rpc is Rpc.SEND_REQUEST and case.force is None and case.transport.method == "POST"
            and case.transport == type(case.transport)() and bool(case.mutations or case.signer != "caller")
            and all(phase_of(step.name, step.args) != BYTES for step in case.mutations))


def as_delivery(case: Case, facts: Facts, *, registry: Registry | None = None,
                backend: Backend | None = None) -> bytes:
    """The case's spoiled request as the bus would deliver it to the provider: a `GetRequestResponse` of the case's
    version whose `Request` carries the spoiled `SenderProvidedRequestData` verbatim and the caller's signature as
    `SenderInformationSystemSignature`, signed by the bus (its shipped test key) over `Request`. A provider suite
    hands these to a participant, which must refuse them (only for cases where `reaches_participant` holds)."""
    if not reaches_participant(case):
        raise MutationError(f"{case.id}: its spoiled part does not travel to a provider inside a delivery")
    spoiled = detect(parse_bytes(mutate(case, facts, registry=registry, backend=backend), source=case.id)).body
    data = locate(spoiled, ("SenderProvidedRequestData",))
    caller = locate(spoiled, ("CallerInformationSystemSignature",))
    registry = registry or default_registry()
    spec = registry.find(case.start.type) if case.start.type else registry.first
    delivery = sample_message(Operation.GET_REQUEST_RESPONSE, case.version, spec=spec, at=facts.now,
                              seed=facts.rng.randrange(1 << 30))
    envelope = build_element(delivery, case.version)
    body = detect(envelope).body
    built = locate(body, ("RequestMessage", "Request", "SenderProvidedRequestData"))
    if data is None or built is None:
        raise MutationError(f"{case.id}: the spoiled message has no SenderProvidedRequestData to deliver")
    built.getparent().replace(built, copy.deepcopy(data))
    if caller is not None and len(caller):
        sender = next(s for s in SIGNATURES[Operation.GET_REQUEST_RESPONSE] if s.signer is Signer.SENDER)
        place_signature(body, sender, copy.deepcopy(caller[0]))
    key, certificate, _ = bus_credentials()
    sign_message(envelope, Operation.GET_REQUEST_RESPONSE, key, certificate, backend=backend)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
