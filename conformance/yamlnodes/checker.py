"""A small declarative checker over `Node`s that reports every problem of a file at once.

Hand-written files (suites, participant files, negative catalogues, registries) read `FILE:LINE: path: what is
wrong`, name the key that was meant when a key is misspelt ("did you mean"), and list every problem in one go rather
than the first. The simulator's scenario schema (`sim.scenario.fields.Context`) is a `Checker` too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from conformance.yamlnodes.problems import Problem, SchemaErrors, did_you_mean
from conformance.yamlnodes.quantities import UnitError, parse_duration
from conformance.yamlnodes.tree import Node, join


class Checker:
    """Collects problems about one file; `raise_if_any()` turns them into one `SchemaErrors`."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, path: str, message: str, line: int | None = None) -> None:
        """Record a problem about `node` at `path` (its line unless `line` is given; a value that did not come
        from the file says where it came from)."""
        if line is None and node is not None:
            line = node.line
        if line is None:
            message = f"{message} (value from {node.origin if node is not None and node.origin else 'a default'})"
        self.problems.append(Problem(self.source, line, path, message))

    def error(self, node: Node, message: str, *, line: int | None = None) -> None:
        """Record a problem at `node`'s own path."""
        self.problem(node, node.path, message, line)

    def raise_if_any(self, error: type[SchemaErrors] = SchemaErrors, **extra: Any) -> None:
        if self.problems:
            raise error(self.problems, **extra)

    # Typed accessors: each reports a problem and returns None when the value is missing or of the wrong kind.

    def mapping(self, node: Node | None, *, required: Iterable[str] = (), optional: Iterable[str] = (),
                what: str = "mapping") -> dict[str, Node] | None:
        if node is None:
            return None
        if not isinstance(node.value, dict):
            self.error(node, f"expected a {what}, got {describe(node)}")
            return None
        required = tuple(required)
        self.unknown_keys(node, set(required) | set(optional))
        for key in required:
            if key not in node.value:
                self.problem(node, join(node.path, key), "missing required field")
        return node.value

    def unknown_keys(self, node: Node, allowed: Iterable[str], path: str | None = None, *,
                     hint: Callable[[str], str | None] | None = None) -> None:
        """A problem for each key of the mapping `node` not in `allowed`, at the key's line, with a suggestion
        (`hint(key)` when it has one, else the closest allowed key)."""
        allowed = sorted(allowed)
        for key, child in node.value.items():
            if key not in allowed:
                special = hint(key) if hint is not None else None
                hint_text = special if special is not None else did_you_mean(key, allowed)
                self.problem(child, join(node.path if path is None else path, key),
                             f"unknown field{hint_text}; expected one of {', '.join(allowed)}", node.key_lines.get(key))

    def string(self, node: Node | None, *, choices: Iterable[str] | None = None, pattern: str | None = None,
               what: str = "string") -> str | None:
        if node is None:
            return None
        value = node.value
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(node, f"expected a {what}, got {describe(node)}")
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
            self.error(node, f"expected true or false, got {describe(node)}")
            return None
        return node.value

    def integer(self, node: Node | None, *, minimum: int | None = None) -> int | None:
        if node is None:
            return None
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            self.error(node, f"expected a whole number, got {describe(node)}")
            return None
        if minimum is not None and node.value < minimum:
            self.error(node, f"must be at least {minimum}, got {node.value}")
            return None
        return node.value

    def duration(self, node: Node | None) -> float | None:
        if node is None:
            return None
        try:
            seconds = parse_duration(node.value)
        except UnitError as exc:
            self.error(node, str(exc))
            return None
        if seconds < 0:
            self.error(node, f"must not be negative, got {describe(node)}")
            return None
        return seconds

    def sequence(self, node: Node | None, *, non_empty: bool = False, what: str = "list") -> list[Node] | None:
        if node is None:
            return None
        if not isinstance(node.value, list):
            self.error(node, f"expected a {what}, got {describe(node)}")
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
            self.error(node, f"a {what} is a mapping with one key ({', '.join(kinds)}), got {describe(node)}")
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


def describe(node: Node) -> str:
    """What a value is, as written, for "expected X, got Y"."""
    if node.is_map:
        return "a mapping"
    if node.is_seq:
        return "a list"
    if node.value is None:
        return "nothing"
    if isinstance(node.value, bool):
        return f"{node.raw or node.value!r} (a boolean)"
    return repr(node.raw if node.raw is not None else node.value)
