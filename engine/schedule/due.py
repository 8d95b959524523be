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
from contextlib import suppress
from functools import partial
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, bindparam, or_, select, text, update
from sqlalchemy.engine import Dialect, RootTransaction
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlmodel import Session, col

from engine.cases.firing import fire_in
from engine.kernel.actors import SYSTEM
from engine.kernel.events import DeadlineEscalation, DeadlineEvent, DeadlineReached, DeadlineReminder
from engine.runtime.engine import Engine
from engine.schedule import recurring, renewal
from engine.schedule.summary import DueSummary
from engine.store.db import UTCDateTime
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
_LOCK_CASE = (select(_CASES.c.id, _CASES.c.state, _CASES.c.is_open, _CASES.c.due_at, _CASES.c.workflow)
              .where(_CASES.c.id == select(_DEADLINES.c.case_id).where(_DEADLINES.c.id == bindparam("d"))
                     .scalar_subquery()).with_for_update())
_LOCK_ROW = (select(_DEADLINES.c.id, _DEADLINES.c.status, _DEADLINES.c.state, _DEADLINES.c.kind,
                    _DEADLINES.c.offset_days, _DEADLINES.c.due_at, _DEADLINES.c.trigger)
             .where(_DEADLINES.c.id == bindparam("d")).with_for_update())
_FINISH = (update(_DEADLINES).where(_DEADLINES.c.id == bindparam("d"))
           .values(status=bindparam("status"), fired_at=bindparam("fired_at")))
_TIME = UTCDateTime()


class _CaseLocked(NamedTuple):
    id: int
    state: str
    is_open: bool
    due_at: dt.datetime | None
    workflow: str


class _RowLocked(NamedTuple):
    id: int
    status: str
    state: str
    kind: str
    offset_days: int
    due_at: dt.datetime
    trigger: str | None


class _Statements:
    """The three statements every row runs, compiled once per dialect and run on the driver's cursor.

    Measured (bench/due.py): through SQLAlchemy each costs about ten times what the driver
    takes to run it; SQLite's whole row is then mostly Python. Values are converted as the
    `UTCDateTime` column type does, so what is written is what the ORM would write.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

        def sql(stmt: Any) -> tuple[str, tuple[str, ...] | None]:
            compiled = stmt.compile(dialect=dialect)
            return str(compiled), (tuple(compiled.positiontup) if compiled.positional else None)
        self.lock_case_sql, self.lock_row_sql, self.finish_sql = sql(_LOCK_CASE), sql(_LOCK_ROW), sql(_FINISH)

    @staticmethod
    def _run(cur: Any, statement: tuple[str, tuple[str, ...] | None], params: dict[str, Any]) -> None:
        text_, order = statement
        cur.execute(text_, tuple(params[k] for k in order) if order is not None else params)

    def _time(self, value: Any) -> dt.datetime | None:
        return _TIME.process_result_value(value, self.dialect)

    def lock_case(self, cur: Any, deadline_id: int) -> _CaseLocked:
        self._run(cur, self.lock_case_sql, {"d": deadline_id})
        case_id, state, is_open, due_at, workflow = cur.fetchone()
        return _CaseLocked(case_id, state, bool(is_open), self._time(due_at), workflow)

    def lock_row(self, cur: Any, deadline_id: int) -> _RowLocked:
        self._run(cur, self.lock_row_sql, {"d": deadline_id})
        row_id, status, state, kind, offset_days, due_at, trigger = cur.fetchone()
        when = self._time(due_at)
        assert when is not None  # due_at is NOT NULL
        return _RowLocked(row_id, status, state, kind, offset_days, when, trigger)

    def finish(self, cur: Any, deadline_id: int, status: str, at: dt.datetime) -> None:
        stamp = _TIME.process_bind_param(at, self.dialect)
        if self.dialect.name == "sqlite":  # the text SQLAlchemy stores, microseconds always written
            stamp = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
        self._run(cur, self.finish_sql, {"d": deadline_id, "status": status, "fired_at": stamp})


_COMPILED: dict[str, _Statements] = {}


def _statements(dialect: Dialect) -> _Statements:
    if dialect.name not in _COMPILED:
        _COMPILED[dialect.name] = _Statements(dialect)
    return _COMPILED[dialect.name]


def _process(eng: Engine, cur: Any, session_of: Callable[[], Session], deadline_id: int, now: dt.datetime,
             summary: DueSummary) -> None:
    """One row, in the caller's transaction: `cur` is the driver cursor of its connection and
    `session_of()` a Session in the same transaction, made only when a listener or `fire_in` needs it."""
    q = _statements(eng.db.engine.dialect)
    case = q.lock_case(cur, deadline_id)  # the row's case: locked first
    row = q.lock_row(cur, deadline_id)
    if row.status != "pending":
        return  # someone else fired it, or the case moved on, while it was leased
    outcome = _outcome(row, case, now)
    if outcome in ("retired", "skipped"):
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    else:
        if row.kind == "due" and row.trigger:
            session = session_of()
            loaded = session.get_one(CaseRow, case.id)  # already locked above
            fire_in(eng, session, loaded, row.trigger, SYSTEM, now, f"Deadline passed ({row.due_at.isoformat()})")
            summary.timeouts += 1
        event_type = _EVENT_OF_KIND[row.kind]
        if eng.listeners.wants(event_type):
            eng.emit(session_of(), event_type(
                case_id=case.id, actor=SYSTEM.username, at=now, deadline_id=row.id, offset_days=row.offset_days,
                state=row.state, due_at=row.due_at, workflow=case.workflow))
        attr = {"reminder": "reminders", "due": "due", "escalation": "escalations"}[row.kind]
        setattr(summary, attr, getattr(summary, attr) + 1)
    # After fire_in, which retires the case's pending rows (this one too): it fired, so done.
    q.finish(cur, deadline_id, "done" if outcome == "fired" else outcome, now)
    summary.note({"deadline_id": row.id, "case_id": case.id, "kind": row.kind,
                  "offset_days": row.offset_days, "due_at": row.due_at.isoformat(), "outcome": outcome})


def _outcome(row: _RowLocked, case: _CaseLocked, now: dt.datetime) -> str:
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


class _RowTransactions:
    """One pooled connection for a run's rows; each row is still its own transaction on it.

    Measured (bench/due.py, SQLite): a checkout, a Session and SQLAlchemy's begin and commit
    cost several times the row's own statements. So the row's transaction is begun and ended
    on the driver connection, and a Session is bound to it only when a listener or `fire_in`
    needs one; it joins the row's transaction, so what listeners write commits or rolls back
    with the row. After any error the connection is dropped, so a retry after a lost
    connection starts on a fresh one.
    """

    def __init__(self, eng: Engine) -> None:
        self.eng = eng
        self.sqlite = eng.db.dialect == "sqlite"
        self.conn: Connection | None = None

    def process(self, deadline_id: int, now: dt.datetime, summary: DueSummary) -> None:
        # Counted apart and added only after the commit, so a retried row is counted once.
        this = DueSummary(at=now)
        if self.conn is None:
            self.conn = self.eng.db.row_connection()
        conn = self.conn
        joined: list[tuple[RootTransaction, Session]] = []

        def session_of() -> Session:
            if not joined:
                joined.append((conn.begin(), Session(conn, expire_on_commit=False)))
            return joined[0][1]
        driver = conn.connection.driver_connection
        assert driver is not None
        cur = driver.cursor()
        try:
            if self.sqlite:
                cur.execute("BEGIN IMMEDIATE")
            _process(self.eng, cur, session_of, deadline_id, now, this)
            if joined:
                transaction, session = joined[0]
                session.flush()  # what listeners added, inside the row's transaction
                session.close()
                transaction.commit()
            else:
                driver.commit()
        except BaseException as exc:
            with suppress(Exception):  # on a lost connection the rollback fails too: the server has rolled back
                if joined:
                    joined[0][1].close()
                    joined[0][0].rollback()
                else:
                    driver.rollback()
            wrapped = self._drop(exc, driver, cur)
            if wrapped is None:
                raise
            raise wrapped from exc
        finally:
            with suppress(Exception):
                cur.close()
        for name in ("reminders", "due", "escalations", "timeouts", "retired", "skipped"):
            setattr(summary, name, getattr(summary, name) + getattr(this, name))
        for item in this.items:
            summary.note(item)

    def _drop(self, exc: BaseException, driver: Any, cur: Any) -> StatementError | None:
        """Drop the connection; a driver error comes back as SQLAlchemy's, as if SQLAlchemy had run the statement.

        So `_on_fresh_connection` tells a lost connection (retry on a new one) from a broken row,
        and the pool never hands out the dead connection again.
        """
        conn, self.conn = self.conn, None
        dialect = self.eng.db.engine.dialect
        dbapi_error = dialect.loaded_dbapi.Error
        lost = isinstance(exc, dbapi_error) and dialect.is_disconnect(exc, driver, cur)
        if conn is not None:
            with suppress(Exception):
                if lost:
                    conn.invalidate()
                conn.close()
        if isinstance(exc, dbapi_error):
            return DBAPIError.instance(None, None, exc, dbapi_error, connection_invalidated=lost, dialect=dialect)
        return None

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


class _DryRun(Exception):
    pass


def run_due(eng: Engine, now: dt.datetime, *, batch: int = 200, dry_run: bool = False) -> DueSummary:
    """Open what the agreement and the recurring obligations call for, then fire every due row."""
    summary = DueSummary(at=now)
    if dry_run:
        try:
            with eng.db.write() as session:
                _openings(eng, session, now, summary)
                cur = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
                for deadline_id in claim(session, now, 1_000_000):
                    _process(eng, cur, lambda: session, deadline_id, now, summary)
                raise _DryRun  # roll back everything the run did
        except _DryRun:
            pass
        return summary
    _open_what_is_due(eng, now, summary)
    rows = _RowTransactions(eng)
    try:
        while True:
            ids = _on_fresh_connection(partial(_claim_batch, eng, now, batch), "the claim")
            if not ids:
                break
            for deadline_id in ids:
                try:
                    _on_fresh_connection(partial(rows.process, deadline_id, now, summary), f"deadline {deadline_id}")
                except Exception as exc:  # one broken row must not block the whole run
                    log.exception("deadline %s failed", deadline_id)
                    _record_failure(eng, deadline_id, now, exc, summary)
    finally:
        rows.close()
    return summary


def next_due_at(session: Session) -> dt.datetime | None:
    """The earliest time a pending row falls due (or its lease ends)."""
    row = session.execute(text(
        "SELECT MIN(CASE WHEN claimed_until IS NOT NULL AND claimed_until > due_at "
        "THEN claimed_until ELSE due_at END) FROM deadlines WHERE status = 'pending'")).scalar()
    if row is None:
        return None
    return _TIME.process_result_value(row, session.get_bind().dialect)
