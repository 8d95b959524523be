"""Calendar feeds: per-person secret tokens (stored hashed) and the dates a feed shows.

A feed shows a person's open deadlines (cases assigned to them, and unassigned cases of
their groups) and the upcoming events (meetings, reviews) of their groups' open cases.
Rendering to iCalendar is notifications/' job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from engine.kernel.errors import NotFound
from engine.store.models import CalendarToken, CaseRow, Membership, User

__all__ = ["FeedItem", "create_token", "feed_items", "feed_owner", "revoke_tokens", "user_for_token"]


@dataclass(frozen=True)
class FeedItem:
    case_id: int
    title: str
    workflow: str
    state: str
    confidential: bool
    due_at: dt.datetime | None
    event_at: dt.datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _active_user(session: Session, username: str) -> int:
    uid = session.exec(select(User.id).where(User.username == username, col(User.disabled).is_(False))).first()
    if uid is None:
        raise NotFound(f"No active user {username!r}; `samverkan user list` shows who exists.")
    return uid


def create_token(session: Session, username: str, now: dt.datetime) -> str:
    """A new feed token for `username`; only its hash is kept, so show it now or never."""
    token = secrets.token_urlsafe(32)
    session.add(CalendarToken(user_id=_active_user(session, username), token_hash=_hash(token), created_at=now))
    return token


def revoke_tokens(session: Session, username: str, now: dt.datetime) -> int:
    """Revoke every live feed token of `username`; returns how many."""
    uid = _active_user(session, username)
    done = session.execute(update(CalendarToken).where(col(CalendarToken.user_id) == uid,
                                                       col(CalendarToken.revoked_at).is_(None))
                           .values(revoked_at=now))
    return int(done.rowcount)  # type: ignore[attr-defined]


def user_for_token(session: Session, token: str) -> int | None:
    """The id of the active user whose live token this is, or None."""
    return session.exec(select(User.id).join(CalendarToken, col(CalendarToken.user_id) == col(User.id))
                        .where(CalendarToken.token_hash == _hash(token), col(CalendarToken.revoked_at).is_(None),
                               col(User.disabled).is_(False))).first()


def feed_owner(session: Session, user_id: int) -> tuple[str, str]:
    """The (name, language) of a feed's owner."""
    row = session.exec(select(User.name, User.language).where(User.id == user_id)).first()
    if row is None:
        raise NotFound(f"No user with id {user_id}.")
    return row[0], row[1]


def feed_items(session: Session, user_id: int, now: dt.datetime,
               past: dt.timedelta = dt.timedelta(days=90)) -> list[FeedItem]:
    """The user's open deadlines and their groups' coming events, soonest first."""
    groups = select(Membership.group_id).where(Membership.user_id == user_id)
    in_groups = col(CaseRow.group_id).in_(groups)
    mine = or_(col(CaseRow.assignee_id) == user_id, and_(col(CaseRow.assignee_id).is_(None), in_groups))
    due = and_(mine, col(CaseRow.due_at).is_not(None))
    event = and_(in_groups, col(CaseRow.event_at) >= now - past)
    rows = session.exec(select(CaseRow).where(col(CaseRow.is_open).is_(True), or_(due, event))
                        .order_by(col(CaseRow.id))).all()
    out = []
    for c in rows:
        assert c.id is not None
        show_due = c.due_at is not None and (c.assignee_id == user_id or c.assignee_id is None)
        out.append(FeedItem(c.id, c.title, c.workflow, c.state, c.confidential,
                            c.due_at if show_due else None, c.event_at))
    return out
