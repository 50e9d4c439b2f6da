"""Errors of the simulator. A `SimError` ends a command with exit code 2 and one line, never a traceback."""

from conformance.yamlnodes.problems import SchemaErrors


class SimError(Exception):
    """Base class of every error the simulator raises on purpose."""


class ScenarioError(SchemaErrors, SimError):
    """An unusable scenario: the YAML floor's one error (`problems`, each `FILE:LINE: path.to.field: what is wrong`,
    one line per problem), and a `SimError` for the simulator's commands."""
