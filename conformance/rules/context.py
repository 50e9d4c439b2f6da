"""What a rule's check sees (`CheckContext`) and what it says (`Violation`, `NotApplicable`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from conformance.rules import envelope as envelope_shape
from conformance.rules.xpaths import DS_NS, SOAP_NS, XOP_NS, xpath_of


class NotApplicable(Exception):  # noqa: N818 - it is a verdict, not an error
    """Raised by a check when its rule does not apply to this message; the message is the reason (a skip)."""


@dataclass(frozen=True)
class Violation:
    """One place where a rule is broken. `element` locates it (None: the document as a whole)."""

    message: str
    element: etree._Element | None = None
    details: tuple[tuple[str, str], ...] = ()


@dataclass
class CheckContext:
    """Everything a check may look at. `at` is the instant time-dependent rules judge by (aware, UTC).

    `registry` is the message-type registry (None when none could be loaded), `schema_dir` an alternative XSD
    directory chosen by the user (None: the project's own schemas), `options` free settings of other families.
    """

    path: str
    tree: etree._ElementTree
    at: datetime
    registry: Any = None
    schema_dir: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    envelope: envelope_shape.Envelope = field(init=False)
    namespaces: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.envelope = envelope_shape.read(self.tree.getroot())
        version = self.envelope.version or "1.3"
        self.namespaces = {
            "soap": SOAP_NS,
            "ds": DS_NS,
            "xop": XOP_NS,
            "t": envelope_shape.namespace("types", version),
            "b": envelope_shape.namespace("types/basic", version),
            "f": envelope_shape.namespace("types/faults", version),
        }

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @property
    def version(self) -> str | None:
        return self.envelope.version

    @property
    def operation(self) -> str | None:
        return self.envelope.operation

    def xpath(self, expression: str, element: etree._Element | None = None) -> list[Any]:
        """Evaluate `expression` with the prefixes `soap`, `ds`, `xop`, and `t`/`b`/`f` for the SMEV types, basic and
        faults namespaces of the message's version."""
        target = self.root if element is None else element
        return list(target.xpath(expression, namespaces=self.namespaces))

    def require_smev(self) -> None:
        """Skip the calling rule when the document is not an envelope of a known SMEV 3 operation."""
        if self.envelope.operation is None or self.envelope.version is None:
            raise NotApplicable("the document is not a SOAP envelope of a known SMEV 3 operation")

    def violation(self, element: etree._Element | None, message: str, **details: str) -> Violation:
        return Violation(message, element, tuple(details.items()))

    @staticmethod
    def where(element: etree._Element) -> str:
        return xpath_of(element)
