"""YAML text -> a small tree of `Node`s that remember their line, bounded against hostile input.

Built from `yaml.compose` (not `yaml.load`) so that every value keeps the line it was written on. Aliases are
expanded with a budget on the total number of nodes (a "billion laughs" file is refused, not expanded), nesting
depth is bounded, the file size is bounded, duplicate keys are an error and `<<` merge keys are honoured.
Mapping keys stay as written (`10:00` is the text "10:00", not YAML 1.1's sexagesimal 600).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster, same nodes

MAX_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class Node:
    """A YAML value: `value` is a dict[str, Node], a list[Node] or a plain scalar (str, int, float, bool, None).

    `line` is 1-based (None for a value that did not come from the file: a default or an override, in which case
    `origin` says which). `key_lines` gives the line of each mapping key. `raw` is a scalar's text as written.
    """

    value: Any
    line: int | None
    raw: str | None = None
    key_lines: dict[str, int | None] = field(default_factory=dict)
    origin: str | None = None

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)

    def plain(self) -> Any:
        """The value as plain Python data (for `with_overrides` round trips and tests)."""
        if self.is_map:
            return {k: v.plain() for k, v in self.value.items()}
        if self.is_seq:
            return [v.plain() for v in self.value]
        return self.value


class TreeError(Exception):
    """The text is not a usable YAML document; `line` is 1-based or None."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


def parse_tree(text: str) -> Node:
    """Compose `text` into a `Node` tree. Raises `TreeError`."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise TreeError(f"file is larger than {MAX_BYTES // 1024} KiB; a scenario is a few KiB")
    try:
        documents = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(str(exc.problem or exc.context).split())
        raise TreeError(f"not valid YAML: {reason}", mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise TreeError(f"not valid YAML: character {exc.character!r} is not allowed", line) from None
    except yaml.YAMLError as exc:
        raise TreeError("not valid YAML: " + " ".join(str(exc).split())) from None
    documents = [d for d in documents if d is not None]
    if not documents:
        raise TreeError("the file is empty", 1)
    if len(documents) > 1:
        raise TreeError("a scenario file holds one YAML document, this one has several",
                        documents[1].start_mark.line + 1)
    _check_expanded_size(documents[0])
    return _Converter().convert(documents[0], 0)


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a document whose aliases would expand beyond `MAX_NODES` values, or that refers to itself, in time
    proportional to the nodes written (aliases share node objects, so sizes are memoised by identity)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise TreeError("an alias refers to the mapping or list that contains it", node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            raise TreeError(f"the document nests deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
        active.add(key)
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item, depth + 1) for item in node.value)
        else:
            total = 1
        active.discard(key)
        if total > MAX_NODES:
            raise TreeError(f"the document expands to more than {MAX_NODES} values (anchors and aliases?)",
                            node.start_mark.line + 1)
        sizes[key] = total
        return total

    size(root, 0)


class _Converter:
    def __init__(self) -> None:
        self.budget = MAX_NODES
        self.scalars = SafeConstructor()

    def convert(self, node: yaml.Node, depth: int) -> Node:
        self.budget -= 1
        line = node.start_mark.line + 1
        if self.budget < 0:
            raise TreeError(f"the document expands to more than {MAX_NODES} values (anchors and aliases?)", line)
        if depth > MAX_DEPTH:
            raise TreeError(f"the document nests deeper than {MAX_DEPTH} levels", line)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth, line)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.convert(item, depth + 1) for item in node.value], line)
        try:
            value = self.scalars.construct_object(node)
        except ConstructorError as exc:
            raise TreeError(f"unreadable value {node.value!r}: {exc.problem}", line) from None
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = str(node.value)  # dates, binary...: keep the text, the schema will complain about its form
        return Node(value, line, raw=node.value)

    def _mapping(self, node: yaml.MappingNode, depth: int, line: int) -> Node:
        out: dict[str, Node] = {}
        key_lines: dict[str, int | None] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise TreeError("a mapping key must be a plain name, not a list or mapping", key_node.start_mark.line + 1)
            key = str(key_node.value)
            if key in out:
                raise TreeError(f"duplicate key {key!r} (first on line {key_lines[key]})", key_node.start_mark.line + 1)
            key_lines[key] = key_node.start_mark.line + 1
            out[key] = self.convert(value_node, depth + 1)
        for source in merged:  # explicit keys win over merged ones
            for key, value in source.value.items():
                if key not in out:
                    out[key] = value
                    key_lines[key] = source.key_lines.get(key)
        return Node(out, line, key_lines=key_lines)

    def _merge_sources(self, value_node: yaml.Node, depth: int) -> list[Node]:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        result = []
        for source in sources:
            if not (isinstance(source, yaml.MappingNode) and source.tag == _MAP):
                raise TreeError("'<<' merges only mappings", source.start_mark.line + 1)
            result.append(self.convert(source, depth + 1))
        return result


def node_from_value(value: Any, origin: str) -> Node:
    """A tree for a Python value given outside the file (an override). Strings are read as YAML scalars/flows, so
    `'4'` is the integer 4 and `'[a, b]'` a list, as if written in the file."""
    if isinstance(value, Node):
        return value
    if isinstance(value, dict):
        return Node({str(k): node_from_value(v, origin) for k, v in value.items()}, None,
                    key_lines={str(k): None for k in value}, origin=origin)
    if isinstance(value, (list, tuple)):
        return Node([node_from_value(v, origin) for v in value], None, origin=origin)
    if isinstance(value, str):
        try:
            tree = parse_tree(value) if value.strip() else Node(value, None, raw=value)
        except TreeError:
            tree = Node(value, None, raw=value)
        return _relabel(tree, origin)
    return Node(value, None, raw=str(value), origin=origin)


def _relabel(node: Node, origin: str) -> Node:
    node.line = None
    node.origin = origin
    node.key_lines = {k: None for k in node.key_lines}
    if node.is_map:
        for child in node.value.values():
            _relabel(child, origin)
    elif node.is_seq:
        for child in node.value:
            _relabel(child, origin)
    return node


def copy_tree(node: Node) -> Node:
    """A deep copy (overrides never modify the tree a loaded scenario keeps)."""
    if node.is_map:
        value: Any = {k: copy_tree(v) for k, v in node.value.items()}
    elif node.is_seq:
        value = [copy_tree(v) for v in node.value]
    else:
        value = node.value
    return Node(value, node.line, node.raw, dict(node.key_lines), node.origin)
