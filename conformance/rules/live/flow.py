"""`FLOW-LIVE-…`: the exchange's logic on a participant's calls (acks, To = ReplyTo, one answer, resends)."""

from __future__ import annotations

from typing import Any

from conformance.findings import LiveExample
from conformance.rules.live.base import (
    DELIVERED,
    LiveAssertion,
    LiveContext,
    Param,
    ParamKind,
    Said,
    example_case,
    verdict,
)

_REQUEST_ACKED = example_case("flow: {acked: req, accepted: true}", "Ack", answering=None, of="req")
_REFUSED_ONCE = """\
- fault: {operation: SendRequest, fault: SMEVFailure}
- expect: {operation: SendRequest, within: 5s, as: refused}
"""


def _answered(check: str) -> str:
    return example_case(f"flow: {{{check}: req}}")


def _resent(check: str) -> str:
    return example_case(f"flow: {{{check}}}", "SendRequest", before=_REFUSED_ONCE, answering=None)


class Acked(LiveAssertion):
    family, check = "flow", "acked"
    title = "The participant acks the delivered message, with the expected accepted flag"
    source = "SMEV 3 protocol: every message taken from a queue must be acked; 697 §11"
    rationale = ("An unacked message is delivered again after the lease; a wrong accepted flag either loses a valid "
                 "request or keeps processing a refused one.")
    takes = ParamKind.REFERENCE
    optional = (Param("accepted", ParamKind.BOOLEAN),)
    bad = (LiveExample("the provider acks a valid request with accepted=false", _REQUEST_ACKED, ("refuse",)),)
    good = (LiveExample("the provider acks it with accepted=true", _REQUEST_ACKED, ("ack",)),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        ref = ctx.ref(params[self.check])
        target = getattr(ctx.call.parsed, "target", None)
        accepted = params.get("accepted", True)
        ok = target is not None and target.message_id == ref.message_id and target.accepted == accepted
        return verdict(ok, f"acked {ref.message_id} with accepted={str(accepted).lower()}",
                       f"expected an Ack of {ref.message_id} with accepted={str(accepted).lower()}, got "
                       f"{'none' if target is None else f'accepted={str(target.accepted).lower()}'}")


class NotAcked(LiveAssertion):
    family, check = "flow", "not-acked"
    title = "The participant does not ack the delivered message"
    source = "SMEV 3 protocol: Ack"
    rationale = ("A message the participant must not take (e.g. one it has not made durable) is left for redelivery "
                 "rather than acked.")
    takes = ParamKind.REFERENCE
    _case = example_case("flow: {not-acked: req}", "Ack", answering=None)
    bad = (LiveExample("the provider acks the request the case says it must leave unacked", _case, ("ack",)),)
    good = (LiveExample("the provider acks another message only (here: none of the delivered request's id)",
                        _case, ("ack-other",)),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        ref = ctx.ref(params[self.check])
        target = getattr(ctx.call.parsed, "target", None)
        acked = target is not None and target.message_id == ref.message_id
        return verdict(not acked, f"{ref.message_id} not acked", f"acked {ref.message_id}")


class ReplyToCopied(LiveAssertion):
    family, check = "flow", "reply_to_copied"
    title = "The answer's To is the request's ReplyTo, copied verbatim"
    source = "SMEV 3 protocol: ReplyTo and To"
    rationale = ("The bus routes an answer by its To, an opaque token the bus wrote into the request's ReplyTo; "
                 "a participant that rebuilds or omits it sends the answer nowhere.")
    takes = ParamKind.REFERENCE
    bad = (LiveExample("the provider rewrites To instead of copying ReplyTo", _answered("reply_to_copied"),
                       ("ack", "answer-to-rewritten")),)
    good = (LiveExample("the provider copies ReplyTo into To", _answered("reply_to_copied"), ("ack", "answer")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        ref = ctx.ref(params[self.check])
        to = ctx.call.reply_to
        return verdict(to == ref.reply_to, "To is the request's ReplyTo, verbatim",
                       "To is missing: copy the request's ReplyTo into To" if to is None else
                       f"To {to!r} is not the request's ReplyTo {ref.reply_to!r} copied verbatim")


class Answers(LiveAssertion):
    family, check = "flow", "answers"
    title = "The answer is addressed to the delivered request"
    source = "SMEV 3 protocol: ReplyTo and To; 963 §4"
    rationale = ("An answer is routed by its To to the request it answers; one that points elsewhere reaches the wrong "
                 "consumer or none.")
    takes = ParamKind.REFERENCE
    bad = (LiveExample("the provider's To points at no request", _answered("answers"),
                       ("ack", "answer-to-rewritten")),)
    good = (LiveExample("the provider answers with the request's ReplyTo", _answered("answers"), ("ack", "answer")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        ref = ctx.ref(params[self.check])
        got = ctx.answered_id(ctx.call.reply_to)
        return verdict(got is not None and got == ref.message_id, f"answers {ref.message_id}",
                       f"does not answer {ref.message_id}")


class _AnswerCount(LiveAssertion):
    limit: int = 0

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        ref = ctx.ref(params[self.check])
        count = ctx.answers_to(ref)
        return verdict(count <= self.limit, f"{count} answer(s) to {ref.message_id}",
                       f"{count} answers to {ref.message_id}; at most {self.limit} allowed")


class NotAnsweredTwice(_AnswerCount):
    family, check, limit = "flow", "not_answered_twice", 1
    title = "A redelivered request is not answered a second time"
    source = "697 §7.1 (guaranteed delivery)"
    rationale = ("A redelivered request (same MessageID) is one request: a provider without a journal of what it "
                 "processed answers it twice.")
    takes = ParamKind.REFERENCE
    _case = example_case("flow: {not_answered_twice: req}", before=DELIVERED + """\
- expect: {operation: SendResponse, answering: req, within: 5s}
- deliver: {message: request, variant: redelivery, of: req, as: again}
- expect: {operation: Ack, of: again, within: 5s}
""", times=0, within="2s")
    bad = (LiveExample("the provider keeps no journal and answers the redelivered request again", _case,
                       ("answer", "ack")),)
    good = (LiveExample("the provider answers each MessageID once", _case, ("once", "answer", "ack")),)


class NotAnswered(_AnswerCount):
    family, check, limit = "flow", "not_answered", 0
    title = "A delivery the participant must refuse is not answered"
    source = "697 §11 (verify the signatures of SMEV)"
    rationale = ("A delivery the participant refused (a broken bus signature, say) must not be processed: an answer "
                 "means it acted on what it could not trust.")
    takes = ParamKind.REFERENCE
    _case = example_case("flow: {not_answered: req}", "Ack", answering=None, of="req")
    bad = (LiveExample("the provider answers a delivery before acking it", _case, ("answer", "ack")),)
    good = (LiveExample("the provider refuses it without answering", _case, ("refuse",)),)


class NewMessageId(LiveAssertion):
    family, check = "flow", "new_message_id"
    title = "After the bus refused a message, the resent one has a new MessageID"
    source = "SMEV 3 protocol: Identifiers; 697 §11"
    rationale = ("The bus journals MessageIDs: a message it refused must be resent as a new message, with a new id, or "
                 "it is refused again as a duplicate.")
    takes = ParamKind.REFERENCE
    bad = (LiveExample("the consumer resends the refused request with the same MessageID",
                       _resent("new_message_id: refused"), ("send", "resend-same-id")),)
    good = (LiveExample("the consumer resends it with a new MessageID", _resent("new_message_id: refused"),
                        ("send", "resend")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        ref = ctx.ref(params[self.check])
        seen = ctx.call
        return verdict(seen.message_id != ref.message_id, f"new MessageID {seen.message_id}",
                       f"reused MessageID {seen.message_id} after the bus refused it")


class SamePayloadAs(LiveAssertion):
    family, check = "flow", "same_payload_as"
    title = "The resent message carries the same business content"
    source = "697 §11 (resend after the violation is fixed)"
    rationale = ("A resend after a refusal repeats the same request; changed business content is a new request under "
                 "the old one's history.")
    takes = ParamKind.REFERENCE
    bad = (LiveExample("the consumer resends other business content", _resent("same_payload_as: refused"),
                       ("send", "resend-other-content")),)
    good = (LiveExample("the consumer resends the same content", _resent("same_payload_as: refused"),
                        ("send", "resend")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        ref = ctx.ref(params[self.check])
        content = ctx.call.content
        return verdict(content is not None and content == ref.content, "same business content",
                       "the business content differs from the earlier message")


class BackoffAtLeast(LiveAssertion):
    family, check = "flow", "backoff_at_least"
    title = "A retry after SMEVFailure waits at least the suite's backoff"
    source = "697 §11 (resend after a failure)"
    rationale = ("Retrying at once after SMEVFailure adds load to a bus that is failing; the protocol asks for a pause "
                 "that grows.")
    takes = ParamKind.DURATION
    bad = (LiveExample("the consumer retries at once", _resent("backoff_at_least: 500ms"), ("send", "resend")),)
    good = (LiveExample("the consumer waits a second before it retries", _resent("backoff_at_least: 500ms"),
                        ("send", "wait:1", "resend")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        previous = ctx.previous_call_at()
        gap = ctx.call.at - previous if previous is not None else 0.0
        least = float(params[self.check])
        return verdict(gap >= least, f"retried after {gap:.2f} s",
                       f"retried after {gap:.2f} s; a backoff of at least {least:g} s is required")


class Polls(LiveAssertion):
    family, check = "flow", "polls"
    title = "The participant keeps polling the named operation"
    source = "SMEV 3 protocol: Operations (GetRequest / GetResponse polling)"
    rationale = ("A consumer learns of answers only by polling GetResponse; one that stops polling never receives "
                 "them.")
    takes = ParamKind.OPERATION
    optional = (Param("within", ParamKind.DURATION),)
    _case = example_case("flow: {polls: GetResponse, within: 2s}", "SendRequest", before="", answering=None)
    bad = (LiveExample("the consumer sends its request and never polls GetResponse", _case, ("send",)),)
    good = (LiveExample("the consumer polls GetResponse after sending", _case, ("send", "poll")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        op = params[self.check]
        window = float(params.get("within") or 5.0)
        return verdict(ctx.polled(op, window), f"polls {op}", f"did not call {op} within {window:g} s")


ASSERTIONS = (Acked(), NotAcked(), ReplyToCopied(), Answers(), NotAnsweredTwice(), NotAnswered(), NewMessageId(),
              SamePayloadAs(), BackoffAtLeast(), Polls())
