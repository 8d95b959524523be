"""User administration for administrators, each in one transaction, and the failed outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select

from engine.accounts.users import (
    Account,
    add_user,
    as_actor,
    disable_user,
    enable_user,
    list_users,
    set_password,
    set_roles,
)
from engine.kernel.actors import Actor
from engine.kernel.errors import Forbidden, NotFound
from engine.policy.access import CHAIR, may_administer
from engine.runtime.engine import Engine
from engine.store.models import Agreement, Group, Membership, Notice, User

__all__ = ["agreements_without_chair", "create_user", "disable", "enable", "failed_notices", "replace_roles",
           "reset_password", "users"]


def _require_admin(actor: Actor) -> None:
    if not may_administer(actor):
        raise Forbidden("Only an administrator may manage users; ask one.")


def users(eng: Engine, actor: Actor | str) -> list[Account]:
    """Every user with memberships (administrators only)."""
    with eng.db.read() as session:
        _require_admin(as_actor(session, actor))
        return list_users(session)


def agreements_without_chair(eng: Engine, actor: Actor | str) -> list[str]:
    """The titles of the agreements in which no enabled user holds the chair: their escalations and
    digests reach no chair, since the chair counts in their own agreement only (administrators only)."""
    chaired = (select(col(Group.agreement_id)).join(Membership, col(Membership.group_id) == col(Group.id))
               .join(User, col(User.id) == col(Membership.user_id))
               .where(col(Membership.role) == CHAIR, col(User.disabled).is_(False)))
    with eng.db.read() as session:
        _require_admin(as_actor(session, actor))
        return list(session.exec(select(Agreement.title).where(col(Agreement.id).not_in(chaired))
                                 .order_by(col(Agreement.title))).all())


def create_user(eng: Engine, actor: Actor | str, username: str, *, name: str, email: str, password: str,
                roles: list[tuple[str, str]], now: dt.datetime, language: str | None = None) -> None:
    """Add a user with a password and (role, group) memberships."""
    with eng.db.write() as session:
        _require_admin(as_actor(session, actor))
        add_user(session, eng.config, username, name=name, email=email, now=now, roles=roles,
                 password=password, language=language)


def disable(eng: Engine, actor: Actor | str, username: str) -> None:
    """Disable a user; their sessions end at once."""
    with eng.db.write() as session:
        who = as_actor(session, actor)
        _require_admin(who)
        if who.username == username:
            raise Forbidden("You cannot disable your own account; ask another administrator.")
        disable_user(session, username)


def enable(eng: Engine, actor: Actor | str, username: str) -> None:
    """Enable a disabled user again (administrators only)."""
    with eng.db.write() as session:
        _require_admin(as_actor(session, actor))
        enable_user(session, username)


def reset_password(eng: Engine, actor: Actor | str, username: str, password: str) -> None:
    """Set a new password for a user (ends their sessions)."""
    with eng.db.write() as session:
        _require_admin(as_actor(session, actor))
        set_password(session, username, password)


def replace_roles(eng: Engine, actor: Actor | str, username: str, pairs: list[tuple[str, str]]) -> None:
    """Replace a user's (role, group key) memberships."""
    with eng.db.write() as session:
        _require_admin(as_actor(session, actor))
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"No user {username!r}.")
        set_roles(session, eng.config, user, pairs)


def failed_notices(eng: Engine, actor: Actor | str, limit: int = 200) -> list[dict[str, Any]]:
    """Notifications the outbox gave up on, newest first (read-only view for administrators)."""
    with eng.db.read() as session:
        _require_admin(as_actor(session, actor))
        rows = session.exec(select(Notice, User.username)
                            .join(User, User.id == Notice.recipient_id, isouter=True)  # type: ignore[arg-type]
                            .where(Notice.status == "failed")
                            .order_by(Notice.created_at.desc()).limit(limit)).all()  # type: ignore[attr-defined]
        return [{"id": n.id, "kind": n.kind, "case_id": n.case_id, "recipient": username,
                 "created_at": n.created_at, "attempts": n.attempts, "last_error": n.last_error}
                for n, username in rows]
