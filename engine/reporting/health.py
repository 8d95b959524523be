"""Health and metrics read from the database, so every process reports the same truth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from engine.runtime.engine import Engine
from engine.store.models import Deadline, Notice, SchedulerHeartbeat, TransitionLog

__all__ = ["Health", "check_health", "counters"]


@dataclass(frozen=True)
class Health:
    database: bool
    scheduler_age_seconds: float | None  # since the freshest heartbeat; None if no scheduler ever ran
    outbox_pending: int
    outbox_failed: int
    error: str | None = None

    def ok(self, max_scheduler_age: float = 300.0) -> bool:
        """Healthy: the database answers and a scheduler ran recently."""
        return self.database and self.scheduler_age_seconds is not None \
            and self.scheduler_age_seconds <= max_scheduler_age


def check_health(eng: Engine, now: dt.datetime) -> Health:
    """Probe the database, the scheduler heartbeats and the outbox backlog."""
    try:
        with eng.db.read() as s:
            s.execute(text("SELECT 1"))
            beat = s.exec(select(func.max(SchedulerHeartbeat.beat_at))).one()
            pending = s.exec(select(func.count()).select_from(Notice).where(col(Notice.status) == "pending")).one()
            failed = s.exec(select(func.count()).select_from(Notice).where(col(Notice.status) == "failed")).one()
    except SQLAlchemyError as exc:
        return Health(False, None, 0, 0, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    if isinstance(beat, str):  # SQLite returns MAX() of a date-time as text
        beat = dt.datetime.fromisoformat(beat)
    if beat is not None and beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.UTC)
    age = (now - beat).total_seconds() if beat is not None else None
    return Health(True, age, pending, failed)


def counters(eng: Engine) -> dict[str, int]:
    """Totals for metrics: transitions, scheduler runs, deadlines by status, notices by status."""
    with eng.db.read() as s:
        out = {"transitions_total": s.exec(select(func.count()).select_from(TransitionLog)).one(),
               "due_runs_total": s.exec(select(func.coalesce(func.sum(SchedulerHeartbeat.runs), 0))).one()}
        for status, n in s.exec(select(Deadline.status, func.count()).group_by(col(Deadline.status))).all():
            out[f"deadlines_{status}"] = n
        for status, n in s.exec(select(Notice.status, func.count()).group_by(col(Notice.status))).all():
            out[f"notices_{status}"] = n
    return out
