"""The valid messages of every kind (the rule examples' own, `conformance.rules.recipes`) and helpers to check them.

`AT` is the instant every test judges at; ids are made shortly before it with a seeded generator, so runs repeat.
"""

from __future__ import annotations

from datetime import datetime

from conformance.findings import FileResult, Status
from conformance.rules import catalogue
from conformance.rules.catalogue import RegisteredRule
from conformance.rules.engine import CheckSettings, check_bytes
from conformance.rules.recipes import (  # noqa: F401  (re-exported for the tests)
    AT,
    FIRST_ID,
    MESSAGES,
    OTHER_ID,
    PDF,
    REQUEST_ID,
    RESPONSE_ID,
    business,
    envelope,
    first_type,
    registry,
)

REGISTRY = registry()
TYPE = first_type()


OTHER_OWNERS = ("conformance.rules.sig", "conformance.rules.cert")
"""Family modules of the signature engineer: their rules verify real signatures, which these fixtures do not carry."""


def own_rules() -> list[RegisteredRule]:
    """The catalogue without the SIG-/CERT- rules of the signature engineer's modules."""
    return [entry for entry in catalogue.registered() if entry.module not in OTHER_OWNERS and entry.static]


def check(data: bytes, *, at: datetime = AT, path: str = "message.xml", **settings) -> FileResult:
    settings.setdefault("rules", own_rules())
    settings.setdefault("registry", REGISTRY)
    return check_bytes(path, data, CheckSettings(at=at, **settings))


def failed(result: FileResult) -> set[str]:
    """Ids of the rules that failed or warned."""
    return {f.rule_id for f in result.findings if f.status in (Status.FAIL, Status.WARN)}
