"""Family `MSG-SCHEMA-…` and `MSG-CONTENT-…`: the envelope and the payload against their schemas, and the business
element against the message-type registry."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from conformance.findings import Severity
from conformance.protocol.facts import business_element, smev_name
from conformance.protocol.mtom import XOP_INCLUDE
from conformance.protocol.namespaces import Version
from conformance.protocol.schemafacts import base64_elements
from conformance.registry.model import Side
from conformance.rules import recipes as ex
from conformance.rules.catalogue import examples, rule
from conformance.rules.context import MAX_PLACES, CheckContext, NotApplicable, Violation, applies
from conformance.rules.helpers import child_named, holds_xop_include, text_of
from conformance.schemas.validation import SchemaError, SchemaSetError, validate_envelope, validate_payload

_REGISTRY_SOURCE = "697 §6ж (control of registered message types), 697 §7 (registry of message types)"


def _prefixes(scope: etree._Element) -> dict[str, str]:
    """The prefix -> namespace bindings the elements of `scope` are written with (the first wins), read once per
    scope and in constant time per element (an element's `nsmap` copies every inherited binding: quadratic)."""
    prefixes: dict[str, str] = {}
    for element in scope.iter():
        if isinstance(element.tag, str) and element.prefix and element.prefix not in prefixes:
            prefixes[element.prefix] = etree.QName(element).namespace or ""
    return prefixes


def _element_for(ctx: CheckContext, error: SchemaError, scope: etree._Element,
                 prefixes: dict[str, str], lines: dict[int, etree._Element]) -> etree._Element | None:
    """The element a validator message points at: by its path when that resolves to one element, else the first
    element of `scope` on the reported line (`lines`: the first element of each line)."""
    if error.path:
        try:
            found = scope.getroottree().xpath(error.path, namespaces=prefixes)
        except etree.XPathError:
            found = []
        if isinstance(found, list) and len(found) == 1 and isinstance(found[0], etree._Element):
            return found[0]
    return lines.get(error.line) if error.line is not None else None


def _locator(ctx: CheckContext, errors: list[SchemaError],
             scope: etree._Element) -> Callable[[int, SchemaError], etree._Element | None]:
    """`locate(index, error)`: the element the `index`-th validator message points at. Built once per scope: the
    first `context.MAX_PLACES` errors are resolved by path, the rest by line only (resolving each of a hundred
    thousand paths among as many siblings would be quadratic); both lookups are constant time after one walk."""
    prefixes = _prefixes(scope) if any(error.path for error in errors[:MAX_PLACES]) else {}
    lines: dict[int, etree._Element] = {}
    if any(error.line is not None for error in errors):
        for element in scope.iter():
            if isinstance(element.tag, str) and element.sourceline is not None:
                lines.setdefault(element.sourceline, element)

    def locate(index: int, error: SchemaError) -> etree._Element | None:
        if index < MAX_PLACES:
            return _element_for(ctx, error, scope, prefixes, lines)
        return lines.get(error.line) if error.line is not None else None

    return locate


def _violations(ctx: CheckContext, errors: list[SchemaError], scope: etree._Element, what: str) -> Iterator[Violation]:
    locate = _locator(ctx, errors, scope)
    for index, error in enumerate(errors):
        element = locate(index, error) if index < MAX_PLACES else None
        yield Violation(f"{what}: {error.message}", element if element is not None else scope,
                        (("validator line", str(error.line)),) if error.line and element is None else ())


@dataclass(frozen=True)
class _Tolerance:
    """A departure from the XSDs that the real bus is known to accept: what it is, and the evidence."""

    name: str
    evidence: str
    matches: Callable[[etree._Element, str], bool]


def _missing_only(child: str) -> Callable[[etree._Element, str], bool]:
    """The validator misses exactly `child` there (not "one of ( …, child )": then something else is missing too)."""
    return lambda element, message: ("Missing child element(s). Expected is ( {" in message
                                     and message.rstrip().endswith(f"}}{child} )."))


_TOLERATED: dict[str, _Tolerance] = {t.name: t for t in (
    _Tolerance("Sender/Recipient without HumanReadableName",
               "SMEV's own 1.2 answers name parties by Mnemonic only (real SendRequestResponse, GetResponseResponse)",
               lambda e, m: smev_name(e) in ("Sender", "Recipient") and _missing_only("HumanReadableName")(e, m)),
    _Tolerance("empty BusinessProcessMetadata",
               "the bus queued a real 1.1 request with <BusinessProcessMetadata/> (Rosreestr)",
               lambda e, m: smev_name(e) == "BusinessProcessMetadata" and "Missing child element(s)" in m),
    _Tolerance("AttachmentContent/Id that is not an xs:ID (starts with a digit)",
               "the bus queued a real 1.1 request whose AttachmentContent/Id is '1d0a…zip' (Rosreestr)",
               lambda e, m: smev_name(e) == "Id" and smev_name(e.getparent()) == "AttachmentContent"
               and "'xs:ID'" in m and re.fullmatch(r"[0-9.\-][\w.\-]*", text_of(e).strip()) is not None),
)}


def _mtom_package(element: etree._Element | None, version: Version) -> bool:
    """An unresolved MTOM include where XOP may put one: the sole content of an element the XSDs type
    xs:base64Binary (MSG-MTOM-UNRESOLVED names it; elsewhere it is a schema failure like any foreign element)."""
    if not holds_xop_include(element):
        return False
    holder = element.getparent() if element.tag == XOP_INCLUDE else element
    return holder is not None and etree.QName(holder).localname in base64_elements(version)


def _envelope_errors(ctx: CheckContext) -> tuple[list[tuple[SchemaError, etree._Element | None]],
                                                 list[tuple[SchemaError, etree._Element | None, _Tolerance]]]:
    """(errors, tolerated errors) of the envelope against its schema, computed once per message.

    Left out of both: a missing caller signature (SIG-PRESENT reports it) and anything on an unresolved MTOM
    include (MSG-MTOM-UNRESOLVED reports the file once)."""
    cached = ctx.memo.get("envelope-schema")
    if cached is not None:
        return cached
    version = ctx.version
    if version is None:
        raise NotApplicable("the message's version is unknown (see MSG-SOAP-…)")
    try:
        errors = validate_envelope(ctx.tree, version, ctx.schema_dir)
    except SchemaSetError as exc:
        raise NotApplicable(f"no usable envelope schema for version {version.value}: {exc}") from None
    missing_signature = f"Expected is ( {{{ctx.namespaces['t']}}}CallerInformationSystemSignature )."
    failing: list[tuple[SchemaError, etree._Element | None]] = []
    tolerated: list[tuple[SchemaError, etree._Element | None, _Tolerance]] = []
    locate = _locator(ctx, errors, ctx.root)
    for index, error in enumerate(errors):
        if error.message.endswith(missing_signature) and "Missing child" in error.message:
            continue
        element = locate(index, error)
        if _mtom_package(element, version):
            continue
        known = next((t for t in _TOLERATED.values() if element is not None and t.matches(element, error.message)),
                     None)
        if known is None:
            failing.append((error, element))
        else:
            tolerated.append((error, element, known))
    ctx.memo["envelope-schema"] = (failing, tolerated)
    return failing, tolerated


@examples(bad=[ex.broken("AckTargetMessage with accepted=\"maybe\"", "ack", ex.bad_boolean)],
          good=[ex.valid("ack")])
@rule("MSG-SCHEMA-ENVELOPE", "The envelope is valid against the XSDs of its version", Severity.ERROR,
      "697 §6л (block messages whose structure does not match); SMEV 3 protocol: Transport and versions; "
      "fault InvalidContent",
      "Against the project's XSDs, or the set given with `check --schemas DIR` (e.g. the official ones). A missing "
      "caller signature that the schema demands (GetStatus) is reported once, by SIG-PRESENT, not here as well; "
      "an unresolved MTOM include once, by MSG-MTOM-UNRESOLVED; departures the real bus is known to accept, by "
      "MSG-SCHEMA-TOLERATED.")
def envelope_schema(ctx: CheckContext) -> Iterator[Violation]:
    failing, _ = _envelope_errors(ctx)
    for error, element in failing:
        yield Violation(f"envelope schema: {error.message}", element if element is not None else ctx.root,
                        (("validator line", str(error.line)),) if error.line and element is None else ())


@examples(bad=[ex.broken("a delivered request whose Sender lacks HumanReadableName", "get_request_response",
                         ex.no_human_readable_name)],
          good=[ex.valid("get_request_response")])
@rule("MSG-SCHEMA-TOLERATED", "The envelope has none of the schema departures the real bus accepts", Severity.WARNING,
      "Real SMEV 3 traffic (tests/vectors/real-traffic): messages the bus answered, queued or wrote itself",
      "A warning, not a failure: the XSDs reject these, yet the real bus accepts them (it writes the first itself), "
      "so failing a message for them would send an integrator after a bug SMEV does not have. They are named so "
      "that a stricter validator on the other side is no surprise: "
      + "; ".join(f"{t.name} ({t.evidence})" for t in _TOLERATED.values()) + ".")
def envelope_tolerated(ctx: CheckContext) -> Iterator[Violation]:
    _, tolerated = _envelope_errors(ctx)
    for error, element, known in tolerated:
        yield Violation(f"{known.name}: the XSD says {error.message!r}, but the bus accepts it ({known.evidence})",
                        element if element is not None else ctx.root)


def _business_elements(ctx: CheckContext) -> list[tuple[etree._Element, etree._Element]]:
    """(MessagePrimaryContent's single business element, its SenderProvided…Data) pairs."""
    pairs = []
    for content in ctx.elements_named("MessagePrimaryContent"):
        children = [c for c in content if isinstance(c.tag, str)]
        if len(children) == 1:
            pairs.append((children[0], content.getparent()))
    if not pairs:
        raise NotApplicable("the message carries no single business element (see MSG-CONTENT-SINGLE)")
    return pairs


def _registry(ctx: CheckContext):
    if ctx.registry is None:
        raise NotApplicable("no message-type registry was given")
    return ctx.registry


def _name(element: etree._Element) -> str:
    qname = etree.QName(element)
    return f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname


@examples(bad=[ex.broken("the business element in a namespace no registered type has", "send_request",
                         ex.unregistered)],
          good=[ex.valid("send_request")])
@rule("MSG-CONTENT-REGISTERED", "The business element is the request or response element of a registered type",
      Severity.ERROR, f"{_REGISTRY_SOURCE}; fault BusinessDataTypeIsNotSupported")
def content_registered(ctx: CheckContext) -> Iterator[Violation]:
    registry = _registry(ctx)
    for element, _ in _business_elements(ctx):
        if registry.by_element(element) is None:
            yield Violation(f"{_name(element)} is not the root element of any registered message type", element)


@examples(bad=[ex.broken("a SendResponse that carries the type's request element", "send_response",
                         ex.request_as_answer)],
          good=[ex.valid("send_response")])
@rule("MSG-CONTENT-RESPONSE-TYPE", "A request carries its type's request element; a response, its type's response "
      "element", Severity.ERROR, f"{_REGISTRY_SOURCE}; fault IncorrectResponseContentType",
      "A response must answer with the response element registered for a type, not a request element; and when the "
      "request it answers (by OriginalMessageId) is among the files of the same run, with its type's response element.")
def content_side(ctx: CheckContext) -> Iterator[Violation]:
    registry = _registry(ctx)
    judged = False
    for element, data in _business_elements(ctx):
        match = registry.by_element(element)
        if match is None:
            continue
        judged = True
        expected = Side.RESPONSE if smev_name(data) == "SenderProvidedResponseData" else Side.REQUEST
        if match.side is not expected:
            right = match.spec.payload(expected)
            yield Violation(f"{_name(element)} is the {match.side.value} element of {match.spec.name}; a "
                            f"{expected.value} must carry {{{right.namespace}}}{right.root}", element)
            continue
        asked = _request_type(ctx, data)
        if expected is Side.RESPONSE and asked is not None and asked.spec.name != match.spec.name:
            right = asked.spec.response
            yield Violation(f"the request {_original_id(data)} was of type {asked.spec.name}, but the answer is a "
                            f"{match.spec.name} element; expected {{{right.namespace}}}{right.root}", element)
    if not judged:
        raise NotApplicable("the business element is of no registered type (see MSG-CONTENT-REGISTERED)")


def _original_id(data: etree._Element) -> str:
    """The OriginalMessageId of the delivered Response around `data` ('' when it is not delivered)."""
    response = data.getparent()
    return text_of(child_named(response, "OriginalMessageId")).strip() if smev_name(response) == "Response" else ""


def _request_type(ctx: CheckContext, data: etree._Element):
    """The registered type of the request a delivered response answers, when another file of the run carries it."""
    original = _original_id(data)
    if not original or ctx.corpus is None or original not in ctx.corpus.requests:
        return None
    namespace, local = ctx.corpus.requests[original]
    match = ctx.registry.by_root(namespace, local)
    return match if match is not None and match.side is Side.REQUEST else None


@examples(bad=[ex.broken("the business element without its first child", "send_request", ex.payload_missing_child)],
          good=[ex.valid("send_request")])
@rule("MSG-SCHEMA-PAYLOAD", "The business element is valid against its registered type's XSD", Severity.ERROR,
      f"697 §6л; {_REGISTRY_SOURCE}; fault InvalidContent")
def payload_schema(ctx: CheckContext) -> Iterator[Violation]:
    registry = _registry(ctx)
    judged = False
    for element, _ in _business_elements(ctx):
        match = registry.by_element(element)
        if match is None or match.payload.xsd is None:
            continue
        judged = True
        try:
            errors = validate_payload(element, match.payload.xsd)
        except SchemaSetError as exc:
            raise NotApplicable(f"the payload XSD of {match.spec.name} is unusable: {exc}") from None
        yield from _violations(ctx, errors, element, f"{match.spec.name} payload schema")
    if not judged:
        raise NotApplicable("the business element has no registered XSD (see MSG-CONTENT-REGISTERED)")


@examples(bad=[ex.broken("a GetRequest selecting root element Nope", "get_request",
                         ex.set_text("RootElementLocalName", "Nope"))],
          good=[ex.valid("get_request")])
@rule("MSG-SELECTOR-REGISTERED", "A MessageTypeSelector names a registered element, or nothing (any type)",
      Severity.ERROR, f"{_REGISTRY_SOURCE}; SMEV 3 protocol: Main structures (MessageTypeSelector); "
      "fault UnknownMessageType",
      "NamespaceURI and RootElementLocalName go together: both name a registered root, or both are absent.")
def selector_registered(ctx: CheckContext) -> Iterator[Violation]:
    selectors = applies(ctx.elements_named("MessageTypeSelector"), "the message polls no queue")
    registry = _registry(ctx)
    for selector in selectors:
        uri, root = child_named(selector, "NamespaceURI"), child_named(selector, "RootElementLocalName")
        if uri is None and root is None:
            continue
        if uri is None or root is None:
            yield Violation("NamespaceURI and RootElementLocalName must be given together", selector)
            continue
        if registry.by_root(text_of(uri).strip(), text_of(root).strip()) is None:
            yield Violation(f"{{{text_of(uri).strip()}}}{text_of(root).strip()} is no registered message type's "
                            "element", root)


@examples(bad=[ex.broken("a delivered request from the unregistered sender INTRUDER", "get_request_response",
                         ex.set_text("Mnemonic", "INTRUDER"))],
          good=[ex.valid("get_request_response")])
@rule("MSG-ACCESS-MATRIX", "The sender of a delivered request is a consumer the access matrix allows for its type",
      Severity.ERROR, "697 §7 (access checks against the access matrix); 451 §4; fault AccessDenied",
      "Judged on requests as the bus delivers them (Request with MessageMetadata/Sender/Mnemonic).")
def access_matrix(ctx: CheckContext) -> Iterator[Violation]:
    registry = _registry(ctx)
    judged = False
    for party in ctx.facts.parties:
        metadata = party.element.getparent()
        request = metadata.getparent() if smev_name(metadata) == "MessageMetadata" else None
        if party.role != "Sender" or smev_name(request) != "Request" or not party.mnemonic:
            continue
        mnemonic, sender = party.mnemonic, party.element
        data = child_named(request, "SenderProvidedRequestData")
        business = business_element(data) if data is not None else None
        if business is None:
            continue
        match = registry.by_element(business)
        if match is None:
            continue
        judged = True
        if not match.spec.may_consume(mnemonic):
            yield Violation(f"{mnemonic} may not request {match.spec.name} (consumers: "
                            f"{', '.join(match.spec.consumers) or 'none'})", sender)
    if not judged:
        raise NotApplicable("no delivered request names both its sender and a registered type")
