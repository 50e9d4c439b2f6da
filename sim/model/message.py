"""The simulated message: one small slotted record shared by every hop, so identity *is* the MessageID."""

from __future__ import annotations

from typing import Any

QUEUED, IN_FLIGHT, DONE = 0, 1, 2

REQUEST, RESPONSE, BROADCAST = "request", "response", "broadcast"


class Msg:
    """A message on its way. `route` lists the buses it crosses; `hop` is the index of the bus holding it now."""

    __slots__ = (
        "id", "kind", "type", "cls", "sender", "recipient", "size", "fragments", "created", "queued", "expires",
        "request", "route", "hop", "replicas", "state", "delivered", "orphaned", "bad_signature", "bad_schema",
        "attempts", "context", "counted", "datamart", "unauthorised", "copies", "processing", "cannot_provide",
        "station", "arrived", "entry", "store", "stored", "store_taken", "inbox_at",
    )

    def __init__(
        self,
        msg_id: int,
        kind: str,
        type_name: str,
        cls: str,
        sender: Any,
        recipient: Any,
        size: int,
        created: float,
        expires: float,
        route: tuple,
        request: Msg | None = None,
        context: Any = None,
    ) -> None:
        self.id = msg_id
        self.kind = kind
        self.type = type_name
        self.cls = cls
        self.sender = sender
        self.recipient = recipient
        self.size = size
        self.fragments = 1
        self.created = created
        self.queued = -1.0
        self.expires = expires
        self.request = request
        self.route = route
        self.hop = -1  # index in `route` of the bus that holds it; -1 until the first bus accepts it
        self.replicas: tuple = ()
        self.state = QUEUED
        self.delivered = False
        self.orphaned = False
        self.bad_signature = False
        self.bad_schema = False
        self.attempts = 0
        self.context = context
        self.datamart = False  # a regulated request to a data mart, answered by the provider's SMEV agent (697 §6ф)
        self.unauthorised: str | None = None  # the type a misbehaving sender really asks for (access-checked)
        self.copies: list[Msg] = []  # a broadcast's other copies: they enter the bus with this one, the lead
        self.counted = False  # message_sent was reported (it entered the first bus's queue or was refused there)
        self.processing = -1.0  # its processing time, drawn when queued for a provider with background (>= 0)
        self.cannot_provide = False  # an answer that refuses: the provider cannot provide the data (963 §4)
        self.station: Any = None  # the provider's StationMeter while it is there (sim.metrics.stations), else None
        self.arrived = -1.0  # when it joined that station (entered the provider's queue)
        # the bus's delivery store (a StationMeter per bus node, sim.model.bus): `entry` is the store of the node whose
        # ingress last accepted it; `store` the one it is in now (None: in no bus's store), since `stored`; taken
        # by a poll (`store_taken`: its service, the delivery, has started) or still waiting
        self.entry: Any = None
        self.store: Any = None
        self.stored = -1.0
        self.store_taken = False
        self.inbox_at = -1.0  # when it joined its recipient's queue on the bus holding it: polls take the oldest first
