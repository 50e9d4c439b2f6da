"""`MSG-LIVE-CONTENT-…`: what a participant's call says (a rejection, a status, data, the TestMessage flag, a field)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from conformance.findings import LiveExample
from conformance.protocol import model as m
from conformance.rules.live.base import LiveAssertion, LiveContext, Param, ParamKind, Said, example_case, verdict


def _answered(assertion: str) -> str:
    return example_case(f"content: {assertion}")


def _answer(ctx: LiveContext) -> Any:
    return getattr(getattr(ctx.call.parsed, "data", None), "answer", None)


class Rejection(LiveAssertion):
    family, check = "content", "rejection"
    title = "A request that must be refused gets RequestRejected with the expected code"
    source = "963 §4"
    rationale = ("A request the provider cannot serve gets RequestRejected with the code that says why (NO_DATA, "
                 "ACCESS_DENIED, …), never silence or made-up data.")
    takes = ParamKind.REJECTION_CODE
    bad = (LiveExample("the provider answers with data where NO_DATA is due", _answered("{rejection: NO_DATA}"),
                       ("ack", "answer")),)
    good = (LiveExample("the provider answers RequestRejected NO_DATA", _answered("{rejection: NO_DATA}"),
                        ("ack", "reject")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        code, answer = params[self.check], _answer(ctx)
        ok = isinstance(answer, m.Rejection) and any(r.code.value == code for r in answer.reasons)
        return verdict(ok, f"RequestRejected {code}", f"expected RequestRejected {code}, got "
                       f"{type(answer).__name__ if answer is not None else 'nothing'}")


class Answer(LiveAssertion):
    family, check = "content", "answer"
    title = "A valid request gets a business answer with data"
    source = "963 §4"
    rationale = ("A valid request about data the provider holds gets the data, not a rejection.")
    takes = ParamKind.PLAIN
    bad = (LiveExample("the provider rejects a valid request", _answered("{answer: data}"), ("ack", "reject")),)
    good = (LiveExample("the provider answers it with data", _answered("{answer: data}"), ("ack", "answer")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        answer = _answer(ctx)
        return verdict(isinstance(answer, m.BusinessAnswer), "answered with data",
                       "expected a business answer, got " + (type(answer).__name__ if answer is not None else
                                                             "a message the protocol reader refuses"))


class StatusCode(LiveAssertion):
    family, check = "content", "status_code"
    title = "The RequestStatus has the expected code"
    source = "697 §6о"
    rationale = ("A provider that needs time answers with RequestStatus; its code tells the consumer the state of the "
                 "request.")
    takes = ParamKind.INTEGER
    bad = (LiveExample("the provider answers with data where a status was due", _answered("{status_code: 1}"),
                       ("ack", "answer")),)
    good = (LiveExample("the provider sends RequestStatus 1", _answered("{status_code: 1}"), ("ack", "status")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        answer = _answer(ctx)
        ok = isinstance(answer, m.RequestStatus) and answer.code == params[self.check]
        return verdict(ok, f"RequestStatus {params['status_code']}", "no RequestStatus with that code")


class TestMessage(LiveAssertion):
    family, check = "content", "test_message"
    title = "The TestMessage flag is as expected"
    source = "SMEV 3 protocol: TestMessage"
    rationale = ("A TestMessage exercises the exchange without touching real data; the flag must be where the case "
                 "says.")
    takes = ParamKind.BOOLEAN
    _case = example_case("content: {test_message: true}", "SendRequest", before="", answering=None)
    bad = (LiveExample("the consumer sends a request without TestMessage where a test request is due", _case,
                       ("send",)),)
    good = (LiveExample("the consumer marks its request TestMessage", _case, ("send-test",)),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        flag = bool(getattr(getattr(ctx.call.parsed, "data", None), "test_message", False))
        return verdict(flag == params[self.check], "TestMessage as expected", "TestMessage differs")


class XPath(LiveAssertion):
    family, check = "content", "xpath"
    title = "A suite's XPath assertion on the participant's call holds"
    source = "697 §11 (participants answer for the fields of what they send)"
    rationale = ("For what no rule of the catalogue covers, a suite names a field of the call and what it must hold.")
    takes = ParamKind.XPATH
    optional = (Param("equals", ParamKind.PLAIN), Param("exists", ParamKind.BOOLEAN))
    _case = _answered('{xpath: "//tns:SenderProvidedResponseData/tns:To", exists: true}')
    bad = (LiveExample("the provider leaves To out of its answer", _case, ("ack", "answer-no-to")),)
    good = (LiveExample("the provider's answer has a To", _case, ("ack", "answer")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        path = params[self.check]
        found = etree.fromstring(ctx.envelope()).xpath(path, namespaces=ctx.prefixes())
        if "equals" in params:
            text = found[0].text if found and hasattr(found[0], "text") else (found[0] if found else None)
            return verdict(str(text) == str(params["equals"]), f"{path} = {text}",
                           f"{path} is {text!r}, expected {params['equals']!r}")
        exists = params.get("exists", True)
        return verdict(bool(found) == exists, f"{path} {'exists' if exists else 'absent'}",
                       f"{path} {'is missing' if exists else 'is present'}")


ASSERTIONS = (Rejection(), StatusCode(), Answer(), TestMessage(), XPath())
