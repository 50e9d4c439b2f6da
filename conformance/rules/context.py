"""What a rule's check sees (`CheckContext`) and what it says (`Violation`, `NotApplicable`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lxml import etree

from conformance.protocol.facts import Facts, read_facts
from conformance.protocol.foreign import Foreign, identify_foreign
from conformance.protocol.namespaces import SOAP_ENV, XMLDSIG, XOP, Version, ns
from conformance.protocol.operations import RULE_OPERATION, Detection, Operation, ProtocolError, detect
from conformance.rules.corpus import Corpus
from conformance.rules.helpers import ElementIndex

if TYPE_CHECKING:
    from conformance.crypto import Backend

MAX_PLACES = 100
"""Findings a rule reports per file (the engine counts further places in one last finding: a report of a hundred
thousand identical findings helps nobody, and holding them costs memory in proportion to the attack); a check that
resolves places at a cost per place resolves at most this many."""


T = TypeVar("T")


class NotApplicable(Exception):  # noqa: N818 - it is a verdict, not an error
    """Raised by a check when its rule does not apply to this message; the message is the reason (a skip)."""


def applies(found: Sequence[T], absent: str) -> Sequence[T]:
    """`found` (what the rule judges), or NotApplicable with the reason `absent` when it is empty."""
    if not found:
        raise NotApplicable(absent)
    return found


@dataclass(frozen=True)
class Violation:
    """One place where a rule is broken. `element` locates it (None: the document as a whole)."""

    message: str
    element: etree._Element | None = None
    details: tuple[tuple[str, str], ...] = ()


@dataclass
class CheckContext:
    """Everything a check may look at. `at` is the instant time-dependent rules judge by (aware, UTC).

    `detection` is what the protocol core read the document as (None when it is no SMEV 3 message; then
    `detection_error` says why). `registry` is the message-type registry (None when none could be loaded),
    `schema_dir` an XSD directory the user chose instead of the project's, `options` free settings of other families,
    `corpus` what the other files of the same run say (None when the message is checked alone).
    """

    path: str
    tree: etree._ElementTree
    at: datetime
    registry: Any = None
    schema_dir: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    corpus: Corpus | None = None
    backend: Backend | None = None
    """The GOST backend signature checks verify with (`CheckSettings.backend`, the check's one choice); required by
    the SIG/CERT checks, which the engine always gives one."""
    detection: Detection | None = field(init=False, default=None)
    detection_error: ProtocolError | None = field(init=False, default=None)
    foreign: Foreign | None = field(init=False, default=None)
    """What the document is when it is no SMEV 3 message (SMEV 2, SOAP 1.2, a plain fault, …); None otherwise."""
    namespaces: dict[str, str] = field(init=False)
    _indexes: dict[etree._Element, ElementIndex] = field(init=False, default_factory=dict, repr=False)
    memo: dict[str, Any] = field(init=False, default_factory=dict, repr=False)
    """What one check computed for another of the same message (e.g. the envelope's schema errors), keyed by name."""

    def __post_init__(self) -> None:
        try:
            self.detection = detect(self.tree, source=self.path)
        except ProtocolError as exc:
            self.detection_error = exc
            self.foreign = identify_foreign(self.tree)
        except Exception as exc:  # a defect of detection must surface as a finding, never as a traceback
            self.detection_error = ProtocolError(
                f"the document could not be read as an SMEV message ({type(exc).__name__}: {exc})",
                path=self.path, rule=RULE_OPERATION)
        names = ns(self.version or Version.V1_3)
        self.namespaces = {"soap": SOAP_ENV, "ds": XMLDSIG, "xop": XOP, "t": names.types, "b": names.basic,
                           "f": names.faults}

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @property
    def version(self) -> Version | None:
        return self.detection.version if self.detection else None

    @property
    def operation(self) -> Operation | None:
        return self.detection.operation if self.detection else None

    @property
    def body(self) -> etree._Element:
        """The body element of an SMEV 3 message; skips the calling rule when the document is none."""
        if self.detection is None:
            raise NotApplicable("the document is not an SMEV 3 message (see MSG-SOAP-…)")
        return self.detection.body

    def index(self, root: etree._Element | None = None) -> ElementIndex:
        """The SMEV elements under `root` (default: the body) by local name; built on first use, then kept."""
        target = self.body if root is None else root
        found = self._indexes.get(target)
        if found is None:
            found = self._indexes[target] = ElementIndex(target)
        return found

    @property
    def facts(self) -> Facts:
        """The body's SMEV fields read once (`conformance.protocol.facts`): ids, times, parties, attachments.
        Skips the calling rule, as `body` does, when the document is no SMEV 3 message."""
        found = self.memo.get("facts")
        if found is None:
            found = self.memo["facts"] = read_facts(self.body)
        return found

    def elements_named(self, *names: str) -> list[etree._Element]:
        """Every SMEV element of the body (itself included) whose local name is one of `names`, in document order;
        what `helpers.elements_named(ctx.body, ...)` gives, from an index built once per message. Skips the calling
        rule, as `body` does, when the document is no SMEV 3 message."""
        return self.index().named(*names)

    def xpath(self, expression: str, element: etree._Element | None = None) -> list[Any]:
        """Evaluate `expression` with the prefixes `soap`, `ds`, `xop`, and `t`/`b`/`f` for the SMEV types, basic and
        faults namespaces of the message's version."""
        target = self.root if element is None else element
        return list(target.xpath(expression, namespaces=self.namespaces))

    def violation(self, element: etree._Element | None, message: str, **details: str) -> Violation:
        return Violation(message, element, tuple(details.items()))
