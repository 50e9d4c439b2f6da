"""The bus double the catalogue runs against when no `--bus` is given: in-process, on a free loopback port, with
signatures and the rule catalogue on, and the catalogue's identities registered (`identities.bus_credentials`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from conformance.bus.registry_view import load_types
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.negative.identities import bus_credentials

if TYPE_CHECKING:
    from conformance.bus.server import RunningBus
    from conformance.crypto import Backend


def start_double(registry: str | None = None, backend: Backend | None = None) -> RunningBus:
    """Start the double (verifying and signing with `backend`; None: the automatic choice); `close()` the result
    (or use it as a context manager) to stop it."""

    bus = Bus(load_types(registry), config=BusConfig(signatures=True, run_rules=True, backend=backend),
              credentials=bus_credentials())
    running = start(bus)
    default = running.server.handle_error

    def quiet_hang_ups(request: object, client_address: object) -> None:
        """A client that hangs up before the answer (a case that drops the connection) is expected here: the
        stdlib server would print its traceback. Anything else is reported as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        default(request, client_address)

    running.server.handle_error = quiet_hang_ups  # type: ignore[method-assign]
    return running
