"""Domain events, one frozen dataclass per kind, dispatched inside the transaction that caused them.

Listeners (notifications/ registers its own) subscribe to an event class and get the open
session, so what they write (an outbox row) commits or rolls back together with the change.
Subscribing to a base class (`Event`, `DeadlineEvent`) receives its subclasses too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sqlmodel import Session

__all__ = ["UNOBSERVED", "Assigned", "CaseOpened", "Commented", "DeadlineEscalation", "DeadlineEvent",
           "DeadlineReached", "DeadlineReminder", "Event", "Listeners", "PeriodLapsed", "Reminded", "Transitioned"]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened, to a case (`case_id`) or to the agreement (`case_id` may be None)."""

    case_id: int | None
    actor: str
    at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class CaseOpened(Event):
    """A case was opened, by a person or by the system (recurring openings, renewals)."""

    case_id: int
    workflow: str
    assignee_id: int | None


@dataclass(frozen=True, kw_only=True)
class Transitioned(Event):
    """A case moved from one state to another by a trigger (a person's or a deadline's)."""

    case_id: int
    workflow: str
    trigger: str
    from_state: str
    to_state: str
    comment: str | None
    terminal: bool


@dataclass(frozen=True, kw_only=True)
class Assigned(Event):
    """A case was given to a person, claimed, or handed to another group (then `assignee_id` is None)."""

    case_id: int
    assignee_id: int | None
    group_id: int


@dataclass(frozen=True, kw_only=True)
class Commented(Event):
    """Someone who may see a case wrote a comment on it."""

    case_id: int
    body: str


@dataclass(frozen=True, kw_only=True)
class Reminded(Event):
    """The chair or the owning group asked whoever holds a case to act on it (a manual reminder)."""

    case_id: int
    assignee_id: int | None
    group_id: int
    due_at: dt.datetime | None


@dataclass(frozen=True, kw_only=True)
class DeadlineEvent(Event):
    """A deadline row of a case fired; never emitted itself, only its three kinds below."""

    kind: ClassVar[str]  # the `Deadline.kind` of the row this event fires for
    case_id: int
    deadline_id: int
    offset_days: int
    state: str
    due_at: dt.datetime
    workflow: str


@dataclass(frozen=True, kw_only=True)
class DeadlineReminder(DeadlineEvent):
    """A reminder `offset_days` before a case's deadline."""

    kind: ClassVar[str] = "reminder"


@dataclass(frozen=True, kw_only=True)
class DeadlineReached(DeadlineEvent):
    """A case's deadline passed in the state it was set for (a timeout trigger, if any, has fired)."""

    kind: ClassVar[str] = "due"


@dataclass(frozen=True, kw_only=True)
class DeadlineEscalation(DeadlineEvent):
    """A case is `offset_days` overdue: time to tell the chair."""

    kind: ClassVar[str] = "escalation"


@dataclass(frozen=True, kw_only=True)
class PeriodLapsed(Event):
    """An agreement period ended unsigned; `case_id` is its renewal case, if one was opened."""

    period_id: int
    ends_on: dt.date


# Events nobody subscribes to on purpose, with the reason; tests/unit/test_events.py fails on
# an event that is neither subscribed anywhere nor listed here.
UNOBSERVED: dict[type[Event], str] = {}

E = TypeVar("E", bound=Event)
# Stored untyped: `subscribe` has already checked that each listener fits its class.
_Listener = Callable[[Session, Any], None]


class Listeners:
    """Subscribers by event class; a subscriber to a base class also receives its subclasses."""

    def __init__(self) -> None:
        self._by_type: dict[type[Event], list[_Listener]] = defaultdict(list)

    def subscribe(self, event_type: type[E], fn: Callable[[Session, E], None]) -> None:
        """Call `fn(session, event)` for every event of `event_type` or a subclass (`Event` for all)."""
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            # A misspelt or stale kind ("deadline") would otherwise be a listener that never runs.
            raise TypeError(f"subscribe takes an event class from engine.kernel.events (e.g. Transitioned), "
                            f"not {event_type!r}")
        self._by_type[event_type].append(fn)

    def wants(self, event_type: type[Event]) -> bool:
        """Whether any listener would receive an event of `event_type` (so the caller may skip building it)."""
        return any(self._by_type.get(cls) for cls in event_type.__mro__)

    def emit(self, session: Session, event: Event) -> None:
        """Dispatch `event` to its listeners, the most specific class first, within `session`'s transaction."""
        for cls in type(event).__mro__:
            for fn in self._by_type.get(cls, ()):
                fn(session, event)
