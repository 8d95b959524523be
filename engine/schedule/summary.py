"""What one run of the due work did: counts per kind, what opened, what lapsed, each row's outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ITEMS_KEPT", "DueSummary"]

ITEMS_KEPT = 1000  # a summary lists this many rows; a long catch-up only counts the rest


@dataclass
class DueSummary:
    """What one run did; `fired` counts deadline rows that took effect."""

    at: dt.datetime
    reminders: int = 0
    due: int = 0
    escalations: int = 0
    timeouts: int = 0
    retired: int = 0
    skipped: int = 0
    failed: int = 0
    opened: list[dict[str, Any]] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    items_dropped: int = 0

    def note(self, item: dict[str, Any]) -> None:
        """List what happened to one row; past ITEMS_KEPT only count it, so memory stays flat."""
        if len(self.items) < ITEMS_KEPT:
            self.items.append(item)
        else:
            self.items_dropped += 1

    @property
    def fired(self) -> int:
        """Reminders, due times and escalations that took effect."""
        return self.reminders + self.due + self.escalations

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["at"] = self.at.isoformat()
        out["fired"] = self.fired
        return out
