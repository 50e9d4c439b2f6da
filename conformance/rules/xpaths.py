"""Compatibility alias of `conformance.protocol.xpaths` (import from there; this alias goes once none uses it)."""

from conformance.protocol.xpaths import step_name, xpath_of

__all__ = ["step_name", "xpath_of"]
