"""Locations (data centres and regions) and the links between them.

A transfer from one location to another follows the path of least mean latency over links that are up; its time
is the sum of each hop's latency draw, plus one retransmission timeout per lost attempt (attempts fail independently
with the path's loss probability), plus its bits at the bandwidth it gets. Links are shared by the transfers on them
(`sim.model.flows`: max-min fair, processor sharing on one link): `send` enters a transfer into the sharing and
calls back when it has arrived. A transfer whose time alone on its path is negligible (`is_small`: under 1 % of the
path's latency, or a microsecond) is not entered, to spare an event per poll and reply: it takes the share a new
transfer would get at its start (`transfer`, which returns the time). `send` and `transfer` fail (False, None) when no
path exists (link down, partition): the caller learns it only after the failure-detection time, as a real client
would. A transfer keeps the path it started on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine import Kernel, Sampler, ServiceCentre
from sim.model.flows import Sharing

LOCAL_LATENCY_S = 0.0002
"""Latency between two systems in the same location (one LAN hop)."""
MIN_RTO_S = 0.2
"""TCP's minimum retransmission timeout."""
SMALL_SHARE = 0.01
"""A transfer whose time alone on its path is under this share of the path's mean latency does not enter the
sharing (see the module docstring)."""
_UNSET = object()
SMALL_FLOOR_S = 1e-6
"""... nor one under a microsecond alone."""


@dataclass
class Link:
    a: str
    b: str
    latency: Sampler
    bandwidth_bps: float
    loss: float
    up: bool = True
    latency_factor: float = 1.0
    bandwidth_factor: float = 1.0
    extra_loss: float = 0.0
    extra_latency: Sampler | None = None  # a degradation's added latency
    loss_override: float | None = None
    flows: int = 0  # transfers in the sharing on this link now (sim.model.flows)
    background_bps: float = 0.0  # the background's mean rate on it (run.tagged_share < 1), taken off its bandwidth
    centre: ServiceCentre | None = None  # the link as a service centre (processor sharing), when it is measured

    @property
    def mean_latency(self) -> float:
        return self.latency.mean * self.latency_factor

    def effective_loss(self) -> float:
        base = self.loss if self.loss_override is None else self.loss_override
        return min(base + self.extra_loss, 0.99)

    def effective_bandwidth(self) -> float:
        """What the transfers simulated one by one share: the bandwidth (times a degradation's factor) less the
        background's mean rate. For processor sharing that keeps a transfer's mean time exact: x / (C (1 - rho))
        whether the load rho is simulated or taken off C. An overloading background leaves 1 % of the bandwidth."""
        full = self.bandwidth_bps * self.bandwidth_factor
        if self.background_bps:
            return max(full - self.background_bps, 0.01 * full)
        return full


@dataclass
class Network:
    """`locations` are the network's nodes; only `transit` ones (the data centres) relay traffic between others: a
    region is a leaf, its uplinks never carry traffic between two data centres."""

    locations: list[str]
    rng: np.random.Generator
    transit: frozenset[str] = frozenset()
    links: dict[frozenset, Link] = field(default_factory=dict)
    cut: set[frozenset] = field(default_factory=set)  # location pairs a partition separates
    _paths: dict[tuple[str, str], list[Link] | None] = field(default_factory=dict)
    _routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    kernel: Kernel | None = None  # needed by `send` (the sharing's events)
    sharing: Sharing | None = None

    def __post_init__(self) -> None:
        if self.kernel is not None and self.sharing is None:
            self.sharing = Sharing(self.kernel)

    def add_link(self, a: str, b: str, latency: Any, bandwidth_bps: float, loss: float) -> None:
        self.links[frozenset((a, b))] = Link(a, b, Sampler(latency, self.rng), bandwidth_bps, loss)
        self._paths.clear()
        self._routes.clear()

    def link(self, a: str, b: str) -> Link | None:
        return self.links.get(frozenset((a, b)))

    def changed(self) -> None:
        """Call after any link state change or partition: paths are recomputed lazily, the shares at once."""
        self._paths.clear()
        self._routes.clear()
        if self.sharing is not None:
            self.sharing.changed()

    def partition(self, side: set[str], other: set[str] | None = None) -> list[frozenset]:
        """Cut every pair (x in side, y in other or the rest). Returns the pairs cut, for `heal`."""
        other = other if other is not None else set(self.locations) - side
        pairs = [frozenset((x, y)) for x, y in itertools.product(side, other) if x != y]
        self.cut.update(pairs)
        self.changed()
        return pairs

    def heal(self, pairs: list[frozenset]) -> None:
        self.cut.difference_update(pairs)
        self.changed()

    def reachable(self, a: str, b: str) -> bool:
        return a == b or self.path(a, b) is not None

    def path(self, a: str, b: str) -> list[Link] | None:
        key = (a, b)
        if key not in self._paths:
            self._paths[key] = self._shortest(a, b)
        return self._paths[key]

    def _shortest(self, a: str, b: str) -> list[Link] | None:
        if frozenset((a, b)) in self.cut:
            return None
        # Dijkstra over up links; a partition also stops relaying through the other side.
        # Ties break by a fixed node order, the same in every process (string hashes are salted): the first of the
        # locations, then a, then b. Only nodes reached so far are candidates (the rest are at infinity).
        rank = {node: i for i, node in enumerate(dict.fromkeys([*self.locations, a, b]))}
        dist = {a: 0.0}
        prev: dict[str, Link] = {}
        frontier = {a: (0.0, rank[a])}  # reached, not yet settled: (distance, rank)
        while frontier:
            here = min(frontier, key=frontier.__getitem__)
            del frontier[here]
            if here == b:
                break
            if here != a and here not in self.transit:
                continue
            for link in self.links.values():
                if not link.up or here not in (link.a, link.b):
                    continue
                there = link.b if link.a == here else link.a
                if frozenset((a, there)) in self.cut or frozenset((here, there)) in self.cut:
                    continue
                d = dist[here] + link.mean_latency
                if d < dist.get(there, math.inf):
                    dist[there] = d
                    prev[there] = link
                    if there in rank:  # latencies are >= 0: a settled node is never improved, so never re-queued
                        frontier[there] = (d, rank[there])
        if b not in prev:
            return None
        hops: list[Link] = []
        node = b
        while node != a:
            link = prev[node]
            hops.append(link)
            node = link.a if link.b == node else link.b
        hops.reverse()
        return hops

    def _route(self, a: str, b: str) -> tuple[list[Link], float, float] | None:
        """(the path, its narrowest bandwidth, the size in bits under which a transfer is small), cached like paths."""
        key = (a, b)
        route = self._routes.get(key, _UNSET)
        if route is _UNSET:
            hops = self.path(a, b)
            if hops is None:
                route = None
            else:
                narrowest = min(link.effective_bandwidth() for link in hops)
                mean = sum(link.mean_latency for link in hops)
                route = (hops, narrowest, max(SMALL_SHARE * mean, SMALL_FLOOR_S) * narrowest)
            self._routes[key] = route
        return route

    def _delay(self, hops: list[Link]) -> float:
        """Latency and retransmission timeouts of one transfer over `hops`."""
        latency = 0.0
        loss_ok = 1.0
        for link in hops:
            latency += link.latency() * link.latency_factor
            if link.extra_latency is not None:
                latency += link.extra_latency()
            loss_ok *= 1.0 - link.effective_loss()
        if loss_ok < 1.0:
            retransmissions = int(self.rng.geometric(loss_ok)) - 1
            if retransmissions:
                latency += retransmissions * max(MIN_RTO_S, 2.0 * latency)
        return latency

    def transfer(self, a: str, b: str, size: int) -> float | None:
        """Seconds to move `size` bytes from `a` to `b` at the share a new transfer gets now, without entering the
        sharing (for small transfers; see `send`), or None if `b` cannot be reached."""
        if a == b:
            return LOCAL_LATENCY_S
        route = self._route(a, b)
        if route is None:
            return None
        hops, narrowest, _ = route
        t = self._delay(hops)
        if size <= 0:
            return t
        sharing = self.sharing
        if sharing is not None and sharing.flows:
            narrowest = min(link.effective_bandwidth() / (link.flows + 1) for link in hops)
        return t + size * 8.0 / narrowest

    def send(self, a: str, b: str, size: int, fn: Callable[..., Any], *args: Any) -> bool:
        """Move `size` bytes from `a` to `b`, sharing the links with the other transfers, and call `fn(*args)` when
        they have arrived; False (nothing scheduled) if `b` cannot be reached."""
        kernel = self.kernel
        if a == b:
            kernel.later(LOCAL_LATENCY_S, fn, *args)
            return True
        route = self._route(a, b)
        if route is None:
            return False
        if self.sharing is None or size * 8.0 <= route[2]:
            kernel.later(self.transfer(a, b, size), fn, *args)
            return True
        self.sharing.start(route[0], size * 8.0, self._delay(route[0]), fn, args)
        return True

    def is_small(self, a: str, b: str, size: int) -> bool:
        """True if a transfer of `size` bytes from `a` to `b` does not enter the sharing (`transfer` times it):
        local, no path, no sharing, or under 1 % of the path's mean latency (or a microsecond) alone on it."""
        if a == b or self.sharing is None:
            return True
        route = self._route(a, b)
        return route is None or size * 8.0 <= route[2]
