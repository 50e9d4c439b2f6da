"""Read the negative catalogue (YAML) into `Case`s, checking it against its schema with line-accurate errors.

    version: 1
    cases:
      - id: NEG-SIG-VALUE                      # NEG-<UPPER-CASE WORDS>, unique
        title: A flipped bit in SignatureValue
        start: {rpc: SendRequest, version: "1.3", type: fns-inn-by-passport, variant: default}
        signer: caller                         # caller (default) | none | an identity (identities.py)
        setup: [deliver]                       # optional: deliver, ack
        mutations:                             # each a one-key mapping: mutation name -> arguments
          - break-signature-value: {}
        transport: {soap-action: none}         # optional: method, content-type, soap-action, mime, drop, declared-length
        force: {fault: SMEVFailure, why: ...}  # optional: the double is told to answer with this fault
        expect: {fault: SignatureVerificationFault, reason: SignatureIsInvalid, rule: SIG-VALUE}
        xfail: "why the bus double answers wrongly"   # optional

`expect` holds exactly one of `fault` (with optional `reason`, `http`, `faultcode`), `status`, `http` (a list of
statuses that count as a refusal) or `transport-error: true`, and always the `rule` that explains it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from conformance.negative.identities import MNEMONICS
from conformance.negative.model import Case, Expect, Start, Step, Transport
from conformance.negative.mutations import MUTATIONS
from conformance.protocol.codes import FaultName, SignatureVerificationReason, StatusCategory
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import REQUEST_OF, Rpc, faults_for
from conformance.protocol.samples import VARIANTS
from conformance.rules.catalogue import get_rule
from conformance.yamlnodes import Checker, Node, compose_text, load_yaml

ID_PATTERN = r"NEG(-[A-Z0-9]+)+"
SETUPS = ("deliver", "ack")
METHODS = ("POST", "GET", "PUT", "DELETE", "HEAD")
MIME = ("mtom", "bad-boundary")
DROPS = ("mid-request", "mid-answer")


def catalogue_path() -> Path:
    """The shipped catalogue file."""
    return Path(str(resources.files("conformance.negative").joinpath("catalogue.yaml")))


def load_catalogue(path: str | Path | None = None) -> list[Case]:
    """Every case of the catalogue at `path` (default: the shipped one). Raises `SchemaErrors` listing every
    problem as `FILE:LINE: path: message`, or `InputError` for unreadable YAML."""
    source = Path(path) if path is not None else catalogue_path()
    return cases_from_node(load_yaml(source), str(source))


def load_catalogue_text(text: str, source: str = "<catalogue>") -> list[Case]:
    return cases_from_node(compose_text(text, source), source)


def cases_from_node(root: Node, source: str) -> list[Case]:
    check = Checker(source)
    top = check.mapping(root, required=("version", "cases"))
    cases: list[Case] = []
    if top is not None:
        if top.get("version") is not None and top["version"].value != 1:
            check.error(top["version"], "only catalogue version 1 is known")
        seen: dict[str, int] = {}
        for node in check.sequence(top.get("cases"), non_empty=True, what="list of cases") or []:
            case = _case(check, node, get_rule)
            if case is None:
                continue
            if case.id in seen:
                check.error(node, f"case id {case.id} appears twice (first at line {seen[case.id]})")
                continue
            seen[case.id] = node.line
            cases.append(case)
    check.raise_if_any()
    return cases


def _case(check: Checker, node: Node, get_rule: Any) -> Case | None:
    """One case, or None when it has problems (all of them reported to `check`)."""
    problems_before = len(check.problems)
    fields = check.mapping(node, required=("id", "title", "start", "expect"),
                           optional=("signer", "setup", "mutations", "transport", "force", "xfail"), what="case")
    if fields is None:
        return None
    case_id = check.string(fields.get("id"), pattern=ID_PATTERN, what="case id (NEG-UPPER-CASE-WORDS)")
    title = check.string(fields.get("title"))
    start = _start(check, fields.get("start"))
    expect = _expect(check, fields.get("expect"), get_rule)
    signer: str | None = "caller"
    if fields.get("signer") is not None:
        signer = check.string(fields["signer"], choices=("caller", "none", *MNEMONICS))
        signer = None if signer == "none" else signer
    setup = tuple(check.string(item, choices=SETUPS) or "" for item in
                  check.sequence(fields.get("setup"), what="list of setup steps") or [])
    steps = tuple(_step(check, item) for item in
                  check.sequence(fields.get("mutations"), what="list of mutations") or [])
    transport = _transport(check, fields.get("transport"))
    force, why = _force(check, fields.get("force"))
    xfail = check.string(fields.get("xfail"), what="reason") if fields.get("xfail") is not None else None
    if start is not None and force is not None and not force.exists_in(start.version):
        check.error(fields["force"], f"{force.value} does not exist in version {start.version.value}")
    if start is not None and expect is not None and expect.fault is not None and transport is not None:
        transport_level = bool(transport.content_type or transport.mime)
        if expect.fault not in faults_for(start.rpc, start.version) and not transport_level:
            check.error(fields["expect"], f"{start.rpc.value} cannot be answered with {expect.fault.value} in "
                                          f"{start.version.value} (protocol: Faults)")
    if "ack" in setup and "deliver" not in setup:
        check.error(fields["setup"], "setup ack needs deliver before it")
    if expect is not None and expect.transport_error and (transport is None or transport.drop is None):
        check.error(fields["expect"], "transport-error is the expectation of a case whose transport drops")
    if len(check.problems) > problems_before:
        return None
    return Case(id=case_id, title=title, start=start, expect=expect, mutations=steps,  # type: ignore[arg-type]
                setup=setup, signer=signer, transport=transport, force=force,  # type: ignore[arg-type]
                force_reason=why, xfail=xfail, line=node.line, source=check.source)


def _start(check: Checker, node: Node | None) -> Start | None:
    fields = check.mapping(node, required=("rpc",), optional=("version", "type", "variant"))
    if fields is None:
        return None
    rpc = check.string(fields.get("rpc"), choices=[r.value for r in Rpc])
    version_text = check.string(fields.get("version"), choices=[v.value for v in Version]) \
        if fields.get("version") is not None else Version.V1_3.value
    type_name = check.string(fields.get("type")) if fields.get("type") is not None else None
    variant = check.string(fields.get("variant")) if fields.get("variant") is not None else "default"
    if rpc is None or version_text is None or variant is None:
        return None
    start = Start(Rpc(rpc), Version(version_text), type_name, variant)
    if not start.rpc.exists_in(start.version):
        check.error(fields["rpc"], f"{rpc} does not exist in version {version_text}")
        return None

    if variant not in VARIANTS[REQUEST_OF[start.rpc]]:
        check.error(fields.get("variant") or node, f"{rpc} has no sample variant {variant!r}; valid: "
                    f"{', '.join(VARIANTS[REQUEST_OF[start.rpc]])}")
        return None
    return start


def _step(check: Checker, node: Node) -> Step | None:
    picked = check.one_of_keys(node, MUTATIONS, what="mutation")
    if picked is None:
        return None
    name, body = picked
    mutation = MUTATIONS[name]
    if body.value is None:
        body = Node({}, body.line, body.path)
    if not isinstance(body.value, dict) and len(mutation.required) == 1 and not mutation.optional:
        body = Node({mutation.required[0]: body}, body.line, body.path)  # `- message-id: upper`
    fields = check.mapping(body, required=mutation.required, optional=mutation.optional,
                           what=f"mapping of {name} arguments")
    if fields is None:
        return None
    args = {key: value.plain() for key, value in fields.items()}
    if "after-sign" in fields:
        check.boolean(fields["after-sign"])
    return Step(name, args, node.line)


def _transport(check: Checker, node: Node | None) -> Transport | None:
    if node is None:
        return Transport()
    fields = check.mapping(node, optional=("method", "content-type", "soap-action", "mime", "drop",
                                           "declared-length"))
    if fields is None:
        return None
    method = check.string(fields.get("method"), choices=METHODS) if "method" in fields else "POST"
    mime = check.string(fields.get("mime"), choices=MIME) if "mime" in fields else None
    drop = check.string(fields.get("drop"), choices=DROPS) if "drop" in fields else None
    length = check.integer(fields.get("declared-length"), minimum=1) if "declared-length" in fields else None
    return Transport(method=method or "POST", content_type=check.string(fields.get("content-type")),
                     soap_action=check.string(fields.get("soap-action")), mime=mime, drop=drop,
                     declared_length=length)


def _force(check: Checker, node: Node | None) -> tuple[FaultName | None, str]:
    fields = check.mapping(node, required=("fault", "why"))
    if fields is None:
        return None, ""
    name = check.string(fields.get("fault"), choices=[f.value for f in FaultName])
    why = check.string(fields.get("why")) or ""
    return (FaultName(name) if name else None), why


def _expect(check: Checker, node: Node | None, get_rule: Any) -> Expect | None:
    fields = check.mapping(node, required=("rule",),
                           optional=("fault", "reason", "http", "faultcode", "status", "transport-error"))
    if fields is None:
        return None
    kinds = [k for k in ("fault", "status", "http", "transport-error") if k in fields]
    if "fault" in fields and "http" in fields:
        kinds.remove("http")
    if len(kinds) != 1:
        check.error(node, "expect holds exactly one of fault, status, http, transport-error"
                          f"{'; found ' + ', '.join(kinds) if kinds else ''}")
        return None
    rule = check.string(fields.get("rule"))
    if rule is not None and get_rule(rule) is None:
        check.error(fields["rule"], f"{rule!r} is not a rule of the catalogue (smev-conformance rules)")
        rule = None
    fault = check.string(fields.get("fault"), choices=[f.value for f in FaultName]) if "fault" in fields else None
    reason = check.string(fields.get("reason"), choices=[r.value for r in SignatureVerificationReason]) \
        if "reason" in fields else None
    if reason is not None and fault != FaultName.SIGNATURE_VERIFICATION_FAULT.value:
        check.error(fields["reason"], "only a SignatureVerificationFault carries a reason")
    if fault == FaultName.SIGNATURE_VERIFICATION_FAULT.value and reason is None:
        check.error(fields["fault"], "a SignatureVerificationFault case names its reason")
    status = check.string(fields.get("status"), choices=[s.value for s in StatusCategory]) \
        if "status" in fields else None
    http: tuple[int, ...] = ()
    if "http" in fields:
        raw = fields["http"]
        items = raw.value if isinstance(raw.value, list) else [raw]
        codes = [check.integer(item, minimum=100) for item in items]
        if None in codes:
            return None
        http = tuple(c for c in codes if c is not None)
    faultcode = check.string(fields.get("faultcode"), choices=("Client", "Server")) if "faultcode" in fields \
        else None
    transport_error = check.boolean(fields.get("transport-error")) if "transport-error" in fields else False
    if rule is None or (fault is None and status is None and not http and not transport_error):
        return None
    return Expect(rule=rule, fault=FaultName(fault) if fault else None,
                  reason=SignatureVerificationReason(reason) if reason else None, http=http, faultcode=faultcode,
                  status=StatusCategory(status) if status else None, transport_error=bool(transport_error))
