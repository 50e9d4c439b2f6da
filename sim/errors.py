"""Errors of the simulator. A `SimError` ends a command with exit code 2 and one line, never a traceback."""


class SimError(Exception):
    """Base class of every error the simulator raises on purpose."""


class ScenarioError(SimError):
    """An unusable scenario. `str()` reads `FILE:LINE: path.to.field: what is wrong`, one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
