"""The one command-line dispatcher that `smev-conformance` and `smev-sim` share.

A command is a module defining `HELP` (one line), `add_arguments(parser)` and `run(args) -> int`; its docstring is
the command's description. Every command module is imported to build the parser, so heavy imports belong inside
`run`, marked `# local: start-up: ...` (tests/test_local_imports.py), and `--help` stays fast.
Errors of the given types end the command with exit code 2 and one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Mapping


def build_parser(prog: str, description: str, version: str, commands: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {version}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in commands.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a command that is not built yet is simply not offered
        cmd = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def dispatch(
    prog: str,
    description: str,
    version: str,
    commands: Mapping[str, str],
    errors: tuple[type[BaseException], ...],
    argv: list[str] | None = None,
) -> int:
    """Parse `argv`, run the chosen command and turn expected errors into exit code 2."""
    args = build_parser(prog, description, version, commands).parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args._run
    try:
        return int(run(args))
    except errors as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 2
