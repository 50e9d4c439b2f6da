"""YAML read with the line of every value, and a small declarative checker that reports every problem at once.

Suites, participant files and negative catalogues are written by people, so their errors read
`FILE:LINE: path: what is wrong`, name the key that was meant when a key is misspelt ("did you mean"), and list every
problem in one go rather than the first.

Only the safe YAML subset is read (no tags that build objects). Aliases are refused: nothing in a suite needs them and
they are how a small file expands into a huge one.

It sits on the ground floor (it imports only `conformance.errors`) so that every reader of a hand-written YAML file
can use it without importing the floor that reads suites.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import InputError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 100_000


@dataclass(frozen=True)
class Node:
    """A YAML value with where it stands: `value` is a dict of str -> Node, a list of Node, or a plain scalar."""

    value: Any
    line: int
    path: str
    key_lines: dict[str, int] = field(default_factory=dict)

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def plain(self) -> Any:
        """The value without positions."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path or '(top)'}: {self.message}"


class SchemaErrors(InputError):
    """A YAML file that does not follow its schema; `problems` lists every problem, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.path))
        first = self.problems[0]
        super().__init__(first.message, path=first.file, line=first.line)
        self.args = ("\n".join(str(p) for p in self.problems),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def load_yaml(path: str | Path) -> Node:
    """Read and compose a YAML file into `Node`s. Unreadable or ill-formed YAML raises `InputError` with the line."""
    p = Path(path)
    source = str(p)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"file is larger than {MAX_FILE_BYTES} bytes", path=source)
        text = p.read_bytes().decode("utf-8")
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError("no such file", path=source) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a YAML file", path=source) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=source) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=source) from None
    return compose_text(text, source)


def compose_text(text: str, source: str) -> Node:
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"not valid YAML: {exc.problem or exc}", path=source, line=line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise InputError(f"not valid YAML: character {exc.character!r} is not allowed", path=source,
                         line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", path=source) from None
    finally:
        if loader is not None:
            loader.dispose()
    if root is None:
        raise InputError("the file is empty", path=source, line=1)
    return _convert(root, "", source, loader, set())


def _convert(node: yaml.Node, path: str, source: str, loader: yaml.SafeLoader, seen: set[int]) -> Node:
    line = node.start_mark.line + 1
    if id(node) in seen:  # the same composed node reached twice: an alias
        raise InputError("YAML anchors and aliases are not allowed here", path=source, line=line)
    seen.add(id(node))
    if len(seen) > MAX_NODES:
        raise InputError(f"more than {MAX_NODES} YAML values", path=source, line=line)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError("a mapping key must be a plain string", path=source, line=key_node.start_mark.line + 1)
            key = str(key_node.value)
            if key == "<<":
                raise InputError("YAML merge keys are not allowed here", path=source, line=key_node.start_mark.line + 1)
            if key in out:
                raise InputError(f"{_join(path, key)}: key appears twice (first at line {key_lines[key]})",
                                 path=source, line=key_node.start_mark.line + 1)
            key_lines[key] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, _join(path, key), source, loader, seen)
        return Node(out, line, path, key_lines)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, f"{path}[{i}]", source, loader, seen) for i, item in enumerate(node.value)],
                    line, path)
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: cannot read value: {exc}", path=source, line=line) from None
    return Node(value, line, path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# -- checking ---------------------------------------------------------------------------------------------------------


class Checker:
    """Collects problems about one file; `raise_if_any()` turns them into one `SchemaErrors`."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def error(self, node: Node, message: str, *, line: int | None = None) -> None:
        self.problems.append(Problem(self.source, line or node.line, node.path, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise SchemaErrors(self.problems)

    # Typed accessors: each reports a problem and returns None when the value is missing or of the wrong kind.

    def mapping(self, node: Node | None, *, required: Iterable[str] = (), optional: Iterable[str] = (),
                what: str = "mapping") -> dict[str, Node] | None:
        if node is None:
            return None
        if not isinstance(node.value, dict):
            self.error(node, f"expected a {what}, found {_kind(node.value)}")
            return None
        required = tuple(required)
        allowed = set(required) | set(optional)
        for key, child in node.value.items():
            if key not in allowed:
                self.error(child, f"unknown key {key!r}{did_you_mean(key, allowed)}",
                           line=node.key_lines.get(key, child.line))
        for key in required:
            if key not in node.value:
                self.error(node, f"missing required key {key!r}")
        return node.value

    def string(self, node: Node | None, *, choices: Iterable[str] | None = None, pattern: str | None = None,
               what: str = "string") -> str | None:
        if node is None:
            return None
        value = node.value
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(node, f"expected a {what}, found {_kind(value)}")
            return None
        text = str(value)
        if choices is not None:
            options = tuple(choices)
            if text not in options:
                self.error(node, f"{text!r} is not one of {', '.join(options)}{did_you_mean(text, options)}")
                return None
        if pattern is not None and not re.fullmatch(pattern, text):
            self.error(node, f"{text!r} is not a valid {what}")
            return None
        return text

    def boolean(self, node: Node | None) -> bool | None:
        if node is None:
            return None
        if not isinstance(node.value, bool):
            self.error(node, f"expected true or false, found {_kind(node.value)}")
            return None
        return node.value

    def integer(self, node: Node | None, *, minimum: int | None = None) -> int | None:
        if node is None:
            return None
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            self.error(node, f"expected an integer, found {_kind(node.value)}")
            return None
        if minimum is not None and node.value < minimum:
            self.error(node, f"must be at least {minimum}")
            return None
        return node.value

    def duration(self, node: Node | None) -> float | None:
        if node is None:
            return None
        try:
            return parse_duration(node.value)
        except ValueError as exc:
            self.error(node, str(exc))
            return None

    def sequence(self, node: Node | None, *, non_empty: bool = False, what: str = "list") -> list[Node] | None:
        if node is None:
            return None
        if not isinstance(node.value, list):
            self.error(node, f"expected a {what}, found {_kind(node.value)}")
            return None
        if non_empty and not node.value:
            self.error(node, f"the {what} is empty")
        return node.value

    def strings(self, node: Node | None, *, what: str = "list of strings") -> list[str] | None:
        items = self.sequence(node, what=what)
        if items is None:
            return None
        out = [self.string(item) for item in items]
        return [s for s in out if s is not None]

    def one_of_keys(self, node: Node, kinds: Iterable[str], *, what: str) -> tuple[str, Node] | None:
        """A mapping with exactly one key naming its kind (`- deliver: {...}`); returns (kind, body)."""
        kinds = tuple(kinds)
        if isinstance(node.value, str):
            self.error(node, f"a {what} is a mapping with one key ({', '.join(kinds)}); found the string "
                             f"{node.value!r}{did_you_mean(node.value, kinds)}")
            return None
        if not isinstance(node.value, dict) or not node.value:
            self.error(node, f"a {what} is a mapping with one key ({', '.join(kinds)}), found {_kind(node.value)}")
            return None
        known = [k for k in node.value if k in kinds]
        unknown = [k for k in node.value if k not in kinds]
        if not known:
            key = unknown[0]
            self.error(node, f"unknown {what} {key!r}{did_you_mean(key, kinds)} (one of {', '.join(kinds)})",
                       line=node.key_lines.get(key))
            return None
        if len(known) > 1 or unknown:
            self.error(node, f"a {what} has exactly one key, found {', '.join(repr(k) for k in node.value)}")
            return None
        return known[0], node.value[known[0]]


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """Seconds from `2s`, `500ms`, `1.5m`, `48h`, `2d` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 2s, 500ms or 48h, found a boolean")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as 2s, 500ms or 48h, found {_kind(value)}")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration (write 2s, 500ms, 1.5m, 48h or 2d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the string {value!r}"


