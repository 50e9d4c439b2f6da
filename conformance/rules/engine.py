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
from typing import Any

from lxml import etree

from conformance import xmlsafe
from conformance.errors import InputError
from conformance.rules import catalogue
from conformance.rules.catalogue import RegisteredRule
from conformance.rules.context import CheckContext, NotApplicable, Violation
from conformance.rules.corpus import Corpus
from conformance.rules.model import FileResult, Finding, Location, Severity, Status
from conformance.rules.xpaths import xpath_of


def _shipped_registry() -> Any:
    from conformance.rules.resources import load_registry

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

    def chosen(self) -> Sequence[RegisteredRule]:
        """The selected rules a file can be judged by; rules only a live run reports are left out."""
        rules = self.rules if self.rules is not None else catalogue.registered()
        return [entry for entry in rules if entry.static]


def check_tree(path: str, tree: etree._ElementTree, settings: CheckSettings) -> FileResult:
    """Every selected rule over an already parsed document."""
    ctx = CheckContext(path=path, tree=tree, at=settings.at, registry=settings.registry,
                       schema_dir=settings.schema_dir, options=settings.options, corpus=settings.corpus)
    findings: list[Finding] = []
    times: dict[str, float] = {}
    started, first = time.time(), time.perf_counter()
    for entry in settings.chosen():
        clock = time.perf_counter()
        findings.extend(_run_rule(entry, ctx))
        times[entry.rule.id] = times.get(entry.rule.id, 0.0) + time.perf_counter() - clock
    operation = ctx.operation.value if ctx.operation else None
    version = ctx.version.value if ctx.version else None
    return FileResult(path, operation, version, tuple(findings), started=started,
                      duration=time.perf_counter() - first, rule_times=tuple(times.items()))


def check_bytes(path: str, data: bytes, settings: CheckSettings) -> FileResult:
    """Parse `data` with the hardened parser and check it; an unusable document is a failed `MSG-XML-…` finding."""
    try:
        tree = xmlsafe.parse_bytes(data, source=path, max_bytes=settings.max_bytes, max_depth=settings.max_depth)
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
        tree = xmlsafe.parse_file(path, max_bytes=settings.max_bytes, max_depth=settings.max_depth)
    except xmlsafe.XmlInputError as exc:
        return _unusable(name, exc, settings)
    return check_tree(name, tree, settings)


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, and every `*.xml` under a directory (recursively, sorted); a missing path is an `InputError`."""
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.xml") if p.is_file())
            if not found:
                raise InputError("directory holds no *.xml file", path=str(path))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputError("no such file or directory", path=str(path))
    return files


REUSE_BUDGET = 16 * 1024 * 1024
"""Up to this many bytes of files in a run, the trees parsed for the corpus are kept and checked without a re-parse."""


def check_paths(paths: Iterable[str | os.PathLike[str]], settings: CheckSettings,
                on_start: Callable[[int], None] | None = None,
                on_result: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Check every file of `paths` (see `expand_paths`). With several files, they are first read together into a
    `Corpus`, so that rules relating messages to each other (a repeated MessageID, a response's type) see the run.
    `on_start` hears the number of files, `on_result` each file's result as it is done (progress)."""
    files = expand_paths(paths)
    if on_start is not None:
        on_start(len(files))
    results: list[FileResult] = []
    for result in _check_files(files, settings):
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _check_files(files: list[Path], settings: CheckSettings) -> Iterator[FileResult]:
    settings = replace(settings, rules=settings.chosen())  # the catalogue is sorted once per run, not once per file
    if len(files) < 2 or settings.corpus is not None:
        yield from (check_file(path, settings) for path in files)
        return
    parsed: dict[Path, etree._ElementTree | xmlsafe.XmlInputError] = {}
    corpus = Corpus()
    budget = REUSE_BUDGET
    for path in files:
        try:
            tree = xmlsafe.parse_file(path, max_bytes=settings.max_bytes, max_depth=settings.max_depth)
        except xmlsafe.XmlInputError as exc:
            parsed[path] = exc
            continue
        corpus.add(str(path), tree)
        size = path.stat().st_size
        if size <= budget:
            budget -= size
            parsed[path] = tree
    settings = replace(settings, corpus=corpus)
    for path in files:
        known = parsed.pop(path, None)
        if isinstance(known, xmlsafe.XmlInputError):
            yield _unusable(str(path), known, settings)
        elif known is not None:
            yield check_tree(str(path), known, settings)
        else:
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


def _run_rule(entry: RegisteredRule, ctx: CheckContext) -> list[Finding]:
    rule = entry.rule
    if entry.check is None:  # held when parsed: the document got this far
        return [Finding(rule.id, Status.PASS, rule.title, Location(ctx.path))]
    violations: list[Violation] = []
    try:
        violations.extend(entry.check(ctx) or ())
    except NotApplicable as reason:
        if not violations:
            return [Finding(rule.id, Status.SKIP, str(reason), Location(ctx.path))]
    except Exception as exc:  # a defect of the check itself must never look like a pass, nor end the run
        return [Finding(rule.id, Status.FAIL, f"the check itself failed ({type(exc).__name__}: {exc}); "
                        "the message could not be judged by this rule", Location(ctx.path))]
    if not violations:
        return [Finding(rule.id, Status.PASS, rule.title, Location(ctx.path))]
    status = Status.FAIL if rule.severity is Severity.ERROR else Status.WARN
    return [Finding(rule.id, status, v.message, _locate(ctx.path, v.element), v.details) for v in violations]


def _locate(path: str, element: etree._Element | None) -> Location:
    if element is None:
        return Location(path)
    return Location(path, element.sourceline, xpath_of(element))
