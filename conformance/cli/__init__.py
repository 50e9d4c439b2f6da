"""`smev-conformance`: check SMEV 3 messages, signatures and participants against the protocol's rules.

One subcommand per module of this package (see `conformance.commandline`).
Exit codes everywhere: 0 all checks hold, 1 some check failed, 2 the input or the command line was unusable.
"""

from __future__ import annotations

from conformance import __version__
from conformance.commandline import dispatch
from conformance.errors import ConformanceError

# name -> module; the order is the order of `--help`.
COMMANDS: dict[str, str] = {
    "check": "conformance.cli.check",
    "rules": "conformance.cli.rules",
    "sample": "conformance.cli.sample",
    "types": "conformance.cli.types",
    "inspect": "conformance.cli.inspect",
    "transform": "conformance.cli.transform",
    "sign": "conformance.cli.sign",
    "verify": "conformance.cli.verify",
    "pki": "conformance.cli.pki",
    "serve": "conformance.cli.serve",
    "run": "conformance.cli.run",
    "negative": "conformance.cli.negative",
    "replay": "conformance.cli.replay",
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("smev-conformance", __doc__.splitlines()[0], __version__, COMMANDS, (ConformanceError,), argv)
