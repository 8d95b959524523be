"""Recurring obligations: each occurrence of a configured schedule opens one case.

A mark per schedule remembers the last occurrence handled, so a restart or a long
outage opens every missed occurrence exactly once (and never the years before the
deployment started). The occurrence key is unique in the database as well.

When the renewal terminates the agreement, occurrences after the end of its last period
open nothing. A lapsed agreement (its period ended unsigned) keeps opening them: it may
still be signed late, and then it continues from where it ended as if never interrupted.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from engine.config.settings import AgreementConfig, RecurringConfig
from engine.kernel.actors import SYSTEM
from engine.kernel.calendar import is_working_day
from engine.kernel.cron import CronSchedule
from engine.runtime.engine import Engine
from engine.schedule import renewal
from engine.store.models import CaseRow, ScheduleMark
from engine.store.sql import insert_ignore

if TYPE_CHECKING:
    from engine.schedule.summary import DueSummary

__all__ = ["Occurrence", "all_recurring", "first_opening", "lock_mark", "mark_key", "occurrence_key",
           "pending_occurrences", "run", "schedule_of"]


@lru_cache(maxsize=128)
def schedule_of(text: str) -> CronSchedule:
    """The parsed schedule (cached; config.toml was validated at load)."""
    return CronSchedule.parse(text)


def occurrence_key(eng: Engine, a: AgreementConfig, rec: RecurringConfig, at: dt.datetime) -> str:
    """E.g. "monthly_review:2027-03-01": the schedule key and the occurrence's local date.

    Agreements other than the default get their key in front ("eslov:monthly_review:...").
    """
    prefix = "" if a.key == eng.config.agreement.key else f"{a.key}:"
    return f"{prefix}{rec.key}:{at.astimezone(eng.tz).date().isoformat()}"


def mark_key(a: AgreementConfig, rec: RecurringConfig) -> str:
    """The key of the schedule mark of `rec` in agreement `a`."""
    return f"recurring:{a.key}:{rec.key}"


class Occurrence:
    """One occurrence of a schedule: when the schedule says (`at`, which names it), when it
    happens (`happens_at`: moved off a weekend or public holiday unless the schedule keeps
    it) and when its case opens."""

    def __init__(self, rec: RecurringConfig, at: dt.datetime, tz: ZoneInfo) -> None:
        self.rec, self.at = rec, at
        local = at.astimezone(tz)
        day = local.date()
        while rec.on_holiday == "next_working_day" and not is_working_day(day):
            day += dt.timedelta(days=1)
        self.happens_at = dt.datetime.combine(day, local.time(), tzinfo=tz).astimezone(dt.UTC)
        # Days back on the local calendar, so the case opens at the same local hour across a DST change.
        self.opens_at = (at.astimezone(tz) - dt.timedelta(days=rec.lead_days)).astimezone(dt.UTC)


def lock_mark(session: Session, key: str, now: dt.datetime) -> ScheduleMark:
    """The mark under `key` (made at `now` if there is none), locked until the transaction ends."""
    insert_ignore(session, ScheduleMark, ["key"], key=key, last_at=now)
    return session.exec(select(ScheduleMark).where(ScheduleMark.key == key).with_for_update()).one()


def pending_occurrences(eng: Engine, rec: RecurringConfig, since: dt.datetime, until: dt.datetime,
                        ended: dt.datetime | None = None) -> list[Occurrence]:
    """Occurrences after `since` (and before `ended`, the agreement's end) whose case opens by `until`, in order."""
    end = until + dt.timedelta(days=rec.lead_days)
    return [Occurrence(rec, t, eng.tz) for t in schedule_of(rec.schedule).between(since, end, eng.tz)
            if t - dt.timedelta(days=rec.lead_days) <= until and (ended is None or t < ended)
            and rec.in_year(t.astimezone(eng.tz).year)]


@lru_cache(maxsize=4096)
def first_opening(rec: RecurringConfig, since: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """When the case of the first occurrence after `since` opens (its time less the lead), or None if
    none comes within four years. Depends only on its arguments: cached, so a run that finds nothing due
    costs a comparison per schedule until a schedule's mark moves on."""
    for t in schedule_of(rec.schedule).between(since, since + dt.timedelta(days=4 * 366), tz):
        if rec.in_year(t.astimezone(tz).year):
            return (t.astimezone(tz) - dt.timedelta(days=rec.lead_days)).astimezone(dt.UTC)
    return None


def _opened_from(eng: Engine, session: Session, a: AgreementConfig, workflow: str) -> tuple[bool, int | None]:
    """Whether `workflow` is opened from another case and, if so, the latest such case of agreement `a`
    in a state it may be opened from (the plan in force for a follow-up); None if there is none."""
    need = eng.registry.get(workflow).linking.opened_from
    if need is None:
        return False, None
    agreement_id = eng.agreement_id(session, a.key)
    found = session.exec(select(CaseRow.id).where(CaseRow.agreement_id == agreement_id,
                                                  col(CaseRow.workflow) == need.workflow,
                                                  col(CaseRow.state).in_(need.states))
                         .order_by(col(CaseRow.opened_at).desc(), col(CaseRow.id).desc())).first()
    return True, found


def _open(eng: Engine, session: Session, a: AgreementConfig, occ: Occurrence, now: dt.datetime) -> CaseRow | None:
    from engine.cases.commands import OpenRequest, open_in

    key = occurrence_key(eng, a, occ.rec, occ.at)
    if session.exec(select(CaseRow.id).where(CaseRow.occurrence_key == key)).first() is not None:
        return None
    linked, parent_id = _opened_from(eng, session, a, occ.rec.workflow)
    if linked and parent_id is None:
        return None  # a follow-up with no plan to follow up: nothing to open this time
    local = occ.happens_at.astimezone(eng.tz)
    due = local.date() + dt.timedelta(days=occ.rec.due_days) if occ.rec.due_days is not None else None
    req = OpenRequest(occ.rec.workflow, occ.rec.title_for(local), group=occ.rec.group, event_at=occ.happens_at,
                      due=due, focus_area=occ.rec.focus_area, occurrence_key=key, parent_id=parent_id)
    return open_in(eng, session, req, SYSTEM, now)


def all_recurring(eng: Engine) -> list[tuple[AgreementConfig, RecurringConfig]]:
    """Every recurring obligation of every agreement."""
    return [(a, rec) for a in eng.config.agreements for rec in a.recurring]


def run(eng: Engine, session: Session, now: dt.datetime, summary: DueSummary) -> None:
    """Open each occurrence whose time (less its lead) has come, once.

    Every schedule's mark is read in one query; a schedule whose next case opens later is passed by
    (a national deployment has 290 of them, and the scheduler runs after every change). The others
    are worked on under their mark's lock, from the mark as it is then.
    """
    marks = {k: at for k, at in session.exec(select(ScheduleMark.key, ScheduleMark.last_at)
                                             .where(col(ScheduleMark.key).startswith("recurring:")))}
    ends: dict[str, dt.datetime | None] | None = None
    for a, rec in all_recurring(eng):
        last = marks.get(mark_key(a, rec))
        if last is not None and ((first := first_opening(rec, last, eng.tz)) is None or first > now):
            continue  # nothing of this schedule opens yet (a terminated agreement's mark is moved on when one would)
        mark = lock_mark(session, mark_key(a, rec), now)
        ends = ends if ends is not None else renewal.ends_of(eng, session)
        ended = ends[a.key]
        for occ in pending_occurrences(eng, rec, mark.last_at, now, ended):
            case = _open(eng, session, a, occ, now)
            if case is not None:
                summary.opened.append({"case_id": case.id, "workflow": case.workflow,
                                       "occurrence_key": case.occurrence_key})
            mark.last_at = occ.at
        if ended is not None and now >= ended:
            # Nothing after a terminated agreement's end opens: up to now all is handled, none pending.
            mark.last_at = max(mark.last_at, now)
        session.add(mark)
