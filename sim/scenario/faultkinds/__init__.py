"""The simulator's fault kinds, one unit each (`FaultKind`: YAML `kind`, scenario fields, the check that builds the
frozen `Fault`, and what it does to the running model), and the registry both the scenario loader and the fault
injector (`sim.faults`) dispatch through.

A new kind: a `FaultKind` subclass in the module of its family (or a new module here), its frozen `Fault` class in
`sim.scenario.model`, and one line in `KINDS` below.
"""

from __future__ import annotations

from sim.scenario.faultkinds.base import FaultBuild, FaultKind, Injection, Undo
from sim.scenario.faultkinds.network import LinkDegradedKind, LinkDownKind, PartitionKind
from sim.scenario.faultkinds.participants import ParticipantDownKind, ParticipantMisbehavingKind, ParticipantSlowKind
from sim.scenario.faultkinds.services import CaDownKind, EsiaDownKind
from sim.scenario.faultkinds.sites import BusNodeCrashKind, DataCentreLossKind

KINDS: dict[str, FaultKind] = {kind.name: kind for kind in (
    DataCentreLossKind(), LinkDownKind(), LinkDegradedKind(), PartitionKind(), BusNodeCrashKind(),
    ParticipantDownKind(), ParticipantSlowKind(), ParticipantMisbehavingKind(), EsiaDownKind(), CaDownKind())}
"""Every fault kind by its YAML spelling, in the order `smev-sim validate --explain` lists them."""

__all__ = ["KINDS", "FaultBuild", "FaultKind", "Injection", "Undo"]
