"""The one command-line dispatcher that `smev-conformance` and `smev-sim` share.

A command is a module defining `HELP` (one line), `add_arguments(parser)` and `run(args) -> int`; its docstring is
the command's description. Only the module of the command named on the command line is imported (all of them for
the top-level `--help` or an unknown command), so a command's module imports what it needs at its top and the start-up
of one command never pays for another's dependencies.
Errors of the given types end the command with exit code 2 and one line on standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping


class OneLineParser(argparse.ArgumentParser):
    """argparse's parser whose usage errors are one line (exit 2) naming the command, the flag and the problem,
    with the nearest option for a misspelt one (Python 3.11's argparse offers none)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}{self._nearest(message)} (see `{self.prog} --help`)\n")

    def _nearest(self, message: str) -> str:
        head = "unrecognized arguments: "
        if not message.startswith(head):
            return ""
        known = [o for o in self._option_string_actions if o.startswith("--")]
        for word in message[len(head):].split():
            near = difflib.get_close_matches(word.split("=", 1)[0], known, n=1, cutoff=0.6)
            if word.startswith("--") and near:
                return f"; did you mean {near[0]}?"
        return ""


def seed(text: str) -> int:
    """A seed: a whole number from 0 (random.Random(-n) repeats random.Random(n), so a sign would only mislead)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative whole number, got {value}")
    return value


def count(minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number of at least `minimum` (and at most `maximum`, when given)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            why = " (an interval needs two replications)" if minimum == 2 else ""
            raise argparse.ArgumentTypeError(f"expected at least {minimum}{why}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"expected at most {maximum}, got {value}")
        return value
    return parse


def positive_number(text: str) -> float:
    """A finite number above 0 (a scale, a timeout in seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def build_parser(prog: str, description: str, version: str, commands: Mapping[str, str]) -> argparse.ArgumentParser:
    """The parser of every command in `commands` (name -> module), each module imported."""
    parser = OneLineParser(prog=prog, description=description)
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
        cmd.set_defaults(_run=module.run, _parser=cmd)
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
    args, extras = build_parser(prog, description, version, offered).parse_known_args(argv)
    if extras:  # reported by the command's own parser, which knows its options
        args._parser.error(f"unrecognized arguments: {' '.join(extras)}")
    run: Callable[[argparse.Namespace], int] = args._run
    try:
        return int(run(args))
    except errors as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or socket the command line named: the environment's problem, not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{prog}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 2


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise `KeyboardInterrupt` (a clean stop of a serving command), whatever the
    process inherited: a child started with SIGINT ignored (a background job of a shell, a pytest-xdist worker's
    child) would otherwise never see Ctrl-C, and SIGTERM (`docker stop`, CI cancelling) would kill it mid-write.
    Outside the main thread, where signals cannot be handled, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
