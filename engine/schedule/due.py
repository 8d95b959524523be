"""Running what is due: claim deadline rows, fire each once, mark it done in the same transaction.

The database decides what is due; a scheduler only calls `run_due(now)`. Rows are
claimed with a short lease in one statement (SQLite: UPDATE .. RETURNING under the
write lock; PostgreSQL: FOR UPDATE SKIP LOCKED), then each is processed in its own
transaction that locks the case first and the deadline row second (the same order a
person's action takes, so the two never deadlock), re-checks that the row is still
pending, fires it and marks it done. A crash rolls back the unfinished row, which
falls due again when its lease ends; two processes never fire the same row twice.

A lost database connection (the server restarted, an administrator terminated the
backend, a network blip) is not the row's fault: the claim or the row's transaction is
retried on a fresh connection after a short pause instead of being counted as a failure
and leased away for minutes. Retrying is safe because the row is re-checked under its
lock: if the lost transaction had in fact committed, the retry finds it done.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Row, bindparam, or_, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col

from engine.cases.firing import fire_in
from engine.kernel.actors import SYSTEM
from engine.kernel.events import DeadlineEscalation, DeadlineEvent, DeadlineReached, DeadlineReminder
from engine.runtime.engine import Engine
from engine.schedule import recurring, renewal
from engine.schedule.summary import DueSummary
from engine.store.models import CaseRow, Deadline

__all__ = ["claim", "next_due_at", "run_due"]

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
_T = TypeVar("_T")
RECONNECT_PAUSES = (0.1, 0.5, 1.0, 2.0, 4.0)  # seconds; about as long as a PostgreSQL restart takes
_EVENT_OF_KIND: dict[str, type[DeadlineEvent]] = {
    e.kind: e for e in (DeadlineReminder, DeadlineReached, DeadlineEscalation)}


def claim(session: Session, now: dt.datetime, limit: int) -> list[int]:
    """Claim up to `limit` due, unleased rows for LEASE; their ids, soonest due first."""
    due = [col(Deadline.status) == "pending", col(Deadline.due_at) <= now,
           or_(col(Deadline.claimed_until).is_(None), col(Deadline.claimed_until) <= now)]
    order = (col(Deadline.due_at), col(Deadline.id))
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.execute(select(col(Deadline.id)).where(*due).order_by(*order)
                                   .limit(limit).with_for_update(skip_locked=True)).scalars())
        if ids:
            session.execute(update(Deadline).where(col(Deadline.id).in_(ids)).values(claimed_until=now + LEASE))
        return [i for i in ids if i is not None]
    inner = select(col(Deadline.id)).where(*due).order_by(*order).limit(limit)
    stmt = (update(Deadline).where(col(Deadline.id).in_(inner.scalar_subquery()))
            .values(claimed_until=now + LEASE).returning(col(Deadline.id), col(Deadline.due_at)))
    return [r[0] for r in sorted(session.execute(stmt).all(), key=lambda r: (r[1], r[0]))]


_DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
_CASES = CaseRow.__table__  # type: ignore[attr-defined]
# Built once: per row, plain Core statements cost a fraction of ORM loads and a flush.
_LOCK_CASE = (select(_CASES.c.id, _CASES.c.state, _CASES.c.is_open, _CASES.c.due_at, _CASES.c.workflow)
              .where(_CASES.c.id == select(_DEADLINES.c.case_id).where(_DEADLINES.c.id == bindparam("d"))
                     .scalar_subquery()).with_for_update())
_LOCK_ROW = (select(_DEADLINES.c.id, _DEADLINES.c.status, _DEADLINES.c.state, _DEADLINES.c.kind,
                    _DEADLINES.c.offset_days, _DEADLINES.c.due_at, _DEADLINES.c.trigger)
             .where(_DEADLINES.c.id == bindparam("d")).with_for_update())
_FINISH = (update(_DEADLINES).where(_DEADLINES.c.id == bindparam("d"))
           .values(status=bindparam("status"), fired_at=bindparam("fired_at")))


def _process(eng: Engine, session: Session, deadline_id: int, now: dt.datetime, summary: DueSummary) -> None:
    case = session.execute(_LOCK_CASE, {"d": deadline_id}).one()  # the row's case: locked first
    row = session.execute(_LOCK_ROW, {"d": deadline_id}).one()
    if row.status != "pending":
        return  # someone else fired it, or the case moved on, while it was leased
    outcome = _outcome(row, case, now)
    if outcome in ("retired", "skipped"):
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    else:
        if row.kind == "due" and row.trigger:
            loaded = session.get_one(CaseRow, case.id)  # already locked above
            fire_in(eng, session, loaded, row.trigger, SYSTEM, now, f"Deadline passed ({row.due_at.isoformat()})")
            summary.timeouts += 1
        eng.emit(session, _EVENT_OF_KIND[row.kind](
            case_id=case.id, actor=SYSTEM.username, at=now, deadline_id=row.id, offset_days=row.offset_days,
            state=row.state, due_at=row.due_at, workflow=case.workflow))
        attr = {"reminder": "reminders", "due": "due", "escalation": "escalations"}[row.kind]
        setattr(summary, attr, getattr(summary, attr) + 1)
    # After fire_in, which retires the case's pending rows (this one too): it fired, so done.
    session.execute(_FINISH, {"d": deadline_id, "status": "done" if outcome == "fired" else outcome, "fired_at": now})
    summary.note({"deadline_id": row.id, "case_id": case.id, "kind": row.kind,
                          "offset_days": row.offset_days, "due_at": row.due_at.isoformat(), "outcome": outcome})


def _outcome(row: Row[Any], case: Row[Any], now: dt.datetime) -> str:
    if case.state != row.state or not case.is_open:
        return "retired"  # the case left the state the row belonged to
    if row.kind == "reminder" and case.due_at is not None and case.due_at <= now:
        return "skipped"  # a reminder after the deadline has passed is only noise
    return "fired"


def _record_failure(eng: Engine, deadline_id: int, now: dt.datetime, error: Exception, summary: DueSummary) -> None:
    with eng.db.write() as session:
        row = session.get(Deadline, deadline_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        row.claimed_until = now + min(dt.timedelta(minutes=2 ** row.attempts), dt.timedelta(hours=6))
        session.add(row)
    summary.failed += 1
    summary.note({"deadline_id": deadline_id, "outcome": "error", "error": row.last_error})


def _openings(eng: Engine, session: Session, now: dt.datetime, summary: DueSummary) -> None:
    renewal.run(eng, session, now, summary)
    recurring.run(eng, session, now, summary)


def _open_what_is_due(eng: Engine, now: dt.datetime, summary: DueSummary) -> None:
    """The openings in one transaction; if they fail, that is logged and counted and the deadlines still fire."""
    this = DueSummary(at=now)  # added only after the commit, so a retry or a failure lists nothing twice

    def work() -> None:
        this.opened.clear()
        this.lapsed.clear()
        with eng.db.write() as session:
            _openings(eng, session, now, this)

    try:
        _on_fresh_connection(work, "the openings")
    except Exception as exc:  # a broken opening must not stop the reminders and escalations of every case
        log.exception("opening the renewals and recurring cases failed")
        summary.failed += 1
        summary.note({"outcome": "error", "stage": "openings", "error": f"{type(exc).__name__}: {exc}"[:500]})
        return
    summary.opened.extend(this.opened)
    summary.lapsed.extend(this.lapsed)


def _connection_lost(exc: Exception) -> bool:
    """The database went away (not a problem with the row): worth a retry on a new connection."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _on_fresh_connection(work: Callable[[], _T], what: str) -> _T:
    """`work()`, run again after a pause if the database connection was lost meanwhile."""
    for pause in RECONNECT_PAUSES:
        try:
            return work()
        except DBAPIError as exc:
            if not _connection_lost(exc):
                raise
            log.warning("database connection lost during %s; retrying in %.1f s: %s", what, pause,
                        str(exc).splitlines()[0])
            time.sleep(pause)
    return work()


def _claim_batch(eng: Engine, now: dt.datetime, batch: int) -> list[int]:
    with eng.db.write() as session:
        return claim(session, now, batch)


def _process_one(eng: Engine, deadline_id: int, now: dt.datetime, summary: DueSummary) -> None:
    # Counted apart and added only after the commit, so a retried row is counted once.
    this = DueSummary(at=now)
    with eng.db.write() as session:
        _process(eng, session, deadline_id, now, this)
    for name in ("reminders", "due", "escalations", "timeouts", "retired", "skipped"):
        setattr(summary, name, getattr(summary, name) + getattr(this, name))
    for item in this.items:
        summary.note(item)


class _DryRun(Exception):
    pass


def run_due(eng: Engine, now: dt.datetime, *, batch: int = 200, dry_run: bool = False) -> DueSummary:
    """Open what the agreement and the recurring obligations call for, then fire every due row."""
    summary = DueSummary(at=now)
    if dry_run:
        try:
            with eng.db.write() as session:
                _openings(eng, session, now, summary)
                for deadline_id in claim(session, now, 1_000_000):
                    _process(eng, session, deadline_id, now, summary)
                raise _DryRun  # roll back everything the run did
        except _DryRun:
            pass
        return summary
    _open_what_is_due(eng, now, summary)
    while True:
        ids = _on_fresh_connection(partial(_claim_batch, eng, now, batch), "the claim")
        if not ids:
            break
        for deadline_id in ids:
            try:
                _on_fresh_connection(partial(_process_one, eng, deadline_id, now, summary), f"deadline {deadline_id}")
            except Exception as exc:  # one broken row must not block the whole run
                log.exception("deadline %s failed", deadline_id)
                _record_failure(eng, deadline_id, now, exc, summary)
    return summary


def next_due_at(session: Session) -> dt.datetime | None:
    """The earliest time a pending row falls due (or its lease ends)."""
    row = session.execute(text(
        "SELECT MIN(CASE WHEN claimed_until IS NOT NULL AND claimed_until > due_at "
        "THEN claimed_until ELSE due_at END) FROM deadlines WHERE status = 'pending'")).scalar()
    if row is None:
        return None
    from engine.store.db import UTCDateTime
    return UTCDateTime().process_result_value(row, session.get_bind().dialect)
