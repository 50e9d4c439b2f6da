"""Load and validate a message-type registry (YAML), with errors that name the file, the line and the field.

    schema_dir: ../schemas/payloads        # optional; base of the `xsd` paths, relative to the registry file
    types:
      - name: fns-inn-by-passport         # unique, [a-z0-9-]
        title: ...                          # optional, human name
        description: ...                    # optional
        request:  {namespace: URI, root: NCName, xsd: FILE}     # xsd optional
        response: {namespace: URI, root: NCName, xsd: FILE}
        providers: [FNS]                    # mnemonics, at least one
        consumers: [EPGU, MFC]              # mnemonics the access matrix allows
        realtime: true
        sample: fns-inn-by-passport         # optional: the fake payload generator (conformance.registry.fakes)

Every problem is reported at once, each `FILE:LINE: types[0].request.namespace: what is wrong` (the line of the
offending YAML node), through the project's one YAML floor (`conformance.yamlnodes`).
"""

from __future__ import annotations

import os
from pathlib import Path

from conformance.registry.fakes import GENERATORS
from conformance.registry.model import MessageTypeSpec, PayloadSpec, Registry
from conformance.xmlsafe import XmlInputError, parse_file
from conformance.yamlnodes import Checker, Node, SchemaErrors, load_yaml

DEFAULT_REGISTRY = Path(__file__).parent / "types.yaml"
"""The registry shipped with the package."""

RULE_REGISTRY = "MSG-REGISTRY"
"""Rule id of errors in a registry file (the registry, not a message, is unusable)."""

_NAME = r"[a-z0-9][a-z0-9-]*"
_NCNAME = r"[A-Za-z_][\w.\-]*"
_URI = r"[A-Za-z][A-Za-z0-9+.\-]*:\S+"
_MNEMONIC = r"[A-Za-z0-9_\-.]{1,50}"
_TYPE_KEYS = ("title", "description", "sample")
_TYPE_REQUIRED = ("name", "request", "response", "providers", "consumers", "realtime")
_PAYLOAD_KEYS = ("namespace", "root")


class RegistryError(SchemaErrors):
    """A registry file that cannot be used (exit 2); `problems` lists every problem with its line."""


def load_registry(path: str | os.PathLike[str] | None = None) -> Registry:
    """Load the registry at `path` (default: the shipped one). Raises `RegistryError` naming file, line and field."""
    file = Path(path) if path is not None else DEFAULT_REGISTRY
    try:
        root = load_yaml(file, aliases=True)
    except SchemaErrors as exc:
        raise RegistryError(exc.problems, rule=RULE_REGISTRY) from None
    chk = Checker(str(file))
    specs = _types(chk, root, file)
    chk.raise_if_any(RegistryError, rule=RULE_REGISTRY)
    return Registry(tuple(specs), file.resolve())


def _types(chk: Checker, root: Node, file: Path) -> list[MessageTypeSpec]:
    top = chk.mapping(root, required=("types",), optional=("schema_dir",),
                      what="registry (a mapping with schema_dir, types)")
    if top is None:
        return []
    base = file.parent
    if "schema_dir" in top:
        text = chk.string(top["schema_dir"], what="directory")
        if text is not None:
            base = (file.parent / text).resolve()
            if not base.is_dir():
                chk.error(top["schema_dir"], f"{base} is not a directory")
    items = chk.sequence(top.get("types"), what="list of message types")
    if items is not None and not items:
        chk.error(top["types"], "must be a non-empty list of message types")
    specs: list[MessageTypeSpec] = []
    names: dict[str, int] = {}
    roots: dict[tuple[str, str], str] = {}
    for index, item in enumerate(items or []):
        spec = _message_type(chk, item, base)
        if spec is None:
            continue
        if spec.name in names:
            chk.problem(item, f"{item.path}.name", f"{spec.name!r} is already defined by types[{names[spec.name]}]")
        names.setdefault(spec.name, index)
        for side, payload in (("request", spec.request), ("response", spec.response)):
            owner = roots.setdefault((payload.namespace, payload.root), spec.name)
            if owner != spec.name:
                chk.problem(item, f"{item.path}.{side}",
                            f"{{{payload.namespace}}}{payload.root} is already the payload of {owner!r}")
        specs.append(spec)
    return specs


def _message_type(chk: Checker, node: Node, base: Path) -> MessageTypeSpec | None:
    fields = chk.mapping(node, required=_TYPE_REQUIRED, optional=_TYPE_KEYS, what="message type (a mapping)")
    if fields is None:
        return None
    before = len(chk.problems)
    name = chk.string(fields.get("name"), pattern=_NAME, what="name of lower-case letters, digits and '-'")
    title = chk.string(fields["title"]) if "title" in fields else name
    description = chk.string(fields["description"]) if "description" in fields else ""
    request = _payload(chk, fields.get("request"), base)
    response = _payload(chk, fields.get("response"), base)
    if request is not None and response is not None and \
            (request.namespace, request.root) == (response.namespace, response.root):
        chk.error(fields["response"], "the response root must differ from the request root")
    providers = _mnemonics(chk, fields.get("providers"), allow_empty=False)
    consumers = _mnemonics(chk, fields.get("consumers"), allow_empty=True)
    realtime = chk.boolean(fields.get("realtime"))
    sample = chk.string(fields["sample"]) if "sample" in fields else None
    if sample is not None and sample not in GENERATORS:
        chk.error(fields["sample"], f"no fake payload generator {sample!r}; known: {', '.join(sorted(GENERATORS))}")
    if len(chk.problems) > before or None in (name, request, response, providers, consumers, realtime):
        return None
    return MessageTypeSpec(name=name, title=title or name, description=description or "", request=request,
                           response=response, providers=providers, consumers=consumers, realtime=realtime,
                           sample=sample)


def _mnemonics(chk: Checker, node: Node | None, *, allow_empty: bool) -> tuple[str, ...] | None:
    items = chk.sequence(node, what="list of system mnemonics")
    if items is None:
        return None
    if not items and not allow_empty:
        chk.error(node, "needs at least one mnemonic")
        return None
    values: list[str] = []
    for item in items:
        value = chk.string(item, pattern=_MNEMONIC, what="mnemonic (letters, digits, _-., at most 50)")
        if value is not None and value in values:
            chk.error(item, f"{value!r} is listed twice")
        elif value is not None:
            values.append(value)
    return tuple(values)


def _payload(chk: Checker, node: Node | None, base: Path) -> PayloadSpec | None:
    fields = chk.mapping(node, required=_PAYLOAD_KEYS, optional=("xsd",), what="payload (namespace, root, xsd)")
    if fields is None:
        return None
    namespace = chk.string(fields.get("namespace"), pattern=_URI, what="absolute URI")
    root = chk.string(fields.get("root"), pattern=_NCNAME, what="XML local name")
    xsd = None
    if "xsd" in fields and (text := chk.string(fields["xsd"], what="file path")) is not None:
        xsd = (base / text).resolve()
        if not xsd.is_file():
            chk.error(fields["xsd"], f"{xsd} does not exist")
            return None
        if namespace is not None and root is not None:
            _check_xsd(chk, fields["xsd"], xsd, namespace, root)
    if namespace is None or root is None:
        return None
    return PayloadSpec(namespace, root, xsd)


def _check_xsd(chk: Checker, node: Node, xsd: Path, namespace: str, root: str) -> None:
    """The XSD must declare `root` as a global element of `namespace` (cheap: read, don't compile)."""
    try:
        schema = parse_file(xsd).getroot()
    except XmlInputError as exc:
        chk.error(node, f"{xsd} is not readable XML: {exc.detail}")
        return
    target = schema.get("targetNamespace")
    if target != namespace:
        chk.error(node, f"{xsd.name} has targetNamespace {target!r}, not {namespace!r}")
        return
    xs = "http://www.w3.org/2001/XMLSchema"
    if root not in {el.get("name") for el in schema.iterchildren(f"{{{xs}}}element")}:
        chk.error(node, f"{xsd.name} declares no global element {root!r}")
