"""Faults of the shared services: ESIA (the portal's reduced mode) and the CA (signatures checkable only with a
cached CRL). Both take a service down for the fault's window and bring it back at its end."""

from __future__ import annotations

from typing import Any, ClassVar

from sim.scenario.faultkinds.base import FaultBuild, FaultKind, Injection, Undo
from sim.scenario.model import CaDown, EsiaDown, Fault


class _ServiceDownKind(FaultKind):
    """A shared service (the model's component `service`) is forced down for the window; `restored` runs after it is
    back."""

    service: ClassVar[str]

    def build(self, b: FaultBuild) -> Fault:
        return self.fault(b.name, b.start, b.end)

    def start(self, at: Injection, fault: Any) -> Undo:
        m = at.model
        getattr(m, self.service).forced_down = True

        def undo_service() -> None:
            getattr(m, self.service).forced_down = False
            self.restored(m)
        return undo_service

    def restored(self, model: Any) -> None:
        """What else comes back with the service (nothing by default)."""


class EsiaDownKind(_ServiceDownKind):
    """ESIA is down: the portal serves only what needs no login; it recovers when ESIA is back."""

    fault, service = EsiaDown, "esia"

    def restored(self, model: Any) -> None:
        if model.portal is not None:
            model.portal.esia_restored()


class CaDownKind(_ServiceDownKind):
    """The CA is down: certificate checks rely on the cached CRL."""

    fault, service = CaDown, "ca"
