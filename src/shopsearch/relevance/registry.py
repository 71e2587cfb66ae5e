"""Signals by name: the built-ins plus any third-party package's ``shopsearch.signals`` entry points."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from shopsearch.plugins.base import Signal
from shopsearch.relevance.signals import BUILTIN_SIGNALS

ENTRY_POINT_GROUP = "shopsearch.signals"


@cache
def available_signals() -> dict[str, type[Signal]]:
    """Name -> Signal class. A third-party package registers ``name = "module:Class"`` in the group above."""
    signals = {signal.name: signal for signal in BUILTIN_SIGNALS}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if not (isinstance(loaded, type) and issubclass(loaded, Signal)):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a shopsearch Signal subclass")
        signals[entry.name] = loaded
    return signals
