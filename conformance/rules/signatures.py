"""The bridge from the rule catalogue to the verifier: one verification per checked message, shared by every
`SIG-…` and `CERT-…` rule check of `conformance.rules.sig` and `conformance.rules.cert`.

Direction: `conformance.rules` imports `conformance.xmldsig`, never the reverse; the verifier speaks in the
findings module's types (`conformance.findings`) and knows nothing of catalogues or check contexts.

A check context's `backend` verifies; its `options` may carry `trust` (certificates), `crl` (CRLs) and
`escaping`; certificates (attachments' included) are judged at the context's instant (`check --at`, default now:
when the bus would receive the message), never at a time the message carries: the sender chooses that one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from conformance.findings import Status
from conformance.rules.context import CheckContext, NotApplicable, Violation
from conformance.xmldsig.attachments import SIG_ATTACH_CMS, attachment_outcomes
from conformance.xmldsig.verifier import Outcome, VerifyOptions, verify_tree

# The last context verified, per thread: the rule checks of one message run one after another in one thread, while
# the bus test double checks messages in several threads at once.
_local = threading.local()


def outcomes_for(ctx: CheckContext) -> list[Outcome]:
    """The verifier's outcomes for the context's message, computed once per context."""
    last = getattr(_local, "last", None)
    if last is not None and last[0] is ctx:
        return last[1]

    options = ctx.options or {}
    verify_options = VerifyOptions(trust=tuple(options.get("trust", ())), crls=tuple(options.get("crl", ())),
                                   at=ctx.at, backend=ctx.backend,
                                   escaping=options.get("escaping", "woodstox"))
    verify_options.at_source = "the check's instant"
    outcomes = verify_tree(ctx.tree, verify_options)
    _local.last = (ctx, outcomes)
    return outcomes


def check_of(rule_id: str) -> Callable[[CheckContext], Iterator[Violation]]:
    """The catalogue check of a SIG/CERT rule: its outcomes in the context's message, as violations."""
    if rule_id == SIG_ATTACH_CMS:
        return attachment_violations

    def check(ctx: CheckContext) -> Iterator[Violation]:
        yield from violations(ctx, rule_id)

    check.__name__ = check.__qualname__ = "check_" + rule_id.lower().replace("-", "_")
    return check


def violations(ctx: CheckContext, rule_id: str) -> Iterator[Violation]:
    """Yield the rule's failures and warnings as violations; raise `NotApplicable` when it was skipped everywhere."""
    yield from _as_violations(ctx, [o for o in outcomes_for(ctx) if o.rule_id == rule_id])


def attachment_violations(ctx: CheckContext) -> Iterator[Violation]:
    """`violations` of SIG-ATTACH-CMS, verifying only the attachments unless the whole message was verified for this
    context already (the bus runs this rule alone: it verified the XML signatures itself)."""
    last = getattr(_local, "last", None)
    if last is not None and last[0] is ctx:
        yield from violations(ctx, SIG_ATTACH_CMS)
        return

    root = ctx.root
    at = ctx.at or datetime.now(UTC)  # never the message's own time: the sender chooses it
    mine = attachment_outcomes(root, at=at, backend=ctx.backend)
    yield from _as_violations(ctx, mine or [Outcome(SIG_ATTACH_CMS, Status.SKIP, "the message has no attachments",
                                                    root)])


def _as_violations(ctx: CheckContext, mine: list[Outcome]) -> Iterator[Violation]:
    if mine and all(o.status is Status.SKIP for o in mine):
        raise NotApplicable(mine[0].message)
    for outcome in mine:
        if outcome.status in (Status.FAIL, Status.WARN):
            yield ctx.violation(outcome.element, outcome.message, **dict(outcome.details))
