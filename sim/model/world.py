"""The shared state of one replication: kernel, collector, network, data centres, policies, ids, audit, counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np

from sim.engine import Kernel
from sim.metrics.collector import Collector
from sim.model.audit import Audit
from sim.model.network import Network


@dataclass
class DataCentreState:
    name: str
    up: bool = True
    down_since: float = -1.0


@dataclass
class World:
    kernel: Kernel
    collector: Collector
    network: Network
    policies: Any  # sim.scenario.model.Policies
    audit: Audit
    data_centres: dict[str, DataCentreState]
    detection: float
    factory: Any = None  # sim.model.factory.MessageFactory, set once the buses and types exist
    counters: dict[str, int] = field(default_factory=dict)
    _next_id: int = 0

    @property
    def rng(self) -> np.random.Generator:
        return self.kernel.rng

    now = property(attrgetter("kernel.now"), doc="The simulated time (a C-level getter: read everywhere).")

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def dc_up(self, name: str) -> bool:
        state = self.data_centres.get(name)
        return state is None or state.up

    def dc_known_down(self, name: str) -> bool:
        """Down long enough that clients have noticed and stopped using it (the failover detection time)."""
        state = self.data_centres.get(name)
        return state is not None and not state.up and self.now >= state.down_since + self.detection
