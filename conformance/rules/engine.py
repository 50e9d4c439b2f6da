"""The engine: run the selected catalogue rules over a message and turn what they say into findings.

Per rule and file it emits one `pass` finding when the rule held, one `skip` finding (with the reason) when it did
not apply, and otherwise one `fail` (severity error) or `warn` (severity warning) finding per place it was broken.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from conformance import xmlsafe
from conformance.crypto import get_backend
from conformance.errors import InputError
from conformance.findings import FileResult, Finding, Location, Severity, Status
from conformance.protocol.xpaths import PathNamer
from conformance.rules import catalogue
from conformance.rules.catalogue import RegisteredRule
from conformance.rules.context import MAX_PLACES, CheckContext, NotApplicable, Violation
from conformance.rules.corpus import Corpus
from conformance.rules.messagefile import read_message_bytes, read_message_file
from conformance.rules.resources import load_registry

if TYPE_CHECKING:
    from conformance.crypto import Backend


def _automatic_backend() -> Backend:
    return get_backend()


def _shipped_registry() -> Any:
    return load_registry(None)


@dataclass
class CheckSettings:
    """How to check: which rules (None: the whole catalogue), at what instant, against which registry (default: the
    shipped one; None: rules that need one skip, saying so) and schemas (None: the project's)."""

    rules: Sequence[RegisteredRule] | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    registry: Any = field(default_factory=_shipped_registry)
    schema_dir: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    corpus: Corpus | None = None
    max_bytes: int = xmlsafe.MAX_BYTES
    max_depth: int = xmlsafe.MAX_DEPTH
    content_type: str | None = None
    """The HTTP Content-Type of the input when it is an MTOM body (None: plain XML, or told by the file itself)."""
    backend: Backend = field(default_factory=_automatic_backend)
    """The GOST backend the SIG/CERT checks verify with; commands pass the one `--crypto` chose (the default, native
    when present, is for library callers with no preference)."""

    def read(self, path: str | os.PathLike[str]) -> etree._ElementTree:
        """The file parsed as a message, MTOM includes resolved (see `messagefile`); `XmlInputError` if unusable."""
        return read_message_file(path, content_type=self.content_type, max_bytes=self.max_bytes,
                                 max_depth=self.max_depth).tree

    def chosen(self) -> Sequence[RegisteredRule]:
        """The selected rules a file can be judged by; rules only a live run reports are left out."""
        rules = self.rules if self.rules is not None else catalogue.registered()
        return [entry for entry in rules if entry.static]


def check_tree(path: str, tree: etree._ElementTree, settings: CheckSettings) -> FileResult:
    """Every selected rule over an already parsed document."""
    ctx = CheckContext(path=path, tree=tree, at=settings.at, registry=settings.registry,
                       schema_dir=settings.schema_dir, options=settings.options, corpus=settings.corpus,
                       backend=settings.backend)
    findings: list[Finding] = []
    namer = PathNamer()
    times: dict[str, float] = {}
    started, first = time.time(), time.perf_counter()
    for entry in settings.chosen():
        clock = time.perf_counter()
        findings.extend(_run_rule(entry, ctx, namer))
        times[entry.rule.id] = times.get(entry.rule.id, 0.0) + time.perf_counter() - clock
    operation = ctx.operation.value if ctx.operation else ("Fault" if ctx.foreign and ctx.foreign.legitimate else None)
    version = ctx.version.value if ctx.version else None
    return FileResult(path, operation, version, tuple(findings), started=started,
                      duration=time.perf_counter() - first, rule_times=tuple(times.items()))


def check_bytes(path: str, data: bytes, settings: CheckSettings) -> FileResult:
    """Parse `data` with the hardened parser and check it; an unusable document is a failed `MSG-XML-…` finding."""
    try:
        tree = read_message_bytes(data, source=path, content_type=settings.content_type,
                                  max_bytes=settings.max_bytes, max_depth=settings.max_depth).tree
    except xmlsafe.XmlInputError as exc:
        return _unusable(path, exc, settings)
    return check_tree(path, tree, settings)


def check_file(path: str | os.PathLike[str], settings: CheckSettings) -> FileResult:
    """Parse the file with the hardened parser and check it.

    A document the parser refuses is a failed finding of the parser's `MSG-XML-…` rule; a file that cannot be
    read at all (or a directory) raises `InputError` (exit 2).
    """
    name = str(path)
    try:
        tree = settings.read(path)
    except xmlsafe.XmlInputError as exc:
        return _unusable(name, exc, settings)
    return check_tree(name, tree, settings)


MESSAGE_SUFFIXES = (".xml", ".mime", ".http")
"""What a directory is searched for: XML messages, MTOM captures and the double's HTTP captures."""


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, and every `*.xml`, `*.mime` and `*.http` under a directory (recursively, sorted); a missing
    path is an `InputError`."""
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in MESSAGE_SUFFIXES and p.is_file())
            if not found:
                raise InputError("directory holds no *.xml, *.mime or *.http file", path=str(path))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputError("no such file or directory", path=str(path))
    return files


def check_paths(paths: Iterable[str | os.PathLike[str]], settings: CheckSettings,
                on_start: Callable[[int], None] | None = None,
                on_result: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Check every file of `paths` (see `expand_paths`); `iter_check_paths` as a list."""
    return list(iter_check_paths(paths, settings, on_start, on_result))


def iter_check_paths(paths: Iterable[str | os.PathLike[str]], settings: CheckSettings,
                     on_start: Callable[[int], None] | None = None,
                     on_result: Callable[[FileResult], None] | None = None) -> Iterator[FileResult]:
    """Check every file of `paths` (see `expand_paths`), yielding each file's result as soon as it is known;
    `on_start` hears the number of files, `on_result` each file's result as it is done (progress).

    With several files, a first pass reads them into a `Corpus` (which keeps a few strings per file, never a tree),
    so that rules relating messages to each other (a repeated MessageID, a response's type) see the run; the second
    pass parses each file again and checks it. Memory is one tree at a time plus what the caller keeps of the
    results: linear in the number of files only by the corpus's strings."""
    files = expand_paths(paths)
    if on_start is not None:
        on_start(len(files))
    for result in _check_files(files, settings):
        if on_result is not None:
            on_result(result)
        yield result


def _check_files(files: list[Path], settings: CheckSettings) -> Iterator[FileResult]:
    settings = replace(settings, rules=settings.chosen())  # the catalogue is sorted once per run, not once per file
    if len(files) >= 2 and settings.corpus is None:
        settings = replace(settings, corpus=Corpus.build(files, read=settings.read))
    for path in files:
        yield check_file(path, settings)


def _unusable(path: str, exc: xmlsafe.XmlInputError, settings: CheckSettings) -> FileResult:
    if exc.rule is None:
        raise exc
    findings: list[Finding] = []
    for entry in settings.chosen():
        if entry.rule.id == exc.rule:
            findings.append(Finding(entry.rule.id, Status.FAIL, exc.detail, Location(path, exc.line)))
        else:
            findings.append(Finding(entry.rule.id, Status.SKIP, f"not checked: the document is unusable ({exc.rule})",
                                    Location(path)))
    if not any(f.rule_id == exc.rule for f in findings):
        # The parser's rule was deselected, yet the file still cannot be checked: say so rather than pass silently.
        findings.append(Finding(exc.rule, Status.FAIL, exc.detail, Location(path, exc.line)))
    return FileResult(path, None, None, tuple(findings))


_JUDGES_ANY_DOCUMENT = ("MSG-XML-", "MSG-MTOM-", "MSG-SOAP-")
"""Rules that judge any document; every other one is an SMEV 3 rule and skips a document that is no SMEV 3 message."""


def _run_rule(entry: RegisteredRule, ctx: CheckContext, namer: PathNamer) -> list[Finding]:
    rule = entry.rule
    if ctx.foreign is not None and not rule.id.startswith(_JUDGES_ANY_DOCUMENT):
        named_by = ctx.detection_error.rule if ctx.detection_error is not None else "MSG-SOAP-OPERATION"
        return [Finding(rule.id, Status.SKIP, f"not an SMEV 3 message: {ctx.foreign.kind.value} (see {named_by})",
                        Location(ctx.path))]
    if entry.check is None:  # held when parsed: the document got this far
        return [Finding(rule.id, Status.PASS, rule.title, Location(ctx.path))]
    violations: list[Violation] = []
    more = 0
    try:
        for violation in entry.check(ctx) or ():
            if len(violations) < MAX_PLACES:
                violations.append(violation)
            else:
                more += 1
    except NotApplicable as reason:
        if not violations:
            return [Finding(rule.id, Status.SKIP, str(reason), Location(ctx.path))]
    except Exception as exc:  # a defect of the check itself must never look like a pass, nor end the run
        return [Finding(rule.id, Status.FAIL, f"the check itself failed ({type(exc).__name__}: {exc}); "
                        "the message could not be judged by this rule", Location(ctx.path))]
    if not violations:
        return [Finding(rule.id, Status.PASS, rule.title, Location(ctx.path))]
    status = Status.FAIL if rule.severity is Severity.ERROR else Status.WARN
    findings = [Finding(rule.id, status, v.message, _locate(ctx.path, v.element, namer), v.details)
                for v in violations]
    if more:
        findings.append(Finding(rule.id, status, f"and {more} more places break this rule (only the first "
                                f"{MAX_PLACES} are listed)", Location(ctx.path)))
    return findings


def _locate(path: str, element: etree._Element | None, namer: PathNamer) -> Location:
    if element is None:
        return Location(path)
    return Location(path, element.sourceline, namer(element))
