"""Name resolution while loading: which data centres, regions, participants, types, flows and profiles exist,
and a reference check that reports an unknown name with a "did you mean"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conformance.yamlnodes.problems import did_you_mean
from conformance.yamlnodes.tree import Node
from sim.scenario.fields import INVALID, Context
from sim.scenario.model import PORTAL, MessageType, ParticipantGroup, Region

_MEMBER = re.compile(r"^(?P<group>.+?)-(?:(?P<code>\d{2,3})-)?(?P<index>\d{3,})$")


@dataclass
class Names:
    data_centres: dict[str, object] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    groups: dict[str, ParticipantGroup] = field(default_factory=dict)
    message_types: dict[str, MessageType] = field(default_factory=dict)
    flows: set[str] = field(default_factory=set)
    profiles: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)  # declared, but unusable: a problem is already recorded

    def participant_group(self, name: str) -> ParticipantGroup | None:
        """The group a participant or group name belongs to (generated member names included), or None."""
        group = self.groups.get(name)
        if group is not None:
            return group
        match = _MEMBER.match(name)
        if not match:
            return None
        group = self.groups.get(match.group("group"))
        if group is None or group.single:
            return None
        index = int(match.group("index"))
        if group.per_region:
            code = match.group("code")
            codes = {r.code for r in group.regions}
            return group if code is not None and int(code) in codes and 1 <= index <= group.count else None
        return group if match.group("code") is None and 1 <= index <= group.count else None


class Resolver:
    """Checks references against `Names`, recording a problem for each unknown one."""

    def __init__(self, ctx: Context, names: Names):
        self.ctx = ctx
        self.names = names

    def _check(self, value: object, known: dict | set, what: str, node: Node | None, path: str) -> bool:
        if value is INVALID or value is None:
            return False
        if value in known:
            return True
        if value in self.names.broken:
            return False
        hint = did_you_mean(str(value), known)
        listing = f"; known: {', '.join(sorted(known)[:12])}{'...' if len(known) > 12 else ''}" if known and not hint else ""
        self.ctx.problem(node, path, f"unknown {what} {value!r}{hint}{listing}")
        return False

    def data_centre(self, value: object, node: Node | None, path: str) -> bool:
        return self._check(value, self.names.data_centres, "data centre", node, path)

    def network_node(self, value: object, node: Node | None, path: str) -> bool:
        known = {**self.names.data_centres, **self.names.regions}
        return self._check(value, known, "data centre or region", node, path)

    def region(self, value: object, node: Node | None, path: str) -> bool:
        return self._check(value, self.names.regions, "region", node, path)

    def message_type(self, value: object, node: Node | None, path: str) -> bool:
        return self._check(value, self.names.message_types, "message type", node, path)

    def profile(self, value: object, node: Node | None, path: str) -> bool:
        return self._check(value, self.names.profiles, "profile", node, path)

    def participant(self, value: object, node: Node | None, path: str, *, portal: bool = False) -> bool:
        """A participant, group or generated member name (or `portal` when allowed)."""
        if value is INVALID or value is None:
            return False
        if portal and value == PORTAL:
            return True
        if self.names.participant_group(str(value)) is not None:
            return True
        if value in self.names.broken or any(str(value).startswith(b + "-") for b in self.names.broken):
            return False
        known = set(self.names.groups) | ({PORTAL} if portal else set())
        return self._check(value, known, "participant or group", node, path)
