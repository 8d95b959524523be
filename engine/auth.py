"""Logging in: password check, a throttle kept in the database, and per-user session nonces.

The throttle counts recent failed attempts per user name and per address in the
`login_attempts` table, so it holds across web workers and restarts. A session is
valid only while the user's `session_nonce` is the one it was issued with; log-out,
a password change and disabling the user change the nonce.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlmodel import Session, select

from engine.app import Engine
from engine.errors import EngineError, ValidationError
from engine.models import LoginAttempt, Membership, User
from engine.users import check_password

__all__ = [
    "ADDRESS_LIMIT",
    "USER_LIMIT",
    "WINDOW",
    "LoginRefused",
    "SessionUser",
    "end_sessions",
    "log_in",
    "session_user",
    "set_language",
]

WINDOW = dt.timedelta(minutes=15)
USER_LIMIT = 5
ADDRESS_LIMIT = 20
LANGUAGES = ("sv", "en")


class LoginRefused(EngineError):
    """The log-in failed; `reason` is "invalid" or "throttled"."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class SessionUser:
    """What a web session knows about the person logged in."""

    id: int
    username: str
    name: str
    language: str
    nonce: str
    roles: frozenset[str]


def _recent(session: Session, key: str, now: dt.datetime) -> int:
    return session.exec(select(func.count()).select_from(LoginAttempt)
                        .where(LoginAttempt.key == key, LoginAttempt.at > now - WINDOW)).one()


def _throttled(session: Session, username: str, address: str, now: dt.datetime) -> bool:
    return (_recent(session, f"user:{username}", now) >= USER_LIMIT
            or _recent(session, f"addr:{address}", now) >= ADDRESS_LIMIT)


def _roles(session: Session, user_id: int) -> frozenset[str]:
    return frozenset(session.exec(select(Membership.role).where(Membership.user_id == user_id)).all())


def _as_session_user(session: Session, user: User) -> SessionUser:
    assert user.id is not None
    return SessionUser(user.id, user.username, user.name, user.language, user.session_nonce,
                       _roles(session, user.id))


def log_in(eng: Engine, username: str, password: str, address: str, now: dt.datetime) -> SessionUser:
    """The user if the password is right, not throttled and not disabled; else LoginRefused."""
    username = username.strip().lower()
    with eng.db.write() as session:
        if _throttled(session, username, address, now):
            raise LoginRefused("throttled", "Too many failed log-ins; wait 15 minutes and try again, "
                                            "or ask an administrator to reset your password.")
        user = session.exec(select(User).where(User.username == username)).first()
        ok = check_password(user or User(username="", name="", email=""), password)
        if user is not None and ok and not user.disabled:
            session.execute(delete(LoginAttempt).where(LoginAttempt.key == f"user:{username}"))  # type: ignore[arg-type]
            if not user.session_nonce:
                user.session_nonce = secrets.token_hex(16)
                session.add(user)
                session.flush()
            return _as_session_user(session, user)
        # The failure is committed (the refusal is raised after the transaction).
        session.add(LoginAttempt(key=f"user:{username}"[:200], at=now))
        session.add(LoginAttempt(key=f"addr:{address}"[:200], at=now))
        # Old attempts are of no use to the throttle; keep the table small.
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 4 * WINDOW))  # type: ignore[arg-type]
    raise LoginRefused("invalid", "Wrong user name or password, or the account is disabled; "
                                  "check them and try again.")


def session_user(eng: Engine, user_id: int, nonce: str) -> SessionUser | None:
    """The user of a session, or None if the nonce is stale or the user disabled."""
    with eng.db.read() as session:
        user = session.get(User, user_id)
        if user is None or user.disabled or not nonce or not secrets.compare_digest(user.session_nonce, nonce):
            return None
        return _as_session_user(session, user)


def end_sessions(eng: Engine, user_id: int) -> None:
    """Invalidate every session of the user (log-out): a copied cookie stops working."""
    with eng.db.write() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.session_nonce = secrets.token_hex(16)
            session.add(user)


def set_language(eng: Engine, user_id: int, language: str) -> None:
    """Choose the interface language of a user ("sv" or "en")."""
    if language not in LANGUAGES:
        raise ValidationError("language", "Choose Swedish (sv) or English (en).")
    with eng.db.write() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.language = language
            session.add(user)
