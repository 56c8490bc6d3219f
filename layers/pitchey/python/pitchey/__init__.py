"""Pitchey shared layer: domain rules, persistence and HTTP conventions for every function."""

__version__ = "0.1.0"
