"""Faults of the shared services: ESIA (the portal's reduced mode) and the CA (signatures checkable only with a
cached CRL)."""

from __future__ import annotations

from typing import Any

from sim.scenario.faultkinds.base import FaultBuild, FaultKind, Injection, Undo
from sim.scenario.model import CaDown, EsiaDown


class EsiaDownKind(FaultKind):
    """ESIA is down: the portal serves only what needs no login; it recovers when ESIA is back."""

    fault = EsiaDown

    def build(self, b: FaultBuild) -> EsiaDown:
        return EsiaDown(b.name, b.start, b.end)

    def start(self, at: Injection, fault: Any) -> Undo:
        m = at.model
        m.esia.forced_down = True

        def undo_esia() -> None:
            m.esia.forced_down = False
            if m.portal is not None:
                m.portal.esia_restored()
        return undo_esia


class CaDownKind(FaultKind):
    """The CA is down: certificate checks rely on the cached CRL."""

    fault = CaDown

    def build(self, b: FaultBuild) -> CaDown:
        return CaDown(b.name, b.start, b.end)

    def start(self, at: Injection, fault: Any) -> Undo:
        m = at.model
        m.ca.forced_down = True

        def undo_ca() -> None:
            m.ca.forced_down = False
        return undo_ca
