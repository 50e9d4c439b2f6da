"""Attachment signatures (`SignaturePKCS7`): detached CMS SignedData over each attachment's bytes.

An `AttachmentHeader{contentId, MimeType, SignaturePKCS7?}` inside the signed block names an
`AttachmentContent{Id, Content}` that travels outside it; the CMS (crypto engineer's `conformance.crypto.cms`)
must verify over the decoded content. File-store attachments (`RefAttachmentHeader`) are not in the message, so
their CMS and Hash cannot be checked from the file alone: that is said, as a skip.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lxml import etree

from conformance.crypto.cms import sign_detached, verify_detached
from conformance.findings import Status
from conformance.protocol.namespaces import XOP, classify
from conformance.xmldsig.outcome import Outcome

if TYPE_CHECKING:
    from conformance.crypto import Backend, Certificate, PrivateKey
    from conformance.protocol.facts import MessageTime

SIG_ATTACH_CMS = "SIG-ATTACH-CMS"


def _smev_children(parent: etree._Element, local: str) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str) and etree.QName(child).localname == local
            and classify(etree.QName(child).namespace) is not None]


def _smev_elements(root: etree._Element, local: str) -> list[etree._Element]:
    return [e for e in root.iter(f"{{*}}{local}") if classify(etree.QName(e).namespace) is not None]


def _text(element: etree._Element | None) -> str:
    return "".join((element.text or "").split()) if element is not None else ""


def attachment_contents(root: etree._Element) -> dict[str, etree._Element]:
    """AttachmentContent/Content elements by their Id."""
    found: dict[str, etree._Element] = {}
    for item in _smev_elements(root, "AttachmentContent"):
        ids, contents = _smev_children(item, "Id"), _smev_children(item, "Content")
        if ids and contents:
            found.setdefault(_text(ids[0]), contents[0])
    return found


def _content_bytes(content: etree._Element) -> bytes | None:
    """The attachment's bytes; None when they travel as an MTOM part (xop:Include) not in this file."""
    if content.find(f"{{{XOP}}}Include") is not None:
        return None
    return base64.b64decode(_text(content), validate=True)


def attachment_outcomes(root: etree._Element, *, at: datetime, backend: Backend,
                        own: MessageTime | None = None) -> list[Outcome]:
    """One SIG-ATTACH-CMS outcome per attachment header of the message. `own`: `at` is the message's own time
    (verify --at message), the sender's claim: a signer's certificate valid then but not now warns, as CERT-VALIDITY
    does for XML signatures, instead of passing silently."""
    contents = attachment_contents(root)
    out: list[Outcome] = []
    for header in _smev_elements(root, "AttachmentHeader"):
        content_id = _text(next(iter(_smev_children(header, "contentId")), None))
        signatures = _smev_children(header, "SignaturePKCS7")
        if not signatures:
            out.append(Outcome(SIG_ATTACH_CMS, Status.SKIP, f"attachment {content_id!r} carries no SignaturePKCS7",
                               header))
            continue
        content = contents.get(content_id)
        if content is None:
            out.append(Outcome(SIG_ATTACH_CMS, Status.FAIL, f"attachment {content_id!r}: no AttachmentContent with "
                               "that Id, so its signature cannot be verified", signatures[0]))
            continue
        try:
            data = _content_bytes(content)
        except (binascii.Error, ValueError):
            out.append(Outcome(SIG_ATTACH_CMS, Status.FAIL, f"attachment {content_id!r}: Content is not base64",
                               content))
            continue
        if data is None:
            out.append(Outcome(SIG_ATTACH_CMS, Status.SKIP, f"attachment {content_id!r} travels as an MTOM part "
                               "(xop:Include) that is not in this file", content))
            continue
        result = verify_detached(_text(signatures[0]), data, backend=backend)
        problems = [p.message for p in result.problems]
        if result.signer is not None and not result.signer.valid_at(at):
            problems.append(f"the signer's certificate is not valid at {at.isoformat()}")
        if result.signer is not None and not result.signer.signs_documents:
            problems.append("the signer's certificate's KeyUsage allows neither digitalSignature nor nonRepudiation")
        if problems:
            out.append(Outcome(SIG_ATTACH_CMS, Status.FAIL, f"attachment {content_id!r}: " + "; ".join(problems),
                               signatures[0], tuple(("problem", p.code) for p in result.problems)))
        elif own is not None and result.signer is not None and not result.signer.valid_at(now := datetime.now(UTC)):
            out.append(Outcome(SIG_ATTACH_CMS, Status.WARN, f"attachment {content_id!r}: the CMS signature verifies "
                               f"and its signer's certificate is valid at {at.isoformat()} ({own.describe()}), but "
                               f"not now ({now.isoformat()}): valid {result.signer.not_before.isoformat()} .. "
                               f"{result.signer.not_after.isoformat()}; the message's time is the sender's claim",
                               signatures[0]))
        else:
            who = result.signer.subject if result.signer else "?"
            out.append(Outcome(SIG_ATTACH_CMS, Status.PASS, f"attachment {content_id!r}: CMS signature by {who} "
                               "verifies over its content", signatures[0]))
    for header in _smev_elements(root, "RefAttachmentHeader"):
        uuid = _text(next(iter(_smev_children(header, "uuid")), None))
        out.append(Outcome(SIG_ATTACH_CMS, Status.SKIP, f"file-store attachment {uuid}: the file is not in the "
                           "message, so its Hash and SignaturePKCS7 cannot be checked here", header))
    return out


def sign_attachments(root: etree._Element, key: PrivateKey, certificate: Certificate, *,
                     backend: Backend | None = None, replace: bool = False,
                     signing_time: datetime | None = None) -> int:
    """Add a detached CMS SignaturePKCS7 to every AttachmentHeader whose content is in the message; returns how
    many were signed. Run it before the XML signature: the headers are inside the signed element."""
    contents = attachment_contents(root)
    signed = 0
    for header in _smev_elements(root, "AttachmentHeader"):
        existing = _smev_children(header, "SignaturePKCS7")
        if existing and not replace:
            continue
        content_id = _text(next(iter(_smev_children(header, "contentId")), None))
        content = contents.get(content_id)
        data = _content_bytes(content) if content is not None else None
        if data is None:
            continue
        for old in existing:
            header.remove(old)
        cms = sign_detached(data, key, certificate, backend=backend, signing_time=signing_time)
        element = etree.SubElement(header, f"{{{etree.QName(header).namespace}}}SignaturePKCS7")
        element.text = base64.b64encode(cms).decode("ascii")
        signed += 1
    return signed
