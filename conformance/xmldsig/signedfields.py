"""What a signed SMEV element says, read from that element only: where it is, its text fields, the time it carries.

Signature wrapping works by making the verifier and the reader look at different nodes. Three ways are closed here,
in one place shared by the verifier, the rule checks and the bus double:

- `locate_signed` follows an operation's path like `conformance.protocol.operations.locate`, but refuses a path
  that is ambiguous: a second element of the same local name next to a step (in any namespace, e.g. an unsigned
  forged `SenderProvidedRequestData` after the signed one) is reported, not silently skipped.
- `hidden_nodes` finds comments and processing instructions inside SMEV text fields: exclusive c14n drops the
  comment (and the SMEV transform the PI), so `<MessageID>abc<!--x-->def</MessageID>` is signed as `abcdef` while
  a DOM reader's `.text` sees `abc`.
- `message_time` takes the message's own time from the SMEV fields of the signed element only (never from a
  `MessageID` in a business payload or in another namespace), and names the field it used: the facts of that
  element (`conformance.protocol.facts.read_facts(signed).time()`), never those of the envelope.

All three are linear in the size of the element they look at.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from conformance.errors import ConformanceError
from conformance.protocol.facts import MessageTime, read_facts, smev_fields, smev_name
from conformance.protocol.operations import SIGNATURES, detect


def is_smev(element: etree._Element) -> bool:
    return smev_name(element) is not None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


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


def hidden_nodes(element: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    """(field, node) for every comment or processing instruction inside an SMEV text field under `element`."""
    found = []
    for field in smev_fields(element):
        found.extend((field, node) for node in field if not isinstance(node.tag, str))
    return found


def message_time(root: etree._Element) -> MessageTime | None:
    """The message's own time: that of the first element its operation signs (in the protocol's order) that
    carries one, read from the signed element only; None for a document of no known operation or without one."""
    try:
        detection = detect(root)
    except ConformanceError:
        return None
    for spec in SIGNATURES.get(detection.operation, ()):
        located = locate_signed(detection.body, spec.signed_path)
        if located.element is None or located.ambiguity:
            continue
        found = read_facts(located.element).time()
        if found is not None:
            return found
    return None
