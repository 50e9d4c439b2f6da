"""What the files of one `check` run say about each other, for the rules that need more than one message:
which MessageIDs were sent by which file, and which business element each request carried.

Built by a first pass over the files (`Corpus.build`); unusable files are left out (the second pass reports them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml import etree

from conformance import xmlsafe
from conformance.protocol.facts import business_element, envelope_facts
from conformance.protocol.operations import Operation

SENDING = (Operation.SEND_REQUEST, Operation.SEND_RESPONSE)
"""The body kinds by which a participant sends a message (and so spends its MessageID)."""


@dataclass
class Corpus:
    sent: dict[str, list[str]] = field(default_factory=dict)
    """MessageID -> the files that send a message with it (SendRequest/SendResponse)."""
    requests: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    """A request's MessageID -> its business element (namespace, local name), from any file carrying the request."""

    def add(self, path: str, tree: etree._ElementTree) -> None:
        facts = envelope_facts(tree)
        if facts.operation is None:
            return
        for item in facts.sent_ids:
            message_id = item.text.strip()
            if message_id and facts.operation in SENDING:
                self.sent.setdefault(message_id, []).append(path)
            if message_id and item.holder == "SenderProvidedRequestData":
                business = business_element(item.element.getparent())
                if business is not None:
                    qname = etree.QName(business)
                    self.requests.setdefault(message_id, (qname.namespace, qname.localname))

    @classmethod
    def build(cls, paths: Iterable[str | os.PathLike[str]],
              read: Callable[[str | os.PathLike[str]], etree._ElementTree] = xmlsafe.parse_file) -> Corpus:
        """The corpus of `paths`, each read by `read` (the check's own reader: MTOM captures resolved); a file the
        reader refuses is left out (its own check reports it)."""
        corpus = cls()
        for path in paths:
            try:
                tree = read(path)
            except xmlsafe.XmlInputError:
                continue
            corpus.add(str(path), tree)
        return corpus
