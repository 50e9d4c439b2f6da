"""Discrete-event simulator (SimPy) of Russia's e-government interaction infrastructure."""

__version__ = "0.1.0"
