"""Verify every XML signature of an SMEV message, with one outcome per rule and signature.

For each `ds:Signature`: where it sits (the wrapper the operation defines), the shape of SignedInfo, the
canonicalization method, the algorithms, that the reference resolves to exactly one element and that this is the
element the operation signs (signature wrapping is caught here: duplicate Ids, an Id in another namespace, an
unsigned twin of the signed block, comments or PIs inside its SMEV fields), the transforms and their order, the
digest, the signature value, and the certificate (exactly one in KeyInfo, its KeyUsage allowing signatures, valid
at the time, chained to a trust anchor valid then too, not revoked according to a CRL current then). A
CanonicalizationMethod or transform carrying parameters fails: verifiers would disagree on the bytes. The
certificate that verified a signature value rides on that SIG-VALUE outcome (`Outcome.certificate`): whoever needs
the signer's identity (the bus double) takes it from there and nowhere else.
A digest or signature value that does not match is diagnosed (`conformance.xmldsig.diagnose`).

Time: certificates are judged at `VerifyOptions.at`. None means now, and a certificate not valid now fails, the
finding naming the message's own time too; "message" means each signature at the time its signed element carries
(`conformance.protocol.facts.read_facts(signed).time()`, the field named in the finding), else now, saying so.

Each rule's title, source, rationale and examples are declared in `conformance.xmldsig.ruleset`; this package
imports `conformance.findings` and never `conformance.rules` (the catalogue imports it). `verify_tree` gives
`Outcome`s that point at elements (the rule checks of `conformance.rules.sig`/`cert` use them);
`verify_message` gives catalogue `Finding`s with locations (the `verify` command renders them).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal

from lxml import etree

from conformance.crypto import (
    Backend,
    Certificate,
    Crl,
    PublicKey,
    der,
    get_backend,
    load_certificate,
    resolve_backend,
    verify_certificate,
    verify_crl,
)
from conformance.errors import ConformanceError, InputError
from conformance.findings import Finding, Location, Status
from conformance.protocol.facts import MessageTime, read_facts
from conformance.protocol.namespaces import SOAP_ENV, classify
from conformance.protocol.operations import SIGNATURES, Operation, SigningSpec, detect, locate
from conformance.protocol.xpaths import xpath_of
from conformance.xmldsig import constants as c
from conformance.xmldsig.attachments import SIG_ATTACH_CMS, attachment_outcomes
from conformance.xmldsig.c14n import signed_info_c14n
from conformance.xmldsig.diagnose import diagnose_digest, diagnose_signature, verify_with
from conformance.xmldsig.escaping import Escaping
from conformance.xmldsig.ids import IdIndex, other_id_attribute, reference_id
from conformance.xmldsig.outcome import Outcome
from conformance.xmldsig.pipeline import UnsupportedTransform, apply_transforms
from conformance.xmldsig.signedfields import Located, hidden_nodes, locate_signed, message_time
from conformance.xmldsig.transform import SmevTransformError

# Rule ids, emitted by the checks below; each rule's title, source, rationale and examples are in
# conformance.xmldsig.ruleset (which the catalogue registers).
SIG_PRESENT = "SIG-PRESENT"
SIG_POSITION = "SIG-POSITION"
SIG_STRUCTURE = "SIG-STRUCTURE"
SIG_C14N = "SIG-C14N"
SIG_ALG = "SIG-ALG"
SIG_ALG_CURRENT = "SIG-ALG-CURRENT"
SIG_REF_RESOLVES = "SIG-REF-RESOLVES"
SIG_REF_TARGET = "SIG-REF-TARGET"
SIG_TRANSFORMS = "SIG-TRANSFORMS"
SIG_DIGEST = "SIG-DIGEST"
SIG_VALUE = "SIG-VALUE"
SIG_LAYOUT = "SIG-LAYOUT"
CERT_PRESENT = "CERT-PRESENT"
CERT_VALIDITY = "CERT-VALIDITY"
CERT_CHAIN = "CERT-CHAIN"
CERT_REVOCATION = "CERT-REVOCATION"

PER_SIGNATURE_RULES = (SIG_POSITION, SIG_STRUCTURE, SIG_C14N, SIG_ALG, SIG_ALG_CURRENT, SIG_REF_RESOLVES,
                       SIG_REF_TARGET, SIG_TRANSFORMS, SIG_DIGEST, SIG_VALUE, SIG_LAYOUT, CERT_PRESENT,
                       CERT_VALIDITY, CERT_CHAIN, CERT_REVOCATION)
ALL_RULES = (SIG_PRESENT, *PER_SIGNATURE_RULES)

MAX_SIGNATURES = 8
"""Signatures verified per message (outside business content); each further one is a failure, not verified: the
work of verifying stays linear in the document (a signature costs at most a pass over it)."""

_DS = f"{{{c.DS_NS}}}"
_WHITESPACE = "".join(chr(i) for i in range(0x21))


AT_MESSAGE = "message"
"""`VerifyOptions.at` value: judge each signature's certificate at the time its signed element carries."""


@dataclass
class VerifyOptions:
    """Trust anchors and CRLs (parsed), the instant certificates are judged at (None: now; "message": each
    signature at the time its signed element carries, else now), the crypto backend, and the SMEV transform's
    escaping mode. `at_source` names where a given instant came from (shown in the findings)."""

    trust: Sequence[Certificate] = ()
    crls: Sequence[Crl] = ()
    at: datetime | Literal["message"] | None = None
    backend: Backend | None = None
    escaping: Escaping = "woodstox"
    diagnose: bool = True
    at_source: str = field(default="")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _foreign_id_name(element: etree._Element, value: str) -> str:
    name = other_id_attribute(element, value) or "?"
    return f"@{{{etree.QName(name).namespace}}}{etree.QName(name).localname}" if name.startswith("{") else f"@{name}"


def _text(element: etree._Element | None) -> str:
    return "".join((element.text or "").split()) if element is not None else ""


class _Signature:
    """One ds:Signature under verification; every check appends its outcomes to `out`."""

    def __init__(self, element: etree._Element, body: etree._Element | None, spec: SigningSpec | None,
                 options: VerifyOptions, out: list[Outcome], index: IdIndex | None = None,
                 unreadable: str | None = None) -> None:
        assert options.backend is not None, "verify_tree resolves the backend once, before any signature"
        self.element = element
        self.body = body
        self.spec = spec
        self.options = options
        self.backend = options.backend
        self.out = out
        self._index = index
        self.unreadable = unreadable
        self.signed_info = element.find(f"{_DS}SignedInfo")
        references = self.signed_info.findall(f"{_DS}Reference") if self.signed_info is not None else []
        self.reference = references[0] if len(references) == 1 else None
        self.certificate: Certificate | None = None
        self.big_endian_key: PublicKey | None = None
        self.bits: int | None = None
        self.located: Located = (locate_signed(body, spec.signed_path) if spec is not None and body is not None
                                 else Located(None))
        self._judged: tuple[datetime, str, MessageTime | None] | None = None
        self.legacy = False  # GOST R 34.10-2001 with GOST R 34.11-94: verified, with a warning that it is withdrawn

    def add(self, rule_id: str, status: Status, message: str, element: etree._Element | None = None,
            certificate: Certificate | None = None, **details: str) -> None:
        self.out.append(Outcome(rule_id, status, message, element if element is not None else self.element,
                                tuple(details.items()), certificate))

    def skip(self, rules: Sequence[str], reason: str) -> None:
        for rule_id in rules:
            self.add(rule_id, Status.SKIP, reason)

    # -- the checks, in the order a reader wants them --------------------------------------------------------

    def run(self) -> None:
        self.position()
        if not self.structure():
            self.skip((SIG_C14N, SIG_ALG, SIG_ALG_CURRENT, SIG_REF_RESOLVES, SIG_REF_TARGET, SIG_TRANSFORMS,
                       SIG_DIGEST, SIG_VALUE, SIG_LAYOUT), "not checked: SignedInfo is malformed (see SIG-STRUCTURE)")
            self.certificate_checks()
            return
        self.canonicalization()
        digest_uri = self.algorithms()
        target = self.resolve()
        self.transforms()
        self.digest(target, digest_uri)
        self.layout()
        self.certificate_checks(value_check=True)

    def position(self) -> None:
        parent = self.element.getparent()
        wrapper = _local(parent) if parent is not None else "(none)"
        if self.body is None and self.unreadable:
            self.add(SIG_POSITION, Status.FAIL, f"the SMEV envelope's operation cannot be read ({self.unreadable}): "
                     "where this signature must sit and what it must sign cannot be judged (a second block beside "
                     "the body element is signature wrapping)", reason="PoorSOAPEnvelopeFormat")
        elif self.body is None:
            self.add(SIG_POSITION, Status.SKIP, "not an SMEV envelope of a known operation: the signature's place "
                     "cannot be judged")
        elif self.spec is None:
            self.add(SIG_POSITION, Status.FAIL, f"ds:Signature sits in {wrapper}, which is not a signature wrapper "
                     f"of {_local(self.body)} (a detached signature goes into the wrapper its operation defines)")
        else:
            self.add(SIG_POSITION, Status.PASS, f"detached signature in {self.spec.wrapper} ({self.spec.signer.value})")

    def structure(self) -> bool:
        problems = []
        si = self.signed_info
        if si is None:
            problems.append("no ds:SignedInfo")
        else:
            for name in ("CanonicalizationMethod", "SignatureMethod"):
                if len(si.findall(f"{_DS}{name}")) != 1:
                    problems.append(f"SignedInfo needs exactly one ds:{name}")
            count = len(si.findall(f"{_DS}Reference"))
            if count != 1:
                problems.append(f"SignedInfo has {count} ds:Reference elements; an SMEV signature has exactly one")
            elif self.reference is not None and (self.reference.find(f"{_DS}DigestValue") is None
                                                 or self.reference.find(f"{_DS}DigestMethod") is None):
                problems.append("the Reference lacks ds:DigestMethod or ds:DigestValue")
        if self.element.find(f"{_DS}SignatureValue") is None:
            problems.append("no ds:SignatureValue")
        extra = [child for child in self.element if isinstance(child.tag, str)
                 and child.tag not in (f"{_DS}SignedInfo", f"{_DS}SignatureValue", f"{_DS}KeyInfo")]
        if extra:
            problems.append(f"ds:Signature holds {', '.join(etree.QName(e).localname for e in extra)}: an SMEV "
                            "signature holds SignedInfo, SignatureValue and KeyInfo only (a ds:Object is where "
                            "signature-wrapping attacks hide a copy of the signed block)")
        for name in ("SignedInfo", "SignatureValue", "KeyInfo"):
            if len(self.element.findall(f"{_DS}{name}")) > 1:
                problems.append(f"ds:Signature holds more than one ds:{name}")
        if problems:
            self.add(SIG_STRUCTURE, Status.FAIL, "; ".join(problems), reason="PoorSOAPEnvelopeFormat")
            return False
        self.add(SIG_STRUCTURE, Status.PASS, "SignedInfo, one Reference, SignatureValue")
        return True

    def canonicalization(self) -> None:
        element = self.signed_info.find(f"{_DS}CanonicalizationMethod")
        method = element.get("Algorithm")
        # One parameter is part of exclusive c14n itself (XML-exc-C14N §3): an InclusiveNamespaces PrefixList, which
        # Santuario (SMEV's verifier) honours and WSS4J writes; it is honoured here too (`c14n.signed_info_c14n`).
        # Anything else is a parameter verifiers would disagree on.
        parameters = _parameters(element, honoured=(f"{{{c.EXC_C14N}}}InclusiveNamespaces",)
                                 if method == c.EXC_C14N else ())
        if parameters:
            self.add(SIG_C14N, Status.FAIL, f"CanonicalizationMethod carries {parameters}: SMEV canonicalises "
                     "SignedInfo with exclusive c14n (an InclusiveNamespaces PrefixList is the one parameter it "
                     "takes), and verifiers that honour other parameters canonicalise other bytes than those that "
                     "do not", element)
        elif method == c.EXC_C14N:
            self.add(SIG_C14N, Status.PASS, "SignedInfo is canonicalised with exclusive c14n")
        else:
            self.add(SIG_C14N, Status.FAIL, f"CanonicalizationMethod is {method!r}; SMEV requires exclusive c14n "
                     f"({c.EXC_C14N})", self.signed_info.find(f"{_DS}CanonicalizationMethod"))

    def algorithms(self) -> str | None:
        """SIG-ALG and SIG-ALG-CURRENT; returns the digest URI when it is one this verifier can compute."""
        method_el = self.signed_info.find(f"{_DS}SignatureMethod")
        method = method_el.get("Algorithm")
        digest_el = self.reference.find(f"{_DS}DigestMethod")
        digest = digest_el.get("Algorithm")
        problems = []
        if method not in c.SIGNATURE_ALGORITHMS:
            problems.append(f"SignatureMethod {method!r} is not a GOST algorithm SMEV accepts")
        if digest not in c.DIGEST_ALGORITHMS:
            problems.append(f"DigestMethod {digest!r} is not a GOST digest SMEV accepts")
        if not problems and c.SIGNATURE_ALGORITHMS[method][0] != digest:
            problems.append(f"SignatureMethod {method} pairs with digest {c.SIGNATURE_ALGORITHMS[method][0]}, "
                            f"but the Reference uses {digest}")
        if problems:
            self.add(SIG_ALG, Status.FAIL, "; ".join(problems), method_el)
        else:
            self.bits = c.SIGNATURE_ALGORITHMS[method][1]
            if method == c.SIG_GOST2001:
                self.bits, self.legacy = 256, True
            self.add(SIG_ALG, Status.PASS, f"{method} with {digest}", method_el)
        obsolete = [uri for uri in (method, digest) if uri in c.OBSOLETE_ALGORITHMS]
        if obsolete:
            self.add(SIG_ALG_CURRENT, Status.WARN, "withdrawn algorithm (GOST R 34.10-2001 / 34.11-94, not to be used for signing since 2019; "
                     "verified here only to judge old traffic): "
                     + ", ".join(obsolete) + "; sign with GOST R 34.10-2012 / 34.11-2012", method_el)
        elif problems:
            self.add(SIG_ALG_CURRENT, Status.SKIP, "not checked: the algorithms are not GOST ones (see SIG-ALG)")
        else:
            self.add(SIG_ALG_CURRENT, Status.PASS, "GOST R 34.10-2012 / 34.11-2012", method_el)
        return digest if digest in c.DIGEST_ALGORITHMS else None

    def resolve(self) -> etree._Element | None:
        """SIG-REF-RESOLVES and SIG-REF-TARGET; returns the element the digest is computed over."""
        uri = self.reference.get("URI")
        wanted = reference_id(uri)
        expected = self._expected_target()
        if wanted is None:
            self.add(SIG_REF_RESOLVES, Status.FAIL, f"Reference URI {uri!r} is not a same-document '#Id' reference",
                     self.reference)
            self.add(SIG_REF_TARGET, Status.FAIL, f"IncorrectSignatureTarget: URI {uri!r} names no element",
                     self.reference, reason="IncorrectSignatureTarget")
            return None
        index = self._index or IdIndex(self.element.getroottree().getroot())
        found = index.with_id(wanted)
        foreign = index.with_foreign_id(wanted)
        if not found:
            also = (f"; {_local(foreign[0])} (line {foreign[0].sourceline}) carries it as "
                    f"{_foreign_id_name(foreign[0], wanted)}, which SMEV does not resolve" if foreign else "")
            self.add(SIG_REF_RESOLVES, Status.FAIL, f"Reference URI {uri!r} resolves to nothing: no element has "
                     f"Id={wanted!r}{also}", self.reference)
            self.add(SIG_REF_TARGET, Status.FAIL, f"IncorrectSignatureTarget: {uri!r} resolves to nothing",
                     self.reference, reason="IncorrectSignatureTarget")
            return None
        if len(found) > 1:
            where = ", ".join(f"{_local(e)} (line {e.sourceline})" for e in found)
            self.add(SIG_REF_RESOLVES, Status.FAIL, f"Reference URI {uri!r} resolves to {len(found)} elements: "
                     f"{where}; duplicate Ids are the mark of a signature-wrapping attack", found[1])
        elif foreign:
            where = ", ".join(f"{_local(e)} (line {e.sourceline}, {_foreign_id_name(e, wanted)})" for e in foreign)
            self.add(SIG_REF_RESOLVES, Status.FAIL, f"Reference URI {uri!r} resolves to {_local(found[0])}, but "
                     f"{where} carries the same value in another Id attribute: a verifier that resolves that one "
                     "signs a different element (signature wrapping)", foreign[0])
        else:
            self.add(SIG_REF_RESOLVES, Status.PASS, f"{uri} resolves to {_local(found[0])}", self.reference)
        target = expected if expected is not None and any(e is expected for e in found) else found[0]
        if self.spec is None or self.body is None:
            self.add(SIG_REF_TARGET, Status.SKIP, "the element this signature must sign is unknown (not in a "
                     "wrapper of a known operation)", self.reference)
        elif expected is None:
            self.add(SIG_REF_TARGET, Status.FAIL, f"IncorrectSignatureTarget: the message has no "
                     f"{'/'.join(self.spec.signed_path)} for this {self.spec.wrapper} to sign", self.reference,
                     reason="IncorrectSignatureTarget")
        elif self.located.ambiguity:
            self.add(SIG_REF_TARGET, Status.FAIL, f"IncorrectSignatureTarget: {self.located.ambiguity}",
                     self.reference, reason="IncorrectSignatureTarget")
        elif len(found) == 1 and found[0] is expected:
            hidden = hidden_nodes(expected)
            if hidden:
                field_el, node = hidden[0]
                kind = "comment" if node.tag is etree.Comment else "processing instruction"
                self.add(SIG_REF_TARGET, Status.FAIL, f"IncorrectSignatureTarget: a {kind} inside the signed field "
                         f"{xpath_of(field_el)} (line {node.sourceline}): the value signed (c14n drops comments, "
                         f"the SMEV transform PIs) is not the value a reader of the element sees"
                         + (f"; {len(hidden)} such nodes in all" if len(hidden) > 1 else ""), field_el,
                         reason="IncorrectSignatureTarget")
            else:
                self.add(SIG_REF_TARGET, Status.PASS, f"signs {'/'.join(self.spec.signed_path)}, as "
                         f"{self.spec.wrapper} must", self.reference)
        else:
            elsewhere = [e for e in found if e is not expected]
            self.add(SIG_REF_TARGET, Status.FAIL, f"IncorrectSignatureTarget: {uri!r} points to "
                     f"{', '.join(xpath_of(e) for e in elsewhere)}, but {self.spec.wrapper} must sign "
                     f"{xpath_of(expected)}" + (" (a copy outside the signed position: signature wrapping)"
                                                 if any(_local(e) == _local(expected) for e in elsewhere) else ""),
                     elsewhere[0], reason="IncorrectSignatureTarget")
        return target

    def _expected_target(self) -> etree._Element | None:
        return self.located.element

    def transform_uris(self) -> tuple[str, ...]:
        container = self.reference.find(f"{_DS}Transforms")
        if container is None:
            return ()
        return tuple(t.get("Algorithm") or "" for t in container.findall(f"{_DS}Transform"))

    def transforms(self) -> None:
        uris = self.transform_uris()
        container = self.reference.find(f"{_DS}Transforms")
        # An InclusiveNamespaces PrefixList on the exclusive c14n transform changes nothing SMEV's transform keeps
        # (it re-declares every namespace where it is used and drops the rest), so verifiers agree on the digest.
        with_parameters = [(t.get("Algorithm"), _parameters(
            t, honoured=(f"{{{c.EXC_C14N}}}InclusiveNamespaces",) if t.get("Algorithm") == c.EXC_C14N else ()))
            for t in (container.findall(f"{_DS}Transform") if container is not None else ())]
        with_parameters = [(uri, what) for uri, what in with_parameters if what]
        if with_parameters and set(uris) <= set(c.SMEV_TRANSFORMS):
            uri, what = with_parameters[0]
            self.add(SIG_TRANSFORMS, Status.FAIL, f"the transform {uri} carries {what}: SMEV's transforms take "
                     "no parameters, and verifiers that honour them and verifiers that do not digest other bytes",
                     container)
            return
        if uris == c.SMEV_TRANSFORMS:
            self.add(SIG_TRANSFORMS, Status.PASS, "exclusive c14n, then the SMEV transform", self.reference)
            return
        if set(uris) == set(c.SMEV_TRANSFORMS) and len(uris) == 2:
            problem = "the transforms are in the wrong order: the SMEV transform must come after exclusive c14n"
        else:
            shown = ", ".join(u[:200] for u in uris[:4]) + (f", ... {len(uris) - 4} more" if len(uris) > 4 else "") \
                or "none"  # a refusal never echoes more than a few of an attacker's transforms
            problem = (f"the transforms are [{shown}]; SMEV requires exactly [{c.EXC_C14N}, {c.SMEV_TRANSFORM}]"
                       + (" (an enveloped-signature transform has no place in a detached signature)"
                          if c.ENVELOPED in uris else ""))
        container = self.reference.find(f"{_DS}Transforms")
        self.add(SIG_TRANSFORMS, Status.FAIL, problem, container if container is not None else self.reference)

    def _digest_function(self, uri: str) -> Callable[[bytes], bytes] | None:
        bits = c.DIGEST_ALGORITHMS.get(uri)
        if bits is not None:
            return lambda data: self.backend.digest(data, bits)
        if uri == c.DIGEST_GOST94:
            return self.backend.digest_gost94
        return None

    def _signed_info_digest(self, canonical: bytes) -> bytes:
        """The hash the signature value is over: GOST R 34.11-94 for a 2001 signature, else Streebog."""
        return self.backend.digest_gost94(canonical) if self.legacy else self.backend.digest(canonical, self.bits)

    def digest(self, target: etree._Element | None, digest_uri: str | None) -> None:
        value_el = self.reference.find(f"{_DS}DigestValue")
        if target is None:
            self.add(SIG_DIGEST, Status.SKIP, "not checked: the reference resolves to nothing", value_el)
            return
        function = self._digest_function(digest_uri) if digest_uri else None
        if function is None:
            self.add(SIG_DIGEST, Status.SKIP, "not checked: the digest algorithm cannot be computed here", value_el)
            return
        try:
            declared = base64.b64decode(_text(value_el), validate=True)
        except (binascii.Error, ValueError):
            self.add(SIG_DIGEST, Status.FAIL, "DigestValue is not base64", value_el)
            return
        uris = self.transform_uris()
        try:
            data = apply_transforms(target, uris, escaping=self.options.escaping, signature=self.element)
        except UnsupportedTransform as exc:
            self.add(SIG_DIGEST, Status.SKIP, f"not checked: {exc}", value_el)
            return
        except SmevTransformError as exc:  # SMEV's transform throws here: no digest SMEV could compare
            where = f" (line {exc.line})" if exc.line else ""
            self.add(SIG_DIGEST, Status.FAIL, f"{exc.detail}{where} [{exc.rule}]", value_el,
                     reason="SignatureIsInvalid", finding=exc.rule)
            return
        computed = function(data)
        if computed == declared:
            self.add(SIG_DIGEST, Status.PASS, f"DigestValue of {_local(target)} matches", value_el)
            return
        details = {"transformed": data.decode("utf-8", "replace"),
                   "computed": base64.b64encode(computed).decode(), "declared": _text(value_el)}
        message = f"DigestValue of {_local(target)} does not match what its content digests to"
        if self.options.diagnose:
            diagnosis = diagnose_digest(target, declared, function, computed=computed,
                                        escaping=self.options.escaping, signature=self.element,
                                        declared_transforms=uris)
            details["diagnosis"] = diagnosis.explain()
            message += (f"; diagnosis: {diagnosis.explain()}" if diagnosis.cause else
                        ": the signed content was changed after signing, or the signer made a mistake not "
                        "among the usual ones")
        self.add(SIG_DIGEST, Status.FAIL, message, value_el, reason="SignatureIsInvalid", **details)

    def layout(self) -> None:
        loose = [node for node in self.signed_info.iter()
                 if (node.text and len(node) and not node.text.strip(_WHITESPACE))
                 or (node is not self.signed_info and node.tail and not node.tail.strip(_WHITESPACE))]
        if loose:
            self.add(SIG_LAYOUT, Status.WARN, "SignedInfo is indented (whitespace-only text inside it); it verifies "
                     "only as long as nothing re-serialises it: never indent SignedInfo", self.signed_info)
        else:
            self.add(SIG_LAYOUT, Status.PASS, "SignedInfo holds no layout whitespace", self.signed_info)

    # -- certificate and signature value ----------------------------------------------------------------------

    def certificate_checks(self, value_check: bool = False) -> None:
        certificate = self.read_certificate()
        if value_check:
            self.value(certificate)
        cert_rules = (CERT_VALIDITY, CERT_CHAIN, CERT_REVOCATION)
        if certificate is None:
            self.skip(cert_rules, "not checked: no usable certificate (see CERT-PRESENT)")
            return
        self.validity(certificate)
        self.chain(certificate)
        self.revocation(certificate)

    def read_certificate(self) -> Certificate | None:
        nodes = self.element.findall(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate")
        if not nodes:
            self.add(CERT_PRESENT, Status.FAIL, "CertificateIsNotFound: no KeyInfo/X509Data/X509Certificate",
                     reason="CertificateIsNotFound")
            return None
        problem = _key_info_problem(self.element)
        if problem is not None:
            self.add(CERT_PRESENT, Status.FAIL, f"CertificateIsNotFound: {problem}; SMEV 3 allows exactly one "
                     "X509Certificate in one X509Data: which certificate is the signer's is ambiguous (a second "
                     "participant's certificate beside the signer's own is an impersonation attempt)",
                     self.element.find(f"{_DS}KeyInfo"), reason="CertificateIsNotFound")
            return None
        try:
            certificate = _certificate(_text(nodes[0]))
        except ConformanceError as exc:
            self.add(CERT_PRESENT, Status.FAIL, f"CertificateIsNotFound: the X509Certificate cannot be read: {exc}",
                     nodes[0], reason="CertificateIsNotFound")
            return None
        if certificate.public_key is None:
            message = f"the certificate's key is not usable: {certificate.key_error}"
            self.big_endian_key = _big_endian_key(certificate)
            if self.big_endian_key is not None:
                message += ("; read big-endian, X‖Y is a point of the curve: the certificate was written with the "
                            "key's coordinates big-endian instead of little-endian")
            self.add(CERT_PRESENT, Status.FAIL, message, nodes[0])
            return None
        if self.bits is not None and certificate.public_key.bits != self.bits:
            self.add(CERT_PRESENT, Status.FAIL, f"the certificate holds a {certificate.public_key.bits}-bit key but "
                     f"SignatureMethod is the {self.bits}-bit algorithm", nodes[0])
            return None
        if self.bits is not None and certificate.public_key.legacy != self.legacy:
            key, method = (("GOST R 34.10-2001", "GOST R 34.10-2012") if certificate.public_key.legacy
                           else ("GOST R 34.10-2012", "GOST R 34.10-2001"))
            self.add(CERT_PRESENT, Status.FAIL, f"the certificate holds a {key} key but SignatureMethod is "
                     f"{method}", nodes[0])
            return None
        if not certificate.signs_documents:
            self.add(CERT_PRESENT, Status.FAIL, f"CertificateIsNotFound: the certificate's KeyUsage "
                     f"({_usage_names(certificate.key_usage)}) allows neither digitalSignature nor nonRepudiation: "
                     "its key may not sign messages (a CA's or an encryption certificate)", nodes[0],
                     reason="CertificateIsNotFound")
            return None
        self.add(CERT_PRESENT, Status.PASS, f"certificate of {certificate.subject} (serial {certificate.serial:x})",
                 nodes[0])
        self.certificate = certificate
        return certificate

    def value(self, certificate: Certificate | None) -> None:
        value_el = self.element.find(f"{_DS}SignatureValue")
        if certificate is None and self.big_endian_key is not None and self.bits is not None:
            self.value_with_big_endian_key(value_el)
            return
        if certificate is None or self.bits is None:
            why = ("no usable certificate" if certificate is None
                   else "the signature algorithm is not GOST R 34.10-2012 (see SIG-ALG, SIG-ALG-CURRENT)")
            self.add(SIG_VALUE, Status.SKIP, f"not checked: {why}", value_el)
            return
        try:
            signature = base64.b64decode(_text(value_el), validate=True)
        except (binascii.Error, ValueError):
            self.add(SIG_VALUE, Status.FAIL, "SignatureValue is not base64", value_el, reason="SignatureIsInvalid")
            return
        canonical = signed_info_c14n(self.signed_info)
        size = self.bits // 4
        if len(signature) != size:
            self.add(SIG_VALUE, Status.FAIL, f"SignatureValue holds {len(signature)} bytes; a GOST {self.bits}-bit "
                     f"signature is {size} bytes (s‖r)", value_el, reason="SignatureIsInvalid")
            return
        if verify_with(self.backend, certificate.public_key, self._signed_info_digest(canonical), signature):
            self.add(SIG_VALUE, Status.PASS, "SignatureValue verifies with the certificate's key"
                     + (" (GOST R 34.10-2001 / 34.11-94, withdrawn: see SIG-ALG-CURRENT)" if self.legacy else ""),
                     value_el, certificate=certificate)
            return
        details = {"signed_info": canonical.decode("utf-8", "replace")}
        message = "SignatureValue does not verify with the certificate's key under SMEV's conventions"
        if self.options.diagnose:
            diagnosis = diagnose_signature(self.signed_info, signature, certificate.public_key, self.backend,
                                           self.bits, hash_function=self._signed_info_digest)
            details["diagnosis"] = diagnosis.explain()
            message += (f"; diagnosis: {diagnosis.cause}" if diagnosis.cause else
                        ": SignedInfo was changed after signing, or another key made the signature")
        self.add(SIG_VALUE, Status.FAIL, message, value_el, reason="SignatureIsInvalid", **details)

    def value_with_big_endian_key(self, value_el: etree._Element) -> None:
        """The certificate's key is only a curve point when read big-endian: does the signature hold with it?"""
        try:
            signature = base64.b64decode(_text(value_el), validate=True)
        except (binascii.Error, ValueError):
            signature = b""
        digest = self._signed_info_digest(signed_info_c14n(self.signed_info))
        if signature and verify_with(self.backend, self.big_endian_key, digest, signature):
            self.add(SIG_VALUE, Status.FAIL, "SignatureValue does not verify with the certificate's key as written "
                     "(it is no curve point); it verifies with the public key's X and Y big-endian: the signer's "
                     "certificate has its key bytes in the wrong order", value_el, reason="SignatureIsInvalid",
                     diagnosis="the public key's X and Y big-endian")
        else:
            self.add(SIG_VALUE, Status.FAIL, "SignatureValue cannot be verified: the certificate's key is no curve "
                     "point, and the signature does not hold with it read big-endian either", value_el,
                     reason="SignatureIsInvalid")

    def judged_at(self) -> tuple[datetime, str, MessageTime | None]:
        """(instant, where it comes from, the message's own time) the certificate is judged by; see the module
        docstring. The message's own time is that of this signature's signed element, else the message's."""
        if self._judged is None:
            at = self.options.at
            if isinstance(at, datetime):
                self._judged = (at, self.options.at_source or "as given", None)
                return self._judged
            own = self.own_time()
            if at == AT_MESSAGE and own is not None:
                self._judged = (own.at, own.describe(), own)
            elif at == AT_MESSAGE:
                self._judged = (datetime.now(UTC), "now: the message carries no time of its own in what is signed",
                                None)
            else:
                self._judged = (datetime.now(UTC), "now", own)
        return self._judged

    def own_time(self) -> MessageTime | None:
        """The time this signature's signed element carries, else the message's (both from signed SMEV fields)."""
        own = None
        if self.located.element is not None and not self.located.ambiguity:
            own = read_facts(self.located.element).time()
        return own or message_time(self.element.getroottree().getroot())

    def validity(self, certificate: Certificate) -> None:
        at, source, own = self.judged_at()
        span = f"valid {certificate.not_before.isoformat()} .. {certificate.not_after.isoformat()}"
        if certificate.valid_at(at):
            now = datetime.now(UTC)
            if own is not None and at == own.at and not certificate.valid_at(now):
                self.add(CERT_VALIDITY, Status.WARN, f"valid at {at.isoformat()} ({source}), but not now "
                         f"({now.isoformat()}): {span}; the message's time is the sender's claim (a backdated "
                         "MessageID makes any expired key look valid)")
                return
            self.add(CERT_VALIDITY, Status.PASS, f"valid at {at.isoformat()} ({source}): {span}")
            return
        state = "not yet valid" if at < certificate.not_before else "expired"
        message = f"CertificateIsExpired: the certificate is {state} at {at.isoformat()} ({source}); {span}"
        if own is not None and source == "now":
            then = "valid" if certificate.valid_at(own.at) else "not valid either"
            message += (f"; the message's own time is {own.at.isoformat()} (from {own.field}), when it was {then}: "
                        "that time is the sender's claim, so it is used only when asked for (--at message)")
        self.add(CERT_VALIDITY, Status.FAIL, message, reason="CertificateIsExpired")

    def chain(self, certificate: Certificate) -> None:
        if not self.options.trust:
            self.add(CERT_CHAIN, Status.SKIP, "not checked: no trust anchor given (--trust CA.pem); the chain "
                     "cannot be judged without one, which is not a fault of the message")
            return
        for anchor in self.options.trust:
            if anchor.der == certificate.der:
                self.add(CERT_CHAIN, Status.PASS, f"the certificate is itself a trust anchor ({anchor.subject})")
                return
            if certificate.issuer_der == anchor.subject_der and verify_certificate(certificate, anchor,
                                                                                   self.backend):
                at, source, _ = self.judged_at()
                if not anchor.valid_at(at):
                    self.add(CERT_CHAIN, Status.FAIL, f"issued by trust anchor {anchor.subject}, which is not valid "
                             f"at {at.isoformat()} ({source}): valid {anchor.not_before.isoformat()} .. "
                             f"{anchor.not_after.isoformat()}")
                    return
                self.add(CERT_CHAIN, Status.PASS, f"issued and signed by trust anchor {anchor.subject}")
                return
        named = [a for a in self.options.trust if a.subject_der == certificate.issuer_der]
        why = ("the anchor named as its issuer did not sign it" if named
               else f"its issuer ({certificate.issuer}) is none of the trust anchors")
        self.add(CERT_CHAIN, Status.FAIL, f"the certificate does not chain to the trust anchors: {why}")

    def revocation(self, certificate: Certificate) -> None:
        crls = [crl for crl in self.options.crls if crl.issuer_der == certificate.issuer_der]
        if not self.options.crls:
            self.add(CERT_REVOCATION, Status.SKIP, "not checked: no CRL given (--crl)")
            return
        if not crls:
            self.add(CERT_REVOCATION, Status.SKIP, f"not checked: no CRL of the issuer {certificate.issuer} given")
            return
        at = self.judged_at()[0]
        issuers = [a for a in self.options.trust if a.subject_der == certificate.issuer_der]
        for crl in crls:
            if issuers and not any(verify_crl(crl, issuer, self.backend) for issuer in issuers):
                self.add(CERT_REVOCATION, Status.FAIL, f"the CRL of {crl.issuer} is not signed by that issuer's "
                         "trust anchor: it cannot be relied on")
                return
            if crl.next_update is not None and crl.next_update < at:
                self.add(CERT_REVOCATION, Status.FAIL, f"the CRL of {crl.issuer} is stale: its nextUpdate "
                         f"({crl.next_update.isoformat()}) is before {at.isoformat()}, so a revocation since then "
                         "would not be in it; it cannot be relied on (give a current CRL)")
                return
            entry = crl.revocation_of(certificate.serial)
            if entry is not None and entry.revoked_at <= at:
                self.add(CERT_REVOCATION, Status.FAIL, f"the certificate (serial {certificate.serial:x}) was revoked "
                         f"at {entry.revoked_at.isoformat()}, before {at.isoformat()}", reason="CertificateIsRevoked")
                return
        note = "" if issuers else " (the CRL's own signature was not checked: give its issuer with --trust)"
        self.add(CERT_REVOCATION, Status.PASS, f"not on the CRL of {certificate.issuer}{note}")


def _parameters(method: etree._Element, honoured: tuple[str, ...] = ()) -> str:
    """What a CanonicalizationMethod or Transform holds besides its Algorithm and the `honoured` parameters (Clark
    names; "" when nothing): child elements (an InclusiveNamespaces PrefixList, an XPath) or text."""
    children = [etree.QName(child).localname for child in method
                if isinstance(child.tag, str) and child.tag not in honoured]
    if children:
        return ", ".join(children)
    text = "".join([method.text or "", *(child.tail or "" for child in method)]).strip(_WHITESPACE)
    return f"text {text[:40]!r}" if text else ""


_KEY_USAGE_NAMES = ("digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
                    "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly")


def _usage_names(bits: frozenset[int] | None) -> str:
    names = [_KEY_USAGE_NAMES[b] if b < len(_KEY_USAGE_NAMES) else f"bit {b}" for b in sorted(bits or ())]
    return ", ".join(names) or "no bit set"


@lru_cache(maxsize=256)
def _certificate(text: str) -> Certificate:
    """Certificates repeat across messages (a participant signs thousands with one): parse each once."""
    return load_certificate(text)


def _key_info_problem(signature: etree._Element) -> str | None:
    """What makes the signature's KeyInfo other than exactly KeyInfo/X509Data/X509Certificate (None: nothing)."""
    key_infos = signature.findall(f"{_DS}KeyInfo")
    if len(key_infos) != 1:
        return f"the signature holds {len(key_infos)} ds:KeyInfo elements"
    children = [c for c in key_infos[0] if isinstance(c.tag, str)]
    if [c.tag for c in children] != [f"{_DS}X509Data"]:
        return "KeyInfo holds " + ", ".join(etree.QName(c).localname for c in children) + ", not one X509Data"
    inner = [c for c in children[0] if isinstance(c.tag, str)]
    if [c.tag for c in inner] != [f"{_DS}X509Certificate"]:
        return "X509Data holds " + ", ".join(etree.QName(c).localname for c in inner) + \
            ", not one X509Certificate"
    count = sum(1 for e in signature.iter(f"{_DS}X509Certificate"))
    if count != 1:
        return f"the signature carries {count} X509Certificate elements"
    return None


def _big_endian_key(certificate: Certificate) -> PublicKey | None:
    """The certificate's public key read with X and Y big-endian, when that is a point of its curve (else None)."""
    try:
        parts = der.read(certificate.tbs_der).children()
        spki = parts[6] if parts[0].is_context(0) else parts[5]
        algorithm, bitstring = spki.children()[:2]
        parameter_set = algorithm.children()[1].children()[0].oid()
        raw = der.read(bitstring.bits()).octets()
        key = PublicKey.from_bytes(raw, parameter_set, "big")
        return key if key.is_on_curve() else None
    except Exception:  # an unreadable key stays unreadable; the finding already says why
        return None


def _inside_business_content(signature: etree._Element) -> bool:
    for ancestor in signature.iterancestors():
        name = etree.QName(ancestor)
        if name.localname == "MessagePrimaryContent" and classify(name.namespace) is not None:
            return True
    return False


def _specs_by_wrapper(body: etree._Element) -> list[tuple[etree._Element, SigningSpec]]:
    try:
        operation = Operation(_local(body))
    except ValueError:
        return []
    found = []
    for spec in SIGNATURES.get(operation, ()):
        wrapper = locate(body, spec.wrapper_path)
        if wrapper is not None:
            found.append((wrapper, spec))
    # specs may share a wrapper (1.1's RequestMessage/SMEVSignature signs a Request or a Cancel): the one whose signed
    # element the message has comes first, and the first spec of a wrapper is the one its signature is judged by
    found.sort(key=lambda pair: locate(body, pair[1].signed_path) is None)
    return found


def _smev_inside_soap_body(root: etree._Element) -> bool:
    """A SOAP envelope whose Body holds an element of an SMEV namespace (then an unreadable body is a malformed SMEV
    message, not some other document)."""
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        return False
    return any(isinstance(child.tag, str) and classify(etree.QName(child).namespace) is not None
               for body in root.iterfind(f"{{{SOAP_ENV}}}Body") for child in body)


def _body_of(root: etree._Element) -> tuple[etree._Element | None, str | None]:
    try:
        detection = detect(root)
    except InputError as exc:
        return None, str(exc)
    return detection.body, None


def verify_tree(tree: etree._ElementTree | etree._Element, options: VerifyOptions | None = None) -> list[Outcome]:
    """Every outcome of every signature rule over the document. `options.backend` None is the automatic choice,
    resolved here once (commands pass the one `--crypto` chose)."""

    options = options or VerifyOptions()
    options = replace(options, backend=resolve_backend(options.backend))
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    if options.at is not None and not isinstance(options.at, datetime) and options.at != AT_MESSAGE:
        raise ValueError(f"VerifyOptions.at is an instant, None (now) or {AT_MESSAGE!r}, not {options.at!r}")
    body, problem = _body_of(root)
    unreadable = problem if body is None and _smev_inside_soap_body(root) else None
    wrappers = _specs_by_wrapper(body) if body is not None else []
    out: list[Outcome] = []
    signatures = [s for s in root.iter(f"{_DS}Signature")]
    out.extend(_presence(body, wrappers, signatures))
    wanted = {reference_id(r.get("URI")) for s in signatures for r in s.iterfind(f"{_DS}SignedInfo/{_DS}Reference")}
    index = IdIndex(root, {w for w in wanted if w is not None}) if signatures else None
    judged = 0
    for signature in signatures:
        if _inside_business_content(signature):
            out.append(Outcome(SIG_POSITION, Status.SKIP, "a ds:Signature inside the business content under "
                               "MessagePrimaryContent belongs to the payload, not to SMEV: not judged", signature))
            continue
        judged += 1
        if judged > MAX_SIGNATURES:
            out.append(Outcome(SIG_POSITION, Status.FAIL, f"not verified: the message carries more than "
                               f"{MAX_SIGNATURES} ds:Signature elements outside business content (an SMEV message "
                               "carries at most three); each would cost a pass over the document",
                               signature, (("reason", "PoorSOAPEnvelopeFormat"),)))
            continue
        parent = signature.getparent()
        spec = next((s for w, s in wrappers if w is parent), None)
        _Signature(signature, body, spec, options, out, index, unreadable).run()
    if not signatures:
        for rule_id in PER_SIGNATURE_RULES:
            out.append(Outcome(rule_id, Status.SKIP, "not checked: the message carries no ds:Signature", root))
    own = None
    if isinstance(options.at, datetime):
        attachments_at = options.at
    else:
        own = message_time(root) if options.at == AT_MESSAGE else None
        attachments_at = own.at if own is not None else datetime.now(UTC)
    attached = attachment_outcomes(root, at=attachments_at, backend=options.backend, own=own)
    out.extend(attached or [Outcome(SIG_ATTACH_CMS, Status.SKIP, "the message has no attachments", root)])
    return out


def _presence(body: etree._Element | None, wrappers: list[tuple[etree._Element, SigningSpec]],
              signatures: list[etree._Element]) -> list[Outcome]:
    if body is None:
        if signatures:
            return [Outcome(SIG_PRESENT, Status.SKIP, "not an SMEV envelope of a known operation: which signatures "
                            "it needs is unknown", signatures[0])]
        return [Outcome(SIG_PRESENT, Status.FAIL, "NoSignatureFound: the document carries no ds:Signature",
                        None, (("reason", "NoSignatureFound"),))]
    try:
        specs = SIGNATURES.get(Operation(_local(body)), ())
    except ValueError:
        specs = ()
    out = []
    held = {id(w): s for w, s in wrappers if w.find(f"{_DS}Signature") is not None}
    for spec in specs:
        if not spec.required:
            continue
        if any(s is spec for s in held.values()):
            out.append(Outcome(SIG_PRESENT, Status.PASS, f"{spec.wrapper} holds a ds:Signature", body))
        else:
            out.append(Outcome(SIG_PRESENT, Status.FAIL, f"NoSignatureFound: {_local(body)} has no {spec.wrapper} "
                               f"with a ds:Signature; the real bus rejects it", body, (("reason", "NoSignatureFound"),)))
    if not out:
        out.append(Outcome(SIG_PRESENT, Status.PASS if signatures else Status.SKIP,
                           f"{_local(body)} requires no signature of its sender", body))
    return out


def to_findings(path: str, outcomes: Sequence[Outcome]) -> list[Finding]:
    """Outcomes as catalogue findings located in `path` (line and XPath of each element)."""
    findings = []
    for outcome in outcomes:
        element = outcome.element
        location = Location(path, element.sourceline, xpath_of(element)) if element is not None else Location(path)
        findings.append(Finding(outcome.rule_id, outcome.status, outcome.message, location, outcome.details))
    return findings


def verify_message(tree: etree._ElementTree | etree._Element, *, trust: Sequence[Certificate] | None = None,
                   crl: Sequence[Crl] | None = None, at: datetime | Literal["message"] | None = None,
                   backend: Backend | str | None = None, escaping: Escaping = "woodstox",
                   path: str = "<input>") -> list[Finding]:
    """Verify every signature of the message; one finding per rule per signature (see the module docstring).

    `backend` is a backend or its name ("pure", "native"; None: native when present); `at` as in `VerifyOptions`.
    """
    if backend is None or isinstance(backend, str):
        backend = get_backend(backend)
    options = VerifyOptions(trust=tuple(trust or ()), crls=tuple(crl or ()), at=at, backend=backend,
                            escaping=escaping)
    return to_findings(path, verify_tree(tree, options))
