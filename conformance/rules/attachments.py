"""Family `MSG-ATTACH-…`: attachment headers coordinated with attachment content, MIME types, file-store references."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Iterator

from lxml import etree

from conformance.findings import Severity
from conformance.protocol.facts import smev_name
from conformance.rules import recipes as ex
from conformance.rules.catalogue import examples, rule
from conformance.rules.context import CheckContext, NotApplicable, Violation, applies
from conformance.rules.helpers import child_named, holds_xop_include, text_of

_ATTACH = "SMEV 3 protocol: Main structures (Attachments)"

_MIME = re.compile(r"^(?P<type>[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126})/(?P<sub>[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126})"
                   r"(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(\"[^\"]*\"|[A-Za-z0-9!#$&^_.+-]+))*$")
_TOP_LEVEL = frozenset({"application", "audio", "font", "image", "message", "model", "multipart", "text", "video"})
"""The IANA top-level media types (RFC 6838 §4.2)."""

_WHITESPACE = re.compile(r"\s+")


def decode_base64(text: str) -> bytes | None:
    """Strict base64 (whitespace between lines allowed); None when `text` is not base64."""
    compact = _WHITESPACE.sub("", text)
    if not compact:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _headers(ctx: CheckContext) -> list[etree._Element]:
    return ctx.elements_named("AttachmentHeader")


def _contents(ctx: CheckContext) -> list[etree._Element]:
    return ctx.elements_named("AttachmentContent")


@examples(bad=[ex.broken("an AttachmentContent whose Id names no AttachmentHeader", "send_request", ex.orphan_content)],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-COORDINATED", "Every AttachmentHeader's contentId has one AttachmentContent and vice versa",
      Severity.ERROR, f"{_ATTACH}; fault AttachmentContentMiscoordination; 697 §6л")
def coordinated(ctx: CheckContext) -> Iterator[Violation]:
    headers, contents = _headers(ctx), _contents(ctx)
    if not headers and not contents:
        raise NotApplicable("the message has no inline attachments")
    content_ids: dict[str, list[etree._Element]] = {}
    for content in contents:
        content_ids.setdefault(text_of(child_named(content, "Id")).strip(), []).append(content)
    header_ids: dict[str, list[etree._Element]] = {}
    for header in headers:
        header_ids.setdefault(text_of(child_named(header, "contentId")).strip(), []).append(header)
    for cid, elements in header_ids.items():
        if cid not in content_ids:
            yield Violation(f"AttachmentHeader contentId {cid!r} has no AttachmentContent with that Id", elements[0])
        for extra in elements[1:]:
            yield Violation(f"contentId {cid!r} is declared by more than one AttachmentHeader", extra)
    for cid, elements in content_ids.items():
        if cid not in header_ids:
            yield Violation(f"AttachmentContent {cid!r} is described by no AttachmentHeader", elements[0])
        for extra in elements[1:]:
            yield Violation(f"AttachmentContent Id {cid!r} is used more than once", extra)


@examples(bad=[ex.broken("MimeType pdf (no type/subtype)", "send_request", ex.set_text("MimeType", "pdf"),
                         "MSG-ATTACH-MIME-CONTENT", "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-MIME", "Every attachment's MimeType is a well-formed media type of an IANA top-level type",
      Severity.ERROR, f"{_ATTACH} (MimeType); RFC 6838 §4.2, RFC 2045 §5.1")
def mime_type(ctx: CheckContext) -> Iterator[Violation]:
    found = [m for m in ctx.elements_named("MimeType")
             if smev_name(m.getparent()) in ("AttachmentHeader", "RefAttachmentHeader")]
    if not found:
        raise NotApplicable("the message has no attachment headers")
    for element in found:
        value = text_of(element).strip()
        match = _MIME.match(value)
        if not match:
            yield Violation(f"MimeType {value!r} is not of the form type/subtype", element)
        elif match.group("type").lower() not in _TOP_LEVEL:
            yield Violation(f"MimeType {value!r}: {match.group('type')!r} is not a registered top-level media type",
                            element)


_MAGIC: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"%PDF-", "a PDF document", ("application/pdf",)),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ("image/png",)),
    (b"\xff\xd8\xff", "a JPEG image", ("image/jpeg", "image/pjpeg")),
    (b"GIF8", "a GIF image", ("image/gif",)),
    (b"PK\x03\x04", "a ZIP container", ("application/zip", "application/x-zip-compressed", "application/vnd.",
                                         "application/epub+zip", "application/java-archive", "application/octet-stream")),
    (b"II*\x00", "a TIFF image", ("image/tiff",)),
    (b"MM\x00*", "a TIFF image", ("image/tiff",)),
)


def sniff(data: bytes) -> tuple[str, tuple[str, ...]] | None:
    """What the content's leading bytes say it is, and the media types (or prefixes) compatible with that."""
    for magic, what, types in _MAGIC:
        if data.startswith(magic):
            return what, types
    return None


@examples(bad=[ex.broken("a PDF declared image/png", "send_request", ex.set_text("MimeType", "image/png"))],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-MIME-CONTENT", "An inline attachment's content agrees with its declared MimeType", Severity.WARNING,
      f"{_ATTACH}; 697 §6л (block messages whose attachments do not match)",
      "Recognises PDF, PNG, JPEG, GIF, TIFF and ZIP-based files by their leading bytes; other content is not judged.")
def mime_matches_content(ctx: CheckContext) -> Iterator[Violation]:
    contents = {text_of(child_named(c, "Id")).strip(): c for c in _contents(ctx)}
    pairs = []
    for header in _headers(ctx):
        content = contents.get(text_of(child_named(header, "contentId")).strip())
        mime = child_named(header, "MimeType")
        if content is not None and mime is not None:
            pairs.append((header, mime, content))
    if not pairs:
        raise NotApplicable("no inline attachment has both a header with a MimeType and its content")
    for _header, mime, content in pairs:
        payload = child_named(content, "Content")
        if payload is None or len(payload):  # MTOM (xop:Include): the bytes travel in another MIME part
            continue
        data = decode_base64(text_of(payload))
        if data is None:
            continue
        sniffed = sniff(data)
        declared = text_of(mime).strip().split(";")[0].strip().lower()
        if sniffed and not any(declared == t or (t.endswith(".") and declared.startswith(t)) for t in sniffed[1]):
            yield Violation(f"MimeType says {declared!r} but the content is {sniffed[0]}", mime)


@examples(bad=[ex.broken("an AttachmentContent that is not base64", "send_request",
                         ex.set_text("Content", "not*base64"), "MSG-SCHEMA-ENVELOPE")],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-BASE64", "Every inline AttachmentContent/Content is non-empty base64 (or an MTOM xop:Include)",
      Severity.ERROR, f"{_ATTACH} (AttachmentContent{{Id, Content:base64}}); fault InvalidContent")
def content_base64(ctx: CheckContext) -> Iterator[Violation]:
    contents = applies(_contents(ctx), "the message has no inline attachment content")
    for content in contents:
        payload = child_named(content, "Content")
        if payload is None:
            yield Violation("AttachmentContent has no Content", content)
        elif len(payload):
            if not any(etree.QName(c).localname == "Include" for c in payload if isinstance(c.tag, str)):
                yield Violation("Content holds elements other than xop:Include", payload)
        elif decode_base64(text_of(payload)) is None:
            yield Violation("Content is empty or not base64", payload)


INLINE_LIMIT = 5 * 1024 * 1024
"""Above this many bytes of inline attachments, clients move files to the bus's file store."""


def decoded_size(text: str) -> int:
    """The byte length base64 `text` decodes to, without decoding it."""
    compact = _WHITESPACE.sub("", text)
    return len(compact) * 3 // 4 - compact[-2:].count("=")


@examples(bad=[ex.broken("an inline attachment one byte above 5 MiB", "send_request",
                         ex.oversized_attachment(INLINE_LIMIT + 1))],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-SIZE", f"Inline attachments total at most {INLINE_LIMIT // (1024 * 1024)} MiB; larger files go to "
      "the file store", Severity.WARNING, f"{_ATTACH} (clients switch to the file store above 5 MiB); fault "
      "AttachmentSizeLimitExceeded")
def inline_size(ctx: CheckContext) -> Iterator[Violation]:
    contents = applies(_contents(ctx), "the message has no inline attachment content")
    sizes = [(c, decoded_size(text_of(child_named(c, "Content")))) for c in contents]
    total = sum(size for _, size in sizes)
    if total > INLINE_LIMIT:
        biggest = max(sizes, key=lambda pair: pair[1])[0]
        yield Violation(f"inline attachments total {total} bytes, over {INLINE_LIMIT}: send the largest "
                        f"({text_of(child_named(biggest, 'Id')).strip()!r}) through the file store "
                        "(RefAttachmentHeader)", biggest)


@examples(bad=[ex.broken("an AttachmentHeader without SignaturePKCS7", "send_request", ex.remove("SignaturePKCS7"))],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-SIGNATURE", "Every attachment header carries the attachment's signature (SignaturePKCS7)",
      Severity.WARNING, f"{_ATTACH} (SignaturePKCS7); 697 §11и (sign what is sent with a qualified signature)",
      "The schemas make it optional; many message types require it. A warning, as the requirement is per type.")
def attachment_signature(ctx: CheckContext) -> Iterator[Violation]:
    headers = applies(ctx.elements_named("AttachmentHeader", "RefAttachmentHeader"), "the message has no attachment headers")
    for header in headers:
        signature = child_named(header, "SignaturePKCS7")
        if signature is None or not (text_of(signature).strip() or holds_xop_include(signature)):
            yield Violation(f"{etree.QName(header).localname} has no SignaturePKCS7", header)


@examples(bad=[ex.broken("a RefAttachmentHeader Hash of 20 bytes", "send_request",
                         ex.set_text("Hash", base64.b64encode(bytes(20)).decode()))],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-REF-HASH", "Every RefAttachmentHeader/Hash is base64 of a 32-byte (Streebog-256) digest",
      Severity.ERROR, f"{_ATTACH} (RefAttachmentHeader: Hash = base64 GOST hash of the file)")
def ref_hash(ctx: CheckContext) -> Iterator[Violation]:
    headers = applies(ctx.elements_named("RefAttachmentHeader"), "the message references no file-store attachment")
    for header in headers:
        digest = child_named(header, "Hash")
        if digest is None:
            yield Violation("RefAttachmentHeader has no Hash", header)
            continue
        data = decode_base64(text_of(digest))
        if data is None:
            yield Violation("Hash is not base64", digest)
        elif len(data) != 32:
            yield Violation(f"Hash decodes to {len(data)} bytes, not the 32 of a Streebog-256 digest", digest)


@examples(bad=[ex.broken("a RefAttachmentHeader uuid file-42", "send_request", ex.set_text("uuid", "file-42"))],
          good=[ex.valid("send_request")])
@rule("MSG-ATTACH-REF-UUID", "Every RefAttachmentHeader/uuid is a lower-case UUID", Severity.ERROR,
      f"{_ATTACH} (RefAttachmentHeader{{uuid, ...}}: the file's id in the bus's file store)")
def ref_uuid(ctx: CheckContext) -> Iterator[Violation]:
    headers = applies(ctx.elements_named("RefAttachmentHeader"), "the message references no file-store attachment")
    for header in headers:
        element = child_named(header, "uuid")
        value = text_of(element).strip()
        try:
            ok = str(uuid.UUID(value)) == value
        except ValueError:
            ok = False
        if not ok:
            yield Violation(f"uuid {value!r} is not a lower-case UUID in 8-4-4-4-12 form", element if element is not
                            None else header)
