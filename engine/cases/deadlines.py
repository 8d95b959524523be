"""Deadline rows from a state's rule: the due time, reminders before, escalations after.

Deadlines are dates, as officials think of them: a case is due by the end of its due
day (local time). Reminders go out at 08:00 local N days before that day, escalations
at 08:00 local N days after it. Working days skip weekends and Swedish holidays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from engine.kernel.calendar import add_working_days, is_working_day
from engine.store.models import Deadline
from engine.store.prepared import Prepared, run_of
from engine.workflow.definition import DeadlineRule

__all__ = ["PlannedDeadline", "add_rows", "due_date", "plan", "planned_with", "retire_pending"]

MORNING = dt.time(8, 0)
END_OF_DAY = dt.time(23, 59, 59)


class _Case(Protocol):
    """What `add_rows` reads of a case: a mapped row or engine.cases.loaded's."""

    @property
    def id(self) -> int | None: ...
    @property
    def state(self) -> str: ...
    @property
    def version(self) -> int: ...


@dataclass(frozen=True)
class PlannedDeadline:
    kind: str  # reminder | due | escalation
    offset_days: int
    due_at: dt.datetime
    trigger: str | None = None


def _local(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC)


def due_date(rule: DeadlineRule, *, entered: dt.datetime, opened: dt.datetime,
             requested: dt.datetime | None, event: dt.datetime | None,
             period_end: dt.date | None, tz: ZoneInfo) -> dt.date:
    """The local date a state's deadline falls on, from the rule's anchor."""
    if rule.anchor == "opened" and requested is not None:
        return requested.astimezone(tz).date()
    if rule.anchor == "period_end" and period_end is not None:
        # Periods are [start, end): the last day of the period is the day before.
        base = dt.datetime.combine(period_end - dt.timedelta(days=1), MORNING, tzinfo=tz)
    else:
        start = {"opened": opened, "event": event or entered}.get(rule.anchor, entered)
        base = start.astimezone(tz)
    if rule.working_days is not None:
        return add_working_days(base, rule.working_days, tz).astimezone(tz).date()
    return base.date() + dt.timedelta(days=rule.days or 0)


def _working(day: dt.date, step: int) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=step)
    return day


def plan(rule: DeadlineRule, day: dt.date, now: dt.datetime, tz: ZoneInfo,
         default_reminders: tuple[int, ...] = ()) -> list[PlannedDeadline]:
    """The rows for a deadline on `day`: reminders still ahead, the due time, escalations.

    Messages go out on working days: a reminder that would fall on a weekend or holiday
    comes on the working day before it, an escalation on the working day after.
    """
    out = []
    for n in rule.remind_before_days or (default_reminders if rule.anchor == "period_end" else ()):
        at = _local(_working(day - dt.timedelta(days=n), -1), MORNING, tz)
        if at > now:  # a reminder whose moment has passed would only be noise
            out.append(PlannedDeadline("reminder", n, at))
    out.append(PlannedDeadline("due", 0, _local(day, END_OF_DAY, tz), rule.timeout_trigger))
    out.extend(PlannedDeadline("escalation", n, _local(_working(day + dt.timedelta(days=n), 1), MORNING, tz))
               for n in rule.escalate_after_days)
    return out


def retire_pending(session: Session, case_id: int) -> None:
    """Retire the case's pending rows: it left the state they belonged to."""
    # On the driver's cursor (engine.store.prepared): every transition runs this, and the ORM's
    # bulk-update bookkeeping would cost more than the UPDATE itself.
    run_of(session).execute(_RETIRE, {"b_case": case_id})


def add_rows(session: Session, case: _Case, planned: list[PlannedDeadline]) -> None:
    """Insert the planned rows for the case's current state and version (one executemany)."""
    assert case.id is not None
    if not planned:
        return
    run_of(session).many(_INSERT, [
        {"case_id": case.id, "state": case.state, "case_version": case.version, "kind": p.kind,
         "offset_days": p.offset_days, "due_at": p.due_at, "trigger": p.trigger, "status": "pending",
         "attempts": 0}
        for p in planned])


_DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
_RETIRE = Prepared(update(_DEADLINES).where(_DEADLINES.c.case_id == bindparam("b_case"),
                                            _DEADLINES.c.status == "pending").values(status="retired"))
_INSERT = Prepared(insert(_DEADLINES), ("case_id", "state", "case_version", "kind", "offset_days", "due_at", "trigger",
                                        "status", "attempts"))


def planned_with(session: Session, deadline_id: int) -> list[tuple[int, str]]:
    """(id, kind) of the other rows planned together with deadline row `deadline_id` (same case, same entry)."""
    row = session.get(Deadline, deadline_id)
    if row is None:
        return []
    found = session.exec(select(Deadline.id, Deadline.kind).where(col(Deadline.case_id) == row.case_id,
                                                                  col(Deadline.case_version) == row.case_version,
                                                                  col(Deadline.id) != deadline_id)).all()
    return [(i, k) for i, k in found if i is not None]
