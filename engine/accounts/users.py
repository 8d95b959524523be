"""People, their groups and roles, passwords (argon2) and the actor they act as."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, bindparam, delete, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from engine.accounts.passwords import check_strength
from engine.config.settings import Config
from engine.kernel.actors import SYSTEM, Actor
from engine.kernel.errors import Forbidden, NotFound, ValidationError
from engine.kernel.text import check_name, storable
from engine.policy.access import AGREEMENT_WIDE, spans
from engine.store.models import Group, Membership, User
from engine.store.prepared import Prepared, run_of

__all__ = [
    "Account",
    "actor_for",
    "add_user",
    "as_actor",
    "check_name",
    "check_password",
    "disable_user",
    "display_names",
    "enable_user",
    "group_id",
    "list_users",
    "load_actor",
    "set_password",
    "set_roles",
]

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# No spaces and no control characters: the address goes into a mail header as it is.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


@dataclass(frozen=True)
class Account:
    """A user account as administrators manage it, disabled ones included (not a person acting: see Actor)."""

    id: int
    username: str
    name: str
    email: str
    language: str
    disabled: bool
    memberships: tuple[tuple[str, str], ...]  # (group key, role)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"id": self.id, "username": self.username, "name": self.name, "email": self.email,
                "language": self.language, "disabled": self.disabled,
                "memberships": [{"group": g, "role": r} for g, r in self.memberships]}


def group_id(session: Session, key: str) -> int:
    """Id of the group `key`, or a ValidationError naming the known groups."""
    gid = session.exec(select(Group.id).where(Group.key == key)).first()
    if gid is None:
        known = ", ".join(session.exec(select(Group.key).order_by(Group.key)).all())
        raise ValidationError("group", f"Unknown group {key!r}; choose one of: {known}.",
                              code="unknown_group", params={"name": key, "choices": known})
    return gid


def _user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"No user {username!r}; `samverkan user list` shows who exists.")
    return user


def set_roles(session: Session, config: Config, user: User, pairs: list[tuple[str, str]]) -> None:
    """Replace the user's memberships with (role, group key) pairs."""
    assert user.id is not None
    session.execute(delete(Membership).where(Membership.user_id == user.id))  # type: ignore[arg-type]
    for role, gkey in dict.fromkeys(pairs):
        if role not in config.role_keys:
            known = ", ".join(sorted(config.role_keys))
            raise ValidationError("role", f"Unknown role {role!r}; choose one of: {known}.",
                                  code="unknown_role", params={"name": role, "choices": known})
        session.add(Membership(user_id=user.id, group_id=group_id(session, gkey), role=role))


def add_user(session: Session, config: Config, username: str, *, name: str, email: str,
             now: dt.datetime, roles: list[tuple[str, str]] | None = None,
             password: str | None = None, language: str | None = None) -> User:
    """Create a user; `roles` holds (role, group key) pairs."""
    if not _USERNAME.match(username):
        raise ValidationError("username", "A user name is 2-64 lower-case letters, digits, '.', '_' or '-'.")
    check_name(name)  # a line break in a name would break every message to them (their name heads the mail)
    if not _EMAIL.match(email):
        raise ValidationError("email", f"{email!r} is not an e-mail address.",
                              code="bad_email", params={"email": email})
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise ValidationError("username", f"User {username!r} already exists.",
                              code="user_exists", params={"name": username})
    user = User(username=username, name=name.strip() or username, email=email,
                language=language or config.language, created_at=now,
                session_nonce=secrets.token_hex(16))
    if password is not None:
        check_strength(password, (username, user.name, email))
        user.password_hash = _hasher.hash(password)
    session.add(user)
    session.flush()
    set_roles(session, config, user, roles or [])
    return user


def set_password(session: Session, username: str, password: str) -> None:
    """Set a new password; also ends every session of the user."""
    user = _user(session, username)
    check_strength(password, (user.username, user.name, user.email))
    user.password_hash = _hasher.hash(password)
    user.session_nonce = secrets.token_hex(16)
    session.add(user)


def check_password(user: User, password: str) -> bool:
    """True if `password` is the user's; constant work whether or not the user has one."""
    try:
        return _hasher.verify(user.password_hash or _dummy_hash(), password) and bool(user.password_hash)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Made on first use, not at import: hashing costs ~0.3 s that every CLI call would pay.
    return _hasher.hash("not-a-password-anyone-has")


def disable_user(session: Session, username: str) -> None:
    """Disable a user: they can no longer log in or act; their sessions end."""
    user = _user(session, username)
    user.disabled = True
    user.session_nonce = secrets.token_hex(16)
    session.add(user)


def enable_user(session: Session, username: str) -> None:
    """Enable a disabled user again: they log in with the password they had."""
    user = _user(session, username)
    user.disabled = False
    session.add(user)


def _memberships(session: Session, user_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {uid: [] for uid in user_ids}
    rows = session.exec(select(Membership.user_id, Group.key, Membership.role)
                        .join(Group, Group.id == Membership.group_id)  # type: ignore[arg-type]
                        .where(col(Membership.user_id).in_(user_ids))
                        .order_by(Group.key, Membership.role)).all()
    for uid, gkey, role in rows:
        out[uid].append((gkey, role))
    return out


def list_users(session: Session) -> list[Account]:
    """Every user with their memberships, by user name."""
    users = session.exec(select(User).order_by(User.username)).all()
    ms = _memberships(session, [u.id for u in users if u.id is not None])
    return [Account(u.id or 0, u.username, u.name, u.email, u.language, u.disabled,
                     tuple(ms.get(u.id or 0, []))) for u in users]


_U, _M, _G = User.__table__, Membership.__table__, Group.__table__  # type: ignore[attr-defined]
_HELD, _SPAN = _G.alias("held_in"), _G.alias("spanned")
# The user, their memberships and, for a role spanning its agreement, every group of that agreement
# (access.spans), in one statement built once: the web runs it on every request and the CLI and the
# API on every action. One row per membership and spanned group (one without any membership).
_ACTOR = (core_select(_U.c.id, _U.c.username, _U.c.name, _U.c.language, _U.c.session_nonce, _U.c.disabled,
                      _M.c.group_id, _M.c.role, _SPAN.c.agreement_id, _SPAN.c.id.label("span_group"))
          .select_from(_U.outerjoin(_M, _M.c.user_id == _U.c.id)
                       .outerjoin(_HELD, and_(_HELD.c.id == _M.c.group_id,
                                              or_(*(_M.c.role == r for r in sorted(AGREEMENT_WIDE)))))
                       .outerjoin(_SPAN, _SPAN.c.agreement_id == _HELD.c.agreement_id)))
_BY_NAME = _ACTOR.where(_U.c.username == bindparam("b_username"))
# Every transition a person fires begins here: on the driver's cursor (engine.store.prepared).
_BY_NAME_PREPARED = Prepared(_BY_NAME)
_BY_ID = _ACTOR.where(_U.c.id == bindparam("b_id"))


def _actor(rows: Sequence[Any]) -> Actor:
    first = rows[0]
    memberships = frozenset((r.group_id, r.role) for r in rows if r.group_id is not None)
    groups = {(r.agreement_id, r.span_group) for r in rows if r.span_group is not None}
    return Actor(first.username, first.id, memberships, first.name, first.language, spans(memberships, groups))


def actor_for(session: Session, username: str) -> Actor:
    """The Actor `username` acts as; "system" is the scheduler. Disabled users may not act."""
    if username == SYSTEM.username:
        return SYSTEM
    rows = run_of(session).rows(_BY_NAME_PREPARED, {"b_username": username}) if storable(username) else []
    if not rows:
        raise NotFound(f"No user {username!r}; `samverkan user list` shows who exists.")
    if rows[0].disabled:
        raise Forbidden(f"User {username!r} is disabled; an administrator can enable them again.")
    return _actor(rows)


def load_actor(session: Session, user_id: int) -> tuple[Actor, str, bool] | None:
    """The Actor of user `user_id` with their session nonce and whether they are disabled; None if no such user."""
    rows = session.execute(_BY_ID, {"b_id": user_id}).all()
    if not rows:
        return None
    return _actor(rows), rows[0].session_nonce or "", bool(rows[0].disabled)


def as_actor(session: Session, actor: Actor | str) -> Actor:
    """`actor` itself, or the actor of the user named so."""
    return actor if isinstance(actor, Actor) else actor_for(session, actor)


_NAMED = (core_select(User.__table__.c.username, User.__table__.c.name)  # type: ignore[attr-defined]
          .where(User.__table__.c.username.in_(bindparam("b_names", expanding=True))))  # type: ignore[attr-defined]


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """The names people read for these users (the user name where a user has none), in one query."""
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    rows = session.execute(_NAMED, {"b_names": wanted}).all()
    return {u: n or u for u, n in rows}
