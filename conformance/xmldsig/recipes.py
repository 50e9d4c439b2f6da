"""Recipes of the SIG/CERT rules' examples: a SendRequest signed with the shipped test PKI, then broken one way.

Each recipe signs the message when first asked (once per process and signer), so an example is a real signed
message, not a stored one. `AT` is the instant the examples are judged at (inside the test certificates' validity);
`judged(...)` gives the check settings an example needs: that instant, the test CA as trust anchor and its CRL.
"""

from __future__ import annotations

import base64
import copy
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from lxml import etree

from conformance.crypto import Certificate, Crl, PrivateKey, get_backend, load_certificate, load_crl, load_private_key
from conformance.crypto.testdata import read_testdata
from conformance.protocol import model as m
from conformance.protocol.builder import build
from conformance.protocol.ids import new_message_id
from conformance.protocol.xmlfragment import XmlFragment
from conformance.xmldsig import constants as c
from conformance.xmldsig.attachments import sign_attachments
from conformance.xmldsig.signer import sign_message
from conformance.xmlsafe import parse_bytes

AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_PAYLOAD_NS = "urn://x-artefacts-example-ru/inn-by-passport/1.0.0"
_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
_DS = {"ds": c.DS_NS}

Change = Callable[[etree._Element], None]


@cache
def credentials(name: str) -> tuple[PrivateKey, Certificate]:
    """("participant" | "smev" | "revoked" | "ca") -> (key, certificate) of the shipped test PKI."""
    return (load_private_key(read_testdata(f"{name}.key.pem")), load_certificate(read_testdata(f"{name}.cert.pem")))


@cache
def _ca() -> tuple[Certificate, Crl]:
    return load_certificate(read_testdata("ca.cert.pem")), load_crl(read_testdata("ca.crl.pem"))


def judged(at: datetime = AT, trust: str | None = "ca") -> Callable[[], dict[str, Any]]:
    """Check settings: judge at `at`, with the test CA's CRL and `trust` ("ca", another test identity, or None)."""

    def settings() -> dict[str, Any]:
        anchors = () if trust is None else (_ca()[0] if trust == "ca" else credentials(trust)[1],)
        return {"at": at, "options": {"trust": anchors, "crl": (_ca()[1],)}}

    return settings


def _message() -> m.SendRequestRequest:
    payload = etree.Element(f"{{{_PAYLOAD_NS}}}InnRequest", nsmap={"inn": _PAYLOAD_NS})
    etree.SubElement(payload, f"{{{_PAYLOAD_NS}}}Series").text = "4509"
    etree.SubElement(payload, f"{{{_PAYLOAD_NS}}}Number").text = "235857"
    message_id = new_message_id(AT - timedelta(minutes=5), rng=random.Random(3))
    data = m.SenderProvidedRequestData(message_id=message_id, content=XmlFragment(payload), test_message=True,
                                       attachment_headers=(m.AttachmentHeader("doc-1", "application/pdf"),))
    return m.SendRequestRequest(data, attachments=(m.AttachmentContent("doc-1", _PDF),))


@cache
def _signed_bytes(signer: str) -> bytes:
    """The SendRequest with its attachment and XML signed by `signer`, once per process: every example of a signer
    starts from the same bytes, so a bad example differs from the good one by its change alone."""
    tree = parse_bytes(build(_message(), "1.3"))
    key, certificate = credentials(signer)
    backend = get_backend()
    sign_attachments(tree.getroot(), key, certificate, backend=backend)
    sign_message(tree, None, key, certificate, backend=backend)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def signed(signer: str = "participant", after: Change | None = None) -> bytes:
    """The signed SendRequest of `signer`, then `after` applied (the signature does not know of it)."""
    if after is None:
        return _signed_bytes(signer)
    root = parse_bytes(_signed_bytes(signer)).getroot()
    after(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def one(root: etree._Element, xpath: str) -> etree._Element:
    found = root.xpath(xpath, namespaces=_DS)
    if len(found) != 1:
        raise AssertionError(f"the example message has {len(found)} matches of {xpath}, not one")
    return found[0]


def breaking(change: Change, signer: str = "participant") -> Callable[[], bytes]:
    """A recipe: the signed message, then `change` (the signature does not know of it)."""
    return lambda: signed(signer, change)


# -- the changes ---------------------------------------------------------------------------------------------------

def drop_signature(root: etree._Element) -> None:
    wrapper = one(root, "//*[local-name()='CallerInformationSystemSignature']")
    wrapper.getparent().remove(wrapper)


def move_signature_to_header(root: etree._Element) -> None:
    one(root, "/*/*[local-name()='Header']").append(one(root, "//ds:Signature"))


def second_reference(root: etree._Element) -> None:
    reference = one(root, "//ds:Reference")
    reference.addnext(copy.deepcopy(reference))


def inclusive_c14n(root: etree._Element) -> None:
    one(root, "//ds:CanonicalizationMethod").set("Algorithm", c.C14N_10)


def rsa_sha1(root: etree._Element) -> None:
    one(root, "//ds:SignatureMethod").set("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")


def gost2001(root: etree._Element) -> None:
    one(root, "//ds:SignatureMethod").set("Algorithm", c.SIG_GOST2001)
    one(root, "//ds:DigestMethod").set("Algorithm", c.DIGEST_GOST94)


def duplicate_signed_id(root: etree._Element) -> None:
    """Signature wrapping: the signed original kept in the Header, a forged twin with the same Id in the body."""
    one(root, "/*/*[local-name()='Header']").append(copy.deepcopy(one(root, "//*[@Id='SIGNED_BY_CONSUMER']")))
    one(root, "//*[local-name()='Body']//*[local-name()='Number']").text = "000000"


def signed_copy_in_header(root: etree._Element) -> None:
    """Signature wrapping: the signed original moved to the Header with its Id; the body's block renamed."""
    original = one(root, "//*[@Id='SIGNED_BY_CONSUMER']")
    one(root, "/*/*[local-name()='Header']").append(copy.deepcopy(original))
    original.set("Id", "FORGED")


def swap_transforms(root: etree._Element) -> None:
    transforms = one(root, "//ds:Transforms")
    first = transforms[0]
    transforms.remove(first)
    transforms.append(first)


def edit_signed_content(root: etree._Element) -> None:
    number = one(root, "//*[local-name()='Number']")
    number.text = number.text[:-1] + "8"


def flip_signature_bit(root: etree._Element) -> None:
    value = one(root, "//ds:SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[5] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()


def indent_signed_info(root: etree._Element) -> None:
    etree.indent(one(root, "//ds:SignedInfo"), space="  ", level=5)


def edit_attachment(root: etree._Element) -> None:
    content = one(root, "//*[local-name()='AttachmentContent']/*[local-name()='Content']")
    content.text = base64.b64encode(_PDF + b"x").decode()


def garble_certificate(root: etree._Element) -> None:
    one(root, "//ds:X509Certificate").text = base64.b64encode(b"not a certificate").decode()


def after_expiry() -> datetime:
    """A day after the participant's certificate expires."""
    return credentials("participant")[1].not_after + timedelta(days=1)
