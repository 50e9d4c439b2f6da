"""Negative deliveries: the negative catalogue's spoiled requests put in front of a provider (issue 5 §3).

A catalogue case whose spoiled part travels inside a delivery (`reaches_participant`) is mutated for one of the
participant's types and queued in the bus double as if a consumer had sent it (the bus's own checks skipped); the
bus delivers it to the provider's GetRequest, signed by the bus over the Request as usual, the spoiled
SenderProvidedRequestData and the sender's (spoiled) signature kept verbatim. The provider must refuse it: Ack
with accepted=false, or answer RequestRejected; it must never answer it with data as if it were valid.

Only the cases a provider has a duty to refuse are delivered (`PROVIDER_DUTIES`): a broken or untrusted sender
signature or certificate (SIG-, CERT-: 697 §11, verify the signatures), and business content its type does not
describe (MSG-CONTENT-, MSG-SCHEMA-PAYLOAD: 963 §4, RequestRejected). The bus's own checks (MessageID format, EOL,
field lengths, the access matrix) are the bus's job: a provider is not required to repeat them. A case signed by
the operation's caller is signed here by the bus's key (as every request the harness delivers), so that only the
case's mutation, not an unknown test CA, is what the provider must notice; a case with a named signer (expired,
foreign, ...) keeps the catalogue's identity, and an unsigned case is not delivered (the bus delivers only signed
requests).

`select_cases(limit, seed, version)` picks a bounded, seeded selection spread over the catalogue's families
(NEG-SR, NEG-SIG, NEG-CERT); `limit=None` takes every deliverable case.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from conformance import xmlsafe
from conformance.bus.replyto import make_reply_to
from conformance.bus.store import Kind
from conformance.errors import UsageError
from conformance.findings import Status
from conformance.negative.identities import identity
from conformance.negative.loader import load_catalogue
from conformance.negative.messages import facts_for, reaches_participant, start_message
from conformance.negative.model import Case
from conformance.negative.mutations import BYTES, MUTATIONS, SIGNED, TREE, phase_of
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build_element
from conformance.protocol.codes import StatusCategory
from conformance.protocol.operations import REQUEST_OF
from conformance.protocol.reader import parse
from conformance.xmldsig.signer import sign_message
from conformance.xmldsig.verifier import verify_message

DEFAULT_LIMIT = 15
"""Negative deliveries in a provider run unless `--negative N|all` says otherwise."""
PROVIDER_DUTIES = ("SIG-", "CERT-", "MSG-CONTENT-", "MSG-SCHEMA-PAYLOAD")
"""Rule prefixes of the cases a provider must refuse when they reach it."""


class Undeliverable(Exception):
    """The case's spoiled message cannot be delivered by the bus double (it cannot read it as a SendRequest)."""


@dataclass(frozen=True)
class Queued:
    message_id: str
    reply_to: str


def family_of(case: Case) -> str:
    """`NEG-SIG-RS-ORDER` -> `SIG`."""
    parts = case.id.split("-")
    return parts[1] if len(parts) > 2 else case.id


def select_cases(limit: int | None, seed: int, version: str) -> list[Case]:
    """The catalogue's cases that reach a participant of this SMEV `version`: all (`limit` None), or `limit` of them
    taken in turn from each family, each family's order shuffled by `seed`."""
    cases = [c for c in load_catalogue() if reaches_participant(c) and c.version.value == version
             and c.signer is not None and c.expect.rule.startswith(PROVIDER_DUTIES)]
    if limit is None or limit >= len(cases):
        return cases
    rng = random.Random(f"negative/{seed}")
    families: dict[str, list[Case]] = {}
    for case in cases:
        families.setdefault(family_of(case), []).append(case)
    for members in families.values():
        rng.shuffle(members)
    chosen: list[Case] = []
    while len(chosen) < limit:
        for members in families.values():
            if members and len(chosen) < limit:
                chosen.append(members.pop(0))
    return sorted(chosen, key=lambda c: c.id)


def enqueue(bus, case: Case, type_name: str, registry, *, provider: str, sender: str, seed: int,
            clock: Callable[[], float]) -> Queued:
    """Queue the case's spoiled request, built for `type_name`, for `provider`; returns its MessageID and ReplyTo.
    Raises `Undeliverable` when the bus double could not deliver it."""
    spec = registry.by_name(type_name)
    retargeted = dataclasses.replace(registry, types=(spec,) + tuple(t for t in registry.types if t is not spec))
    if case.start.type and case.start.type != type_name:
        raise Undeliverable(f"the case is written for {case.start.type}, which the participant does not provide")
    try:
        payload = spoil(case, facts_for(case, seed), retargeted, bus.credentials, bus.backend)
        parsed = parse(xmlsafe.parse_bytes(payload, source=case.id), source=case.id).message
    except Exception as exc:  # noqa: BLE001 - a mutation the bus double cannot carry: say why
        raise Undeliverable(f"the bus double cannot read the spoiled message as a request: {exc}") from None
    if not isinstance(parsed, m.SendRequestRequest):
        raise Undeliverable(f"the spoiled message is a {type(parsed).__name__}, not a SendRequest")
    _check_spoilage_travels(case, payload, bus.credentials, bus.backend)
    btype = bus.types.by_name(type_name)
    now = clock()
    message_id = parsed.data.message_id if ids.check_message_id(parsed.data.message_id or "") else \
        ids.new_message_id()
    if not bus.store.remember_id(message_id, sender, "SendRequest", now):
        message_id = ids.new_message_id()
        bus.store.remember_id(message_id, sender, "SendRequest", now)
    reply_to = make_reply_to(message_id, sender)
    bus.store.enqueue(message_id=message_id, kind=Kind.REQUEST, version=case.version.value,
                      namespace=btype.request.namespace, root=btype.request.root, sender=sender, recipient=provider,
                      payload=payload, at=now, reply_to=reply_to)
    bus.store.record_status(message_id, StatusCategory.REQUEST_IS_QUEUED.value, now)
    return Queued(message_id, reply_to)


def signature_duty(case: Case) -> bool:
    """Whether the provider must refuse the case for its sender signature or certificate (else: for content)."""
    return case.expect.rule.startswith(("SIG-", "CERT-"))


def _check_spoilage_travels(case: Case, payload: bytes, credentials, backend) -> None:  # noqa: ANN001 - BusCredentials, Backend
    """Raise `Undeliverable` when what the case spoils would not reach the provider: a change in soap:Header (the
    bus does not pass it on), or a signature that still verifies under the trust anchor the bus and participant
    share (e.g. a 'foreign' test certificate issued by that very anchor)."""
    envelope = etree.fromstring(payload)
    header = next((e for e in envelope if isinstance(e.tag, str) and etree.QName(e).localname == "Header"), None)
    if header is not None and len(header):
        raise Undeliverable("its spoiled part is in soap:Header, which the bus does not deliver to the provider")
    if signature_duty(case) and credentials is not None and credentials.ca is not None:
        findings = verify_message(envelope, trust=[credentials.ca], backend=backend)
        if not any(f.status is Status.FAIL for f in findings):
            raise Undeliverable("its sender signature verifies under the trust anchor the harness shares with the "
                                "participant: there is nothing for the provider to refuse")


def spoil(case: Case, facts, registry, credentials, backend) -> bytes:  # noqa: ANN001 - negative Facts, Registry, Backend
    """The case's spoiled message, as `conformance.negative.messages.mutate` makes it, except that a case signed by
    the operation's caller is signed with `credentials` (the bus's key, which the participant trusts); `backend` is the
    bus double's (the run's `--crypto`)."""
    def apply(phase: str) -> None:
        for step in case.mutations:
            if phase_of(step.name, step.args) == phase:
                MUTATIONS[step.name].apply(envelope, step.args, facts, case.version)

    envelope = build_element(start_message(case, facts, registry), case.version)
    apply(TREE)
    if case.signer == "caller" and credentials is not None:
        sign_message(envelope, REQUEST_OF[case.rpc], credentials.key, credentials.certificate, backend=backend)
    elif case.signer is not None:
        who = identity(case.signer, case.rpc)
        sign_message(envelope, REQUEST_OF[case.rpc], who.key, who.certificate, backend=backend)
    apply(SIGNED)
    data = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    for step in case.mutations:
        if phase_of(step.name, step.args) == BYTES:
            data = MUTATIONS[step.name].apply(data, step.args, facts)
    return data


__all__ = ["DEFAULT_LIMIT", "Queued", "Undeliverable", "enqueue", "family_of", "select_cases", "spoil"]


def negative_count(text: str | None, suite: str = "") -> int | None:
    """`--negative`: a count (0 and up), or None for `all`; not given: the default for `suite` (as --suite names it)."""
    if text is None:
        return DEFAULT_LIMIT if suite == "provider" else 0
    if text.strip().lower() == "all":
        return None
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise UsageError(f"--negative {text!r}: give a count (0 and up) or 'all'")
    return count
