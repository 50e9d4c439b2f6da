"""The real SMEV 3 traffic of `tests/vectors/real-traffic/` and its independent verdicts, for the real-traffic tests.

`judging_time` reads the instant a message was made from the message itself (its first version 1 MessageID or
MessageId, else its SendingTimestamp), so that the tests judge the long-expired certificates at the message's own
time explicitly, whatever the verifier's default.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from lxml import etree

from conformance.protocol.ids import uuid1_time
from conformance.rules.messagefile import read_message_file

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "real-traffic"
VERDICTS: dict[str, dict] = json.loads((VECTORS / "verdicts.json").read_text(encoding="utf-8"))
FILES = sorted(VERDICTS)
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def content_type(name: str) -> str | None:
    """The HTTP Content-Type verdicts.json gives a capture (None: the file is XML, or tells its own type)."""
    return VERDICTS[name].get("source", {}).get("content_type")


@cache
def raw(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def load(name: str) -> etree._ElementTree:
    """A fresh tree of the message, MTOM parts put back (each test may change its copy)."""
    return read_message_file(VECTORS / name, content_type=content_type(name)).tree


def judging_time(tree: etree._ElementTree) -> datetime:
    """When the message was made, by its own fields (see the module doc); a fixed 2020 instant for id-less faults."""
    for element in tree.getroot().iter():
        if isinstance(element.tag, str) and etree.QName(element).localname in ("MessageID", "MessageId"):
            try:
                return uuid1_time((element.text or "").strip())
            except ValueError:
                continue
    for element in tree.getroot().iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == "SendingTimestamp":
            return datetime.fromisoformat(element.text.strip()).astimezone(UTC)
    return datetime(2020, 6, 1, tzinfo=UTC)


def reference_of(element: etree._Element | None) -> str | None:
    """The Reference URI of the ds:Signature an outcome's element lies in."""
    if element is None:
        return None
    signature = element if element.tag == f"{DS}Signature" else next(
        (a for a in element.iterancestors() if a.tag == f"{DS}Signature"), None)
    if signature is None:
        return None
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    return reference.get("URI") if reference is not None else None
