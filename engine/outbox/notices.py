"""The outbox: notices written with the change that causes them, claimed for delivery, read in-app.

A notice is inserted in the caller's transaction under a unique idempotency key, so a
change that is retried or an event that fires twice never makes a second notice.
Deliverers claim due rows with a lease (SQLite: the write lock taken at BEGIN IMMEDIATE;
PostgreSQL: `FOR UPDATE SKIP LOCKED`), so two deliverers never send the same row, and a
crashed deliverer's claim runs out and the row is tried again. What to tell whom, and
how, lives in notifications/; this module only stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from engine.store.db import Database
from engine.store.models import CaseRow, Group, Membership, Notice, NoticePreference, Period, User

__all__ = [
    "CaseBrief",
    "MODES",
    "OutboxItem",
    "agreement_of_period",
    "case_brief",
    "claim_due",
    "delivery_modes",
    "enqueue",
    "group_member_ids",
    "list_notices",
    "list_for_user",
    "mark_read",
    "mark_sent",
    "overdue_cases",
    "record_failures",
    "set_mode",
    "unread_count",
    "user_id_by_name",
    "user_ids_with_role",
]

MODES = ("immediate", "daily")


@dataclass(frozen=True)
class CaseBrief:
    """What a rule needs to know about a case to decide and describe a notice."""

    id: int
    title: str
    workflow: str
    state: str
    confidential: bool
    assignee_id: int | None
    group_id: int
    group_key: str
    focus_area: str | None
    due_at: dt.datetime | None
    event_at: dt.datetime | None
    agreement_id: int | None = None
    definition_version: str = ""


@dataclass(frozen=True)
class OutboxItem:
    """A claimed notice with its recipient's address and language, ready to render."""

    id: int
    key: str
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    attempts: int
    created_at: dt.datetime
    recipient_id: int
    email: str
    name: str
    language: str
    status: str = "pending"
    username: str = ""
    next_attempt_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    read_at: dt.datetime | None = None
    last_error: str | None = None
    disabled: bool = False  # the recipient was disabled after the notice was written

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for `notifications list --json` and the API."""
        return {"id": self.id, "key": self.key, "kind": self.kind, "case_id": self.case_id,
                "recipient": self.username, "email": self.email, "status": self.status,
                "attempts": self.attempts, "created_at": self.created_at.isoformat(),
                "next_attempt_at": _iso(self.next_attempt_at), "sent_at": _iso(self.sent_at),
                "read_at": _iso(self.read_at), "last_error": self.last_error, "payload": self.payload}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- writing, inside the transaction of the change ------------------------------------

def enqueue(session: Session, *, key: str, kind: str, case_id: int | None, recipient_id: int,
            payload: dict[str, Any], now: dt.datetime, deliver_at: dt.datetime) -> bool:
    """Insert a pending notice unless one with `key` exists; True if it was new."""
    from engine.store.sql import insert_ignore

    return insert_ignore(session, Notice, ["idempotency_key"], idempotency_key=key, kind=kind,
                         case_id=case_id, recipient_id=recipient_id, created_at=now, payload=payload,
                         status="pending", attempts=0, next_attempt_at=deliver_at)


def case_brief(session: Session, case_id: int) -> CaseBrief | None:
    """The facts about case `case_id` that notices are made from, or None."""
    row = session.exec(select(CaseRow, Group.key).join(Group, Group.id == CaseRow.group_id)  # type: ignore[arg-type]
                       .where(CaseRow.id == case_id)).first()
    if row is None:
        return None
    c, gkey = row
    assert c.id is not None
    return CaseBrief(c.id, c.title, c.workflow, c.state, c.confidential, c.assignee_id, c.group_id, gkey,
                     c.focus_area, c.due_at, c.event_at, c.agreement_id, c.definition_version)


def user_ids_with_role(session: Session, role: str, agreement_id: int | None = None) -> list[int]:
    """Active users holding `role` in a group of agreement `agreement_id` (any group if None or none there)."""
    stmt = (select(User.id).join(Membership, col(Membership.user_id) == col(User.id))
            .join(Group, col(Group.id) == col(Membership.group_id))
            .where(Membership.role == role, col(User.disabled).is_(False)).distinct())
    if agreement_id is not None:
        scoped = session.exec(stmt.where(Group.agreement_id == agreement_id)).all()
        if scoped:  # an agreement without its own chair still has somebody told
            return sorted(i for i in scoped if i is not None)
    return sorted(i for i in session.exec(stmt).all() if i is not None)


def agreement_of_period(session: Session, period_id: int) -> int | None:
    """The agreement period `period_id` belongs to."""
    return session.exec(select(Period.agreement_id).where(Period.id == period_id)).first()


def group_member_ids(session: Session, group_id: int) -> list[int]:
    """Active members of group `group_id`, whatever their role."""
    rows = session.exec(select(User.id).join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
                        .where(Membership.group_id == group_id, User.disabled == False)  # noqa: E712
                        .distinct()).all()
    return sorted(i for i in rows if i is not None)


def user_id_by_name(session: Session, username: str, *, active: bool = True) -> int | None:
    """Id of user `username` (only if enabled, unless `active` is False), or None."""
    stmt = select(User.id).where(User.username == username)
    if active:
        stmt = stmt.where(User.disabled == False)  # noqa: E712
    return session.exec(stmt).first()


def is_active(session: Session, user_id: int) -> bool:
    """True if user `user_id` exists and is not disabled."""
    return session.exec(select(User.id).where(User.id == user_id, User.disabled == False)).first() is not None  # noqa: E712


def display_name(session: Session, username: str) -> str:
    """The user's name as people read it (the user name if there is none)."""
    return session.exec(select(User.name).where(User.username == username)).first() or username


def delivery_modes(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's chosen mode ("immediate" unless they chose "daily")."""
    ids = list(user_ids)
    rows = session.exec(select(NoticePreference.user_id, NoticePreference.mode)
                        .where(NoticePreference.user_id.in_(ids))).all()  # type: ignore[attr-defined]
    chosen = dict(rows)
    return {i: chosen.get(i, "immediate") for i in ids}


def set_mode(session: Session, user_id: int, mode: str, now: dt.datetime) -> None:
    """Choose immediate messages or one daily digest for `user_id`."""
    if mode not in MODES:
        from engine.kernel.errors import ValidationError
        raise ValidationError("mode", f"Choose {' or '.join(MODES)}.")
    pref = session.get(NoticePreference, user_id) or NoticePreference(user_id=user_id)
    pref.mode, pref.updated_at = mode, now
    session.add(pref)


def overdue_cases(session: Session, now: dt.datetime) -> list[CaseBrief]:
    """Open cases past their due time, by group, focus area and due time."""
    rows = session.exec(select(CaseRow, Group.key).join(Group, col(Group.id) == col(CaseRow.group_id))
                        .where(col(CaseRow.is_open).is_(True), col(CaseRow.due_at) < now)
                        .order_by(col(Group.key), col(CaseRow.focus_area), col(CaseRow.due_at), col(CaseRow.id))).all()
    return [CaseBrief(c.id or 0, c.title, c.workflow, c.state, c.confidential, c.assignee_id, c.group_id,
                      gkey, c.focus_area, c.due_at, c.event_at, c.agreement_id) for c, gkey in rows]


# --- delivery --------------------------------------------------------------------------

def _items(session: Session, where: Any, limit: int, order: Any = None) -> list[OutboxItem]:
    rows = session.exec(select(Notice, User).join(User, col(User.id) == col(Notice.recipient_id))
                        .where(where).order_by(*(order or (col(Notice.id),))).limit(limit)).all()
    return [OutboxItem(n.id or 0, n.idempotency_key, n.kind, n.case_id, dict(n.payload), n.attempts,
                       n.created_at, u.id or 0, u.email, u.name, u.language, n.status, u.username,
                       n.next_attempt_at, n.sent_at, n.read_at, n.last_error, u.disabled) for n, u in rows]


def claim_due(db: Database, now: dt.datetime, *, limit: int = 500,
              lease: dt.timedelta = dt.timedelta(minutes=10)) -> list[OutboxItem]:
    """Claim up to `limit` pending notices due by `now` for one deliverer, in their own transaction."""
    with db.write() as session:
        ids = [i for i in session.exec(
            select(Notice.id).where(col(Notice.status) == "pending", col(Notice.next_attempt_at) <= now,
                                    or_(col(Notice.claimed_until).is_(None), col(Notice.claimed_until) <= now))
            .order_by(col(Notice.recipient_id), col(Notice.id)).limit(limit)
            .with_for_update(skip_locked=True)).all() if i is not None]
        if not ids:
            return []
        session.execute(update(Notice).where(col(Notice.id).in_(ids))
                        .values(claimed_until=now + lease))
        return _items(session, col(Notice.id).in_(ids), len(ids))


def mark_sent(db: Database, ids: list[int], now: dt.datetime) -> None:
    """Record that the notices `ids` were handed to the mail server."""
    if not ids:
        return
    with db.write() as session:
        session.execute(update(Notice).where(col(Notice.id).in_(ids))
                        .values(status="sent", sent_at=now, claimed_until=None, last_error=None,
                                attempts=Notice.attempts + 1))


def record_failures(db: Database, failures: list[tuple[int, dt.datetime | None, str]]) -> None:
    """For each (id, next attempt or None for failed for good, error): count the attempt and release."""
    if not failures:
        return
    with db.write() as session:
        for notice_id, next_at, error in failures:
            values: dict[str, Any] = {"attempts": Notice.attempts + 1, "claimed_until": None,
                                      "last_error": error[:500]}
            values.update({"next_attempt_at": next_at} if next_at else {"status": "failed"})
            session.execute(update(Notice).where(col(Notice.id) == notice_id).values(**values))


def list_notices(session: Session, *, status: str | None = None, limit: int = 200) -> list[OutboxItem]:
    """The outbox, newest first, optionally only one status (pending, sent, failed)."""
    where = col(Notice.status) == status if status else col(Notice.id).is_not(None)
    return _items(session, where, limit, (col(Notice.id).desc(),))


# --- in-app notices ----------------------------------------------------------------------

def list_for_user(session: Session, user_id: int, *, unread_only: bool = False,
                  limit: int = 50) -> list[OutboxItem]:
    """A person's notices for the bell, newest first."""
    where = col(Notice.recipient_id) == user_id
    if unread_only:
        where = where & col(Notice.read_at).is_(None)
    return _items(session, where, limit, (col(Notice.id).desc(),))


def unread_count(session: Session, user_id: int) -> int:
    """How many of a person's notices are unread."""
    return session.exec(select(func.count()).select_from(Notice).where(
        col(Notice.recipient_id) == user_id, col(Notice.read_at).is_(None))).one()


def mark_read(session: Session, user_id: int, now: dt.datetime, ids: Iterable[int] | None = None) -> int:
    """Mark a person's notices read (all unread ones if `ids` is None); returns how many changed."""
    stmt = update(Notice).where(col(Notice.recipient_id) == user_id, col(Notice.read_at).is_(None))
    if ids is not None:
        stmt = stmt.where(col(Notice.id).in_(list(ids)))
    return int(session.execute(stmt.values(read_at=now)).rowcount)  # type: ignore[attr-defined]
