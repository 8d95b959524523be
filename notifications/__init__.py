"""Notifications: who is told what (rules), the outbox deliverer, email, digests and calendar feeds.

The engine knows nothing of this package. A composition root (the CLI, the web app, the
scheduler) calls `install(eng)` once per engine so the rules write notices inside the
engine's transactions, and `deliver_pending(eng, now)` to send what is due.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifications.deliver import DeliverySummary, deliver_pending

if TYPE_CHECKING:
    from engine.runtime.engine import Engine

__all__ = ["DeliverySummary", "deliver_pending", "install"]


def install(eng: Engine) -> None:
    """Subscribe the notice rules to `eng`'s events (once per engine; a second call does nothing)."""
    from notifications.rules import Rules

    if getattr(eng, "_notifications_installed", False):
        return
    Rules(eng).install()
    eng._notifications_installed = True  # type: ignore[attr-defined]
