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

from sqlalchemy import BindParameter, bindparam, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from engine.store.db import Database
from engine.store.models import CaseRow, Group, Membership, Notice, NoticePreference, Period, User
from engine.store.prepared import Prepared, run_of

__all__ = [
    "CaseBrief",
    "MODES",
    "OutboxItem",
    "agreement_of_period",
    "case_brief",
    "claim_due",
    "delivery_modes",
    "enqueue",
    "existing_keys",
    "group_member_ids",
    "list_notices",
    "list_for_user",
    "mark_read",
    "mark_sent",
    "notice_for",
    "overdue_cases",
    "record_failures",
    "set_mode",
    "unread_count",
    "unread_of",
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

_NOTICES = Notice.__table__  # type: ignore[attr-defined]
_CASES = CaseRow.__table__  # type: ignore[attr-defined]
_GROUPS = Group.__table__  # type: ignore[attr-defined]
_USERS = User.__table__  # type: ignore[attr-defined]
_MEMBERS = Membership.__table__  # type: ignore[attr-defined]
_PREFS = NoticePreference.__table__  # type: ignore[attr-defined]
# Built once: the rules run these for every reminder and escalation (bench/due.py, national run),
# and building a statement, or loading the whole case as an object, costs more than running it.
_ENQUEUE = {name: dialect.insert(_NOTICES).on_conflict_do_nothing(index_elements=["idempotency_key"])
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_BRIEF = (core_select(_CASES.c.id, _CASES.c.title, _CASES.c.workflow, _CASES.c.state, _CASES.c.confidential,
                 _CASES.c.assignee_id, _CASES.c.group_id, _GROUPS.c.key, _CASES.c.focus_area, _CASES.c.due_at,
                 _CASES.c.event_at, _CASES.c.agreement_id, _CASES.c.definition_version)
          .join(_GROUPS, _GROUPS.c.id == _CASES.c.group_id).where(_CASES.c.id == bindparam("b_case")))
_OVERDUE_CASES = (core_select(*_BRIEF.selected_columns)
                  .join(_GROUPS, _GROUPS.c.id == _CASES.c.group_id)
                  .where(_CASES.c.is_open.is_(True),
                         _CASES.c.due_at < bindparam("b_now", type_=_CASES.c.due_at.type))
                  .order_by(_GROUPS.c.key, _CASES.c.focus_area, _CASES.c.due_at, _CASES.c.id))
_WITH_ROLE = (core_select(_USERS.c.id).join(_MEMBERS, _MEMBERS.c.user_id == _USERS.c.id)
              .join(_GROUPS, _GROUPS.c.id == _MEMBERS.c.group_id)
              .where(_MEMBERS.c.role == bindparam("b_role"), _USERS.c.disabled.is_(False)).distinct())
_WITH_ROLE_IN = _WITH_ROLE.where(_GROUPS.c.agreement_id == bindparam("b_agreement"))
_MEMBER_IDS = (core_select(_USERS.c.id).join(_MEMBERS, _MEMBERS.c.user_id == _USERS.c.id)
               .where(_MEMBERS.c.group_id == bindparam("b_group"), _USERS.c.disabled.is_(False)).distinct())
_ACTIVE = core_select(_USERS.c.id).where(_USERS.c.id == bindparam("b_user"), _USERS.c.disabled.is_(False))
# Asked on every change of a case (the notice rules): on the driver's cursor (engine.store.prepared).
_BRIEF_PREPARED = Prepared(_BRIEF)
_ID_BY_NAME = Prepared(core_select(_USERS.c.id, _USERS.c.disabled).where(_USERS.c.username == bindparam("b_name")))
_NAME_BY_NAME = Prepared(core_select(_USERS.c.name).where(_USERS.c.username == bindparam("b_name")))
_MODES = core_select(_PREFS.c.user_id, _PREFS.c.mode).where(_PREFS.c.user_id.in_(bindparam("b_users", expanding=True)))


def enqueue(session: Session, *, key: str, kind: str, case_id: int | None, recipient_id: int,
            payload: dict[str, Any], now: dt.datetime, deliver_at: dt.datetime) -> bool:
    """Insert a pending notice unless one with `key` exists; True if it was new."""
    stmt = _ENQUEUE[session.get_bind().dialect.name]
    result = session.execute(stmt, {"idempotency_key": key, "kind": kind, "case_id": case_id,
                                    "recipient_id": recipient_id, "created_at": now, "payload": payload,
                                    "status": "pending", "attempts": 0, "next_attempt_at": deliver_at})
    return bool(result.rowcount)  # type: ignore[attr-defined]


def existing_keys(session: Session, keys: Iterable[str], *, since: dt.datetime | None = None) -> set[str]:
    """Which of the idempotency `keys` a notice has been written under (at or after `since`, if given)."""
    wanted = list(keys)
    if not wanted:
        return set()
    stmt = select(Notice.idempotency_key).where(col(Notice.idempotency_key).in_(wanted))
    if since is not None:
        stmt = stmt.where(col(Notice.created_at) >= since)
    return set(session.exec(stmt).all())


def case_brief(session: Session, case_id: int) -> CaseBrief | None:
    """The facts about case `case_id` that notices are made from, or None."""
    row = run_of(session).first(_BRIEF_PREPARED, {"b_case": case_id})
    return None if row is None else CaseBrief(*row)


def user_ids_with_role(session: Session, role: str, agreement_id: int | None = None) -> list[int]:
    """Active users holding `role` in a group of agreement `agreement_id` (in any group if None).

    Only that agreement's: the chair of another municipality's agreement may not open its cases
    (engine/policy/access.py), so an agreement without a chair has no chair told."""
    if agreement_id is not None:
        return sorted(session.execute(_WITH_ROLE_IN, {"b_role": role, "b_agreement": agreement_id}).scalars().all())
    return sorted(session.execute(_WITH_ROLE, {"b_role": role}).scalars().all())


def agreement_of_period(session: Session, period_id: int) -> int | None:
    """The agreement period `period_id` belongs to."""
    return session.exec(select(Period.agreement_id).where(Period.id == period_id)).first()


def group_member_ids(session: Session, group_id: int) -> list[int]:
    """Active members of group `group_id`, whatever their role."""
    return sorted(session.execute(_MEMBER_IDS, {"b_group": group_id}).scalars().all())


def user_id_by_name(session: Session, username: str, *, active: bool = True) -> int | None:
    """Id of user `username` (only if enabled, unless `active` is False), or None."""
    row = run_of(session).first(_ID_BY_NAME, {"b_name": username})
    if row is None or (active and row.disabled):
        return None
    found: int = row.id
    return found


def is_active(session: Session, user_id: int) -> bool:
    """True if user `user_id` exists and is not disabled."""
    return session.execute(_ACTIVE, {"b_user": user_id}).first() is not None


def display_name(session: Session, username: str) -> str:
    """The user's name as people read it (the user name if there is none)."""
    row = run_of(session).first(_NAME_BY_NAME, {"b_name": username})
    return (row.name if row is not None else None) or username


def delivery_modes(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's chosen mode ("immediate" unless they chose "daily")."""
    ids = list(user_ids)
    chosen: dict[int, str] = {uid: mode for uid, mode in session.execute(_MODES, {"b_users": ids})}
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
    """Open cases past their due time, by group, focus area and due time.

    The brief's columns only: at national size this is every overdue case of every agreement
    (the weekly digest), and loading each as a mapped object cost seconds and the worker's memory.
    """
    rows = session.execute(_OVERDUE_CASES, {"b_now": now})
    return [CaseBrief(*row) for row in rows]


# --- delivery --------------------------------------------------------------------------

# The deliverer's statements, built once: at thousands of messages a run, building them and loading
# each notice and its recipient as mapped objects cost more than the database's work.
_ITEM_COLUMNS = (_NOTICES.c.id, _NOTICES.c.idempotency_key, _NOTICES.c.kind, _NOTICES.c.case_id,
                 _NOTICES.c.payload, _NOTICES.c.attempts, _NOTICES.c.created_at, _USERS.c.id, _USERS.c.email,
                 _USERS.c.name, _USERS.c.language, _NOTICES.c.status, _USERS.c.username,
                 _NOTICES.c.next_attempt_at, _NOTICES.c.sent_at, _NOTICES.c.read_at, _NOTICES.c.last_error,
                 _USERS.c.disabled)  # in OutboxItem's order
_ITEMS = core_select(*_ITEM_COLUMNS).join_from(_NOTICES, _USERS, _USERS.c.id == _NOTICES.c.recipient_id)
_B_NOW = bindparam("b_now", type_=_NOTICES.c.next_attempt_at.type)
_B_IDS: BindParameter[list[int]] = bindparam("b_ids", expanding=True)
_DUE_IDS = (core_select(_NOTICES.c.id)
            .where(_NOTICES.c.status == "pending", _NOTICES.c.next_attempt_at <= _B_NOW,
                   or_(_NOTICES.c.claimed_until.is_(None), _NOTICES.c.claimed_until <= _B_NOW))
            .order_by(_NOTICES.c.recipient_id, _NOTICES.c.id).limit(bindparam("b_limit"))
            .with_for_update(skip_locked=True))
_LEASE = (update(_NOTICES).where(_NOTICES.c.id.in_(_B_IDS))
          .values(claimed_until=bindparam("b_until", type_=_NOTICES.c.claimed_until.type)))
_CLAIMED = _ITEMS.where(_NOTICES.c.id.in_(_B_IDS)).order_by(_NOTICES.c.id)
_SENT = (update(_NOTICES).where(_NOTICES.c.id.in_(_B_IDS))
         .values(status="sent", sent_at=_B_NOW, claimed_until=None, last_error=None,
                 attempts=_NOTICES.c.attempts + 1))


def _item(row: Any) -> OutboxItem:
    (nid, key, kind, case_id, payload, attempts, created_at, uid, email, name, language, status, username,
     next_at, sent_at, read_at, last_error, disabled) = row
    return OutboxItem(nid, key, kind, case_id, dict(payload), attempts, created_at, uid, email, name, language,
                      status, username, next_at, sent_at, read_at, last_error, bool(disabled))


def _items(session: Session, where: Any, limit: int, order: Any = None) -> list[OutboxItem]:
    rows = session.execute(_ITEMS.where(where).order_by(*(order or (_NOTICES.c.id,))).limit(limit))
    return [_item(row) for row in rows]


def claim_due(db: Database, now: dt.datetime, *, limit: int = 500,
              lease: dt.timedelta = dt.timedelta(minutes=10)) -> list[OutboxItem]:
    """Claim up to `limit` pending notices due by `now` for one deliverer, in their own transaction."""
    with db.write() as session:
        ids = list(session.execute(_DUE_IDS, {"b_now": now, "b_limit": limit}).scalars())
        if not ids:
            return []
        session.execute(_LEASE, {"b_ids": ids, "b_until": now + lease})
        return [_item(row) for row in session.execute(_CLAIMED, {"b_ids": ids})]


def mark_sent(db: Database, ids: list[int], now: dt.datetime) -> None:
    """Record that the notices `ids` were handed to the mail server."""
    if not ids:
        return
    with db.write() as session:
        session.execute(_SENT, {"b_ids": ids, "b_now": now})


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


def notice_for(session: Session, user_id: int, notice_id: int) -> OutboxItem | None:
    """Notice `notice_id` if it is `user_id`'s, else None."""
    found = _items(session, (col(Notice.id) == notice_id) & (col(Notice.recipient_id) == user_id), 1)
    return found[0] if found else None


# Built once: every page's header counts the unread notices, and the case page those about the case.
def _unread(user: BindParameter[int]) -> Any:
    return core_select(func.count()).select_from(_NOTICES).where(_NOTICES.c.recipient_id == user,
                                                                 _NOTICES.c.read_at.is_(None))


def unread_of(user: BindParameter[int]) -> Any:
    """How many of the notices of the user bound to `user` are unread, as a scalar subquery (a page's header
    counts them with its queues, in one statement)."""
    return _unread(user).scalar_subquery()


_UNREAD = _unread(bindparam("b_user"))
_UNREAD_ABOUT = _UNREAD.where(_NOTICES.c.case_id == bindparam("b_case"))


def unread_count(session: Session, user_id: int, *, case_id: int | None = None) -> int:
    """How many of a person's notices (about case `case_id`, if given) are unread."""
    if case_id is None:
        return int(session.execute(_UNREAD, {"b_user": user_id}).scalar_one())
    return int(session.execute(_UNREAD_ABOUT, {"b_user": user_id, "b_case": case_id}).scalar_one())


def mark_read(session: Session, user_id: int, now: dt.datetime, ids: Iterable[int] | None = None, *,
              case_id: int | None = None) -> int:
    """Mark a person's notices read (all unread ones if neither `ids` nor `case_id` narrows them);
    returns how many changed."""
    stmt = update(Notice).where(col(Notice.recipient_id) == user_id, col(Notice.read_at).is_(None))
    if ids is not None:
        stmt = stmt.where(col(Notice.id).in_(list(ids)))
    if case_id is not None:
        stmt = stmt.where(col(Notice.case_id) == case_id)
    return int(session.execute(stmt.values(read_at=now)).rowcount)  # type: ignore[attr-defined]
