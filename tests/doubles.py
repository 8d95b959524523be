"""Test doubles of the engine's interfaces, for tests and bench/ (which runs from the repository root)."""

from __future__ import annotations

import datetime as dt

__all__ = ["FixedClock"]


class FixedClock:
    """A `Clock` that tests and simulations move by hand."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """The time it was set to."""
        return self.at

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by a timedelta's keyword arguments; returns the new time."""
        self.at += dt.timedelta(**delta)
        return self.at
