"""Helpers of the bus tests: a small type table, payloads, a fake clock, a served bus and clients."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lxml import etree

from conformance.bus.client import BusClient
from conformance.bus.server import RunningBus, start
from conformance.bus.service import Bus, BusConfig
from conformance.bus.store import BusStore
from conformance.bus.types import TypeTable
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry.model import MessageTypeSpec, PayloadSpec

NS = "urn://x-artefacts-test/inn/1.0"
OTHER_NS = "urn://x-artefacts-test/snils/1.0"

TYPES = TypeTable([
    MessageTypeSpec("inn", PayloadSpec(NS, "InnRequest"), PayloadSpec(NS, "InnResponse"), ("FNS",), ("MVD", "MFC")),
    MessageTypeSpec("snils", PayloadSpec(OTHER_NS, "SnilsRequest"), PayloadSpec(OTHER_NS, "SnilsResponse"), ("SFR",),
                    ("MFC",), realtime=True),
])


def inn_request(passport: str = "4500 123456") -> XmlFragment:
    return XmlFragment(etree.fromstring(f'<i:InnRequest xmlns:i="{NS}"><i:Passport>{passport}</i:Passport>'
                                        f'</i:InnRequest>'))


def inn_response(inn: str = "500100732259") -> XmlFragment:
    return XmlFragment(etree.fromstring(f'<i:InnResponse xmlns:i="{NS}"><i:INN>{inn}</i:INN></i:InnResponse>'))


class FakeClock:
    """Seconds since the epoch, moved by the test; starts at the real time so fresh UUID v1 ids are not stale."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Served:
    bus: Bus
    running: RunningBus
    clock: FakeClock

    def client(self, sender: str | None, version: str = "1.3", **kwargs: object) -> BusClient:
        return BusClient(self.running.url, sender=sender, version=version, **kwargs)  # type: ignore[arg-type]


def serve(store: BusStore | None = None, clock: FakeClock | None = None, **config: object) -> Served:
    clock = clock or FakeClock()
    bus = Bus(TYPES, store=store, config=BusConfig(signatures=False, ack_timeout=30, **config),  # type: ignore[arg-type]
              clock=clock)
    return Served(bus, start(bus), clock)
