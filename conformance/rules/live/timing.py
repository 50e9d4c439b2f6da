"""`TIME-LIVE-…`: how soon a participant calls."""

from __future__ import annotations

from typing import Any

from conformance.findings import LiveExample
from conformance.rules.live.base import LiveAssertion, LiveContext, Param, ParamKind, Said, example_case, verdict


class Within(LiveAssertion):
    family, check = "timing", "within"
    title = "The participant answers in time: 2 s for a real-time type, 48 h (scaled) otherwise"
    source = "963 §10"
    rationale = ("963 §10 sets the time to answer: 2 s for a real-time type, 48 h otherwise; a suite may set its own "
                 "limit since an earlier step.")
    takes = ParamKind.DURATION
    optional = (Param("since", ParamKind.REFERENCE),)
    _case = example_case("timing: {within: 1s, since: req}")
    bad = (LiveExample("the provider answers after 1.5 s where 1 s is the limit", _case, ("ack", "wait:1.5", "answer")),)
    good = (LiveExample("the provider answers at once", _case, ("ack", "answer")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        seen = ctx.call
        since = ctx.ref(params["since"]) if params.get("since") else None
        limit = ctx.limit(params[self.check])
        elapsed = seen.at - (since.at if since else seen.at)
        return verdict(elapsed <= limit, f"after {elapsed:.3f} s (limit {limit:g} s)",
                       f"after {elapsed:.3f} s, over the limit of {limit:g} s")


ASSERTIONS = (Within(),)
