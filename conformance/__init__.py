"""SMEV 3 conformance harness: protocol core, static and live checks of participant implementations."""

__version__ = "0.1.0"
