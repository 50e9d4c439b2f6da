"""Faults of a participant (or of every member of a group): down, slow, misbehaving."""

from __future__ import annotations

from typing import Any

from sim.scenario import fields as f
from sim.scenario.faultkinds.base import FaultBuild, FaultKind, Injection, Undo
from sim.scenario.fields import INVALID, REQUIRED, Field
from sim.scenario.model import ParticipantDown, ParticipantMisbehaving, ParticipantSlow

PARTICIPANT = Field(f.name, REQUIRED, "participant or group")
BEHAVIOURS = ("bad-signature", "schema-violation", "unauthorised", "flood")


def participant(b: FaultBuild) -> str | None:
    """The participant or group the fault names, when it exists."""
    who = b.own["participant"]
    return who if b.refs.participant(who, b.own.nodes["participant"], b.own.at("participant")) else None


class ParticipantDownKind(FaultKind):
    """The participant answers nothing and takes nothing from its queue."""

    fault = ParticipantDown
    fields = {"participant": PARTICIPANT}

    def build(self, b: FaultBuild) -> ParticipantDown | None:
        who = participant(b)
        return ParticipantDown(b.name, b.start, b.end, who) if who else None

    def start(self, at: Injection, fault: Any) -> Undo:
        members = at.model.members(fault.participant)
        for p in members:
            p.go_down()

        def undo_down() -> None:
            for p in members:
                p.come_up()
        return undo_down


class ParticipantSlowKind(FaultKind):
    """The participant's processing times are multiplied by `factor`."""

    fault = ParticipantSlow
    fields = {
        "participant": PARTICIPANT,
        "factor": Field(f.number(0.0, strictly=True), REQUIRED, "processing times are multiplied by this"),
    }

    def build(self, b: FaultBuild) -> ParticipantSlow | None:
        who = participant(b)
        return ParticipantSlow(b.name, b.start, b.end, who, b.own["factor"]) if who else None

    def start(self, at: Injection, fault: Any) -> Undo:
        members = at.model.members(fault.participant)
        for p in members:
            p.slow *= fault.factor

        def undo_slow() -> None:
            for p in members:
                p.slow /= fault.factor
        return undo_slow


class ParticipantMisbehavingKind(FaultKind):
    """A share of the participant's messages carry bad signatures, break the schema, or use a type it may not
    consume; or (`flood`) it sends extra requests of a type at a rate."""

    fault = ParticipantMisbehaving
    fields = {
        "participant": PARTICIPANT,
        "behaviour": Field(f.choice(*BEHAVIOURS), REQUIRED, "bad-signature, schema-violation, unauthorised or flood"),
        "share": Field(f.share, "100%", "share of its messages that misbehave"),
        "rate": Field(f.rate, "0/s", "extra requests per unit of time (flood)"),
        "type": Field(f.name, None, "message type of the flood / unauthorised requests"),
    }

    def build(self, b: FaultBuild) -> ParticipantMisbehaving | None:
        who = participant(b)
        if who is None:
            return None
        behaviour, type_name, rate = b.own["behaviour"], b.own["type"], b.own["rate"]
        if behaviour in ("flood", "unauthorised") and type_name is None:
            b.error("type", f"a {behaviour} fault needs the message type it sends")
            return None
        if type_name is not None and not b.refs.message_type(type_name, b.own.nodes["type"], b.own.at("type")):
            return None
        if behaviour == "flood" and rate is not INVALID and rate <= 0:
            b.error("rate", "a flood needs a rate above zero")
            return None
        return ParticipantMisbehaving(b.name, b.start, b.end, who, behaviour, b.own["share"], rate, type_name)

    def start(self, at: Injection, fault: Any) -> Undo:
        m = at.model
        members = m.members(fault.participant)
        if fault.behaviour == "flood":
            info = m.types[fault.message_type]
            at.arrivals(fault.rate, fault.end, lambda: m.flow_arrival(members, info, False))
            return lambda: None
        entry = (fault.behaviour, fault.share, fault.message_type)
        for p in members:
            p.misbehaviour.append(entry)

        def undo_misbehave() -> None:
            for p in members:
                if entry in p.misbehaviour:
                    p.misbehaviour.remove(entry)
        return undo_misbehave
