"""A stand for the reference participant's tests: the bus double with signatures on, on a free local port."""

from __future__ import annotations

import time
from dataclasses import dataclass

from conformance.bus.server import RunningBus, start
from conformance.bus.service import Bus, BusConfig
from conformance.bus.store import Exchange
from conformance.protocol.reader import ParsedMessage, parse
from conformance.reference.bus_setup import reference_credentials, reference_types
from conformance.reference.common import Settings
from conformance.reference.variants import REFERENCE, Variant

QUICK = {"backoff": 0.05, "max_backoff": 0.2, "attempts": 2, "poll_interval": 0.02}
"""Participant settings that keep the tests fast (short backoff, two tries)."""


class ShiftedClock:
    """The real time plus an offset a test moves (to pass an ack timeout without waiting)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Stand:
    bus: Bus
    running: RunningBus
    clock: ShiftedClock

    @property
    def url(self) -> str:
        return self.running.url

    def settings(self, variant: Variant = REFERENCE, **changes: object) -> Settings:
        return Settings(bus_url=self.url, variant=variant, **{**QUICK, **changes})  # type: ignore[arg-type]

    def exchanges(self, rpc: str | None = None, caller: str | None = None) -> list[Exchange]:
        return self.bus.store.exchanges(rpc=rpc, caller=caller)

    def sent(self, exchange: Exchange) -> ParsedMessage:
        """The participant's call as the bus received it."""
        return parse(exchange.request_body)

    def answered(self, exchange: Exchange) -> ParsedMessage:
        """The bus's answer to that call."""
        return parse(exchange.response_body)

    def close(self) -> None:
        self.running.close()


def make_stand(provider: Variant = REFERENCE, consumer: Variant = REFERENCE, ack_timeout: float = 30.0) -> Stand:
    clock = ShiftedClock()
    bus = Bus(reference_types(), config=BusConfig(ack_timeout=ack_timeout),
              credentials=reference_credentials(provider, consumer), clock=clock)
    return Stand(bus, start(bus), clock)
