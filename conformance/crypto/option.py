"""`--crypto pure|native`: the one place a command chooses the GOST backend.

Every command that makes or checks signatures (`smev-conformance` check, verify, sign, sample, serve, run, replay,
negative, pki; the reference participant's `python -m conformance.reference`) adds the option with
`add_crypto_option` and resolves it once with `chosen_backend` (pytest's `--smev-crypto` resolves its own the same
way); the `Backend` it returns is passed down explicitly (to the verifier, the signer, the rule checks, the bus
double), so nothing below the command line picks a backend of its own. Here, low in the house, so that every
program's command line can use it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from conformance.crypto.backends import get_backend

if TYPE_CHECKING:
    from conformance.crypto import Backend

CRYPTO_HELP = "GOST crypto backend: pure (gostcrypto, everywhere) or native (OpenSSL's GOST engine); default: " \
              "native when present, else pure"


def add_crypto_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crypto", choices=("pure", "native"), help=CRYPTO_HELP)


def chosen_backend(args: argparse.Namespace) -> Backend:
    """The backend `--crypto` names (None: native when present, else pure); native where it is missing is a usage
    error (exit 2) naming the package to install."""

    return get_backend(args.crypto)
