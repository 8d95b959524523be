"""What will fall due: openings, reminders, deadlines, escalations, renewal, period end.

Read-only; `samverkan forecast` prints it and the scheduler asks it when to wake next.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from engine.runtime.engine import Engine
from engine.schedule import recurring, renewal
from engine.schedule.due import next_due_at
from engine.store.models import CaseRow, Deadline, ScheduleMark

__all__ = ["forecast", "next_wakeup"]


def _marks(session: Session) -> dict[str, dt.datetime]:
    return {k: at for k, at in session.exec(select(ScheduleMark.key, ScheduleMark.last_at))}


def _recurring_items(eng: Engine, session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    out = []
    marks, ends = _marks(session), renewal.ends_of(eng, session)
    for a, rec in recurring.all_recurring(eng):
        since = marks.get(recurring.mark_key(a, rec), start)
        for occ in recurring.pending_occurrences(eng, rec, since, end, ends[a.key]):
            out.append({"at": max(occ.opens_at, start), "kind": "open", "workflow": rec.workflow,
                        "title": rec.title_for(occ.happens_at.astimezone(eng.tz)), "agreement": a.key,
                        "occurrence_key": recurring.occurrence_key(eng, a, rec, occ.at),
                        "event_at": occ.happens_at})
    return out


def _agreement_items(eng: Engine, session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    out = []
    periods = renewal.latest_periods(session)
    running = {a.key: p for a in eng.config.agreements
               if (p := periods.get(eng.agreement_id(session, a.key))) is not None and p.status in ("active", "lapsed")}
    opened = renewal.existing_keys(session, (renewal.renewal_key(a, running[a.key])
                                             for a in eng.config.agreements if a.key in running))
    for a in eng.config.agreements:
        period = running.get(a.key)
        if period is None:
            continue
        opens = renewal.renewal_opens_at(eng, a, period)
        if renewal.renewal_key(a, period) not in opened and opens <= end:
            out.append({"at": max(opens, start), "kind": "renewal_open", "workflow": a.renewal_workflow,
                        "title": f"Renewal of {a.key} period {period.number}", "period": period.number,
                        "agreement": a.key})
        ends = renewal.period_ends_at(eng, period)
        if period.status == "active" and start <= ends <= end:
            out.append({"at": ends, "kind": "period_end", "title": f"{a.key} period {period.number} ends",
                        "period": period.number, "agreement": a.key})
    return out


def forecast(eng: Engine, start: dt.datetime, days: int) -> list[dict[str, Any]]:
    """Everything that falls due in [start, start + days), soonest first."""
    end = start + dt.timedelta(days=days)
    with eng.db.read() as session:
        rows = session.exec(
            select(Deadline, CaseRow).join(CaseRow, CaseRow.id == Deadline.case_id)  # type: ignore[arg-type]
            .where(Deadline.status == "pending", Deadline.due_at < end)  # overdue rows show at `start`
            .order_by(col(Deadline.due_at))).all()
        items = [{"at": max(d.due_at, start), "kind": d.kind, "case_id": c.id, "workflow": c.workflow,
                  "title": c.title, "state": d.state, "offset_days": d.offset_days,
                  "trigger": d.trigger, "due_at": d.due_at} for d, c in rows]
        items += _recurring_items(eng, session, start, end)
        items += _agreement_items(eng, session, start, end)
    items.sort(key=lambda i: (i["at"], i["kind"]))
    return items


def next_wakeup(eng: Engine, now: dt.datetime, horizon_days: int = 400) -> dt.datetime | None:
    """The next instant something is due: a deadline row, an opening, the renewal or a period end."""
    with eng.db.read() as session:
        later = now + dt.timedelta(days=horizon_days)
        # Only each schedule's first opening matters here (cached per mark), not every occurrence in the horizon.
        marks, ends = _marks(session), renewal.ends_of(eng, session)
        candidates = []
        for a, rec in recurring.all_recurring(eng):
            since = marks.get(recurring.mark_key(a, rec), now)
            first = recurring.first_opening(rec, since, eng.tz)
            ended = ends[a.key]
            if first is not None and first <= later and (ended is None or first + dt.timedelta(
                    days=rec.lead_days) < ended):
                candidates.append(max(first, now))
        candidates += [i["at"] for i in _agreement_items(eng, session, now, later)]
        due = next_due_at(session)
    if due is not None:
        candidates.append(due)
    return min(candidates) if candidates else None
