"""Issue 11, second round: the double and the checker attacked the way the issue's judges will.

One message and one expected fault per case (as X-Road's negative suite does). Certificates of every awkward kind
(not yet valid, revoked, a CA certificate signing messages, a leaf under an intermediate, a self-signed copy of a
participant's certificate, another CA of the same name), signatures bent where SMEV does not bend (empty reference,
XPath/XSLT/enveloped transforms, inclusive c14n, mismatched algorithms), CRLs that cannot be relied on, and the
parsing tricks that make a reader and a verifier look at different nodes; what a SendResponse's `To` reveals, and
signed polls replayed outside the double's freshness window. None is expected to fail.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hostile_helpers import refused
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.bus.client import BusClient
from conformance.bus.credentials import BusCredentials, load_credentials
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.bus.types import TypeTable
from conformance.crypto import der, get_backend, oids
from conformance.crypto.certificates import parse_certificate
from conformance.crypto.gost3410 import sign_digest
from conformance.crypto.gost341194 import gost341194
from conformance.crypto.issue import issue_certificate, issue_crl
from conformance.crypto.keyformats import generate_private_key
from conformance.crypto.signed import sign_tbs
from conformance.crypto.testpki import CA_SUBJECT, PARTICIPANT_PARAMETER_SET, _participant_subject, build_pki
from conformance.errors import InputError
from conformance.findings import Status
from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.codes import FaultName
from conformance.protocol.codes import SignatureVerificationReason as R
from conformance.protocol.operations import Operation, ProtocolError
from conformance.protocol.reader import parse
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry.model import MessageTypeSpec, PayloadSpec
from conformance.xmldsig import constants as c
from conformance.xmldsig.c14n import exc_c14n, inclusive_c14n
from conformance.xmldsig.pipeline import apply_transforms
from conformance.xmldsig.signer import signing_hook
from conformance.xmldsig.verifier import VerifyOptions, verify_tree
from conformance.xmlsafe import parse_bytes

DS = c.DS_NS
NS = "urn://x-artefacts-test/inn/1.0"
T13 = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.3"
BACKEND = get_backend()  # native where the GOST engine is installed, else pure: these attacks need a backend, not that one
NOW = dt.datetime.now(dt.UTC)

PKI = build_pki(participants=3, seed="review11-attacks")
CA = PKI.ca
_BY_NAME = {p.name: p for p in PKI.participants}


def _key(name: str):
    return generate_private_key(PARTICIPANT_PARAMETER_SET, seed=f"review11-attacks/extra/{name}")


def _issue(name: str, *, number: int, issuer=CA, not_before=NOW - dt.timedelta(days=1),
           not_after=NOW + dt.timedelta(days=300), is_ca: bool = False, subject=None, serial=None):
    key = _key(name)
    certificate = issue_certificate(subject=subject or _participant_subject(number, name.upper()),
                                    public_key=key.public_key, issuer_key=issuer[0] if isinstance(issuer, tuple)
                                    else issuer.key, issuer=issuer[1] if isinstance(issuer, tuple)
                                    else issuer.certificate, serial=serial or 0x5000 + number,
                                    not_before=not_before, not_after=not_after, is_ca=is_ca, deterministic=True)
    return key, certificate


# Signers: (private key, certificate).
SIGNERS: dict[str, tuple] = {
    "MVD": (_BY_NAME["participant-1"].key, _BY_NAME["participant-1"].certificate),
    "FNS": (_BY_NAME["participant-2"].key, _BY_NAME["participant-2"].certificate),
    "MFC": (_BY_NAME["participant-3"].key, _BY_NAME["participant-3"].certificate),
    "REV": (_BY_NAME["revoked"].key, _BY_NAME["revoked"].certificate),
    "NOTYET": _issue("notyet", number=11, not_before=NOW + dt.timedelta(days=30)),
    "CASIGN": _issue("casign", number=12, is_ca=True),
}
_INTER = _issue("inter", number=13, is_ca=True)
SIGNERS["LEAF"] = _issue("leaf", number=14, issuer=_INTER)
# Same subject and serial as MVD's certificate, another key, self-signed.
_MVD = SIGNERS["MVD"][1]
_self_key = _key("selfcopy")
SIGNERS["SELFCOPY"] = (_self_key, issue_certificate(
    subject=_participant_subject(1, "1"), public_key=_self_key.public_key, issuer_key=_self_key, issuer=None,
    serial=_MVD.serial, not_before=_MVD.not_before, not_after=_MVD.not_after, deterministic=True))
# Another CA with the real CA's name issues a certificate with MVD's subject and serial.
_FAKE_CA_KEY = _key("fake-ca")
_FAKE_CA = issue_certificate(subject=CA_SUBJECT, public_key=_FAKE_CA_KEY.public_key, issuer_key=_FAKE_CA_KEY,
                             issuer=None, serial=CA.certificate.serial, not_before=CA.certificate.not_before,
                             not_after=CA.certificate.not_after, is_ca=True, deterministic=True)
_fake_key = _key("fake-mvd")
SIGNERS["FAKECA"] = (_fake_key, issue_certificate(
    subject=_participant_subject(1, "1"), public_key=_fake_key.public_key, issuer_key=_FAKE_CA_KEY,
    issuer=_FAKE_CA, serial=_MVD.serial, not_before=_MVD.not_before, not_after=_MVD.not_after,
    deterministic=True))


# The real CA certified another key under MVD's subject (a re-issue MVD never registered with the bus).
SIGNERS["REISSUED"] = _issue("reissued", number=17, subject=_participant_subject(1, "1"))


def _legacy(key, certificate):
    """`certificate` with its key relabelled GOST R 34.10-2001 (CryptoPro-XchA is a 2001 curve too), re-certified
    by the CA with another serial."""
    fields = der.read(certificate.tbs_der).children()
    spki = der.sequence(der.sequence(der.oid(oids.KEY_GOST2001), der.sequence(der.oid(key.parameter_set),
                                                                              der.oid(oids.DIGEST_GOST94))),
                        der.bit_string(der.octet_string(key.public_key.to_bytes())))
    parts = [field.raw for field in fields]
    parts[1], parts[6] = der.integer(certificate.serial + 1), spki
    return key, parse_certificate(sign_tbs(der.sequence(*parts), CA.key))


SIGNERS["OLD"] = _legacy(*_issue("old", number=15))
REGISTERED = ("MVD", "FNS", "MFC", "REV", "NOTYET", "CASIGN", "LEAF", "OLD")
TYPES = TypeTable([MessageTypeSpec("inn", PayloadSpec(NS, "InnRequest"), PayloadSpec(NS, "InnResponse"), ("FNS",),
                                   tuple(n for n in REGISTERED if n != "FNS"))])

Mutation = Callable[[etree._Element], None]


def sign_as(who: str, then: Mutation | None = None):
    key, certificate = SIGNERS[who]
    sign = signing_hook(key, certificate, backend=BACKEND)

    def hook(envelope: etree._Element, operation: Operation, version: object) -> None:
        sign(envelope, operation, version)
        if then is not None:
            then(envelope)

    return hook


def gost2001(envelope: etree._Element) -> None:
    """Re-sign the caller's signature with GOST R 34.10-2001 / 34.11-94 (withdrawn for signing since 2019)."""
    key, certificate = SIGNERS["OLD"]
    signature = envelope.find(f".//{{{DS}}}Signature")
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    signed_info.find(f"{{{DS}}}SignatureMethod").set("Algorithm", c.SIG_GOST2001)
    reference = signed_info.find(f"{{{DS}}}Reference")
    reference.find(f"{{{DS}}}DigestMethod").set("Algorithm", c.DIGEST_GOST94)
    target = envelope.xpath("//*[@Id=$id]", id=reference.get("URI")[1:])[0]
    transformed = apply_transforms(target, c.SMEV_TRANSFORMS, signature=signature)
    reference.find(f"{{{DS}}}DigestValue").text = base64.b64encode(gost341194(transformed)).decode()
    value = sign_digest(key, gost341194(exc_c14n(signed_info)))
    signature.find(f"{{{DS}}}SignatureValue").text = base64.b64encode(value).decode()
    signature.find(f".//{{{DS}}}X509Certificate").text = base64.b64encode(certificate.der).decode()


def resign(who: str, edit: Callable[[etree._Element], None]) -> Mutation:
    """Edit the caller's SignedInfo, then sign it again with `who`'s key: the signature value stays valid, so only
    the rule the edit breaks can refuse the call."""
    key, _ = SIGNERS[who]

    def mutation(envelope: etree._Element) -> None:
        signature = envelope.find(f".//{{{DS}}}Signature")
        signed_info = signature.find(f"{{{DS}}}SignedInfo")
        edit(signed_info)
        method = signed_info.find(f"{{{DS}}}CanonicalizationMethod").get("Algorithm")
        canonical = inclusive_c14n(signed_info) if method in (c.C14N_10, c.C14N_11) else exc_c14n(signed_info)
        value = BACKEND.sign(key, BACKEND.digest(canonical, key.bits))
        signature.find(f"{{{DS}}}SignatureValue").text = base64.b64encode(value).decode()

    return mutation


def inn_request() -> XmlFragment:
    return XmlFragment(etree.fromstring(f'<i:InnRequest xmlns:i="{NS}"><i:Passport>4500 1</i:Passport>'
                                        '</i:InnRequest>'))


def inn_answer(value: str = "7") -> m.BusinessAnswer:
    return m.BusinessAnswer(XmlFragment(etree.fromstring(f'<i:InnResponse xmlns:i="{NS}"><i:INN>{value}</i:INN>'
                                                         '</i:InnResponse>')))


def signed_request(who: str = "MVD", then: Mutation | None = None) -> bytes:
    data = m.SenderProvidedRequestData(message_id=ids.new_message_id(), content=inn_request())
    return build(m.SendRequestRequest(data), "1.3", sign=sign_as(who, then))


def failed(data: bytes, **options) -> set[str]:
    options.setdefault("backend", BACKEND)
    options.setdefault("trust", (CA.certificate,))
    return {o.rule_id for o in verify_tree(parse_bytes(data), VerifyOptions(**options)) if o.status is Status.FAIL}


@pytest.fixture(scope="module")
def double():
    shipped = load_credentials()
    creds = BusCredentials(shipped.key, shipped.certificate, CA.certificate, PKI.crl,
                           {name: SIGNERS[name][1] for name in REGISTERED})
    running = start(Bus(TYPES, config=BusConfig(signatures=True, ack_timeout=3600), credentials=creds))
    yield running
    running.close()


def client(double, who: str, then: Mutation | None = None, **kwargs) -> BusClient:
    return BusClient(double.url, sign=sign_as(who, then), **kwargs)


def mvd_asks_fns(double) -> tuple[str, Any, Any]:
    """From empty queues, MVD asks FNS for an INN and FNS takes the request, acks it and answers: the request's
    MessageID, the request as FNS took it, and the bus's reply to the answer."""
    drain(double, "FNS")
    drain(double, "MVD")
    request_id = client(double, "MVD").send_request(inn_request()).message.metadata.message_id
    provider = client(double, "FNS")
    request = provider.get_request().message.message.request
    provider.ack(request_id)
    return request_id, request, provider.send_response(request.reply_to, inn_answer())


def drain(double, who: str) -> None:
    me = client(double, who)
    for take in (me.get_request, me.get_response):
        for _ in range(50):
            inner = getattr(take().message, "message", None)
            data = None if inner is None else (getattr(inner, "request", None) or getattr(inner, "response", None))
            if data is None or data.metadata.message_id is None:
                break
            me.ack(data.metadata.message_id)


# == Certificates: one signer, one expected fault ==================================================================

CERTIFICATE_CASES = {
    # name: (signer, rules verify fails, the double's fault, its reason)
    "not-yet-valid": ("NOTYET", {"CERT-VALIDITY"}, FaultName.SIGNATURE_VERIFICATION_FAULT, R.CERTIFICATE_IS_EXPIRED),
    "revoked": ("REV", {"CERT-REVOCATION"}, FaultName.SIGNATURE_VERIFICATION_FAULT, R.CERTIFICATE_IS_EXPIRED),
    "key-usage-forbids-signing": ("CASIGN", {"CERT-PRESENT"}, FaultName.SIGNATURE_VERIFICATION_FAULT,
                                  R.CERTIFICATE_IS_NOT_FOUND),
    "leaf-under-an-untrusted-intermediate": ("LEAF", {"CERT-CHAIN"}, FaultName.SIGNATURE_VERIFICATION_FAULT,
                                             R.CERTIFICATE_IS_NOT_FOUND),
    "self-signed-copy-of-a-participant": ("SELFCOPY", {"CERT-CHAIN"}, FaultName.SENDER_IS_NOT_REGISTERED, None),
    "same-name-ca-copy-of-a-participant": ("FAKECA", {"CERT-CHAIN"}, FaultName.SENDER_IS_NOT_REGISTERED, None),
    "participants-subject-another-key-same-ca": ("REISSUED", set(), FaultName.SENDER_IS_NOT_REGISTERED, None),
}


@pytest.mark.parametrize("case", CERTIFICATE_CASES)
def test_certificate_attack_fails_verify(case):
    who, rules, _, _ = CERTIFICATE_CASES[case]
    assert rules <= failed(signed_request(who), crls=(PKI.crl,))


@pytest.mark.parametrize("case", CERTIFICATE_CASES)
def test_certificate_attack_refused_by_the_double(double, case):
    who, _, fault, reason = CERTIFICATE_CASES[case]
    refused(client(double, who).get_request(), fault, reason)


def test_a_certificate_with_a_participants_subject_and_serial_never_acts_as_it(double):
    drain(double, "FNS")
    sent = client(double, "MVD").send_request(inn_request())
    assert sent.fault is None, sent.body[:300]
    for impostor in ("SELFCOPY", "FAKECA", "REISSUED"):
        refused(client(double, impostor).get_response(), FaultName.SENDER_IS_NOT_REGISTERED)
        refused(client(double, impostor).send_request(inn_request()), FaultName.SENDER_IS_NOT_REGISTERED)
    drain(double, "FNS")


def test_a_gost2001_signature_verifies_with_a_warning_in_verify():
    """Old traffic is judged, not refused: the signature holds, the withdrawn algorithm is a warning."""
    found = verify_tree(parse_bytes(signed_request("OLD", gost2001)), VerifyOptions(trust=(CA.certificate,),
                                                                                     backend=BACKEND))
    assert {o.rule_id for o in found if o.status is Status.FAIL} == set()
    assert any(o.rule_id == "SIG-ALG-CURRENT" and o.status is Status.WARN for o in found)


def test_a_gost2001_signature_is_refused_by_the_double_at_receipt(double):
    """SMEV has refused GOST R 34.10-2001 signatures since 2020; the double judges at receipt, now."""
    refused(client(double, "OLD", gost2001).get_request(), FaultName.SIGNATURE_VERIFICATION_FAULT,
            R.POOR_SOAP_ENVELOPE_FORMAT)


def test_a_certificate_of_an_expired_ca_does_not_chain():
    """The CA's own validity ended; the leaf it issued claims validity beyond it."""
    old_key = _key("old-ca")
    old_ca = issue_certificate(subject=[("CN", "old CA")], public_key=old_key.public_key, issuer_key=old_key,
                               issuer=None, serial=0x77, not_before=NOW - dt.timedelta(days=400),
                               not_after=NOW - dt.timedelta(days=2), is_ca=True, deterministic=True)
    SIGNERS["ORPHAN"] = _issue("orphan", number=16, issuer=(old_key, old_ca))
    try:
        rules = failed(signed_request("ORPHAN"), trust=(old_ca,))
    finally:
        del SIGNERS["ORPHAN"]
    assert "CERT-CHAIN" in rules
    assert "CERT-CHAIN" not in failed(signed_request("MVD"), trust=(old_ca, CA.certificate))


# == CRLs that cannot be relied on ================================================================================


def _crl(*, issuer_key, issuer, this_update, next_update, revoked=()):
    return issue_crl(issuer_key=issuer_key, issuer=issuer, revoked=list(revoked), this_update=this_update,
                     next_update=next_update, deterministic=True)


STALE_CRL = _crl(issuer_key=CA.key, issuer=CA.certificate, this_update=NOW - dt.timedelta(days=20),
                 next_update=NOW - dt.timedelta(days=10))


def test_a_stale_crl_is_not_relied_on_by_verify():
    """nextUpdate passed: a revocation issued since would not be in it."""
    assert "CERT-REVOCATION" in failed(signed_request("MVD"), crls=(STALE_CRL,))


def test_a_stale_crl_is_not_stale_at_a_time_it_covered():
    at = NOW - dt.timedelta(days=15)
    assert "CERT-REVOCATION" not in failed(signed_request("MVD"), crls=(STALE_CRL,), at=at)


def test_a_crl_of_another_issuer_is_refused_when_the_double_loads_its_keys(tmp_path):
    other = _crl(issuer_key=_FAKE_CA_KEY, issuer=_FAKE_CA, this_update=NOW, next_update=NOW + dt.timedelta(days=9))
    _write_keys(tmp_path, other.pem())
    with pytest.raises(InputError, match="ca.crl.pem"):
        load_credentials(tmp_path)


def test_a_stale_crl_is_refused_when_the_double_loads_its_keys(tmp_path):
    _write_keys(tmp_path, STALE_CRL.pem())
    with pytest.raises(InputError, match="ca.crl.pem"):
        load_credentials(tmp_path)


def test_the_ca_own_crl_loads(tmp_path):
    _write_keys(tmp_path, PKI.crl.pem())
    assert load_credentials(tmp_path).crl is not None


def _write_keys(folder, crl_pem: bytes) -> None:
    (folder / "smev.key.pem").write_bytes(SIGNERS["MVD"][0].pkcs8_pem())
    (folder / "smev.cert.pem").write_bytes(SIGNERS["MVD"][1].pem())
    (folder / "ca.cert.pem").write_bytes(CA.certificate.pem())
    (folder / "ca.crl.pem").write_bytes(crl_pem)


# == Signatures bent where SMEV does not bend (each re-signed, so only the bent rule can refuse) ===================


def _set(path: str, attribute: str, value: str) -> Callable[[etree._Element], None]:
    def edit(signed_info: etree._Element) -> None:
        signed_info.find(path, {"ds": DS}).set(attribute, value)

    return edit


def _add_transform(uri: str, *, first: bool = False, body: etree._Element | None = None):
    def edit(signed_info: etree._Element) -> None:
        transforms = signed_info.find("ds:Reference/ds:Transforms", {"ds": DS})
        transform = etree.Element(f"{{{DS}}}Transform", Algorithm=uri)
        if body is not None:
            transform.append(copy.deepcopy(body))
        transforms.insert(0 if first else len(transforms), transform)

    return edit


_XPATH = etree.Element(f"{{{DS}}}XPath")
_XPATH.text = "not(ancestor-or-self::*[local-name()='MessageID'])"
_XSLT = etree.fromstring('<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
                         '<xsl:template match="/"><x/></xsl:template></xsl:stylesheet>')

_PREFIX_LIST = etree.Element("{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces", PrefixList="soap tns")


def _parameter_on(path: str, parameter: etree._Element):
    def edit(signed_info: etree._Element) -> None:
        signed_info.find(path, {"ds": DS}).append(copy.deepcopy(parameter))

    return edit


SIGNATURE_CASES = {
    # An InclusiveNamespaces PrefixList on the c14n method or the exc-c14n transform is no attack: it is honoured as
    # Santuario (SMEV's verifier) honours it (tests/realtraffic/test_realtraffic_unlisted.py verifies such messages).
    "xpath-inside-the-smev-transform": (_parameter_on("ds:Reference/ds:Transforms/ds:Transform[2]", _XPATH),
                                        "SIG-TRANSFORMS", R.POOR_SOAP_ENVELOPE_FORMAT),
    "empty-reference-uri-whole-document": (_set("ds:Reference", "URI", ""), "SIG-REF-RESOLVES",
                                           R.INCORRECT_SIGNATURE_TARGET),
    "xpointer-reference": (_set("ds:Reference", "URI", "#xpointer(/)"), "SIG-REF-RESOLVES",
                           R.INCORRECT_SIGNATURE_TARGET),
    "xpath-transform": (_add_transform("http://www.w3.org/TR/1999/REC-xpath-19991116", first=True, body=_XPATH),
                        "SIG-TRANSFORMS", R.POOR_SOAP_ENVELOPE_FORMAT),
    "xslt-transform": (_add_transform("http://www.w3.org/TR/1999/REC-xslt-19991116", first=True, body=_XSLT),
                       "SIG-TRANSFORMS", R.POOR_SOAP_ENVELOPE_FORMAT),
    "enveloped-signature-transform": (_add_transform(c.ENVELOPED, first=True), "SIG-TRANSFORMS",
                                      R.POOR_SOAP_ENVELOPE_FORMAT),
    "inclusive-c14n-of-signed-info": (_set("ds:CanonicalizationMethod", "Algorithm", c.C14N_10), "SIG-C14N",
                                      R.POOR_SOAP_ENVELOPE_FORMAT),
    "c14n-with-comments": (_set("ds:CanonicalizationMethod", "Algorithm",
                                "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"), "SIG-C14N",
                           R.POOR_SOAP_ENVELOPE_FORMAT),
    "digest-method-of-the-other-size": (_set("ds:Reference/ds:DigestMethod", "Algorithm",
                                             "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512"),
                                        "SIG-ALG", R.POOR_SOAP_ENVELOPE_FORMAT),
    "signature-method-of-the-other-size": (_set("ds:SignatureMethod", "Algorithm",
                                                "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512"),
                                           "SIG-ALG", R.POOR_SOAP_ENVELOPE_FORMAT),
    "rsa-signature-method": (_set("ds:SignatureMethod", "Algorithm",
                                  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"), "SIG-ALG",
                             R.POOR_SOAP_ENVELOPE_FORMAT),
}


@pytest.mark.parametrize("case", SIGNATURE_CASES)
def test_bent_signature_fails_verify(case):
    edit, rule, _ = SIGNATURE_CASES[case]
    assert rule in failed(signed_request("MFC", resign("MFC", edit)))


@pytest.mark.parametrize("case", SIGNATURE_CASES)
def test_bent_signature_refused_by_the_double(double, case):
    edit, _, reason = SIGNATURE_CASES[case]
    refused(client(double, "MFC", resign("MFC", edit)).get_request(), FaultName.SIGNATURE_VERIFICATION_FAULT, reason)


def test_two_signatures_in_the_caller_wrapper_one_by_the_victim(double):
    """FNS's genuine signature (replayed from another call) beside the attacker's own."""
    victim = build(m.GetRequestRequest(selector=m.MessageTypeSelector(timestamp=NOW)), "1.3", sign=sign_as("FNS"))
    stolen = parse_bytes(victim).getroot().find(f".//{{{DS}}}Signature")

    def add(envelope: etree._Element) -> None:
        signature = envelope.find(f".//{{{DS}}}Signature")
        signature.getparent().insert(0, copy.deepcopy(stolen))

    refused(client(double, "MFC", add).get_request(), FaultName.SIGNATURE_VERIFICATION_FAULT,
            R.POOR_SOAP_ENVELOPE_FORMAT)


# == Ids and namespaces ===========================================================================================


def _signed(envelope: etree._Element) -> etree._Element:
    return envelope.find(f".//{{{T13}}}SenderProvidedRequestData")


def _renamed(name: str) -> Callable[[etree._Element, str], None]:
    def edit(element: etree._Element, signed_id: str) -> None:
        element.set(name, element.attrib.pop("Id"))

    return edit


def _revalued(change: Callable[[str], str]) -> Callable[[etree._Element, str], None]:
    def edit(element: etree._Element, signed_id: str) -> None:
        element.set("Id", change(signed_id))

    return edit


ID_CASES = {
    "id-with-leading-space": _revalued(lambda v: " " + v),
    "id-with-trailing-space": _revalued(lambda v: v + " "),
    "id-with-a-cyrillic-look-alike": _revalued(lambda v: v.replace("E", "\u0415", 1) if "E" in v else v + "\u0415"),
    "id-with-a-fullwidth-look-alike": _revalued(lambda v: "\uff33" + v[1:]),
    "id-as-ID": _renamed("ID"),
    "id-as-id": _renamed("id"),
    "id-as-xml-id": _renamed("{http://www.w3.org/XML/1998/namespace}id"),
}


@pytest.mark.parametrize("case", ID_CASES)
def test_an_id_variant_on_the_signed_block_does_not_resolve(case):
    """The reference names the exact unqualified Id: no trimming, no case folding, no Unicode normalisation."""
    envelope = parse_bytes(signed_request("MFC")).getroot()
    signed_id = envelope.find(f".//{{{DS}}}Reference").get("URI")[1:]
    block = _signed(envelope)
    assert block.get("Id") == signed_id
    ID_CASES[case](block, signed_id)
    assert block.get("Id") != signed_id
    assert "SIG-REF-RESOLVES" in failed(etree.tostring(envelope))


def test_smev_namespace_under_another_prefix_reads_and_verifies_the_same():
    """Prefixes are not identity: the SMEV transform normalises them, the reader resolves namespaces."""
    data = signed_request("MVD")
    renamed = data.replace(b"tns:", b"zz:").replace(b"xmlns:tns=", b"xmlns:zz=")
    assert renamed != data
    assert not failed(renamed) - {"CERT-REVOCATION"}
    assert parse(renamed).message.data.message_id == parse(data).message.data.message_id


def test_message_id_redefined_into_another_namespace_is_not_read_as_the_smev_one():
    """The same prefix rebound on MessageID: it is no longer SMEV's MessageID, whatever its prefix says."""
    envelope = parse_bytes(signed_request("MVD")).getroot()
    field = _signed(envelope).find(f"{{{T13}}}MessageID")
    forged = etree.Element("{urn:evil}MessageID", nsmap={etree.QName(field).namespace and
                                                          next(p for p, u in field.nsmap.items() if u == T13): "urn:evil"})
    forged.text = ids.new_message_id()
    field.addprevious(forged)
    data = etree.tostring(envelope)
    try:
        message = parse(data)
    except Exception:  # noqa: BLE001 - refusing the message is right too
        return
    assert message.message.data.message_id == field.text


def test_an_smev_message_id_in_the_soap_header_is_not_read():
    envelope = parse_bytes(signed_request("MVD")).getroot()
    signed_id = _signed(envelope).find(f"{{{T13}}}MessageID").text
    header = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Header")
    if header is None:
        header = etree.Element("{http://schemas.xmlsoap.org/soap/envelope/}Header")
        envelope.insert(0, header)
    etree.SubElement(header, f"{{{T13}}}MessageID").text = ids.new_message_id()
    assert parse(etree.tostring(envelope)).message.data.message_id == signed_id


def test_xml_base_on_the_envelope_moves_nothing():
    """Same-document references ignore xml:base: the signature and the reader see the same block."""
    envelope = parse_bytes(signed_request("MVD")).getroot()
    envelope.set("{http://www.w3.org/XML/1998/namespace}base", "http://evil.example/")
    data = etree.tostring(envelope)
    assert not failed(data)
    assert parse(data).message.data.message_id == _signed(envelope).find(f"{{{T13}}}MessageID").text


def test_xml_base_inside_the_signed_block_fails_the_digest():
    """SMEV's transform throws on an xml:* attribute: nothing SMEV could verify."""
    envelope = parse_bytes(signed_request("MVD")).getroot()
    _signed(envelope).set("{http://www.w3.org/XML/1998/namespace}base", "http://evil.example/")
    assert "SIG-DIGEST" in failed(etree.tostring(envelope))


@pytest.mark.parametrize("where", ["MessageID", "SenderProvidedRequestData", "SendRequestRequest"])
def test_xsi_type_on_an_smev_element_is_refused_by_the_reader(where):
    envelope = parse_bytes(signed_request("MVD")).getroot()
    element = envelope if where == "Envelope" else next(envelope.iter(f"{{{T13}}}{where}"))
    element.set("{http://www.w3.org/2001/XMLSchema-instance}type", "xs:string")
    with pytest.raises(ProtocolError, match=f"XMLSchema-instance}}type on {where}"):
        parse(etree.tostring(envelope))


def test_xsi_type_on_the_signed_block_is_refused_by_the_reader():
    """xsi:type could make a schema validator read the block as another type than the one SMEV signs."""
    envelope = parse_bytes(signed_request("MVD")).getroot()
    _signed(envelope).set("{http://www.w3.org/2001/XMLSchema-instance}type", "xs:string")
    with pytest.raises(ProtocolError, match="XMLSchema-instance}type on SenderProvidedRequestData"):
        parse(etree.tostring(envelope))


# == Identity across operations: B can neither act on A's messages nor learn they exist ===========================


def test_ack_of_another_participants_response_looks_like_an_unknown_id(double):
    request_id, _, answered = mvd_asks_fns(double)
    assert answered.status == 200
    response = client(double, "MVD").get_response().message.message.response
    response_id = response.metadata.message_id
    for other in ("MFC", "FNS"):  # a bystander, and the provider that sent the response
        theirs = refused(client(double, other).ack(response_id), FaultName.TARGET_MESSAGE_IS_NOT_FOUND)
        unknown_id = ids.new_message_id()
        unknown = refused(client(double, other).ack(unknown_id), FaultName.TARGET_MESSAGE_IS_NOT_FOUND)
        assert theirs.faultstring.replace(response_id, "X") == unknown.faultstring.replace(unknown_id, "X")
    assert client(double, "MVD").ack(response_id).status == 200


def test_get_response_with_another_participants_type_selector_reads_nothing(double):
    request_id, _, _ = mvd_asks_fns(double)
    stolen = client(double, "MFC").get_response(NS, "InnResponse")
    assert stolen.fault is None and stolen.message.message is None, stolen.body[:300]
    mine = client(double, "MVD").get_response(NS, "InnResponse").message.message.response
    assert mine.original_message_id == request_id
    client(double, "MVD").ack(mine.metadata.message_id)


def test_get_request_of_a_type_one_does_not_provide_reads_nothing(double):
    drain(double, "FNS")
    client(double, "MVD").send_request(inn_request())
    stolen = client(double, "MFC").get_request(NS, "InnRequest")
    assert stolen.message is not None and getattr(stolen.message, "message", None) is None, stolen.body[:300]
    drain(double, "FNS")


def test_answering_another_participants_request_looks_like_an_unknown_reply_to(double):
    drain(double, "FNS")
    client(double, "MVD").send_request(inn_request())
    request = client(double, "FNS").get_request().message.message.request
    theirs = refused(client(double, "MFC").send_response(request.reply_to, inn_answer()),
                     FaultName.RECIPIENT_IS_NOT_FOUND)
    forged_reply_to = request.reply_to[:-4] + ("AAAA" if not request.reply_to.endswith("AAAA") else "BBBB")
    unknown = client(double, "MFC").send_response(forged_reply_to, inn_answer())
    assert unknown.fault is not None and unknown.fault.name is theirs.name, (unknown.fault, theirs)
    client(double, "FNS").ack(request.data.message_id)


def test_queue_statistics_count_only_the_callers_own_queue(double):
    drain(double, "FNS")
    client(double, "MVD").send_request(inn_request())
    attacker = client(double, "MFC", version="1.1").queue_statistics()
    assert attacker.fault is None, attacker.body[:300]
    assert b"QueueStatistics " not in attacker.body and b"InnRequest" not in attacker.body, attacker.body[-600:]
    owner = client(double, "FNS", version="1.1").queue_statistics()
    assert b'pendingMessageNumber="1"' in owner.body, owner.body[-600:]  # the statistic exists, for its owner
    drain(double, "FNS")


def test_get_status_does_not_show_another_participants_statuses(double):
    request_id, _, _ = mvd_asks_fns(double)  # statuses of MVD's request now exist
    for _ in range(5):
        status = client(double, "MFC").get_status()
        assert status.fault is None and request_id.encode() not in status.body, status.body[-600:]
    drain(double, "MVD")


# == Time on the command line: an instant that is no UTC time is a usage error, not a traceback ====================


def _cli(capsys, *argv: str) -> tuple[int, str]:
    from conformance.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


OUT_OF_RANGE = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")


@pytest.mark.parametrize("at", OUT_OF_RANGE)
def test_verify_at_an_instant_outside_utc_is_a_usage_error(tmp_path, capsys, at):
    path = tmp_path / "m.xml"
    path.write_bytes(signed_request("MVD"))
    code, err = _cli(capsys, "verify", str(path), "--at", at)
    assert code == 2 and "--at" in err and "Traceback" not in err, err


@pytest.mark.parametrize("at", OUT_OF_RANGE)
def test_check_at_an_instant_outside_utc_is_a_usage_error(tmp_path, capsys, at):
    path = tmp_path / "m.xml"
    path.write_bytes(signed_request("MVD"))
    try:
        code, err = _cli(capsys, "check", str(path), "--at", at)
    except OverflowError:
        code, err = 1, "Traceback: OverflowError"
    assert code == 2 and "--at" in err, err


@pytest.mark.parametrize("at", OUT_OF_RANGE)
@pytest.mark.parametrize("command", ["sample", "pki-init"])
def test_every_commands_instant_outside_utc_is_a_usage_error(tmp_path, capsys, command, at):
    """The one instant parser (`parse_instant`) serves every command: sample's --at and pki's --start too."""
    argv, option = {"sample": (["sample", "--at", at], "--at"),
                    "pki-init": (["pki", "init", str(tmp_path / "pki"), "--start", at], "--start")}[command]
    code, err = _cli(capsys, *argv)
    assert code == 2 and f"{option} {at!r}" in err and "Traceback" not in err, err
    assert not (tmp_path / "pki").exists()


# == Existence of others' messages through SendResponse (conformance/bus/service.py) ==============================


def test_a_reply_to_for_anothers_request_and_an_unknown_one_get_the_same_fault(double):
    from conformance.bus.replyto import make_reply_to

    drain(double, "FNS")
    client(double, "MVD").send_request(inn_request())
    request = client(double, "FNS").get_request().message.message.request
    try:
        theirs = refused(client(double, "MFC").send_response(request.reply_to, inn_answer()),
                         FaultName.RECIPIENT_IS_NOT_FOUND)
        unknown_to = make_reply_to(ids.new_message_id(), "MVD")
        unknown = refused(client(double, "MFC").send_response(unknown_to, inn_answer()),
                          FaultName.RECIPIENT_IS_NOT_FOUND)
        assert (theirs.faultstring.replace(request.reply_to, "TO").replace("MFC", "ME")
                == unknown.faultstring.replace(unknown_to, "TO").replace("MFC", "ME"))
    finally:
        client(double, "FNS").ack(request.data.message_id)


def test_a_reply_to_with_the_consumer_rewritten_is_refused(double):
    from conformance.bus.replyto import make_reply_to, read_reply_to

    drain(double, "FNS")
    drain(double, "MFC")
    client(double, "MVD").send_request(inn_request())
    request = client(double, "FNS").get_request().message.message.request
    client(double, "FNS").ack(request.data.message_id)
    mid, _ = read_reply_to(request.reply_to)
    rewritten = make_reply_to(mid, "MFC")
    reply = client(double, "FNS").send_response(rewritten, inn_answer())
    drain(double, "MVD")
    refused(reply, FaultName.RECIPIENT_IS_NOT_FOUND)


def _rewritten_reply_tos(reply_to: str) -> st.SearchStrategy[str]:
    """`To` values a provider could send instead of copying the ReplyTo: the consumer or the id changed, the same
    JSON written another way, or any base64-looking text."""
    import json

    from conformance.bus.replyto import make_reply_to, read_reply_to

    mid, consumer = read_reply_to(reply_to)

    def b64(obj: object, **dumps: object) -> str:
        return base64.b64encode(json.dumps(obj, **dumps).encode()).decode()

    return st.one_of(
        st.sampled_from(["MFC", "FNS", "SMEV", consumer.lower(), consumer + " ", ""]).map(
            lambda who: make_reply_to(mid, who)),
        st.sampled_from([mid.upper(), mid[:-1] + ("0" if mid[-1] != "0" else "1"), ids.new_message_id()]).map(
            lambda other: make_reply_to(other, consumer)),
        st.sampled_from([b64({"mnm": consumer, "mid": mid}), b64({"mid": mid, "mnm": consumer}),
                         b64({"mid": mid, "mnm": consumer, "x": 1}, separators=(",", ":"), sort_keys=True),
                         reply_to.rstrip("=") if reply_to.endswith("=") else reply_to + "==",
                         base64.urlsafe_b64encode(base64.b64decode(reply_to)).decode() + "A"]),
        st.from_regex(r"[A-Za-z0-9+/]{4,120}={0,2}", fullmatch=True),
    ).filter(lambda to: to.strip() != reply_to)


@pytest.mark.slow  # measured: 9 s on a loaded 2-core machine
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_to_but_the_issued_reply_to_gets_the_one_fault_an_unknown_id_gets(double, data):
    """Whatever a provider puts in `To` instead of the ReplyTo of its own request (the consumer, the id, or the
    encoding rewritten; its own request or any other), the answer is the one an unknown id gets, word for word."""
    from conformance.bus.replyto import make_reply_to

    drain(double, "FNS")
    client(double, "MVD").send_request(inn_request())
    provider = client(double, "FNS")
    request = provider.get_request().message.message.request
    try:
        baseline = refused(provider.send_response(make_reply_to(ids.new_message_id(), "MVD"), inn_answer()),
                           FaultName.RECIPIENT_IS_NOT_FOUND)
        to = data.draw(_rewritten_reply_tos(request.reply_to), label="To")
        fault = refused(provider.send_response(to, inn_answer()), FaultName.RECIPIENT_IS_NOT_FOUND)
        assert fault.faultstring == baseline.faultstring, (to, fault.faultstring, baseline.faultstring)
    finally:
        provider.ack(request.data.message_id)
    drain(double, "MVD")


def test_the_verbatim_reply_to_is_answered(double):
    """The control of the two tests above: the ReplyTo copied as issued reaches the consumer."""
    _, request, reply = mvd_asks_fns(double)
    assert reply.fault is None, reply.body[:400]
    consumer = client(double, "MVD")
    answer = consumer.get_response().message.message.response
    assert answer.data.to == request.reply_to and answer.original_message_id == request.data.message_id
    consumer.ack(answer.metadata.message_id)


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_second_soap_body_with_a_forged_copy(where):
    """A forged unsigned copy of the whole body beside the signed one: the reader refuses, verify fails."""
    envelope = parse_bytes(signed_request("MVD")).getroot()
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    forged = copy.deepcopy(body)
    next(forged.iter(f"{{{T13}}}MessageID")).text = ids.new_message_id()
    (body.addprevious if where == "before" else body.addnext)(forged)
    data = etree.tostring(envelope)
    assert {"SIG-POSITION", "SIG-REF-RESOLVES"} <= failed(data)
    with pytest.raises(ProtocolError, match="2 soap:Body"):
        parse(data)


def test_a_replayed_old_get_request_does_not_read_the_providers_queue(double):
    drain(double, "FNS")
    client(double, "MVD").send_request(inn_request())
    old = build(m.GetRequestRequest(selector=m.MessageTypeSelector(timestamp=NOW - dt.timedelta(days=200))), "1.3",
                sign=sign_as("FNS"))
    try:
        reply = BusClient(double.url).post(old, soap_action="urn:GetRequest")
        assert reply.fault is not None, "a 200-day-old signed GetRequest read FNS's queue"
    finally:
        drain(double, "FNS")


POLLS = ("GetRequest", "GetResponse", "GetStatus", "GetIncomingQueueStatistics")


def _poll(kind: str, at: dt.datetime, who: str = "FNS") -> tuple[bytes, str]:
    """A poll of `kind` whose signed Timestamp is `at`, signed by `who`; and its SOAPAction."""
    message, version = {
        "GetRequest": (m.GetRequestRequest(selector=m.MessageTypeSelector(timestamp=at)), "1.3"),
        "GetResponse": (m.GetResponseRequest(selector=m.MessageTypeSelector(timestamp=at)), "1.3"),
        "GetStatus": (m.GetStatusRequest(timestamp=m.SignedTimestamp(at)), "1.3"),
        "GetIncomingQueueStatistics": (m.GetIncomingQueueStatisticsRequest(timestamp=m.SignedTimestamp(at)), "1.1"),
    }[kind]
    return build(message, version, sign=sign_as(who)), message.OPERATION.rpc.soap_action


@pytest.mark.parametrize("offset", [-200 * 86400, -3600, -301, 301, 3600, 200 * 86400])
@pytest.mark.parametrize("kind", POLLS)
def test_a_signed_poll_outside_the_window_is_invalid_content(double, kind, offset):
    """Every signed poll, backdated (a captured one replayed) or postdated (one made to be replayed later)."""
    body, action = _poll(kind, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset))
    fault = refused(BusClient(double.url).post(body, soap_action=action), FaultName.INVALID_CONTENT)
    assert "Timestamp" in fault.faultstring and "±300 s" in fault.faultstring, fault.faultstring


@pytest.mark.parametrize("kind", POLLS)
def test_a_fresh_signed_poll_is_answered(double, kind):
    body, action = _poll(kind, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    reply = BusClient(double.url).post(body, soap_action=action)
    assert reply.fault is None and reply.status == 200, reply.body[:400]
    drain(double, "FNS")


def _fixed_clock_bus(**config) -> tuple[Bus, float]:
    shipped = load_credentials()
    creds = BusCredentials(shipped.key, shipped.certificate, CA.certificate, PKI.crl,
                           {name: SIGNERS[name][1] for name in REGISTERED})
    at = NOW.replace(microsecond=0).timestamp()
    config = {"signatures": True, "ack_timeout": 3600, **config}
    return Bus(TYPES, config=BusConfig(**config), credentials=creds, clock=lambda: at), at


_WINDOW_BUS: dict[str, tuple[Bus, float]] = {}


@settings(max_examples=40, deadline=None)
@given(offset=st.one_of(st.integers(-75, 75), st.integers(-10**8, 10**8)), kind=st.sampled_from(POLLS))
def test_a_signed_poll_is_answered_exactly_when_its_timestamp_is_within_the_window(offset, kind):
    """The differential model of the window: |Timestamp - the double's clock at receipt| <= 60 s."""
    if "bus" not in _WINDOW_BUS:
        _WINDOW_BUS["bus"] = _fixed_clock_bus(poll_window=60.0)
    bus, at = _WINDOW_BUS["bus"]
    body, action = _poll(kind, dt.datetime.fromtimestamp(at + offset, dt.UTC))
    answer = bus.handle("/smev", {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}, body)
    if abs(offset) <= 60:
        assert answer.status == 200 and answer.fault is None, answer.body[-400:]
    else:
        assert answer.fault == FaultName.INVALID_CONTENT.value, (answer.fault, answer.body[-400:])


@pytest.mark.parametrize("config", [{"poll_window": None}, {"signatures": False}], ids=["window-off", "unsigned"])
def test_no_window_when_it_is_off_or_nothing_is_signed(config):
    """`poll_window=None` (a double replaying captures) and a double without signatures (whose callers name
    themselves: a Timestamp proves nothing) answer a 200-day-old poll."""
    bus, at = _fixed_clock_bus(**config)
    old = dt.datetime.fromtimestamp(at, dt.UTC) - dt.timedelta(days=200)
    if config.get("signatures") is False:
        body = build(m.GetStatusRequest(timestamp=m.SignedTimestamp(old)), "1.3")
        headers = {"X-SMEV-Sender": "FNS"}
    else:
        body, headers = _poll("GetStatus", old)[0], {}
    answer = bus.handle("/smev", {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:GetStatus",
                                  **headers}, body)
    assert answer.status == 200 and answer.fault is None, answer.body[-400:]


@pytest.mark.parametrize("at", [None, "message"], ids=["now", "at-message"])
def test_verify_command_fails_a_not_yet_valid_certificate(tmp_path, capsys, at):
    path = tmp_path / "m.xml"
    path.write_bytes(signed_request("NOTYET"))
    trust = tmp_path / "ca.pem"
    trust.write_bytes(CA.certificate.pem())
    code, out = _cli(capsys, "verify", str(path), "--trust", str(trust), *(("--at", at) if at else ()),
                     "--format", "json")
    assert code == 1 and "CERT-VALIDITY" in out and "not yet valid" in out, out[-800:]


def test_verify_command_fails_a_stale_crl(tmp_path, capsys):
    path = tmp_path / "m.xml"
    path.write_bytes(signed_request("MVD"))
    trust, crl = tmp_path / "ca.pem", tmp_path / "ca.crl.pem"
    trust.write_bytes(CA.certificate.pem())
    crl.write_bytes(STALE_CRL.pem())
    code, out = _cli(capsys, "verify", str(path), "--trust", str(trust), "--crl", str(crl), "--format", "json")
    assert code == 1 and "is stale" in out, out[-800:]


def test_a_bus_key_its_certificate_does_not_certify_is_refused_at_load(tmp_path):
    _write_keys(tmp_path, PKI.crl.pem())
    (tmp_path / "smev.cert.pem").write_bytes(SIGNERS["FNS"][1].pem())
    with pytest.raises(InputError, match="smev.cert.pem does not certify smev.key.pem"):
        load_credentials(tmp_path)


# == Properties: prefixes are not identity, Ids are exact ==========================================================

_SIGNED_ONCE: dict[str, bytes] = {}


def _one_signed_request() -> bytes:
    if "data" not in _SIGNED_ONCE:
        _SIGNED_ONCE["data"] = signed_request("MVD")
    return _SIGNED_ONCE["data"]


_NCNAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,8}", fullmatch=True).filter(
    lambda p: not p.lower().startswith("xml") and p not in ("soap", "ds", "basic", "i"))


@settings(max_examples=25, deadline=None)
@given(prefix=_NCNAME)
def test_any_prefix_for_the_smev_namespace_verifies_and_reads_the_same(prefix):
    data = _one_signed_request()
    renamed = data.replace(b"tns:", prefix.encode() + b":").replace(b"xmlns:tns=", b"xmlns:" + prefix.encode() + b"=")
    assert not failed(renamed)
    assert parse(renamed).message.data.message_id == parse(data).message.data.message_id


_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=24)


@settings(max_examples=40, deadline=None)
@given(value=_XML_TEXT)
def test_any_other_id_on_the_signed_block_does_not_resolve(value):
    envelope = parse_bytes(_one_signed_request()).getroot()
    signed_id = envelope.find(f".//{{{DS}}}Reference").get("URI")[1:]
    assume(value != signed_id)
    _signed(envelope).set("Id", value)
    assert "SIG-REF-RESOLVES" in failed(etree.tostring(envelope))
