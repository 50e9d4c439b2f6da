"""The registration API of the rule catalogue, and the selection of rules (`--select` / `--ignore`).

A family module of this package registers its rules at import time:

    from conformance.findings import Severity
    from conformance.rules import recipes as ex
    from conformance.rules.catalogue import examples, rule
    from conformance.rules.context import CheckContext, NotApplicable

    @examples(bad=[ex.broken("MessageID in upper case", "send_request", ex.set_text("MessageID", "ABC..."))],
              good=[ex.valid("send_request")])
    @rule("MSG-ID-UUID1", "MessageID is a lower-case UUID version 1", Severity.ERROR, "SMEV 3 protocol: Identifiers")
    def message_id_is_uuid1(ctx: CheckContext):
        elements = applies(ctx.xpath("//t:MessageID"), "the message has no MessageID")
        for element in elements:
            if not ok(element.text):
                yield ctx.violation(element, f"MessageID {element.text!r} is not ...")

A check yields one `Violation` per place the rule is broken (nothing when it holds) or raises `NotApplicable`
with the reason the rule does not apply. Rules whose outcome another component decides (the `MSG-XML-…` rules
of the hardened parser, say) are registered with `declare(...)` and have no check function.

Every module of this package except the infrastructure ones listed in `_INFRASTRUCTURE` is a family module and is
imported by `load()`, so a new family (e.g. `sig.py`, `cert.py`) needs no registration anywhere else.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from conformance import rules as package
from conformance.errors import UsageError
from conformance.findings import FAMILIES, Example, LiveExample, Rule, Severity

if TYPE_CHECKING:
    from conformance.rules.context import CheckContext, Violation

CheckFunction = Callable[["CheckContext"], "Iterable[Violation] | None"]

_ID_PATTERN = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+)+$")
_INFRASTRUCTURE = frozenset({"catalogue", "context", "engine", "xpaths", "resources", "helpers", "corpus",
                             "messagefile", "signatures", "recipes"})


@dataclass(frozen=True)
class RegisteredRule:
    """A catalogue rule and the function that checks it (None when another component decides its outcome)."""

    rule: Rule
    check: CheckFunction | None
    module: str
    held_when_parsed: bool = False
    """For a rule without a check: it holds for every document the hardened parser accepted (the MSG-XML rules)."""

    @property
    def static(self) -> bool:
        """Whether a static check of a file judges this rule (others, e.g. the live suites' rules, come from a run)."""
        return self.check is not None or self.held_when_parsed


_REGISTRY: dict[str, RegisteredRule] = {}
_loaded = False


def _register(entry: Rule, check: CheckFunction | None, module: str, held_when_parsed: bool = False) -> None:
    if not _ID_PATTERN.match(entry.id):
        raise ValueError(f"rule id {entry.id!r} must read FAMILY-TOPIC[-MORE], upper case")
    if entry.family not in FAMILIES:
        raise ValueError(f"rule {entry.id}: unknown family {entry.family!r}; known: {', '.join(FAMILIES)}")
    if not entry.source.strip():
        raise ValueError(f"rule {entry.id}: every rule must cite its source")
    existing = _REGISTRY.get(entry.id)
    if existing is not None and existing.module != module:
        raise ValueError(f"rule {entry.id} is registered twice: by {existing.module} and by {module}")
    _REGISTRY[entry.id] = RegisteredRule(entry, check, module, held_when_parsed)


def register(entry: Rule, check: CheckFunction, module: str | None = None) -> None:
    """Register a rule unit declared elsewhere (the SIG/CERT rules of `conformance.xmldsig.ruleset`) with its check."""
    _register(entry, check, module or _caller_module())


def examples(bad: Sequence[Example], good: Sequence[Example]) -> Callable[[CheckFunction], CheckFunction]:
    """Give the rule registered by the `@rule` below this decorator its bad and good examples (see `Example`)."""

    def decorate(check: CheckFunction) -> CheckFunction:
        found = [entry for entry in _REGISTRY.values() if entry.check is check]
        if len(found) != 1:
            raise ValueError(f"@examples must sit above the @rule of {check.__qualname__}")
        entry = found[0]
        _REGISTRY[entry.rule.id] = replace(entry, rule=replace(entry.rule, bad=tuple(bad), good=tuple(good)))
        return check

    return decorate


def rule(
    rule_id: str, title: str, severity: Severity, source: str, description: str = ""
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check of a new catalogue rule."""

    def decorate(check: CheckFunction) -> CheckFunction:
        _register(Rule(rule_id, title, Severity(severity), source, description or (check.__doc__ or "").strip()),
                  check, check.__module__)
        return check

    return decorate


def declare(rule_id: str, title: str, severity: Severity, source: str, description: str = "", *,
            module: str | None = None, held_when_parsed: bool = False, bad: Sequence[Example | LiveExample] = (),
            good: Sequence[Example | LiveExample] = ()) -> Rule:
    """Register a rule whose outcome another component reports (no check function); returns it.

    In a static check such a rule is skipped (another command reports it, e.g. a live suite), unless
    `held_when_parsed`: then it passes for every document the hardened parser accepted.
    """
    entry = Rule(rule_id, title, Severity(severity), source, description, tuple(bad), tuple(good))
    _register(entry, None, module or _caller_module(), held_when_parsed)
    return entry


def _caller_module() -> str:
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None
    return str(caller.f_globals.get("__name__", "?")) if caller else "?"


def load() -> None:
    """Import every family module of this package once, so that all rules are registered."""
    global _loaded
    if _loaded:
        return
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _INFRASTRUCTURE:
            continue
        importlib.import_module(f"{package.__name__}.{info.name}")
    _loaded = True


def registered() -> list[RegisteredRule]:
    """Every registered rule, in catalogue order (family order of `FAMILIES`, then id)."""
    load()
    order = {family: index for index, family in enumerate(FAMILIES)}
    return sorted(_REGISTRY.values(), key=lambda entry: (order.get(entry.rule.family, 99), entry.rule.id))


def all_rules() -> list[Rule]:
    return [entry.rule for entry in registered()]


def get_rule(rule_id: str) -> Rule | None:
    """The catalogue rule with this id, or None (reports use it to add titles and sources to findings)."""
    load()
    entry = _REGISTRY.get(rule_id)
    return entry.rule if entry else None


def _matches(rule_id: str, code: str) -> bool:
    return rule_id == code or rule_id.startswith(code + "-")


def _normalise(codes: Iterable[str] | None) -> list[str]:
    result: list[str] = []
    for item in codes or ():
        for code in str(item).split(","):
            code = code.strip().upper()
            if code:
                result.append(code)
    return result


def select(select: Sequence[str] | None = None, ignore: Sequence[str] | None = None) -> list[RegisteredRule]:
    """Rules chosen by ids or family prefixes, as ruff does: those matching `select` (all by default), minus `ignore`.

    A code matches a rule when it is the rule's id or a prefix of it ending at a `-` (`MSG-ID` matches `MSG-ID-UUID1`,
    `MSG-I` matches nothing). A code that matches no rule is a `UsageError` naming it.
    """
    entries = registered()
    chosen_codes, ignored_codes = _normalise(select), _normalise(ignore)
    for code in chosen_codes + ignored_codes:
        if not any(_matches(entry.rule.id, code) for entry in entries):
            raise UsageError(f"unknown rule id or prefix {code!r} (see `smev-conformance rules`)")
    if chosen_codes:
        entries = [e for e in entries if any(_matches(e.rule.id, code) for code in chosen_codes)]
    return [e for e in entries if not any(_matches(e.rule.id, code) for code in ignored_codes)]


def describe(entry: Rule) -> dict[str, Any]:
    """A rule as plain data (for JSON output)."""
    return {
        "id": entry.id,
        "family": entry.family,
        "severity": entry.severity.value,
        "title": entry.title,
        "source": entry.source,
        "description": entry.description,
    }
