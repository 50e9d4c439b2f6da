"""What a fault kind is: one unit with its YAML spelling, its scenario fields, the check that builds its frozen
`Fault`, and what it does to a running model (and how that is undone).

The unit sits in the scenario layer because the scenario language needs it (`smev-sim validate` checks each kind's
fields); it touches the running model only through the `Injection` that `sim.faults.FaultInjector` hands it, so it
imports nothing of `sim.model` or `sim.workload`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sim.scenario.fields import Context, Schema, Section
from sim.scenario.model import Fault, Topology
from sim.scenario.refs import Resolver

Undo = Callable[[], None]
"""Reverts what a fault did, at its end."""


class Injection(Protocol):
    """The running model as a fault kind sees it (`sim.faults.injector` implements it)."""

    model: Any
    """`sim.model.replication.Model`: its components (`smev`, `portal`, `esia`, `ca`, …) and lookups."""
    world: Any
    """The model's shared state: network, data centres, clock (`now`), detection time."""

    def topology_changed(self) -> None:
        """Paths and placements must be recomputed."""

    def later(self, delay: float, action: Callable[..., None], *args: Any) -> None:
        """Run `action(*args)` after `delay` simulated seconds."""

    def sampler(self, distribution: Any) -> Any:
        """A sampler of `distribution` drawing from the run's random stream."""

    def arrivals(self, rate: float, until: float | None, arrive: Callable[[], None]) -> None:
        """Poisson arrivals at `rate` per second from now until `until` (None: the end of the run), each calling
        `arrive()`."""


@dataclass(frozen=True)
class FaultBuild:
    """What building one fault of a scenario reads: its name, window, own fields and the scenario's references."""

    name: str
    start: float
    end: float | None
    own: Section
    ctx: Context
    refs: Resolver
    topology: Topology

    def error(self, key: str, message: str) -> None:
        """A problem with the field `key` (at its line, or the fault's when it is not written)."""
        self.ctx.problem(self.own.nodes.get(key) or self.own.node, self.own.at(key), message)


class FaultKind:
    """A fault kind. Subclasses set `fault` (the frozen model class, whose `kind` is the YAML spelling) and
    `fields` (the scenario fields besides `kind`, `at`, `duration`), and define `build` and `start`."""

    fault: ClassVar[type[Fault]]
    fields: ClassVar[Schema] = {}

    @property
    def name(self) -> str:
        """The YAML `kind:` of this fault."""
        return self.fault.kind

    def build(self, b: FaultBuild) -> Fault | None:
        """The fault, or None after recording each problem with `b.error` / `b.refs`."""
        raise NotImplementedError

    def start(self, at: Injection, fault: Any) -> Undo | None:
        """Apply `fault` to the running model; return what undoes it (None: nothing to undo)."""
        raise NotImplementedError
