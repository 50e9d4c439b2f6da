"""Setting a dotted path (`topology.bus.node_concurrency`) in a scenario's YAML tree: the edit behind overrides
(`smev-sim run --set`, `sim.scenario.with_overrides`) and sweeps. Pure tree editing: validation is the loader's."""

from __future__ import annotations

from conformance.yamlnodes.problems import did_you_mean
from conformance.yamlnodes.tree import Node, join

COLLECTIONS = frozenset({"data_centres", "regions", "participants", "message_types", "profiles", "flows", "services",
                         "bursts", "quotas", "tariffs", "faults", "slos"})
"""Mappings from names to settings: an override may change an entry, never invent one (a typo would add a data centre)."""


def set_path(tree: Node, path: str, value: Node) -> str | None:
    """Set `a.b.c` (mapping keys; a number indexes a list) in place; an error text or None.

    Missing sections are created (`topology.bus.node_concurrency` works when the file has no `bus:`), but a missing
    entry of a named collection is an error."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        return "not a dotted path such as topology.bus.node_concurrency"
    node = tree
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if node.is_map:
            if last:
                node.value[part] = value
                node.key_lines.setdefault(part, None)
                return None
            child = node.value.get(part)
            if child is None and depth > 0 and parts[depth - 1] in COLLECTIONS:
                where = ".".join(parts[:depth])
                return f"{where} has no entry {part!r}{did_you_mean(part, node.value)}"
            if child is None or child.value is None:
                child = Node({}, None, join(node.path, part), origin="an override")
                node.value[part] = child
                node.key_lines.setdefault(part, None)
            node = child
        elif node.is_seq:
            if not part.isdigit() or int(part) >= len(node.value):
                return f"{'.'.join(parts[:depth]) or 'the document'} is a list of {len(node.value)}; {part!r} is no index"
            if last:
                node.value[int(part)] = value
                return None
            node = node.value[int(part)]
        else:
            return f"{'.'.join(parts[:depth])} is a single value, it has no {part!r}"
    return None
