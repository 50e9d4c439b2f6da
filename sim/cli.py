"""`smev-sim`: run and validate YAML scenarios of the e-government interaction infrastructure.

Subcommands live in `sim/commands/`, one module each (see `conformance.commandline`).
Exit codes: 0 every SLO passes, 1 some SLO fails, 3 none fails but some is inconclusive (its interval straddles
the threshold), 2 the scenario or the command line is unusable.
"""

from __future__ import annotations

from conformance.commandline import dispatch
from sim import __version__
from sim.errors import SimError

COMMANDS: dict[str, str] = {
    "run": "sim.commands.run",
    "validate": "sim.commands.validate",
    "capacity": "sim.commands.capacity",
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("smev-sim", __doc__.splitlines()[0], __version__, COMMANDS, (SimError,), argv)
