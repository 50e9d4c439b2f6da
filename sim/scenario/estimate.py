"""How long a scenario will take to simulate, before it runs: `smev-sim validate` warns about a long run with this.

Messages on the bus per second are taken from the static capacity check (`sim.scenario.capacity`: every flow at its
profile peak, so the figures are upper bounds); a share `tagged_share` of them is simulated message by message, the
rest as background jobs (about `BACKGROUND_JOBS_PER_MESSAGE` per message: its station visits). The speeds are
calibrated on this machine class (one core, the national working day): about `MESSAGES_PER_WALL_S` simulated
messages and `BACKGROUND_JOBS_PER_WALL_S` background jobs per second, `EVENTS_PER_MESSAGE` kernel events a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.capacity import peak_loads
from sim.scenario.model import Scenario

MESSAGES_PER_WALL_S = 2500.0
BACKGROUND_JOBS_PER_WALL_S = 400_000.0
BACKGROUND_JOBS_PER_MESSAGE = 2.0
EVENTS_PER_MESSAGE = 6.0
LONG_RUN_WALL_S = 3600.0
"""A replication estimated above this (an hour on one core) gets a warning."""


@dataclass(frozen=True)
class Estimate:
    messages: float  # simulated message by message, one replication (upper bound: flows at their peak)
    background_jobs: float
    events: float
    wall_s: float  # one replication on one core
    replications: int

    @property
    def long(self) -> bool:
        return self.wall_s > LONG_RUN_WALL_S


def estimate(scenario: Scenario) -> Estimate:
    """The work of one replication of `scenario`, at most (flows taken at their peak rate)."""
    bus = next(load for load in peak_loads(scenario) if load.component == "bus")
    ingress = scenario.topology.bus.ingress_time.mean
    per_s = bus.busy / ingress if ingress > 0 else 0.0  # bus messages per second at the peak, whole volume
    run = scenario.run
    total = per_s * run.duration
    messages = total * run.tagged_share
    jobs = (total - messages) * BACKGROUND_JOBS_PER_MESSAGE
    wall = messages / MESSAGES_PER_WALL_S + jobs / BACKGROUND_JOBS_PER_WALL_S
    return Estimate(messages, jobs, messages * EVENTS_PER_MESSAGE, wall, run.replications)
