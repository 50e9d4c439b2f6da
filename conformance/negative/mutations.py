"""The vocabulary of mutations: small named functions that spoil a valid message in one way each.

A mutation acts in one of three phases: `tree` (on the envelope before the caller signs it, so the signature is
valid over the spoiled content and the bus must find the fault beyond the signature), `signed` (after signing:
the spoiled thing is the signature itself, or content the signature no longer covers) or `bytes` (on the
serialised envelope: hostile XML the parser must refuse). Generic tree mutations take `after-sign: true` to act
in the `signed` phase instead.

XPaths use the prefixes `soap`, `t` (types of the case's version), `b` (basic), `ds`, and address the envelope.
Text values may carry templates, expanded at run time: `{uuid1}`, `{uuid1-upper}`, `{uuid4}`, `{uuid1-stale}`
(made three days ago), `{past:5m}` / `{future:1d}` (xs:dateTime), `{reply-to}` and `{delivered}` (the ReplyTo and
the MessageID of the request the setup had delivered), `{message-id}` (the case's own MessageID).
"""

from __future__ import annotations

import base64
import copy
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from conformance.crypto.cms import sign_detached
from conformance.negative.identities import identities
from conformance.protocol import ids
from conformance.protocol.namespaces import SOAP_ENV, XMLDSIG, Version, ns
from conformance.yamlnodes import parse_duration

TREE, SIGNED, BYTES = "tree", "signed", "bytes"


class MutationError(ValueError):
    """A mutation that cannot apply to the message it was given (a defect of the case, named by the runner)."""


@dataclass
class Facts:
    """What the run knows when a case is mutated: the moment, a seeded generator and what the setup produced."""

    now: datetime
    rng: random.Random
    message_id: str = ""
    reply_to: str | None = None
    delivered: str | None = None


@dataclass(frozen=True)
class Mutation:
    name: str
    phase: str
    apply: Callable[..., Any]
    """tree/signed: `apply(envelope, args, facts, version)`; bytes: `apply(data, args, facts) -> bytes`."""
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    doc: str = ""


def namespaces(version: Version) -> dict[str, str]:
    names = ns(version)
    return {"soap": SOAP_ENV, "t": names.types, "b": names.basic, "ds": XMLDSIG}


# -- templates --------------------------------------------------------------------------------------------------------

TEMPLATES = ("uuid1", "uuid1-upper", "uuid4", "uuid1-stale", "past", "future", "message-id", "reply-to", "delivered")
_TEMPLATE = re.compile(r"\{(" + "|".join(re.escape(t) for t in sorted(TEMPLATES, key=len, reverse=True))
                       + r")(?::([^}]*))?\}")
"""Only these names are templates: any other `{...}` (a Clark name such as `{urn:x}local`) is left as written."""


def expand(value: str, facts: Facts) -> str:
    """`value` with its `{...}` templates replaced (see the module docstring)."""

    def one(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if name == "uuid1":
            return ids.new_message_id(facts.now, rng=facts.rng)
        if name == "uuid1-upper":
            return ids.new_message_id(facts.now, rng=facts.rng).upper()
        if name == "uuid4":
            return str(uuid.UUID(int=facts.rng.getrandbits(128), version=4))
        if name == "uuid1-stale":
            return ids.new_message_id(facts.now - timedelta(days=3), rng=facts.rng)
        if name in ("past", "future"):
            try:
                delta = timedelta(seconds=parse_duration(arg or "5m"))
                moment = facts.now - delta if name == "past" else facts.now + delta
            except (ValueError, OverflowError) as exc:
                raise MutationError(f"{{{name}:{arg}}}: {exc}") from None
            return moment.astimezone(UTC).isoformat()
        if name == "message-id":
            return facts.message_id
        if name in ("reply-to", "delivered"):
            found = facts.reply_to if name == "reply-to" else facts.delivered
            if not found:
                raise MutationError(f"{{{name}}} needs a setup that has a request delivered (setup: deliver)")
            return found
        raise AssertionError(name)  # pragma: no cover - the pattern admits only TEMPLATES

    return _TEMPLATE.sub(one, value)


# -- helpers ----------------------------------------------------------------------------------------------------------


def select(envelope: etree._Element, xpath: str, version: Version) -> list[etree._Element]:
    try:
        found = envelope.xpath(xpath, namespaces=namespaces(version))
    except etree.XPathError as exc:
        raise MutationError(f"XPath {xpath!r} is not valid: {exc}") from None
    elements = [item for item in found if isinstance(item, etree._Element)] if isinstance(found, list) else []
    if not elements:
        raise MutationError(f"XPath {xpath!r} selects no element of this {version.value} message")
    return elements


def _flip_base64(text: str, position: int = 5) -> str:
    raw = bytearray(base64.b64decode("".join(text.split())))
    raw[position % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def _signature(envelope: etree._Element) -> etree._Element:
    found = envelope.find(f".//{{{XMLDSIG}}}Signature")
    if found is None:
        raise MutationError("the message carries no ds:Signature to spoil (is the case signed?)")
    return found


def _ds(element: etree._Element, path: str) -> etree._Element:
    found = element.find(path.replace("ds:", f"{{{XMLDSIG}}}"))
    if found is None:
        raise MutationError(f"the signature has no {path}")
    return found


# -- generic tree mutations -------------------------------------------------------------------------------------------


def set_text(envelope, args, facts, version) -> None:
    value = expand(str(args.get("value", "")), facts) * int(args.get("repeat", 1))
    for element in select(envelope, args["xpath"], version):
        for child in list(element):
            element.remove(child)
        element.text = value


def delete(envelope, args, facts, version) -> None:
    for element in select(envelope, args["xpath"], version):
        parent = element.getparent()
        if parent is None:
            raise MutationError("cannot delete the root element")
        parent.remove(element)


def duplicate(envelope, args, facts, version) -> None:
    for element in select(envelope, args["xpath"], version):
        element.addnext(copy.deepcopy(element))


def insert(envelope, args, facts, version) -> None:
    xml = expand(str(args["xml"]), facts)
    try:
        wrapper = etree.fromstring(f"<w {_declarations(version)}>{xml}</w>")
    except etree.XMLSyntaxError as exc:
        raise MutationError(f"insert: the xml is not well-formed: {exc}") from None
    position = args.get("position", "last")
    for element in select(envelope, args["xpath"], version):
        new = [copy.deepcopy(child) for child in wrapper]
        if position == "last":
            element.extend(new)
        elif position == "first":
            for child in reversed(new):
                element.insert(0, child)
        elif position == "before":
            for child in new:
                element.addprevious(child)
        elif position == "after":
            for child in reversed(new):
                element.addnext(child)
        else:
            raise MutationError(f"insert: position {position!r} is not first, last, before or after")


def _declarations(version: Version) -> str:
    return " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in namespaces(version).items())


def copy_to(envelope, args, facts, version) -> None:
    """Copy the elements at `xpath` into the element at `to` (as its last children)."""
    destination = select(envelope, args["to"], version)[0]
    for element in select(envelope, args["xpath"], version):
        duplicate_element = copy.deepcopy(element)
        duplicate_element.tail = None
        destination.append(duplicate_element)


def set_attribute(envelope, args, facts, version) -> None:
    for element in select(envelope, args["xpath"], version):
        element.set(args["name"], expand(str(args["value"]), facts))


def remove_attribute(envelope, args, facts, version) -> None:
    for element in select(envelope, args["xpath"], version):
        if args["name"] not in element.attrib:
            raise MutationError(f"{element.tag} has no attribute {args['name']!r}")
        del element.attrib[args["name"]]


def rename(envelope, args, facts, version) -> None:
    """Give the element another qualified name: `{uri}local`, or a local name kept in the element's namespace."""
    name = expand(str(args["name"]), facts)
    for element in select(envelope, args["xpath"], version):
        if not name.startswith("{"):
            qname = etree.QName(element)
            name = f"{{{qname.namespace}}}{name}" if qname.namespace else name
        element.tag = name


# -- identifiers and time ---------------------------------------------------------------------------------------------

_ID_FORMS = {"upper": "{uuid1-upper}", "v4": "{uuid4}", "stale": "{uuid1-stale}", "garbage": "not-a-uuid-{uuid4}"}


def message_id(envelope, args, facts, version) -> None:
    """Replace the sender's MessageID by a malformed, version-4 or stale one (`form`)."""
    form = args["form"]
    if form not in _ID_FORMS:
        raise MutationError(f"message-id form {form!r} is not one of {', '.join(_ID_FORMS)}")
    set_text(envelope, {"xpath": "//t:SenderProvidedRequestData/t:MessageID | "
                                 "//t:SenderProvidedResponseData/t:MessageID", "value": _ID_FORMS[form]},
             facts, version)


def repeat_message_id(envelope, args, facts, version) -> None:
    """Marker: the runner sends the valid message first, so this one repeats its MessageID."""


# -- content -----------------------------------------------------------------------------------------------------------


def replace_content(envelope, args, facts, version) -> None:
    """Put another business element (`xml`) under MessagePrimaryContent."""
    primary = select(envelope, "//b:MessagePrimaryContent", version)[0]
    for child in list(primary):
        primary.remove(child)
    insert(envelope, {"xpath": "//b:MessagePrimaryContent", "xml": args["xml"]}, facts, version)


def pad_attachment(envelope, args, facts, version) -> None:
    """Make the first inline attachment `bytes` long (seeded random bytes, base64 in the envelope)."""
    content = select(envelope, "//b:AttachmentContent/b:Content", version)[0]
    size = int(args["bytes"])
    content.text = base64.b64encode(facts.rng.randbytes(size)).decode("ascii")


def sign_attachment(envelope, args, facts, version) -> None:
    """Give the first attachment header a CMS signature by the consumer over other bytes (`over`) than the
    attachment's content: a real signature, of the wrong file."""
    consumer = identities()["consumer"]
    header = select(envelope, "//b:AttachmentHeader", version)[0]
    mime = header.find(f"{{{ns(version).basic}}}MimeType")
    if mime is None:
        raise MutationError("the attachment header has no MimeType to put SignaturePKCS7 after")
    signature = sign_detached(str(args["over"]).encode("utf-8"), consumer.key, consumer.certificate,
                              signing_time=facts.now)
    element = etree.Element(f"{{{ns(version).basic}}}SignaturePKCS7")
    element.text = base64.b64encode(signature).decode("ascii")
    mime.addnext(element)


def nest(envelope, args, facts, version) -> None:
    """Nest `depth` elements inside the element at `xpath` (hostile depth)."""
    element = select(envelope, args["xpath"], version)[0]
    qname = etree.QName(element)
    for _ in range(int(args["depth"])):
        element = etree.SubElement(element, f"{{{qname.namespace}}}Nested" if qname.namespace else "Nested")


# -- signature (phase signed) ------------------------------------------------------------------------------------------


def break_signature_value(envelope, args, facts, version) -> None:
    value = _ds(_signature(envelope), "ds:SignatureValue")
    value.text = _flip_base64(value.text or "")


def swap_signature_halves(envelope, args, facts, version) -> None:
    """Write the signature value r‖s instead of s‖r (a byte-order mistake)."""
    value = _ds(_signature(envelope), "ds:SignatureValue")
    raw = base64.b64decode("".join((value.text or "").split()))
    half = len(raw) // 2
    value.text = base64.b64encode(raw[half:] + raw[:half]).decode("ascii")


def corrupt_digest(envelope, args, facts, version) -> None:
    digest = _ds(_signature(envelope), "ds:SignedInfo/ds:Reference/ds:DigestValue")
    digest.text = _flip_base64(digest.text or "", 3)


def indent_signed_info(envelope, args, facts, version) -> None:
    """Pretty-print SignedInfo after signing, as an XML library's `indent` would."""
    signed_info = _ds(_signature(envelope), "ds:SignedInfo")
    etree.indent(signed_info, space="  ", level=2)


def swap_certificate(envelope, args, facts, version) -> None:
    """Put another identity's certificate in KeyInfo (the value was made with the signer's key)."""
    who = identities().get(args["identity"])
    if who is None:
        raise MutationError(f"swap-certificate: no identity {args['identity']!r}; "
                            f"known: {', '.join(identities())}")
    cert = _ds(_signature(envelope), "ds:KeyInfo/ds:X509Data/ds:X509Certificate")
    cert.text = base64.b64encode(who.certificate.der).decode("ascii")


def garble_certificate(envelope, args, facts, version) -> None:
    """Replace the certificate by base64 of bytes that are no certificate."""
    cert = _ds(_signature(envelope), "ds:KeyInfo/ds:X509Data/ds:X509Certificate")
    cert.text = base64.b64encode(b"\x30\x03\x02\x01\x00 this is not a certificate").decode("ascii")


# -- hostile bytes ------------------------------------------------------------------------------------------------------

_PROLOG = re.compile(rb"^(<\?xml[^>]*\?>)?")


def _after_prolog(data: bytes, insertion: bytes) -> bytes:
    match = _PROLOG.match(data)
    end = match.end() if match else 0
    return data[:end] + insertion + data[end:]


def _reference_entity(data: bytes, entity: str) -> bytes:
    """Put `&entity;` into the first text of the Body."""
    at = data.find(b"</", data.find(b":Body>"))
    return data[:at] + f"&{entity};".encode() + data[at:]


def doctype(data: bytes, args, facts) -> bytes:
    return _after_prolog(data, b"<!DOCTYPE soap:Envelope [<!ELEMENT soap:Envelope ANY>]>")


def entity_expansion(data: bytes, args, facts) -> bytes:
    """A 'billion laughs' internal entity, referenced in the body."""
    lines = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    data = _after_prolog(data, f"<!DOCTYPE soap:Envelope [{''.join(lines)}]>".encode())
    return _reference_entity(data, "lol9")


def external_entity(data: bytes, args, facts) -> bytes:
    """An external entity naming a local file, referenced in the body."""
    data = _after_prolog(data, b'<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    return _reference_entity(data, "xxe")


def oversize(data: bytes, args, facts) -> bytes:
    """Pad the envelope with a comment to `mib` MiB."""
    target = int(float(args["mib"]) * 1024 * 1024)
    padding = max(0, target - len(data))
    return data + b"<!--" + b"x" * padding + b"-->"


def truncate(data: bytes, args, facts) -> bytes:
    return data[: int(len(data) * float(args.get("keep", 0.5)))]


def empty(data: bytes, args, facts) -> bytes:
    return b""


def declare_encoding(data: bytes, args, facts) -> bytes:
    """Declare another encoding than the bytes have (`encoding`)."""
    body = _PROLOG.sub(b"", data, count=1)
    return f'<?xml version="1.0" encoding="{args["encoding"]}"?>'.encode() + body


# -- the vocabulary -----------------------------------------------------------------------------------------------------

_GENERIC = ("after-sign",)

MUTATIONS: dict[str, Mutation] = {m.name: m for m in (
    Mutation("set-text", TREE, set_text, ("xpath",), ("value", "repeat", *_GENERIC), "replace an element's content"),
    Mutation("delete", TREE, delete, ("xpath",), _GENERIC, "delete elements"),
    Mutation("duplicate", TREE, duplicate, ("xpath",), _GENERIC, "repeat elements right after themselves"),
    Mutation("insert", TREE, insert, ("xpath", "xml"), ("position", *_GENERIC), "insert XML"),
    Mutation("copy", TREE, copy_to, ("xpath", "to"), _GENERIC, "copy elements elsewhere"),
    Mutation("set-attribute", TREE, set_attribute, ("xpath", "name", "value"), _GENERIC, "set an attribute"),
    Mutation("remove-attribute", TREE, remove_attribute, ("xpath", "name"), _GENERIC, "remove an attribute"),
    Mutation("rename", TREE, rename, ("xpath", "name"), _GENERIC, "give elements another name"),
    Mutation("message-id", TREE, message_id, ("form",), (), "upper-case, version-4, stale or garbage MessageID"),
    Mutation("repeat-message-id", TREE, repeat_message_id, (), (), "send the valid message first, then this one"),
    Mutation("replace-content", TREE, replace_content, ("xml",), (), "another business element"),
    Mutation("pad-attachment", TREE, pad_attachment, ("bytes",), (), "a large inline attachment"),
    Mutation("sign-attachment", TREE, sign_attachment, ("over",), (), "a CMS signature of other bytes"),
    Mutation("nest", TREE, nest, ("xpath", "depth"), (), "deeply nested elements"),
    Mutation("break-signature-value", SIGNED, break_signature_value, (), (), "flip a bit of SignatureValue"),
    Mutation("swap-signature-halves", SIGNED, swap_signature_halves, (), (), "r||s instead of s||r"),
    Mutation("corrupt-digest", SIGNED, corrupt_digest, (), (), "flip a bit of DigestValue"),
    Mutation("indent-signed-info", SIGNED, indent_signed_info, (), (), "pretty-print SignedInfo after signing"),
    Mutation("swap-certificate", SIGNED, swap_certificate, ("identity",), (), "another identity's certificate"),
    Mutation("garble-certificate", SIGNED, garble_certificate, (), (), "a certificate that is not one"),
    Mutation("doctype", BYTES, doctype, (), (), "an internal DTD"),
    Mutation("entity-expansion", BYTES, entity_expansion, (), (), "billion laughs"),
    Mutation("external-entity", BYTES, external_entity, (), (), "XXE naming a local file"),
    Mutation("oversize", BYTES, oversize, ("mib",), (), "pad to a size in MiB"),
    Mutation("truncate", BYTES, truncate, (), ("keep",), "cut the document (not well-formed)"),
    Mutation("empty", BYTES, empty, (), (), "an empty body"),
    Mutation("declare-encoding", BYTES, declare_encoding, ("encoding",), (), "an XML declaration that lies"),
)}


def phase_of(name: str, args: dict[str, Any]) -> str:
    mutation = MUTATIONS[name]
    if mutation.phase == TREE and args.get("after-sign"):
        return SIGNED
    return mutation.phase


def now_facts(seed: int | str, *, now: datetime | None = None) -> Facts:
    return Facts(now=now or datetime.now(UTC), rng=random.Random(seed))
