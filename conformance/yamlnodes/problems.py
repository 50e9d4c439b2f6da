"""Problems found in a hand-written YAML file, and the one error that carries them.

A problem reads `FILE:LINE: path.to.field: what is wrong`; a value that did not come from the file (a default, an
override) has no line, and its message says where it came from. `SchemaErrors` lists every problem of a file, in
line order, and ends a command with exit 2 like any `InputError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from conformance.errors import InputError

_LAST = 1 << 62


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SchemaErrors(InputError):
    """A YAML file that cannot be used; `problems` lists every problem (no repeats), in line order."""

    def __init__(self, problems: Iterable[Problem], *, rule: str | None = None):
        unique = list(dict.fromkeys(problems))
        self.problems = sorted(unique, key=lambda p: (p.file, _LAST if p.line is None else p.line))
        first = self.problems[0]
        super().__init__(first.message, path=first.file, line=first.line, rule=rule)
        self.args = (str(self),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self) -> tuple[object, ...]:  # across processes (parallel replications): rebuilt from its problems
        return _rebuild, (type(self), self.problems, self.rule)

    @property
    def messages(self) -> list[str]:
        """Each problem as its one line of text."""
        return [str(p) for p in self.problems]


def _rebuild(cls: type[SchemaErrors], problems: list[Problem], rule: str | None) -> SchemaErrors:
    return cls(problems, rule=rule)


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """`" (did you mean 'x'?)"` for the closest known name, or `""` when nothing is close."""
    word = str(name)
    choices = list(known)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        extended = [c for c in choices if c.startswith(word) or word.startswith(c)]
        close = extended if len(extended) == 1 else []
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" (did you mean {close[0]!r}?)" if close else ""
