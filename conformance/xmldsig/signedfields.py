"""What a signed SMEV element says, read from that element only: where it is, its text fields, the time it carries.

Signature wrapping works by making the verifier and the reader look at different nodes. Three ways are closed here,
in one place shared by the verifier, the rule checks and the bus double:

- `locate_signed` follows an operation's path like `conformance.protocol.operations.locate`, but refuses a path
  that is ambiguous: a second element of the same local name next to a step (in any namespace, e.g. an unsigned
  forged `SenderProvidedRequestData` after the signed one) is reported, not silently skipped.
- `hidden_nodes` finds comments and processing instructions inside SMEV text fields: exclusive c14n drops the
  comment (and the SMEV transform the PI), so `<MessageID>abc<!--x-->def</MessageID>` is signed as `abcdef` while
  a DOM reader's `.text` sees `abc`.
- `signed_time` takes the message's own time from the SMEV fields of the signed element only (never from a
  `MessageID` in a business payload or in another namespace), and names the field it used.

All three are linear in the size of the element they look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from conformance.protocol.namespaces import classify

# SMEV elements whose content is business data (any namespace, anything allowed): never read as SMEV fields.
OPAQUE = frozenset({"MessagePrimaryContent", "BusinessProcessMetadata", "PersonalSignature", "SMEVSignature",
                    "CallerInformationSystemSignature", "SenderInformationSystemSignature"})

# Fields that carry a time, most precise for "when was this signed" first. MessageID/MessageId count only as
# version 1 UUIDs; AckTargetMessage is the acked message's id (its text is a version 1 UUID).
TIME_FIELDS = ("DeliveryTimestamp", "SendingTimestamp", "MessageID", "MessageId", "Timestamp", "AckTargetMessage")
_UUID_FIELDS = frozenset({"MessageID", "MessageId", "AckTargetMessage"})


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def is_smev(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and classify(etree.QName(element).namespace) is not None


@dataclass(frozen=True)
class Located:
    """The element a signing path leads to (None: absent) and, when the path is ambiguous, why."""

    element: etree._Element | None
    ambiguity: str | None = None


def locate_signed(body: etree._Element, path: tuple[str, ...]) -> Located:
    """Follow `path` (local names, `*` = the single element child) from `body`, SMEV namespaces only.

    When a step has a sibling of the same local name (any namespace), the first SMEV one is returned with the
    ambiguity described: a signed block followed or preceded by an unsigned twin is signature wrapping.
    """
    current = body
    for step in path:
        children = [c for c in current if isinstance(c.tag, str)]
        if step == "*":
            if len(children) != 1:
                return Located(None)
            current = children[0]
            continue
        same = [c for c in children if _local(c) == step]
        smev = [c for c in same if is_smev(c)]
        if not smev:
            return Located(None)
        if len(same) > 1:
            lines = ", ".join(f"line {c.sourceline}" if c.sourceline else etree.QName(c).namespace or "-"
                              for c in same)
            return Located(smev[0], f"{_local(current)} holds {len(same)} {step} elements ({lines}) where the "
                                    f"protocol allows one: one is signed, a reader may take the other (signature "
                                    f"wrapping)")
        current = smev[0]
    return Located(current)


def smev_fields(element: etree._Element) -> Iterator[etree._Element]:
    """The SMEV-namespace elements under `element` (itself included) that hold text, not elements; business
    content, signatures and attachments are not descended into."""
    stack = [element]
    while stack:
        node = stack.pop()
        if not is_smev(node):
            continue
        if node is not element and _local(node) in OPAQUE:
            continue
        children = [c for c in node if isinstance(c.tag, str)]
        if children:
            stack.extend(reversed(children))
        else:
            yield node


def hidden_nodes(element: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    """(field, node) for every comment or processing instruction inside an SMEV text field under `element`."""
    found = []
    for field in smev_fields(element):
        found.extend((field, node) for node in field if not isinstance(node.tag, str))
    return found


def field_text(field: etree._Element) -> str | None:
    """The text of an SMEV text field, or None when a comment or PI inside makes it ambiguous."""
    if any(True for _ in field):
        return None
    return field.text or ""


@dataclass(frozen=True)
class MessageTime:
    """A time the message carries itself, and the field it was read from (e.g. `MessageMetadata/SendingTimestamp`)."""

    at: datetime
    field: str

    def describe(self) -> str:
        return f"the message's own time from {self.field}"


def _path(field: etree._Element, top: etree._Element) -> str:
    names = [_local(field)]
    node = field
    while node is not top and node.getparent() is not None:
        node = node.getparent()
        names.append(_local(node))
    return "/".join(reversed(names))


def _time_of(field: etree._Element) -> datetime | None:
    from conformance.protocol.ids import uuid1_time
    from conformance.protocol.xmltext import parse_datetime

    text = field_text(field)
    if not text or not text.strip():
        return None
    try:
        return uuid1_time(text.strip()) if _local(field) in _UUID_FIELDS else parse_datetime(text)
    except ValueError:
        return None


def signed_time(element: etree._Element) -> MessageTime | None:
    """The time the signed `element` carries in its own SMEV fields (see TIME_FIELDS for the order), or None."""
    by_name: dict[str, etree._Element] = {}
    for field in smev_fields(element):
        by_name.setdefault(_local(field), field)
    for name in TIME_FIELDS:
        field = by_name.get(name)
        if field is None:
            continue
        at = _time_of(field)
        if at is not None:
            what = " (version 1 UUID)" if name in _UUID_FIELDS else ""
            if name == "AckTargetMessage":
                what = " (the acked message's version 1 UUID)"
            return MessageTime(at, _path(field, element) + what)
    return None


def message_time(root: etree._Element) -> MessageTime | None:
    """The message's own time: that of the first element its operation signs (in the protocol's order) that
    carries one, read from the signed element only; None for a document of no known operation or without one."""
    from conformance.errors import ConformanceError
    from conformance.protocol.operations import SIGNATURES, detect

    try:
        detection = detect(root)
    except ConformanceError:
        return None
    for spec in SIGNATURES.get(detection.operation, ()):
        located = locate_signed(detection.body, spec.signed_path)
        if located.element is None or located.ambiguity:
            continue
        found = signed_time(located.element)
        if found is not None:
            return found
    return None
