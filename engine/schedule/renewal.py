"""The agreement's yearly cycle: open the renewal in time, extend or lapse the period.

Periods are rows. `lead_days` before the latest period ends, the renewal case (the
workflow named by `[agreement] renewal_workflow`) opens for that period in the chair's
group. When it reaches one of `renewed_states` the next period is created; if the
period ends first, the period is marked lapsed (once) and a `PeriodLapsed` event
escalates it, until the renewal is signed and the next period begins where the old
one ended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from engine.cases.periods import period_bounds
from engine.config.settings import AgreementConfig
from engine.kernel.actors import SYSTEM
from engine.kernel.events import PeriodLapsed, Transitioned
from engine.runtime.engine import Engine
from engine.store.models import CaseRow, Period

if TYPE_CHECKING:
    from engine.schedule.summary import DueSummary

__all__ = ["PeriodFacts", "ended_at", "ends_of", "existing_keys", "install", "latest_period", "latest_periods",
           "renewal_key", "renewal_opens_at", "run"]


def renewal_key(a: AgreementConfig, period: Period | PeriodFacts) -> str:
    """The occurrence key of the renewal case for `period` of agreement `a` (unique)."""
    return f"{a.renewal_workflow}:{a.key}:{period.number}"


def _local_midnight(eng: Engine, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=eng.tz).astimezone(dt.UTC)


def renewal_opens_at(eng: Engine, a: AgreementConfig, period: Period | PeriodFacts) -> dt.datetime:
    """When the renewal case of `period` opens: lead_days before its end, at local midnight."""
    return _local_midnight(eng, period.ends_on - dt.timedelta(days=a.renewal_lead_days))


def period_ends_at(eng: Engine, period: Period | PeriodFacts) -> dt.datetime:
    """The instant the period is over (local midnight at its end date)."""
    return _local_midnight(eng, period.ends_on)


def latest_period(session: Session, agreement_id: int, *, lock: bool = False) -> Period | None:
    """The agreement's newest period row."""
    stmt = select(Period).where(Period.agreement_id == agreement_id).order_by(Period.number.desc())  # type: ignore[attr-defined]
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt.limit(1)).first()


class PeriodFacts(NamedTuple):
    """What the schedule reads of an agreement's newest period (plain values, not a row to lock or change)."""

    id: int
    agreement_id: int
    number: int
    ends_on: dt.date
    status: str


def latest_periods(session: Session) -> dict[int, PeriodFacts]:
    """Every agreement's newest period, by agreement id, in one query.

    The scheduler reads this on every run to see which of a national deployment's 290 agreements
    has anything due; only those are then read again under lock (`latest_period(lock=True)`).
    """
    newest = (select(Period.agreement_id, func.max(Period.number).label("n"))
              .group_by(col(Period.agreement_id)).subquery())
    rows = session.execute(sa.select(col(Period.id), col(Period.agreement_id), col(Period.number),
                                     col(Period.ends_on), col(Period.status))
                           .join(newest, and_(col(Period.agreement_id) == newest.c.agreement_id,
                                              col(Period.number) == newest.c.n)))
    return {r.agreement_id: PeriodFacts(r.id, r.agreement_id, r.number, r.ends_on, r.status) for r in rows}


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these occurrence keys a case already has."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    return {k for k in session.exec(select(CaseRow.occurrence_key).where(col(CaseRow.occurrence_key).in_(wanted)))
            if k is not None}


def ends_of(eng: Engine, session: Session) -> dict[str, dt.datetime | None]:
    """`ended_at` of every agreement, by key, from one query."""
    periods = latest_periods(session)
    out: dict[str, dt.datetime | None] = {}
    for a in eng.config.agreements:
        p = periods.get(eng.agreement_id(session, a.key))
        out[a.key] = period_ends_at(eng, p) if p is not None and p.status == "terminated" else None
    return out


def ended_at(eng: Engine, session: Session, a: AgreementConfig) -> dt.datetime | None:
    """When agreement `a` ended: the end of its last period if the renewal terminated it; else None.

    A lapsed period is not an end: it may still be signed late and continue where it ended.
    """
    period = latest_period(session, eng.agreement_id(session, a.key))
    if period is None or period.status != "terminated":
        return None
    return period_ends_at(eng, period)


def _renewal_case(session: Session, key: str) -> CaseRow | None:
    return session.exec(select(CaseRow).where(CaseRow.occurrence_key == key)).first()


def _open_renewal(eng: Engine, session: Session, a: AgreementConfig, period: Period, now: dt.datetime) -> CaseRow:
    from engine.cases.commands import OpenRequest, open_in

    _, next_end = period_bounds(period.ends_on, a.period_months, 1)
    last_day = next_end - dt.timedelta(days=1)  # periods are [start, end): say the last day, as the mails do
    title = (f"Förlängning av samverkansavtalet: period {period.number + 1} "
             f"({period.ends_on.isoformat()} – {last_day.isoformat()})")
    req = OpenRequest(a.renewal_workflow, title, group=a.renewal_group, occurrence_key=renewal_key(a, period),
                      period_id=period.id, description=f"Diskussion om förlängning och eventuell revidering "
                                                       f"inför ny avtalsperiod. {a.title}.")
    return open_in(eng, session, req, SYSTEM, now)


def run(eng: Engine, session: Session, now: dt.datetime, summary: DueSummary) -> None:
    """For every agreement: open the renewal in time; mark the period lapsed if it ended unsigned.

    Which agreements have something to do is read for all of them in two queries; only those are
    then worked on under lock, each reading its period again (another scheduler may have been first).
    """
    periods = latest_periods(session)
    running = {a.key: p for a in eng.config.agreements
               if (p := periods.get(eng.agreement_id(session, a.key))) is not None and p.status in ("active", "lapsed")}
    opened = existing_keys(session, (renewal_key(a, running[a.key]) for a in eng.config.agreements
                                     if a.key in running))
    for a in eng.config.agreements:
        p = running.get(a.key)
        if p is None:
            continue  # no agreement yet, or terminated
        if ((renewal_key(a, p) not in opened and now >= renewal_opens_at(eng, a, p))
                or (p.status == "active" and now >= period_ends_at(eng, p))):
            _run_one(eng, session, a, now, summary)


def _run_one(eng: Engine, session: Session, a: AgreementConfig, now: dt.datetime, summary: DueSummary) -> None:
    period = latest_period(session, eng.agreement_id(session, a.key), lock=True)
    if period is None or period.status not in ("active", "lapsed"):
        return  # no agreement yet, or terminated
    key = renewal_key(a, period)
    case = _renewal_case(session, key)
    if case is None and now >= renewal_opens_at(eng, a, period):
        case = _open_renewal(eng, session, a, period, now)
        summary.opened.append({"case_id": case.id, "workflow": case.workflow, "occurrence_key": key})
    if period.status == "active" and now >= period_ends_at(eng, period):
        period.status = "lapsed"
        session.add(period)
        summary.lapsed.append(period.id or 0)
        assert period.id is not None  # loaded from the database
        eng.emit(session, PeriodLapsed(case_id=case.id if case else None, actor=SYSTEM.username, at=now,
                                       period_id=period.id, ends_on=period.ends_on))


def _on_transition(eng: Engine) -> Callable[[Session, Transitioned], None]:
    workflows = {a.renewal_workflow for a in eng.config.agreements}

    def handle(session: Session, event: Transitioned) -> None:
        if event.workflow not in workflows or not event.terminal:
            return
        case = session.get(CaseRow, event.case_id)
        if case is None or case.period_id is None:
            return
        a = eng.agreement_config(session, case.agreement_id)
        if case.workflow != a.renewal_workflow:
            return
        period = session.get(Period, case.period_id)
        if period is None or period.status not in ("active", "lapsed"):
            return
        # Only the renewal the engine opened for this period speaks for it: any other case of
        # the workflow (imported, or opened before opening was limited to the engine) does not.
        if case.opened_by != SYSTEM.username or case.occurrence_key != renewal_key(a, period):
            return
        to = event.to_state
        if to in a.renewed_states:
            period.status = to
            starts, ends = period.ends_on, period_bounds(period.ends_on, a.period_months, 1)[1]
            session.add(Period(agreement_id=period.agreement_id, number=period.number + 1,
                               starts_on=starts, ends_on=ends))
        else:
            period.status = "terminated"
        session.add(period)
    return handle


def install(eng: Engine) -> None:
    """Follow the renewal case's end: extend the agreement, or end it."""
    eng.listeners.subscribe(Transitioned, _on_transition(eng))
