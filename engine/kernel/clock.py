"""Time as a dependency: the engine never reads the wall clock itself."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    """The real clock (read only at the edges: CLI, web request, scheduler job)."""

    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock tests and simulations move by hand."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """The time it was set to."""
        return self.at

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by a timedelta's keyword arguments; returns the new time."""
        self.at += dt.timedelta(**delta)
        return self.at
