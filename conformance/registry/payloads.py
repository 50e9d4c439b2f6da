"""Make a fake business element for a registered type: the one entry point `sample` and tests use."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from conformance.errors import UsageError
from conformance.registry.fakes import GENERATORS, Fake
from conformance.registry.model import MessageTypeSpec, Side


class NoSampleError(UsageError):
    """The type has no fake payload generator (its registry entry has no `sample`)."""


def make_payload(spec: MessageTypeSpec, side: Side | str, *, seed: int = 0, at: datetime | None = None,
                 request: etree._Element | None = None) -> etree._Element:
    """A fake business element of `spec`'s `side`, valid against its XSD; `seed` fixes every random choice.

    For a response, `request` (the request's business element) keeps the answer coherent with it (same SNILS,
    same passport, same RequestId).
    """
    side = Side(side)
    if spec.sample is None or spec.sample not in GENERATORS:
        raise NoSampleError(f"message type {spec.name!r} has no fake payload generator (no `sample` in its entry)")
    generator = GENERATORS[spec.sample]
    fake = Fake(seed, at)
    if side is Side.REQUEST:
        return generator.request(fake, spec.request)
    return generator.response(fake, spec.response, request)
