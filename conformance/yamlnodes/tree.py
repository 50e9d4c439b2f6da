"""YAML text -> a small tree of `Node`s that remember their line and dotted path, bounded against hostile input.

Built from `yaml.compose` (not `yaml.load`) so that every value keeps the line it was written on, and only the safe
subset is read (no tag builds an object). The bounds are in `conformance.yamlnodes.limits`: the file size, the
nesting depth and the number of values after alias expansion (counted once per composed node, so a "billion
laughs" file is refused in time linear in its text). Duplicate keys are an error; `<<` merge keys are honoured
where aliases are allowed. Mapping keys stay as written (`10:00` is the text "10:00", not YAML 1.1's 600).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from conformance.yamlnodes.limits import MAX_BYTES, MAX_DEPTH, MAX_NODES
from conformance.yamlnodes.problems import Problem, SchemaErrors

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster, same nodes
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class Node:
    """A YAML value: `value` is a dict[str, Node], a list[Node] or a plain scalar (str, int, float, bool, None).

    `line` is 1-based (None for a value that did not come from the file: a default or an override, in which case
    `origin` says which); `path` is its dotted place (`cases[0].steps[1].deliver`). `key_lines` gives the line of
    each mapping key, `raw` a scalar's text as written.
    """

    value: Any
    line: int | None
    path: str = ""
    raw: str | None = None
    key_lines: dict[str, int | None] = field(default_factory=dict)
    origin: str | None = None

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if self.is_map else None

    def plain(self) -> Any:
        """The value as plain Python data, without positions."""
        if self.is_map:
            return {k: v.plain() for k, v in self.value.items()}
        if self.is_seq:
            return [v.plain() for v in self.value]
        return self.value


def _fail(source: str, line: int | None, message: str, path: str = "") -> SchemaErrors:
    return SchemaErrors([Problem(source, line, path, message)])


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a YAML file (a BOM is dropped), within `MAX_BYTES`. Raises `SchemaErrors`."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _fail(source, None, "cannot read: no such file") from None
    except IsADirectoryError:
        raise _fail(source, None, "cannot read: is a directory, not a YAML file") from None
    except OSError as exc:
        raise _fail(source, None, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise _fail(source, None, f"file is larger than {MAX_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(source, data[: exc.start].count(b"\n") + 1, f"not UTF-8 text (byte {exc.start})") from None


def load_yaml(path: str | Path, *, aliases: bool = False) -> Node:
    """Read a YAML file into `Node`s. Raises `SchemaErrors` (unreadable, too large, ill-formed)."""
    return compose_text(read_text(path), str(path), aliases=aliases)


def compose_text(text: str, source: str, *, aliases: bool = False) -> Node:
    """Compose one YAML document into `Node`s; `source` names it in problems. Without `aliases`, anchors, aliases
    and merge keys are refused. Raises `SchemaErrors`."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _fail(source, None, f"file is larger than {MAX_BYTES // 1024} KiB")
    try:
        documents = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(exc.problem or exc.context).split())
        raise _fail(source, mark.line + 1 if mark else None, f"not valid YAML: {reason}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: max(exc.position, 0)].count("\n") + 1
        raise _fail(source, line, f"not valid YAML: character {exc.character!r} is not allowed") from None
    except yaml.YAMLError as exc:
        raise _fail(source, None, "not valid YAML: " + " ".join(str(exc).split())) from None
    documents = [d for d in documents if d is not None]
    if not documents:
        raise _fail(source, 1, "the file is empty")
    if len(documents) > 1:
        raise _fail(source, documents[1].start_mark.line + 1, "the file holds one YAML document, this one has several")
    _check_size(documents[0], source, aliases)
    return _Converter(source).convert(documents[0], "")


def _check_size(root: yaml.Node, source: str, aliases: bool) -> None:
    """Refuse a document that nests beyond `MAX_DEPTH`, expands beyond `MAX_NODES` values or refers to itself (or,
    without `aliases`, reaches a node twice), in time proportional to the nodes written: aliases share node
    objects, so sizes are memoised by identity."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        line = node.start_mark.line + 1
        if key in sizes:
            if not aliases:  # the composer shares a node only through an alias
                raise _fail(source, line, "YAML anchors and aliases are not allowed here")
            return sizes[key]
        if key in active:
            raise _fail(source, line, "an alias refers to the mapping or list that contains it")
        if depth > MAX_DEPTH:
            raise _fail(source, line, f"the document nests deeper than {MAX_DEPTH} levels")
        active.add(key)
        if isinstance(node, yaml.MappingNode):
            if not aliases and any(k.tag == _MERGE for k, _ in node.value):
                raise _fail(source, line, "YAML merge keys are not allowed here")
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item, depth + 1) for item in node.value)
        else:
            total = 1
        active.discard(key)
        if total > MAX_NODES:
            raise _fail(source, line, f"the document expands to more than {MAX_NODES} values (anchors and aliases?)")
        sizes[key] = total
        return total

    size(root, 0)


class _Converter:
    def __init__(self, source: str) -> None:
        self.source = source
        self.scalars = SafeConstructor()

    def convert(self, node: yaml.Node, path: str) -> Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, line)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.convert(item, f"{path}[{i}]") for i, item in enumerate(node.value)], line, path)
        try:
            value = self.scalars.construct_object(node)
        except ConstructorError as exc:
            raise _fail(self.source, line, f"unreadable value {node.value!r}: {exc.problem}", path) from None
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = str(node.value)  # dates, binary...: keep the text, the schema will complain about its form
        return Node(value, line, path, raw=node.value)

    def _mapping(self, node: yaml.MappingNode, path: str, line: int) -> Node:
        out: dict[str, Node] = {}
        key_lines: dict[str, int | None] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, path))
                continue
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail(self.source, key_line, "a mapping key must be a plain name, not a list or mapping", path)
            key = str(key_node.value)
            if key in out:
                raise _fail(self.source, key_line, f"duplicate key {key!r} (first on line {key_lines[key]})", path)
            key_lines[key] = key_line
            out[key] = self.convert(value_node, join(path, key))
        for source in merged:  # explicit keys win over merged ones
            for key, value in source.value.items():
                if key not in out:
                    out[key] = value
                    key_lines[key] = source.key_lines.get(key)
        return Node(out, line, path, key_lines=key_lines)

    def _merge_sources(self, value_node: yaml.Node, path: str) -> list[Node]:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        result = []
        for source in sources:
            if not (isinstance(source, yaml.MappingNode) and source.tag == _MAP):
                raise _fail(self.source, source.start_mark.line + 1, "'<<' merges only mappings", path)
            result.append(self.convert(source, path))
        return result


def join(path: str, key: str) -> str:
    """`path.key`, or `key` at the top."""
    return f"{path}.{key}" if path else key


def node_from_value(value: Any, origin: str, path: str = "") -> Node:
    """A tree for a Python value given outside the file (an override). Strings are read as YAML scalars/flows, so
    `'4'` is the integer 4 and `'[a, b]'` a list, as if written in the file."""
    if isinstance(value, Node):
        return value
    if isinstance(value, dict):
        return Node({str(k): node_from_value(v, origin, join(path, str(k))) for k, v in value.items()}, None, path,
                    key_lines={str(k): None for k in value}, origin=origin)
    if isinstance(value, (list, tuple)):
        return Node([node_from_value(v, origin, f"{path}[{i}]") for i, v in enumerate(value)], None, path,
                    origin=origin)
    if isinstance(value, str):
        try:
            tree = compose_text(value, origin, aliases=True) if value.strip() else Node(value, None, raw=value)
        except SchemaErrors:
            tree = Node(value, None, raw=value)
        return _relabel(tree, origin)
    return Node(value, None, path, raw=str(value), origin=origin)


def _relabel(node: Node, origin: str) -> Node:
    node.line = None
    node.origin = origin
    node.key_lines = {k: None for k in node.key_lines}
    for child in node.value.values() if node.is_map else node.value if node.is_seq else ():
        _relabel(child, origin)
    return node


def copy_tree(node: Node) -> Node:
    """A deep copy (overrides never modify the tree a loaded document keeps)."""
    if node.is_map:
        value: Any = {k: copy_tree(v) for k, v in node.value.items()}
    elif node.is_seq:
        value = [copy_tree(v) for v in node.value]
    else:
        value = node.value
    return Node(value, node.line, node.path, node.raw, dict(node.key_lines), node.origin)
