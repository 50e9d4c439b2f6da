"""`MSG-LIVE-STRUCTURE` and `SIG-LIVE-…`: a participant's call judged by the static catalogue and the signature
verifier. A failure is reported under the catalogue rule that failed (MSG-ID-UUID1, SIG-VALUE, …), not under the
assertion's own id."""

from __future__ import annotations

from typing import Any

from conformance.findings import LiveExample, Status
from conformance.rules.live.base import LiveAssertion, LiveContext, Param, ParamKind, Said, example_case


def _failures(findings: list) -> list[Said]:
    return [Said(Status.FAIL, f.message, f.rule_id) for f in findings if f.status is Status.FAIL]


class StructureValid(LiveAssertion):
    family, check = "structure", "valid"
    title = "The participant's call passes every static rule of the catalogue"
    source = "697 §11; SMEV 3 protocol: Main structures"
    rationale = ("What a participant sends must hold every rule a file checked offline would; a live run judges the "
                 "real call, so mistakes that only the participant's own code makes (ids, times, layout) show here.")
    optional = (Param("select", ParamKind.STRINGS), Param("ignore", ParamKind.STRINGS))
    bad = (LiveExample("the provider writes its answer's MessageID in upper case", example_case("structure: valid"),
                       ("ack", "answer-upper-case-id"), fails=("MSG-ID-UUID1", "MSG-SCHEMA-ENVELOPE")),)
    good = (LiveExample("the provider's answer is well formed", example_case("structure: valid"), ("ack", "answer")),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        findings = ctx.static_findings()
        failed = [f for f in findings if f.status is Status.FAIL]
        if not failed:
            return [Said(Status.PASS, f"{len(findings)} static checks hold")]
        return [Said(Status.FAIL, f"{f.message} ({f.location})", f.rule_id) for f in failed]


class SignatureValid(LiveAssertion):
    family, check = "signature", "valid"
    title = "Every signature of the participant's call verifies"
    source = "697 §11 (electronic signature of every message); SMEV 3 protocol: Signatures"
    rationale = ("The bus refuses a call whose signature does not verify; the failing SIG/CERT rule is reported, so "
                 "the page of that rule says how to fix it.")
    optional = (Param("signer", ParamKind.PLAIN),)
    bad = (LiveExample("the provider sends its answer unsigned", example_case("signature: valid"), ("ack", "answer-unsigned"),
                       fails=("SIG-PRESENT",), signatures=True),)
    good = (LiveExample("the provider signs its answer", example_case("signature: valid"), ("ack", "answer"),
                        signatures=True),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        if not ctx.signatures:
            return [Said(Status.SKIP, "signatures are off in this run")]
        failed = _failures(ctx.signature_findings())
        return failed or [Said(Status.PASS, "every signature verifies")]


class SignatureAbsent(LiveAssertion):
    family, check = "signature", "absent"
    title = "The participant's call carries no signature where none may be"
    source = "SMEV 3 protocol: Signatures"
    rationale = ("For a call the case says must go unsigned, a signature is a sign the participant signs what it "
                 "should not (or signs the wrong block).")
    bad = (LiveExample("the provider signs a call the case says must be unsigned", example_case("signature: absent"),
                       ("ack", "answer"), signatures=True),)
    good = (LiveExample("the provider's call is unsigned", example_case("signature: absent"), ("ack", "answer-unsigned"),
                        signatures=True),)

    def judge(self, ctx: LiveContext, params: dict[str, Any]) -> list[Said]:
        if not ctx.signatures:
            return [Said(Status.SKIP, "signatures are off in this run")]
        present = any(f.rule_id == "SIG-PRESENT" and f.status is Status.PASS for f in ctx.signature_findings())
        return [Said(Status.FAIL if present else Status.PASS, "signed" if present else "not signed")]


ASSERTIONS = (StructureValid(), SignatureValid(), SignatureAbsent())
