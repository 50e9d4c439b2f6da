"""The certification authority's CRL/OCSP service and the bus's CRL cache.

A bus site can verify a signature only with a CRL that is still valid. On a miss it fetches one from the CA (network
there and back plus the CA's response time); messages arriving meanwhile wait for that one fetch. With the CA down
or unreachable and the cache expired, verification is impossible: the bus answers SMEVFailure and the sender retries.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.engine import Sampler, ServiceCentre
from sim.model.world import World


class CertificationAuthority(ServiceCentre):
    """The CA's CRL service: a delay station (every fetch served at once, for the response time plus the network
    there and back), measured as the station `ca`."""

    kind = "ca"

    def __init__(self, world: World, location: str, response_time: Sampler, cache_lifetime: float) -> None:
        super().__init__(world.kernel, "ca", None, world.collector.station("ca", None, self.kind))
        self.world = world
        self.location = location
        self.response_time = response_time
        self.cache_lifetime = cache_lifetime
        self.forced_down = False

    @property
    def up(self) -> bool:
        return not self.forced_down and self.world.dc_up(self.location)


class CrlCache:
    """One bus site's cached CRL."""

    def __init__(self, world: World, ca: CertificationAuthority, location: str) -> None:
        self.world = world
        self.ca = ca
        self.location = location
        self.valid_until = -1.0
        self._waiting: list[Callable[[bool], None]] | None = None

    def check(self, then: Callable[[bool], None]) -> None:
        """Call `then(True)` once a valid CRL is at hand, `then(False)` if none can be had now."""
        world = self.world
        if world.now < self.valid_until:
            then(True)
            return
        if self._waiting is not None:
            self._waiting.append(then)
            return
        net = world.network
        there = net.transfer(self.location, self.ca.location, 512) if self.ca.up else None
        if there is None:
            world.count("crl.unavailable")
            then(False)
            return
        self._waiting = [then]
        world.count("crl.fetches")
        back = net.transfer(self.ca.location, self.location, 64 * 1024)
        delay = there + self.ca.response_time() + (back if back is not None else 0.0)
        self.ca.meter.enter(world.now)
        world.kernel.later(delay, self._fetched, back is not None and self.ca.up, world.now)

    def _fetched(self, ok: bool, asked: float) -> None:
        self.ca.meter.finish(self.world.now, asked)
        waiting, self._waiting = self._waiting or [], None
        if ok:
            self.valid_until = self.world.now + self.ca.cache_lifetime
        for then in waiting:
            then(ok)
