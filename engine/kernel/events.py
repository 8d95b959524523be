"""Domain events, dispatched inside the transaction that caused them.

Listeners (notifications/ registers its own) get the open session, so what they write
(an outbox row) commits or rolls back together with the change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

__all__ = ["Event", "Listeners"]


@dataclass(frozen=True)
class Event:
    """Something that happened to a case: `kind` is e.g. opened, transitioned, assigned."""

    kind: str
    case_id: int | None
    actor: str
    at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Session, Event], None]


class Listeners:
    """Subscribers by event kind; "*" receives every event."""

    def __init__(self) -> None:
        self._by_kind: dict[str, list[Listener]] = defaultdict(list)

    def subscribe(self, kind: str, fn: Listener) -> None:
        """Call `fn(session, event)` for every event of `kind` ("*" for all)."""
        self._by_kind[kind].append(fn)

    def emit(self, session: Session, event: Event) -> None:
        """Dispatch `event` to its listeners within `session`'s transaction."""
        for fn in (*self._by_kind.get(event.kind, ()), *self._by_kind.get("*", ())):
            fn(session, event)
