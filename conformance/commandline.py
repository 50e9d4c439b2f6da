"""The one command-line dispatcher that `smev-conformance` and `smev-sim` share.

A command is a module defining `HELP` (one line), `add_arguments(parser)` and `run(args) -> int`; its docstring is
the command's description. Only the module of the command named on the command line is imported (all of them for
the top-level `--help` or an unknown command), so a command's module imports what it needs at its top and the start-up
of one command never pays for another's dependencies.
Errors of the given types end the command with exit code 2 and one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Mapping


def build_parser(prog: str, description: str, version: str, commands: Mapping[str, str]) -> argparse.ArgumentParser:
    """The parser of every command in `commands` (name -> module), each module imported."""
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


def named_command(argv: list[str], commands: Mapping[str, str]) -> str | None:
    """The command `argv` names: its first argument that is not an option, when it is one of `commands` (the top
    level takes no option with a value, only `-h` and `--version`)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in commands else None


def dispatch(
    prog: str,
    description: str,
    version: str,
    commands: Mapping[str, str],
    errors: tuple[type[BaseException], ...],
    argv: list[str] | None = None,
) -> int:
    """Parse `argv`, run the chosen command and turn expected errors into exit code 2."""
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = named_command(argv, commands)
    offered = {chosen: commands[chosen]} if chosen is not None else commands
    args = build_parser(prog, description, version, offered).parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args._run
    try:
        return int(run(args))
    except errors as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 2
