"""The one line-aware YAML loader of the project, on the ground floor: the simulator's scenarios and the harness's
suites, participant files, negative catalogues and registries all read through it.

- `tree`: YAML text -> `Node`s that keep their line and dotted path; safe subset only; bounded (`limits`).
- `problems`: `Problem` (`FILE:LINE: path.to.field: what is wrong`), `SchemaErrors` (the one error, listing every
  problem of a file; an `InputError`, exit 2) and `did_you_mean`.
- `quantities`: the one parser (and formatter) of durations, rates, sizes, bandwidths and shares.
- `checker`: `Checker`, typed accessors that collect every problem of a file.

It imports only `conformance.errors`, so that both halves can use it without importing any upper floor.
"""

from conformance.yamlnodes.checker import Checker, describe
from conformance.yamlnodes.limits import MAX_BYTES, MAX_DEPTH, MAX_NODES
from conformance.yamlnodes.problems import Problem, SchemaErrors, did_you_mean
from conformance.yamlnodes.quantities import UnitError, format_duration, format_rate, parse_duration, parse_rate
from conformance.yamlnodes.tree import Node, compose_text, copy_tree, join, load_yaml, node_from_value, read_text

__all__ = [
    "Checker", "describe", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "Problem", "SchemaErrors", "did_you_mean",
    "UnitError", "format_duration", "format_rate", "parse_duration", "parse_rate", "Node", "compose_text",
    "copy_tree", "join", "load_yaml", "node_from_value", "read_text",
]
