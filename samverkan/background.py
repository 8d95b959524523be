"""What runs beside the web server in `samverkan serve` (the scheduler hooks in here)."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Background", "start_background"]


class Background(Protocol):
    def shutdown(self) -> None:
        """Stop whatever was started."""
        ...


class _Nothing:
    """Nothing started yet; shutting down is a no-op."""

    def shutdown(self) -> None:
        """Nothing to stop."""


def start_background(eng: Any) -> Background:
    """Start the background work of a one-process deployment; returns an object with .shutdown()."""
    return _Nothing()
