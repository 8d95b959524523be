"""Time as a dependency: the engine never reads the wall clock itself."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    """The real clock (read only at the edges: CLI, web request, scheduler job)."""

    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        return dt.datetime.now(dt.UTC)

