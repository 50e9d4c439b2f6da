"""What an SMEV message says about itself, read leniently and in one way: the one reader of ids, times, parties,
signed wrappers and attachments for everyone who is not the strict typed reader (`reader.parse`).

`read_facts(element)` walks the SMEV-namespace text fields under one element (the body, or one signed block) once:
business content, signatures and anything outside the SMEV namespaces are not descended into, so a payload element
called `MessageID` (in its own namespace, or even in an SMEV one under `MessagePrimaryContent`) never counts.
`envelope_facts(tree)` adds what the envelope is (operation, version) and never raises: a broken message gives
the facts that could be read and, in `missing`, what could not.

Security note: the facts of a *signed* element are `read_facts(signed_element)` — never the envelope's — so a time
or an id is taken from what the signature covers; `conformance.xmldsig.signedfields` finds that element.
Linear in the size of the element read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from lxml import etree

from conformance.protocol.ids import uuid1_time
from conformance.protocol.namespaces import XMLDSIG, Version, classify, split_qname
from conformance.protocol.operations import Operation, detect
from conformance.protocol.xmltext import parse_datetime

OPAQUE = frozenset({"MessagePrimaryContent", "BusinessProcessMetadata", "PersonalSignature", "SMEVSignature",
                    "CallerInformationSystemSignature", "SenderInformationSystemSignature"})
"""SMEV elements whose content is business data or a signature (any namespace inside): never read as SMEV fields."""

OWN_ID_HOLDERS = ("SenderProvidedRequestData", "SenderProvidedResponseData", "MessageMetadata")
"""The elements whose MessageID (MessageMetadata: MessageId) is the id of the message itself."""

TIME_FIELDS = ("DeliveryTimestamp", "SendingTimestamp", "MessageID", "MessageId", "Timestamp", "AckTargetMessage")
"""Fields that carry a time, most precise for "when was this sent" first. MessageID/MessageId count only as
version 1 UUIDs; AckTargetMessage is the acked message's id (its text is a version 1 UUID)."""
UUID_FIELDS = frozenset({"MessageID", "MessageId", "AckTargetMessage"})

_DS_REFERENCE = f"{{{XMLDSIG}}}Reference"


@lru_cache(maxsize=4096)
def smev_local_of_tag(tag: str) -> str | None:
    """The local name of a Clark-notation tag in an SMEV namespace, else None. Cached: a message repeats few tags
    (bounded, so hostile input with many names cannot grow it)."""
    uri, local = split_qname(tag)
    return local if classify(uri) is not None else None


def smev_name(element: etree._Element | None) -> str | None:
    """The local name of an element in an SMEV namespace; None for anything else (other namespaces, comments)."""
    if element is None or not isinstance(element.tag, str):
        return None
    return smev_local_of_tag(element.tag)


def smev_fields(element: etree._Element, *, foreign_inside: bool = False) -> Iterator[etree._Element]:
    """The SMEV-namespace elements under `element` (itself included) that hold text, not elements, in document
    order; business content, signatures and elements of other namespaces are not descended into. With
    `foreign_inside`, an SMEV element whose element children are all of other namespaces counts too (its text is
    then not clean: `FieldFact.clean`), so a MessageID spoilt by a foreign child is still seen."""
    stack = [element]
    while stack:
        node = stack.pop()
        local = smev_name(node)
        if local is None or (node is not element and local in OPAQUE):
            continue
        children = [c for c in node if isinstance(c.tag, str)]
        if children and not (foreign_inside and all(smev_name(c) is None for c in children)):
            stack.extend(reversed(children))
        else:
            yield node


@dataclass(frozen=True)
class FieldFact:
    """One SMEV text field: its element, local name, the local name of its parent (`holder`) and its text."""

    element: etree._Element = field(compare=False, repr=False)
    name: str
    holder: str
    text: str
    """All the text inside (comments and PIs skipped), as written: callers strip when they compare values."""

    @property
    def line(self) -> int | None:
        return self.element.sourceline

    @property
    def clean(self) -> bool:
        """No comment or processing instruction inside: the text read is the text signed (c14n drops them)."""
        return len(self.element) == 0

    @property
    def value(self) -> str | None:
        """The stripped text when it is unambiguous and not blank, else None."""
        text = self.text.strip()
        return text if self.clean and text else None

    def path(self, top: etree._Element) -> str:
        """Local names from `top` down to this field, e.g. `MessageMetadata/SendingTimestamp`."""
        names = [self.name]
        node = self.element
        while node is not top and node.getparent() is not None:
            node = node.getparent()
            names.append(smev_name(node) or etree.QName(node).localname)
        return "/".join(reversed(names))

    def time(self) -> datetime | None:
        """The time the field carries (a version 1 UUID's for an id field), or None."""
        value = self.value
        if value is None:
            return None
        try:
            return uuid1_time(value) if self.name in UUID_FIELDS else parse_datetime(value)
        except ValueError:
            return None


@dataclass(frozen=True)
class MessageTime:
    """A time the message carries itself, and the field it was read from (e.g. `MessageMetadata/SendingTimestamp`)."""

    at: datetime
    field: str

    def describe(self) -> str:
        return f"the message's own time from {self.field}"


@dataclass(frozen=True)
class Party:
    """A sender or recipient as the bus names it (`role`: Sender or Recipient); 1.2 traffic often has the Mnemonic
    alone."""

    role: str
    mnemonic: str | None
    name: str | None
    element: etree._Element = field(compare=False, repr=False)


@dataclass(frozen=True)
class SignedPart:
    """An SMEV element with an `Id` (what a signature's `ds:Reference` points at); `referenced`: some
    ds:Reference of the document names it."""

    name: str
    id: str
    referenced: bool
    element: etree._Element = field(compare=False, repr=False)


@dataclass(frozen=True)
class Facts:
    """The SMEV fields under `top`, in document order, and what is read from them."""

    top: etree._Element | None = field(compare=False, repr=False)
    fields: tuple[FieldFact, ...] = ()
    operation: Operation | None = None
    version: Version | None = None
    missing: tuple[str, ...] = ()
    """What could not be read, one phrase each (e.g. why the document is no SMEV 3 message)."""

    def named(self, *names: str, holder: str | tuple[str, ...] | None = None) -> list[FieldFact]:
        """The fields called one of `names` (whose parent is `holder` or one of them, when given)."""
        holders = (holder,) if isinstance(holder, str) else holder
        return [f for f in self.fields if f.name in names and (holders is None or f.holder in holders)]

    def first(self, name: str, holder: str | tuple[str, ...] | None = None) -> FieldFact | None:
        return next(iter(self.named(name, holder=holder)), None)

    @property
    def message_ids(self) -> list[FieldFact]:
        """The message's own ids: each SenderProvided…Data/MessageID and the bus's MessageMetadata/MessageId."""
        return self.named("MessageID", "MessageId", holder=OWN_ID_HOLDERS)

    @property
    def sent_ids(self) -> list[FieldFact]:
        """The MessageID of each SenderProvided…Data: the ids a sender spends."""
        return self.named("MessageID", holder=OWN_ID_HOLDERS[:2])

    @property
    def message_id(self) -> str | None:
        """The (stripped) text of the first sender's MessageID, else None."""
        found = self.sent_ids
        return (found[0].text.strip() or None) if found else None

    @property
    def reference_ids(self) -> list[FieldFact]:
        return self.named("ReferenceMessageID")

    @property
    def original_ids(self) -> list[FieldFact]:
        return self.named("OriginalMessageId")

    @property
    def transaction_codes(self) -> list[FieldFact]:
        return self.named("TransactionCode", "OriginalTransactionCode")

    @property
    def ack_targets(self) -> list[FieldFact]:
        return self.named("AckTargetMessage")

    @property
    def sending_timestamps(self) -> list[FieldFact]:
        return self.named("SendingTimestamp")

    @property
    def to(self) -> FieldFact | None:
        return self.first("To")

    @property
    def parties(self) -> list[Party]:
        """Sender and Recipient of every MessageMetadata, as named there."""
        found: dict[int, Party] = {}
        order: list[etree._Element] = []
        for item in self.named("Mnemonic", "HumanReadableName", holder=("Sender", "Recipient")):
            holder = item.element.getparent()
            key = id(holder)
            if key not in found:
                order.append(holder)
                found[key] = Party(item.holder, None, None, holder)
            before = found[key]
            value = item.text.strip() or None
            found[key] = Party(before.role, value if item.name == "Mnemonic" else before.mnemonic,
                               value if item.name == "HumanReadableName" else before.name, holder)
        return [found[id(holder)] for holder in order]

    @property
    def attachment_ids(self) -> list[FieldFact]:
        """Every attachment's id: AttachmentContent/Id, AttachmentHeader/contentId, RefAttachmentHeader/uuid."""
        return [f for f in self.fields if (f.holder, f.name) in _ATTACHMENT_IDS]

    @property
    def signed_parts(self) -> list[SignedPart]:
        """The SMEV elements under `top` that carry an `Id`, in document order, each saying whether a
        ds:Reference of the document names it."""
        if self.top is None:
            return []
        references = {(r.get("URI") or "")[1:] for r in self.top.getroottree().iter(_DS_REFERENCE)
                      if (r.get("URI") or "").startswith("#")}
        found = []
        stack = [self.top]
        while stack:
            node = stack.pop()
            local = smev_name(node)
            if local is None:
                continue
            if node.get("Id") is not None:
                found.append(SignedPart(local, node.get("Id"), node.get("Id") in references, node))
            if node is self.top or local not in OPAQUE:
                stack.extend(reversed([c for c in node if isinstance(c.tag, str)]))
        return found

    def time(self) -> MessageTime | None:
        """The time these fields carry (see TIME_FIELDS for the order) and the field it came from, or None."""
        by_name: dict[str, FieldFact] = {}
        for item in self.fields:
            by_name.setdefault(item.name, item)
        for name in TIME_FIELDS:
            item = by_name.get(name)
            at = item.time() if item is not None else None
            if at is None:
                continue
            what = " (version 1 UUID)" if name in UUID_FIELDS else ""
            if name == "AckTargetMessage":
                what = " (the acked message's version 1 UUID)"
            return MessageTime(at, item.path(self.top) + what)
        return None


def business_element(holder: etree._Element) -> etree._Element | None:
    """The business element of `holder`'s MessagePrimaryContent (its single element child), else None."""
    content = next((c for c in holder if smev_name(c) == "MessagePrimaryContent"), None)
    elements = [c for c in content if isinstance(c.tag, str)] if content is not None else []
    return elements[0] if len(elements) == 1 else None


_ATTACHMENT_IDS = frozenset({("AttachmentContent", "Id"), ("AttachmentHeader", "contentId"),
                             ("RefAttachmentHeader", "uuid")})


def read_facts(element: etree._Element) -> Facts:
    """The facts of the SMEV fields under `element` alone (itself included); operation and version unknown."""
    fields = tuple(FieldFact(f, smev_name(f) or "", smev_name(f.getparent()) or "", "".join(f.itertext()))
                   for f in smev_fields(element, foreign_inside=True))
    return Facts(element, fields)


def envelope_facts(tree: etree._ElementTree | etree._Element) -> Facts:
    """The facts of a whole message; never raises. When the document is no SMEV 3 envelope of a known operation,
    the fields are read from the first SMEV element under the root and `missing` says why."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    try:
        detection = detect(root)
    except Exception as exc:  # noqa: BLE001 - lenient by design: what is wrong is recorded, not raised
        top = next((e for e in root.iter() if smev_name(e) is not None), None)
        found = read_facts(top) if top is not None else Facts(None)
        return Facts(found.top, found.fields, missing=(f"operation: {exc}",))
    found = read_facts(detection.body)
    missing = () if found.sent_ids or found.message_ids or detection.operation not in _CARRY_IDS else \
        ("MessageID: the message carries none",)
    return Facts(found.top, found.fields, detection.operation, detection.version, missing)


_CARRY_IDS = frozenset({Operation.SEND_REQUEST, Operation.SEND_RESPONSE, Operation.SEND_REQUEST_RESPONSE,
                        Operation.SEND_RESPONSE_RESPONSE})
