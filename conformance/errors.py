"""Errors shared by the whole harness.

`UsageError` and `InputError` end a command with exit code 2 and a one-line message, never a traceback.
"""


class ConformanceError(Exception):
    """Base class of every error the harness raises on purpose."""


class UsageError(ConformanceError):
    """The command line is unusable (exit 2)."""


class InputError(ConformanceError):
    """An input file is unusable: the message names the file, the place and the rule (exit 2)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, rule: str | None = None):
        self.path = path
        self.line = line
        self.rule = rule
        self.detail = message
        where = path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        text = f"{where}: {message}"
        if rule:
            text = f"{text} [{rule}]"
        super().__init__(text)
