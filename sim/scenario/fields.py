"""Reading a YAML mapping against a table of fields, collecting every problem with its line.

A schema is `dict[field name, Field]`. A `Field` has a converter (`Node -> value`, raising `Invalid` or
`UnitError` with a message), a default written as YAML text (parsed by the same converter, so defaults are
validated and `smev-sim validate --explain` can show them as written) or `REQUIRED`, and a one-line doc.
`Context.section` reads a node against a schema: missing required fields, unknown fields (with "did you mean"),
wrong types and bad values become problems `FILE:LINE: path.to.field: what is wrong`, and reading goes on.

Every quantity has a sane upper bound (`LIMITS`, `MAX_COUNT`, `MAX_RUN_DURATION_S`): a value beyond it cannot be
simulated (a `rate: 1e308/s` or a `duration: 100000000000000d` would only grow memory until the machine gives up),
so it is refused with its line, like any other bad value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from conformance.yamlnodes import quantities as units
from conformance.yamlnodes.checker import Checker, describe
from conformance.yamlnodes.problems import did_you_mean
from conformance.yamlnodes.quantities import UnitError
from conformance.yamlnodes.tree import Node
from sim.scenario.distributions import Distribution, parse_distribution

LIMITS: dict[str, tuple[float, str]] = {
    "duration": (10 * 365 * 86400.0, "10 years"),
    "rate": (1e7, "10,000,000/s"),
    "size": (float(2**40), "1 TiB"),
    "bandwidth": (1e13, "10 TB/s"),
}
"""The largest value of each kind of quantity (in SI units: s, 1/s, bytes, bytes/s), and how it is written."""
MAX_COUNT = 10_000_000
"""The largest count (workers, nodes, members, replications...) unless a field says otherwise."""
MAX_RUN_DURATION_S = 366 * 86400.0
MAX_REPLICATIONS = 1000
"""Replications of one scenario point (and the cap of the precision loop): 1,000 independent runs narrow an interval
~10x below 10 runs; beyond it a longer run, not more of them, is the cheaper answer."""
"""The longest simulated run: a year (a longer question is a different model)."""
MAX_FACTOR = 1e6
"""The largest multiplier (traffic scale, profile factor, slowdown)."""


class Invalid(ValueError):
    """A value that breaks its field's rule; the message says what is wrong."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
INVALID: Any = type("InvalidValue", (), {"__repr__": lambda self: "INVALID", "__bool__": lambda self: False})()
"""Stands for a value that failed to read (a problem is already recorded); falsy."""

Converter = Callable[[Node], Any]


@dataclass(frozen=True)
class Field:
    conv: Converter
    default: Any = REQUIRED
    doc: str = ""


Schema = dict[str, Field]


class Section:
    """The values read from one mapping, with access to each field's node (for reference checks)."""

    def __init__(self, path: str, node: Node | None):
        self.path = path
        self.node = node
        self.values: dict[str, Any] = {}
        self.nodes: dict[str, Node | None] = {}

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def given(self, key: str) -> bool:
        """Written in the file (or an override) with a value other than null."""
        node = self.nodes.get(key)
        return node is not None and node.value is not None

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    @property
    def ok(self) -> bool:
        return all(v is not INVALID for v in self.values.values())


class Context(Checker):
    """Collects problems for one scenario source (`problem(node, path, message)`; `Checker` does the rest)."""

    def entries(self, node: Node | None, path: str, *, required: bool = True) -> dict[str, Node]:
        """The node's entries, or {} after recording a problem when it is not a mapping."""
        if node is None or node.value is None:
            if required and node is not None:
                self.problem(node, path, "must not be empty")
            return {}
        if not node.is_map:
            self.problem(node, path, f"expected a mapping of names to settings, got {describe(node)}")
            return {}
        return node.value

    def convert(self, node: Node, path: str, conv: Converter) -> Any:
        try:
            return conv(node)
        except (Invalid, UnitError) as exc:
            self.problem(node, path, str(exc))
            return INVALID

    def section(self, node: Node | None, path: str, schema: Schema, *, extra: Iterable[str] = ()) -> Section:
        """Read `node` (a mapping, or None for "absent") against `schema`. Keys in `extra` are left to the caller."""
        result = Section(path, node)
        entries: dict[str, Node] = {}
        if node is not None and node.value is not None:
            if node.is_map:
                entries = node.value
                self.unknown_keys(node, set(schema) | set(extra), path, hint=_unquoted_distribution)
            else:
                self.problem(node, path or "scenario", f"expected a mapping, got {describe(node)}")
        for key, spec in schema.items():
            child = entries.get(key)
            result.nodes[key] = child
            if child is None:
                if spec.default is REQUIRED:
                    self.problem(node, result.at(key), "missing required field",
                                 line=node.line if node is not None else None)
                    result.values[key] = INVALID
                else:
                    result.values[key] = default_value(spec)
            elif child.value is None:
                if spec.default is None:
                    result.values[key] = None
                else:
                    self.problem(child, result.at(key), "must not be empty" + (
                        f" (leave the field out for the default {spec.default!r})" if spec.default is not REQUIRED else ""))
                    result.values[key] = INVALID
            else:
                result.values[key] = self.convert(child, result.at(key), spec.conv)
        return result


def default_value(spec: Field) -> Any:
    if spec.default is None:
        return None
    return spec.conv(Node(spec.default, None, raw=str(spec.default), origin="the default"))


def _unquoted_distribution(key: str) -> str | None:
    if ")" in key:
        return " (a distribution with a comma inside {...} must be quoted: \"lognormal(median=1s, sigma=1)\")"
    return None


# --- leaf converters ---------------------------------------------------------------------------------------------

def _scalar(node: Node, what: str) -> Any:
    if node.is_map or node.is_seq:
        raise Invalid(f"expected {what}, got {describe(node)}")
    return node.value


def _beyond(node: Node, value: object, limit: str) -> Invalid:
    return Invalid(f"{node.raw or value!r} is beyond the largest value that can be simulated ({limit})")


def _quantity(parser: Callable[[object], Any], what: str, kind: str | None = None) -> Converter:
    limit, limit_text = LIMITS[kind] if kind is not None else (float("inf"), "")

    def conv(node: Node) -> Any:
        value = _scalar(node, what)
        if isinstance(value, bool):
            raise Invalid(f"expected {what}, got {describe(node)}")
        result = parser(value)
        if result != result:
            raise Invalid(f"expected {what}, got {node.raw or value!r}")
        if result < 0:
            raise Invalid(f"must not be negative, got {node.raw or value!r}")
        if result > limit:
            raise _beyond(node, value, limit_text)
        return result

    return conv


duration = _quantity(units.parse_duration, "a duration such as '150ms'", "duration")
rate = _quantity(units.parse_rate, "a rate such as '2/s'", "rate")
size = _quantity(units.parse_size, "a size such as '64KiB'", "size")
bandwidth = _quantity(units.parse_bandwidth, "a bandwidth such as '100Mbit/s'", "bandwidth")
share = _quantity(units.parse_share, "a share such as '99.9%'")


AUTO = "auto"


def or_auto(conv: Converter) -> Converter:
    """`conv`, or the word `auto` (left to the simulator to find, e.g. the warm-up by MSER-5)."""
    def check(node: Node) -> Any:
        if isinstance(node.value, str) and node.value.strip().lower() == AUTO:
            return AUTO
        return conv(node)

    return check


def at_most(conv: Converter, limit: float, limit_text: str) -> Converter:
    """`conv`, refusing values above `limit` (e.g. the run's duration, `MAX_RUN_DURATION_S`)."""
    def check(node: Node) -> Any:
        value = conv(node)
        if value > limit:
            raise _beyond(node, node.value, limit_text)
        return value

    return check


def positive(conv: Converter) -> Converter:
    def check(node: Node) -> Any:
        value = conv(node)
        if value <= 0:
            raise Invalid(f"must be greater than zero, got {node.raw or node.value!r}")
        return value

    return check


def integer(minimum: int = 0, maximum: int | None = MAX_COUNT) -> Converter:
    def conv(node: Node) -> int:
        value = _scalar(node, "a whole number")
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise Invalid(f"expected a whole number, got {describe(node)}")
        if value < minimum:
            raise Invalid(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise Invalid(f"must be at most {maximum:_}, got {value:_}".replace("_", " "))
        return value

    return conv


def number(minimum: float | None = 0.0, *, strictly: bool = False, maximum: float = MAX_FACTOR) -> Converter:
    def conv(node: Node) -> float:
        value = _scalar(node, "a number")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, str):
                value = units.parse_number(value)
            else:
                raise Invalid(f"expected a number, got {describe(node)}")
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise Invalid("expected a finite number")
        if minimum is not None and (value < minimum or strictly and value == minimum):
            raise Invalid(f"must be {'greater than' if strictly else 'at least'} {minimum:g}, got {value:g}")
        if value > maximum:
            raise Invalid(f"must be at most {maximum:g}, got {value:g}")
        return value

    return conv


def nested(node: Node) -> Node:
    """A section or collection read by its own builder: the node itself."""
    return node


def boolean(node: Node) -> bool:
    value = _scalar(node, "true or false")
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {describe(node)}")
    return value


def text(node: Node) -> str:
    value = _scalar(node, "text")
    if isinstance(value, bool) or value is None:
        raise Invalid(f"expected text, got {describe(node)}")
    return str(node.raw if node.raw is not None and not isinstance(value, str) else value)


NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def name(node: Node) -> str:
    value = text(node)
    if not NAME.fullmatch(value):
        raise Invalid(f"{value!r} is not a name (letters, digits, '-' and '_', starting with a letter or digit)")
    return value


def choice(*options: str) -> Converter:
    def conv(node: Node) -> str:
        value = text(node)
        if value not in options:
            raise Invalid(f"{value!r} is not one of {', '.join(options)}{did_you_mean(value, options)}")
        return value

    return conv


def names(node: Node) -> tuple[str, ...]:
    """A list of names, or a single name."""
    if node.is_seq:
        result = []
        for item in node.value:
            result.append(name(item))
        return tuple(result)
    return (name(node),)


def distribution(kind: str) -> Converter:
    parsers = {"duration": units.parse_duration, "size": units.parse_size}
    parse_value = parsers[kind]
    limit, limit_text = LIMITS[kind]
    example = "exp(150ms)" if kind == "duration" else "lognormal(median=16KiB, sigma=1)"

    def conv(node: Node) -> Distribution:
        value = _scalar(node, f"a {kind} distribution such as {example!r}")
        if isinstance(value, bool):
            raise Invalid(f"expected a {kind} distribution such as {example!r}, got {describe(node)}")
        dist = parse_distribution(value, parse_value, kind)
        mean = float(dist.mean)
        if not mean == mean or mean > limit:
            raise Invalid(f"{value!r}: its mean is beyond the largest {kind} that can be simulated ({limit_text})")
        return dist

    return conv


_TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d{2})")


def parse_time_of_day(value: str) -> float:
    """Seconds after midnight from 'HH:MM' (00:00 to 23:59)."""
    match = _TIME_OF_DAY.fullmatch(value.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise Invalid(f"expected a time of day 'HH:MM' between 00:00 and 23:59, got {value!r}")
    return int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0


def time_of_day(node: Node) -> float:
    _scalar(node, "a time of day 'HH:MM'")
    return parse_time_of_day(str(node.raw if node.raw is not None else node.value))
