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

Errors read `FILE:LINE: types[0].request.namespace: what is wrong` (the line of the offending YAML node).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from conformance.errors import InputError
from conformance.registry.model import MessageTypeSpec, PayloadSpec, Registry

DEFAULT_REGISTRY = Path(__file__).parent / "types.yaml"
"""The registry shipped with the package."""

RULE_REGISTRY = "MSG-REGISTRY"
"""Rule id of errors in a registry file (the registry, not a message, is unusable)."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_MNEMONIC = re.compile(r"^[A-Za-z0-9_\-.]{1,50}$")
_TYPE_KEYS = {"name", "title", "description", "request", "response", "providers", "consumers", "realtime", "sample"}
_PAYLOAD_KEYS = {"namespace", "root", "xsd"}


class RegistryError(InputError):
    """A registry file that cannot be used (exit 2)."""


def load_registry(path: str | os.PathLike[str] | None = None) -> Registry:
    """Load the registry at `path` (default: the shipped one). Raises `RegistryError` naming file, line and field."""
    file = Path(path) if path is not None else DEFAULT_REGISTRY
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError("registry file not found", path=str(file), rule=RULE_REGISTRY) from None
    except IsADirectoryError:
        raise RegistryError("is a directory, not a registry file", path=str(file), rule=RULE_REGISTRY) from None
    except UnicodeDecodeError:
        raise RegistryError("registry file is not UTF-8 text", path=str(file), rule=RULE_REGISTRY) from None
    except OSError as exc:
        raise RegistryError(f"cannot read: {exc.strerror or exc}", path=str(file), rule=RULE_REGISTRY) from None
    return _Loader(file).load(text)


class _Loader:
    def __init__(self, file: Path):
        self.file = file

    def fail(self, node: yaml.Node | None, where: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        text = f"{where}: {message}" if where else message
        raise RegistryError(text, path=str(self.file), line=line, rule=RULE_REGISTRY)

    def load(self, text: str) -> Registry:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            raise RegistryError(f"not valid YAML: {problem}", path=str(self.file), line=line,
                                rule=RULE_REGISTRY) from None
        if root is None:
            self.fail(None, "", "the registry is empty; it needs a `types` list")
        top = self.mapping(root, "", {"schema_dir", "types"}, required={"types"})
        base = self.file.parent
        if "schema_dir" in top:
            base = (self.file.parent / self.string(top["schema_dir"], "schema_dir")).resolve()
            if not base.is_dir():
                self.fail(top["schema_dir"], "schema_dir", f"{base} is not a directory")
        types_node = top["types"]
        if not isinstance(types_node, yaml.SequenceNode) or not types_node.value:
            self.fail(types_node, "types", "must be a non-empty list of message types")
        specs: list[MessageTypeSpec] = []
        names: dict[str, int] = {}
        roots: dict[tuple[str, str], str] = {}
        for index, item in enumerate(types_node.value):
            where = f"types[{index}]"
            spec = self.message_type(item, where, base)
            if spec.name in names:
                self.fail(item, f"{where}.name", f"{spec.name!r} is already defined by types[{names[spec.name]}]")
            names[spec.name] = index
            for side, payload in (("request", spec.request), ("response", spec.response)):
                key = (payload.namespace, payload.root)
                owner = roots.get(key)
                if owner is not None and owner != spec.name:
                    self.fail(item, f"{where}.{side}",
                              f"{{{payload.namespace}}}{payload.root} is already the payload of {owner!r}")
                roots[key] = spec.name
            specs.append(spec)
        return Registry(tuple(specs), self.file.resolve())

    # -- nodes --

    def mapping(self, node: yaml.Node, where: str, allowed: set[str], required: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, where, "must be a mapping")
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            field = f"{where}.{key}" if where else str(key)
            if key not in allowed:
                self.fail(key_node, field, f"unknown field; allowed: {', '.join(sorted(allowed))}")
            if key in result:
                self.fail(key_node, field, "is given twice")
            result[key] = value_node
        for key in sorted(required - result.keys()):
            self.fail(node, f"{where}.{key}" if where else key, "is required")
        return result

    def string(self, node: yaml.Node, where: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
            self.fail(node, where, "must be a non-empty string")
        value = node.value.strip()
        if pattern is not None and not pattern.match(value):
            self.fail(node, where, f"{value!r} is not {what}")
        return value

    def boolean(self, node: yaml.Node, where: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            self.fail(node, where, "must be true or false")
        return node.value.lower() in ("true", "yes", "on")

    def mnemonics(self, node: yaml.Node, where: str, *, allow_empty: bool) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, where, "must be a list of system mnemonics")
        if not node.value and not allow_empty:
            self.fail(node, where, "needs at least one mnemonic")
        values = []
        for index, item in enumerate(node.value):
            value = self.string(item, f"{where}[{index}]", _MNEMONIC, "a mnemonic (letters, digits, _-., ≤ 50)")
            if value in values:
                self.fail(item, f"{where}[{index}]", f"{value!r} is listed twice")
            values.append(value)
        return tuple(values)

    def payload(self, node: yaml.Node, where: str, base: Path) -> PayloadSpec:
        fields = self.mapping(node, where, _PAYLOAD_KEYS, required={"namespace", "root"})
        namespace = self.string(fields["namespace"], f"{where}.namespace", _URI, "an absolute URI")
        root = self.string(fields["root"], f"{where}.root", _NCNAME, "an XML local name")
        xsd = None
        if "xsd" in fields:
            xsd = (base / self.string(fields["xsd"], f"{where}.xsd")).resolve()
            if not xsd.is_file():
                self.fail(fields["xsd"], f"{where}.xsd", f"{xsd} does not exist")
            self.check_xsd(fields["xsd"], f"{where}.xsd", xsd, namespace, root)
        return PayloadSpec(namespace, root, xsd)

    def check_xsd(self, node: yaml.Node, where: str, xsd: Path, namespace: str, root: str) -> None:
        """The XSD must declare `root` as a global element of `namespace` (cheap: read, don't compile)."""
        from conformance.xmlsafe import XmlInputError, parse_file

        try:
            schema = parse_file(xsd).getroot()
        except XmlInputError as exc:
            self.fail(node, where, f"{xsd} is not readable XML: {exc.detail}")
        target = schema.get("targetNamespace")
        if target != namespace:
            self.fail(node, where, f"{xsd.name} has targetNamespace {target!r}, not {namespace!r}")
        xs = "http://www.w3.org/2001/XMLSchema"
        names = {el.get("name") for el in schema.iterchildren(f"{{{xs}}}element")}
        if root not in names:
            self.fail(node, where, f"{xsd.name} declares no global element {root!r}")

    def message_type(self, node: yaml.Node, where: str, base: Path) -> MessageTypeSpec:
        fields = self.mapping(node, where, _TYPE_KEYS,
                              required={"name", "request", "response", "providers", "consumers", "realtime"})
        name = self.string(fields["name"], f"{where}.name", _NAME, "a name of lower-case letters, digits and '-'")
        title = self.string(fields["title"], f"{where}.title") if "title" in fields else name
        description = self.string(fields["description"], f"{where}.description") if "description" in fields else ""
        request = self.payload(fields["request"], f"{where}.request", base)
        response = self.payload(fields["response"], f"{where}.response", base)
        if (request.namespace, request.root) == (response.namespace, response.root):
            self.fail(fields["response"], f"{where}.response", "the response root must differ from the request root")
        providers = self.mnemonics(fields["providers"], f"{where}.providers", allow_empty=False)
        consumers = self.mnemonics(fields["consumers"], f"{where}.consumers", allow_empty=True)
        realtime = self.boolean(fields["realtime"], f"{where}.realtime")
        sample = None
        if "sample" in fields:
            from conformance.registry.fakes import GENERATORS

            sample = self.string(fields["sample"], f"{where}.sample")
            if sample not in GENERATORS:
                self.fail(fields["sample"], f"{where}.sample",
                          f"no fake payload generator {sample!r}; known: {', '.join(sorted(GENERATORS))}")
        return MessageTypeSpec(name=name, title=title, description=description, request=request, response=response,
                               providers=providers, consumers=consumers, realtime=realtime, sample=sample)
