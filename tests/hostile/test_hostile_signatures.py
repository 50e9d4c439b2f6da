"""Attacks on who signed, when it is judged and what was signed, written as an attacker would: one named test each,
against `verify` (the verifier), `check` (the rule catalogue) and the bus double (over HTTP).

Cast, minted with the project's test PKI: MVD (participant-1) consumes the `inn` type, FNS (participant-2) provides
it, MFC (participant-3, also a consumer) is the attacker; EXP holds the PKI's expired certificate.

Signature wrapping: the eight classic forms of Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be"
(USENIX Security 2012), adapted to SMEV's Id-referenced detached signatures, plus duplicate Ids, an Id in another
namespace, a signature over a detached copy, an unsigned forged twin after the signed block, and comments or PIs
inside a signed field (c14n drops them, a DOM reader stops at them).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta

import pytest
from hostile_helpers import refused
from lxml import etree

from conformance.bus.client import BusClient
from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.bus.types import TypeTable
from conformance.crypto import get_backend
from conformance.crypto.testpki import build_pki
from conformance.findings import Status
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import FaultName, SignatureVerificationReason
from conformance.protocol.operations import Operation, ProtocolError
from conformance.protocol.reader import parse
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry.model import MessageTypeSpec, PayloadSpec
from conformance.rules import catalogue
from conformance.rules.engine import CheckSettings, check_tree
from conformance.xmldsig.signedfields import message_time
from conformance.xmldsig.signer import signing_hook
from conformance.xmldsig.verifier import VerifyOptions, verify_tree
from conformance.xmlsafe import parse_bytes

DS = "http://www.w3.org/2000/09/xmldsig#"
T13 = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.3"
NS = "urn://x-artefacts-test/inn/1.0"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"

PKI = build_pki(participants=3, seed="sigtrust-attacks")
CRED = {c.name: c for c in (*PKI.participants, PKI.ca)}
WHO = {"MVD": "participant-1", "FNS": "participant-2", "MFC": "participant-3", "EXP": "expired"}
TYPES = TypeTable([MessageTypeSpec("inn", PayloadSpec(NS, "InnRequest"), PayloadSpec(NS, "InnResponse"), ("FNS",),
                                   ("MVD", "MFC", "EXP"))])
BACKEND = get_backend()  # native where the GOST engine is installed, else pure: these attacks need a backend, not that one

Mutation = Callable[[etree._Element], None]


def cert_of(who: str):
    return CRED[WHO[who]].certificate


def sign_as(who: str, then: Mutation | None = None):
    """A signing hook: `who` signs with its own key, then the attacker's `then` edits the signed envelope."""
    credential = CRED[WHO[who]]
    sign = signing_hook(credential.key, credential.certificate, backend=BACKEND)

    def hook(envelope: etree._Element, operation: Operation, version: object) -> None:
        sign(envelope, operation, version)
        if then is not None:
            then(envelope)

    return hook


def inn_request(passport: str = "4500 123456") -> XmlFragment:
    return XmlFragment(etree.fromstring(f'<i:InnRequest xmlns:i="{NS}"><i:Passport>{passport}</i:Passport>'
                                        '</i:InnRequest>'))


def signed_request(who: str = "MVD", then: Mutation | None = None, message_id: str | None = None) -> bytes:
    data = m.SenderProvidedRequestData(message_id=message_id or ids.new_message_id(), content=inn_request())
    return build(m.SendRequestRequest(data), "1.3", sign=sign_as(who, then))


def outcomes(data: bytes, **options) -> list:
    options.setdefault("backend", BACKEND)
    options.setdefault("trust", (PKI.ca.certificate,))
    return verify_tree(parse_bytes(data), VerifyOptions(**options))


def failed_rules(data: bytes, **options) -> set[str]:
    return {o.rule_id for o in outcomes(data, **options) if o.status is Status.FAIL}


_SIG_RULES = None


def check_failures(data: bytes) -> set[str]:
    """Rule ids `check` fails on the message (the signature and certificate rules of the catalogue)."""
    global _SIG_RULES
    if _SIG_RULES is None:
        _SIG_RULES = [r for r in catalogue.registered() if r.rule.id.startswith(("SIG-", "CERT-"))]
    settings = CheckSettings(rules=_SIG_RULES, options={"trust": (PKI.ca.certificate,)})
    result = check_tree("attack.xml", parse_bytes(data), settings)
    return {f.rule_id for f in result.findings if f.status is Status.FAIL}


# -- the double ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def double():
    shipped = load_credentials()
    creds = BusCredentials(shipped.key, shipped.certificate, PKI.ca.certificate, PKI.crl,
                           {name: cert_of(name) for name in WHO})
    bus = Bus(TYPES, config=BusConfig(signatures=True, ack_timeout=3600), credentials=creds)
    running = start(bus)
    yield running
    running.close()


def client(double, who: str, then: Mutation | None = None, **kwargs) -> BusClient:
    return BusClient(double.url, sign=sign_as(who, then), **kwargs)


def drain(double, who: str) -> None:
    """Take and ack whatever waits for `who`, so that each test starts from empty queues."""
    me = client(double, who)
    for take in (me.get_request, me.get_response, me.get_status):
        for _ in range(50):
            reply = take()
            inner = getattr(reply.message, "message", None)
            if inner is None:
                break
            data = getattr(inner, "request", None) or getattr(inner, "response", None)
            mid = data.metadata.message_id if data is not None else None
            if mid is None:
                break
            me.ack(mid)


# == 1. Impersonation: the caller is the holder of the key that verified =========================================


def _x509data(certificate) -> etree._Element:
    import base64

    data = etree.Element(f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = base64.b64encode(certificate.der).decode()
    return data


def victim_certificate_first(victim: str) -> Mutation:
    """The attacker keeps its own certificate (it verifies the signature) and puts the victim's before it."""

    def edit(envelope: etree._Element) -> None:
        envelope.find(f".//{{{DS}}}X509Data").insert(0, _x509data(cert_of(victim))[0])

    return edit


def victim_in_an_earlier_x509data(victim: str) -> Mutation:
    def edit(envelope: etree._Element) -> None:
        key_info = envelope.find(f".//{{{DS}}}KeyInfo")
        key_info.insert(0, _x509data(cert_of(victim)))

    return edit


def victim_under_a_foreign_element(victim: str) -> Mutation:
    """The former identity lookup took `KeyInfo//X509Certificate`, any depth: hide the victim's there."""

    def edit(envelope: etree._Element) -> None:
        key_info = envelope.find(f".//{{{DS}}}KeyInfo")
        holder = etree.Element("{urn:evil}Hint")
        holder.append(_x509data(cert_of(victim))[0])
        key_info.insert(0, holder)

    return edit


def victim_in_a_second_key_info(victim: str) -> Mutation:
    def edit(envelope: etree._Element) -> None:
        signature = envelope.find(f".//{{{DS}}}Signature")
        key_info = etree.Element(f"{{{DS}}}KeyInfo")
        key_info.append(_x509data(cert_of(victim)))
        signature.insert(2, key_info)

    return edit


def victim_certificate_only(victim: str) -> Mutation:
    """The attacker's signature with only the victim's certificate: it cannot verify."""

    def edit(envelope: etree._Element) -> None:
        envelope.find(f".//{{{DS}}}X509Certificate").text = _x509data(cert_of(victim))[0].text

    return edit


FORGERIES = {
    "victim-certificate-first": (victim_certificate_first, SignatureVerificationReason.CERTIFICATE_IS_NOT_FOUND),
    "victim-in-an-earlier-x509data": (victim_in_an_earlier_x509data,
                                      SignatureVerificationReason.CERTIFICATE_IS_NOT_FOUND),
    "victim-under-a-foreign-element": (victim_under_a_foreign_element,
                                       SignatureVerificationReason.CERTIFICATE_IS_NOT_FOUND),
    "victim-in-a-second-keyinfo": (victim_in_a_second_key_info,
                                   SignatureVerificationReason.POOR_SOAP_ENVELOPE_FORMAT),
    "victim-certificate-only": (victim_certificate_only, SignatureVerificationReason.SIGNATURE_IS_INVALID),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_impersonation_forged_key_info_fails_verify_and_check(forgery):
    data = signed_request("MFC", FORGERIES[forgery][0]("MVD"))
    found = outcomes(data)
    failed = {o.rule_id for o in found if o.status is Status.FAIL}
    assert failed & {"CERT-PRESENT", "SIG-VALUE", "SIG-STRUCTURE"}, failed
    # Nothing that passed carries the victim's certificate as the signer.
    assert not [o for o in found if o.certificate is not None and o.certificate.der == cert_of("MVD").der]
    assert check_failures(data) & {"CERT-PRESENT", "SIG-VALUE", "SIG-STRUCTURE"}


OPERATIONS: dict[str, Callable[[BusClient], object]] = {
    "SendRequest": lambda c: c.send_request(inn_request()),
    "GetRequest": lambda c: c.get_request(),
    "GetResponse": lambda c: c.get_response(),
    "Ack": lambda c: c.ack(ids.new_message_id()),
    "SendResponse": lambda c: c.send_response("eyJ4IjoxfQ==", m.BusinessAnswer(XmlFragment(etree.fromstring(
        f'<i:InnResponse xmlns:i="{NS}"><i:INN>1</i:INN></i:InnResponse>')))),
    "GetStatus": lambda c: c.get_status(),
    "GetIncomingQueueStatistics": lambda c: c.queue_statistics(),  # 1.1 only: the client below speaks 1.1 for it
}


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_impersonation_refused_by_the_double_on_every_operation(double, operation, forgery):
    """MFC signs with its own key and presents FNS's certificate: no operation acts as FNS."""
    mutation, reason = FORGERIES[forgery]
    version = "1.1" if operation == "GetIncomingQueueStatistics" else "1.3"
    reply = OPERATIONS[operation](client(double, "MFC", mutation("FNS"), version=version))
    refused(reply, FaultName.SIGNATURE_VERIFICATION_FAULT, reason)


def test_impersonation_of_a_provider_neither_reads_nor_acks_its_requests(double):
    """The issue's attack: MFC puts FNS's certificate first, takes FNS's requests and acks them away."""
    drain(double, "FNS")
    sent = client(double, "MVD").send_request(inn_request())
    mid = sent.message.metadata.message_id
    attacker = client(double, "MFC", victim_certificate_first("FNS"))
    refused(attacker.get_request(), FaultName.SIGNATURE_VERIFICATION_FAULT)
    refused(attacker.ack(mid), FaultName.SIGNATURE_VERIFICATION_FAULT)
    # Under its own name the attacker holds nothing of FNS's either.
    refused(client(double, "MFC").ack(mid), FaultName.TARGET_MESSAGE_IS_NOT_FOUND)
    got = client(double, "FNS").get_request()
    assert got.message.message.request.data.message_id == mid  # still there for its recipient
    assert client(double, "FNS").ack(mid).status == 200


def test_impersonation_of_a_consumer_does_not_read_its_responses(double):
    drain(double, "FNS")
    drain(double, "MVD")
    request_id = client(double, "MVD").send_request(inn_request()).message.metadata.message_id
    provider = client(double, "FNS")
    request = provider.get_request().message.message.request
    provider.ack(request_id)
    answer = m.BusinessAnswer(XmlFragment(etree.fromstring(f'<i:InnResponse xmlns:i="{NS}"><i:INN>7</i:INN>'
                                                           '</i:InnResponse>')))
    assert provider.send_response(request.reply_to, answer).status == 200
    refused(client(double, "MFC", victim_certificate_first("MVD")).get_response(),
            FaultName.SIGNATURE_VERIFICATION_FAULT)
    assert client(double, "MFC").get_response().message.message is None  # nothing for the attacker itself
    response = client(double, "MVD").get_response().message.message.response
    assert response.original_message_id == request_id


def test_answering_a_request_delivered_to_another_is_refused(double):
    drain(double, "FNS")
    client(double, "MVD").send_request(inn_request())
    request = client(double, "FNS").get_request().message.message.request
    answer = m.BusinessAnswer(XmlFragment(etree.fromstring(f'<i:InnResponse xmlns:i="{NS}"><i:INN>7</i:INN>'
                                                           '</i:InnResponse>')))
    refused(client(double, "MFC").send_response(request.reply_to, answer), FaultName.RECIPIENT_IS_NOT_FOUND)
    client(double, "FNS").ack(request.data.message_id)


def test_a_sender_header_naming_another_participant_is_refused(double):
    reply = client(double, "MFC", sender="FNS").get_request()
    fault = refused(reply, FaultName.SENDER_IS_NOT_REGISTERED)
    assert "FNS" in fault.faultstring and "MFC" in fault.faultstring


def test_a_valid_signature_by_an_unregistered_key_is_sender_is_not_registered(double):
    """The CA's own key made a valid signature, but its KeyUsage forbids signing messages: refused before any
    registration lookup. A signing certificate the same CA issued to nobody registered: SenderIsNotRegistered."""
    reply = BusClient(double.url, sign=signing_hook(PKI.ca.key, PKI.ca.certificate, backend=BACKEND)).get_request()
    refused(reply, FaultName.SIGNATURE_VERIFICATION_FAULT, SignatureVerificationReason.CERTIFICATE_IS_NOT_FOUND)
    stranger = CRED["revoked"]  # registered for nobody in this double
    reply = BusClient(double.url, sign=signing_hook(stranger.key, stranger.certificate, backend=BACKEND)).get_request()
    refused(reply, FaultName.SENDER_IS_NOT_REGISTERED)


def test_two_caller_signatures_are_refused(double):
    def second_signature(envelope: etree._Element) -> None:
        signature = envelope.find(f".//{{{DS}}}Signature")
        signature.getparent().append(copy.deepcopy(signature))

    reply = client(double, "MFC", second_signature).get_request()
    refused(reply, FaultName.SIGNATURE_VERIFICATION_FAULT, SignatureVerificationReason.POOR_SOAP_ENVELOPE_FORMAT)


def test_one_certificate_registered_for_two_participants_identifies_nobody():
    creds = BusCredentials(None, None, None, None, {"A": cert_of("MVD"), "B": cert_of("MVD")})
    assert creds.mnemonic_of(cert_of("MVD").der) is None


# == 2. Time: judged at receipt by the double, now by default in verify ===========================================


def backdated_id(who: str = "EXP") -> str:
    """A version 1 MessageID dated inside the (expired) certificate's validity: the sender chose it."""
    certificate = cert_of(who)
    return ids.new_message_id(certificate.not_before + (certificate.not_after - certificate.not_before) / 2)


@pytest.mark.parametrize("with_crl", [False, True], ids=["trust", "trust-and-crl"])
def test_expired_key_with_a_backdated_message_id_fails_verify(with_crl):
    data = signed_request("EXP", message_id=backdated_id())
    found = outcomes(data, crls=(PKI.crl,) if with_crl else ())
    validity = next(o for o in found if o.rule_id == "CERT-VALIDITY")
    assert validity.status is Status.FAIL
    assert "(now)" in validity.message and "the message's own time" in validity.message
    assert "SenderProvidedRequestData/MessageID" in validity.message  # the field named
    assert "CERT-VALIDITY" in check_failures(data)


def test_expired_key_with_a_backdated_message_id_never_passes_silently_at_message_time():
    data = signed_request("EXP", message_id=backdated_id())
    validity = next(o for o in outcomes(data, at="message") if o.rule_id == "CERT-VALIDITY")
    assert validity.status is Status.WARN, validity
    assert "not now" in validity.message and "SenderProvidedRequestData/MessageID" in validity.message


def test_expired_key_with_a_backdated_message_id_is_refused_by_the_double(double):
    reply = client(double, "EXP").send_request(inn_request(), message_id=backdated_id())
    fault = refused(reply, FaultName.SIGNATURE_VERIFICATION_FAULT, SignatureVerificationReason.CERTIFICATE_IS_EXPIRED)
    assert "receipt" in fault.faultstring


def test_message_time_is_read_from_the_signed_smev_field_only():
    """A MessageID in another namespace (here in the SOAP Header, before the body) is no time of the message."""
    signed_id = ids.new_message_id()

    def decoy(envelope: etree._Element) -> None:
        header = envelope.find(f"{{{SOAP}}}Header")
        if header is None:
            header = etree.Element(f"{{{SOAP}}}Header")
            envelope.insert(0, header)
        etree.SubElement(header, "{urn:evil}MessageID").text = backdated_id()
        etree.SubElement(header, f"{{{T13.replace('1.3', '1.2')}}}MessageID").text = backdated_id()

    tree = parse_bytes(signed_request("MVD", decoy, message_id=signed_id))
    found = message_time(tree.getroot())
    assert found is not None and found.at == ids.uuid1_time(signed_id)
    assert found.field == "SenderProvidedRequestData/MessageID (version 1 UUID)"


def test_message_time_of_an_ack_is_the_acked_id():
    acked = backdated_id("MVD")
    data = build(m.AckRequest(m.AckTargetMessage(acked)), "1.3", sign=sign_as("MVD"))
    found = message_time(parse_bytes(data).getroot())
    assert found is not None and found.at == ids.uuid1_time(acked) and "acked" in found.field


# == 3. Signature wrapping ========================================================================================


def _signed_block(envelope: etree._Element) -> etree._Element:
    return envelope.find(f".//{{{T13}}}SenderProvidedRequestData")


def _forged(original: etree._Element, *, keep_id: bool = False) -> etree._Element:
    """The attacker's version of the signed block: another passport, a fresh id; the Id kept or dropped."""
    forged = copy.deepcopy(original)
    forged.find(f".//{{{NS}}}Passport").text = "6666 666666"
    forged.find(f"{{{T13}}}MessageID").text = ids.new_message_id()
    if not keep_id:
        del forged.attrib["Id"]
    for signature in forged.iter(f"{{{DS}}}Signature"):
        signature.getparent().remove(signature)
    return forged


def _signature(envelope: etree._Element) -> etree._Element:
    return envelope.find(f".//{{{DS}}}Signature")


def _object(envelope: etree._Element) -> etree._Element:
    return etree.SubElement(_signature(envelope), f"{{{DS}}}Object")


def _header(envelope: etree._Element) -> etree._Element:
    header = envelope.find(f"{{{SOAP}}}Header")
    if header is None:
        header = etree.Element(f"{{{SOAP}}}Header")
        envelope.insert(0, header)
    return header


def xsw1_signed_copy_inside_the_signature(envelope):
    original = _signed_block(envelope)
    _object(envelope).append(copy.deepcopy(original))
    original.getparent().replace(original, _forged(original))


def xsw2_signed_copy_beside_the_signature(envelope):
    original = _signed_block(envelope)
    _signature(envelope).addprevious(copy.deepcopy(original))
    original.getparent().replace(original, _forged(original))


def xsw3_forged_block_before_the_signed_one(envelope):
    original = _signed_block(envelope)
    forged = _forged(original)
    forged.set("Id", "FORGED")
    original.addprevious(forged)


def xsw4_signed_block_nested_in_the_forged_one(envelope):
    original = _signed_block(envelope)
    forged = _forged(original)
    original.getparent().replace(original, forged)
    forged.append(original)


def xsw5_forged_keeps_the_id_signed_copy_at_the_end(envelope):
    original = _signed_block(envelope)
    original.getparent().replace(original, _forged(original, keep_id=True))
    envelope.append(original)


def xsw6_forged_keeps_the_id_signed_copy_inside_the_signature(envelope):
    original = _signed_block(envelope)
    original.getparent().replace(original, _forged(original, keep_id=True))
    _object(envelope).append(original)


def xsw7_signed_copy_in_an_extension_point(envelope):
    """SMEV's extension point: BusinessProcessMetadata takes any element (SAML's Extensions)."""
    original = _signed_block(envelope)
    forged = _forged(original)
    metadata = etree.SubElement(forged, f"{{{T13}}}BusinessProcessMetadata")
    original.getparent().replace(original, forged)
    metadata.append(original)


def xsw8_signed_copy_in_an_evil_element_inside_the_signature(envelope):
    original = _signed_block(envelope)
    holder = etree.SubElement(_object(envelope), "{urn:evil}Holder")
    original.getparent().replace(original, _forged(original))
    holder.append(original)


def duplicate_id_on_a_business_element(envelope):
    reference = _signature(envelope).find(f".//{{{DS}}}Reference").get("URI")[1:]
    envelope.find(f".//{{{NS}}}Passport").set("Id", reference)


def id_in_another_namespace_on_the_forged_block(envelope):
    original = _signed_block(envelope)
    forged = _forged(original)
    forged.set("{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id",
               original.get("Id"))
    original.getparent().replace(original, forged)
    _header(envelope).append(original)


def only_an_id_in_another_namespace(envelope):
    original = _signed_block(envelope)
    value = original.attrib.pop("Id")
    original.set("{urn:evil}Id", value)


def signature_over_a_detached_copy_in_the_header(envelope):
    original = _signed_block(envelope)
    _header(envelope).append(copy.deepcopy(original))
    del original.attrib["Id"]
    original.find(f".//{{{NS}}}Passport").text = "6666 666666"


def unsigned_forged_twin_after_the_signed_block(envelope):
    original = _signed_block(envelope)
    original.addnext(_forged(original))


def comment_inside_the_signed_message_id(envelope):
    field = _signed_block(envelope).find(f"{{{T13}}}MessageID")
    value = field.text
    field.text = value[:8]
    comment = etree.Comment("x")
    comment.tail = value[8:]
    field.append(comment)


def pi_inside_the_signed_message_id(envelope):
    field = _signed_block(envelope).find(f"{{{T13}}}MessageID")
    value = field.text
    field.text = value[:8]
    pi = etree.ProcessingInstruction("x", "y")
    pi.tail = value[8:]
    field.append(pi)


WRAPPING: dict[str, tuple[Mutation, str]] = {
    "xsw1": (xsw1_signed_copy_inside_the_signature, "SIG-STRUCTURE"),
    "xsw2": (xsw2_signed_copy_beside_the_signature, "SIG-REF-TARGET"),
    "xsw3": (xsw3_forged_block_before_the_signed_one, "SIG-REF-TARGET"),
    "xsw4": (xsw4_signed_block_nested_in_the_forged_one, "SIG-REF-TARGET"),
    "xsw5": (xsw5_forged_keeps_the_id_signed_copy_at_the_end, "SIG-REF-RESOLVES"),
    "xsw6": (xsw6_forged_keeps_the_id_signed_copy_inside_the_signature, "SIG-STRUCTURE"),
    "xsw7": (xsw7_signed_copy_in_an_extension_point, "SIG-REF-TARGET"),
    "xsw8": (xsw8_signed_copy_in_an_evil_element_inside_the_signature, "SIG-STRUCTURE"),
    "duplicate-id": (duplicate_id_on_a_business_element, "SIG-REF-RESOLVES"),
    "foreign-namespace-id": (id_in_another_namespace_on_the_forged_block, "SIG-REF-RESOLVES"),
    "foreign-namespace-id-only": (only_an_id_in_another_namespace, "SIG-REF-RESOLVES"),
    "detached-copy": (signature_over_a_detached_copy_in_the_header, "SIG-REF-TARGET"),
    "forged-twin-after": (unsigned_forged_twin_after_the_signed_block, "SIG-REF-TARGET"),
    "comment-in-message-id": (comment_inside_the_signed_message_id, "SIG-REF-TARGET"),
    "pi-in-message-id": (pi_inside_the_signed_message_id, "SIG-REF-TARGET"),
}


@pytest.mark.parametrize("attack", WRAPPING)
def test_signature_wrapping_fails_verify(attack):
    mutation, rule = WRAPPING[attack]
    assert rule in failed_rules(signed_request("MVD", mutation))


@pytest.mark.parametrize("attack", WRAPPING)
def test_signature_wrapping_fails_check(attack):
    mutation, rule = WRAPPING[attack]
    assert rule in check_failures(signed_request("MVD", mutation))


@pytest.mark.parametrize("attack", WRAPPING)
def test_signature_wrapping_is_refused_by_the_double(double, attack):
    drain(double, "FNS")
    mutation, _ = WRAPPING[attack]
    reply = client(double, "MVD", mutation).send_request(inn_request())
    refused(reply, FaultName.SIGNATURE_VERIFICATION_FAULT)
    assert reply.fault.reason in (SignatureVerificationReason.POOR_SOAP_ENVELOPE_FORMAT,
                                  SignatureVerificationReason.INCORRECT_SIGNATURE_TARGET,
                                  SignatureVerificationReason.SIGNATURE_IS_INVALID)
    assert client(double, "FNS").get_request().message.message is None  # nothing was queued


def signed_block_beside_the_operation_in_the_body(envelope):
    original = _signed_block(envelope)
    forged = _forged(original)
    original.getparent().replace(original, forged)
    envelope.find(f"{{{SOAP}}}Body").insert(0, original)


def test_signed_block_beside_the_operation_in_the_body_fails_verify_check_and_the_double(double):
    """The signed block directly under soap:Body, before the operation whose forged block takes its place: the
    signature itself verifies, but the message's operation cannot be read, so the signature's meaning cannot be."""
    data = signed_request("MVD", signed_block_beside_the_operation_in_the_body)
    assert "SIG-POSITION" in failed_rules(data)
    assert "SIG-POSITION" in check_failures(data)
    drain(double, "FNS")
    refused(client(double, "MVD", signed_block_beside_the_operation_in_the_body).send_request(inn_request()),
            FaultName.INVALID_CONTENT)
    assert client(double, "FNS").get_request().message.message is None


@pytest.mark.parametrize("attack", ["comment-in-message-id", "pi-in-message-id"])
def test_hidden_nodes_keep_the_digest_but_the_reader_refuses_them(attack):
    """What made the attack work: the digest still holds (c14n drops the comment, the transform the PI), while a
    reader taking `.text` saw a different MessageID. Now the reader refuses the field."""
    data = signed_request("MVD", WRAPPING[attack][0])
    digests = [o.status for o in outcomes(data) if o.rule_id == "SIG-DIGEST"]
    assert digests == [Status.PASS]
    with pytest.raises(ProtocolError, match="comment or processing instruction"):
        parse(data)


def test_the_untouched_message_passes_everything():
    """The control: without an attack every signature and certificate rule holds (so the failures above are the
    attacks', not the harness's)."""
    data = signed_request("MVD")
    assert not failed_rules(data)
    assert not check_failures(data)
    passed = [o for o in outcomes(data) if o.rule_id == "SIG-VALUE" and o.status is Status.PASS]
    assert [o.certificate.der for o in passed] == [cert_of("MVD").der]


def test_a_message_id_outside_the_signed_block_does_not_set_the_time():
    """A MessageID of the SMEV namespace, but in the Header, dated before the certificate: not the message's time."""
    later = ids.new_message_id(cert_of("MVD").not_before - timedelta(days=30))
    data = signed_request("MVD", lambda e: _header(e).append(etree.fromstring(
        f'<t:MessageID xmlns:t="{T13}">{later}</t:MessageID>')))
    validity = next(o for o in outcomes(data, at="message") if o.rule_id == "CERT-VALIDITY")
    assert validity.status is Status.PASS, validity.message


# == Properties: every placement of the signed block, every hidden node ===========================================

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_BASE: list[bytes] = []


def _base() -> bytes:
    if not _BASE:
        _BASE.append(signed_request("MVD"))
    return _BASE[0]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_signed_block_moved_anywhere_with_a_forgery_in_its_place_never_verifies(data):
    """Generalised XSW: the signed block goes under any element of the envelope, at any position, and a forged block
    (Id dropped, kept, or moved to another namespace) takes its place. No placement passes every rule."""
    envelope = parse_bytes(_base()).getroot()
    original = _signed_block(envelope)
    mode = data.draw(st.sampled_from(["drop", "keep", "foreign"]), label="forged Id")
    forged = _forged(original, keep_id=mode == "keep")
    if mode == "foreign":
        forged.set("{urn:evil}Id", original.get("Id"))
    original.getparent().replace(original, forged)
    parents = [e for e in envelope.iter() if isinstance(e.tag, str)]
    parent = data.draw(st.sampled_from(parents), label="new parent")
    parent.insert(data.draw(st.integers(0, len(parent)), label="position"), original)
    assert failed_rules(etree.tostring(envelope))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_comment_or_pi_anywhere_in_a_signed_field_is_found_while_the_digest_holds(data):
    from conformance.protocol.facts import smev_fields

    envelope = parse_bytes(_base()).getroot()
    fields = [f for f in smev_fields(_signed_block(envelope)) if f.text]
    field = data.draw(st.sampled_from(fields), label="field")
    cut = data.draw(st.integers(0, len(field.text)), label="cut")
    node = etree.Comment("c") if data.draw(st.booleans(), label="comment") else etree.ProcessingInstruction("p", "q")
    node.tail, field.text = field.text[cut:] or None, field.text[:cut] or None
    field.append(node)
    changed = etree.tostring(envelope)
    found = outcomes(changed)
    assert [o.status for o in found if o.rule_id == "SIG-DIGEST"] == [Status.PASS]  # c14n/transform hide it
    target = next(o for o in found if o.rule_id == "SIG-REF-TARGET")
    assert target.status is Status.FAIL and ("comment" in target.message or "processing" in target.message)
    with pytest.raises(ProtocolError):
        parse(changed)


@pytest.mark.serial  # a wall-clock bound: measured alone, after the parallel pass
def test_thousands_of_signatures_cost_a_bounded_number_of_verifications():
    """A signature costs a pass over the document. The hardened parser refuses a document with more than
    `xmlsafe.MAX_SIGNATURES` of them (MSG-XML-SIZE); a tree that reaches the verifier another way still has only
    `verifier.MAX_SIGNATURES` verified, the rest failed unverified (linear work)."""
    import time

    from conformance import xmlsafe
    from conformance.xmldsig.verifier import MAX_SIGNATURES

    envelope = parse_bytes(_base()).getroot()
    signature = _signature(envelope)
    header = _header(envelope)
    for _ in range(3000):
        header.append(copy.deepcopy(signature))
    data = etree.tostring(envelope)
    with pytest.raises(xmlsafe.XmlInputError) as refused:
        parse_bytes(data)
    assert refused.value.rule == "MSG-XML-SIZE"
    started = time.perf_counter()
    found = verify_tree(etree.ElementTree(etree.fromstring(data)),
                        VerifyOptions(backend=BACKEND, trust=(PKI.ca.certificate,)))
    elapsed = time.perf_counter() - started
    assert sum(1 for o in found if o.rule_id == "SIG-DIGEST") == MAX_SIGNATURES
    assert sum(1 for o in found if o.rule_id == "SIG-POSITION" and "not verified" in o.message) == 3001 - MAX_SIGNATURES
    assert elapsed < 10, elapsed


def test_refused_calls_are_journalled_under_the_one_certificate_they_present_and_act_as_nobody(double):
    """A suite finds a participant's failed calls under its name; the journal is the only use of that name."""
    store = double.bus.store
    before = max((e.id for e in store.exchanges()), default=0)

    def spoil_digest(envelope):
        envelope.find(f".//{{{DS}}}DigestValue").text = "AAAA" + envelope.find(f".//{{{DS}}}DigestValue").text[4:]

    refused(client(double, "MVD", spoil_digest).get_request(), FaultName.SIGNATURE_VERIFICATION_FAULT)
    refused(client(double, "MFC", victim_certificate_first("FNS")).get_request(),
            FaultName.SIGNATURE_VERIFICATION_FAULT)
    journal = store.exchanges(after=before)
    assert [e.caller for e in journal] == ["MVD", None]


def test_expired_key_with_a_backdated_message_id_fails_the_verify_command_even_with_trust_and_crl(tmp_path, capsys):
    """The issue's case end to end: `verify --trust --crl` without --at exits 1 and says both times; with
    `--at message` it is a warning that names the field, not a silent pass."""
    import json

    from conformance.cli import main
    from conformance.crypto.testpki import write_pki

    write_pki(PKI, tmp_path / "pki")
    message = tmp_path / "backdated.xml"
    message.write_bytes(signed_request("EXP", message_id=backdated_id()))
    anchors = ["--trust", str(tmp_path / "pki" / "ca.cert.pem"), "--crl", str(tmp_path / "pki" / "ca.crl.pem")]
    assert main(["verify", str(message), *anchors, "--format", "json"]) == 1
    findings = {f["rule"]: f for f in json.loads(capsys.readouterr().out)["files"][0]["findings"]}
    assert findings["CERT-VALIDITY"]["status"] == "fail"
    assert "(now)" in findings["CERT-VALIDITY"]["message"] and "own time" in findings["CERT-VALIDITY"]["message"]
    assert findings["CERT-CHAIN"]["status"] == "pass" and findings["CERT-REVOCATION"]["status"] == "pass"
    assert main(["verify", str(message), *anchors, "--format", "json", "--at", "message"]) == 0
    findings = {f["rule"]: f for f in json.loads(capsys.readouterr().out)["files"][0]["findings"]}
    assert findings["CERT-VALIDITY"]["status"] == "warn"
    assert "SenderProvidedRequestData/MessageID" in findings["CERT-VALIDITY"]["message"]
