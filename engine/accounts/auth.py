"""Logging in: password check, a throttle kept in the database, per-user session nonces; own settings.

The throttle counts recent failed attempts per user name and per address in the
`login_attempts` table, so it holds across web workers and restarts. A session is
valid only while the user's `session_nonce` is the one it was issued with; log-out,
a password change and disabling the user change the nonce.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, func
from sqlmodel import Session, select

from engine.accounts.users import check_password, load_actor
from engine.kernel.actors import Actor
from engine.kernel.errors import EngineError, ValidationError
from engine.outbox.notices import delivery_modes, set_mode
from engine.runtime.engine import Engine
from engine.store.models import LoginAttempt, User

__all__ = [
    "ADDRESS_LIMIT",
    "USER_LIMIT",
    "WINDOW",
    "LoginRefused",
    "delivery_mode",
    "end_sessions",
    "recent_failures",
    "record_failure",
    "log_in",
    "session_user",
    "set_delivery_mode",
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


def recent_failures(session: Session, key: str, now: dt.datetime) -> int:
    """How many failed attempts were recorded under `key` within WINDOW before `now`."""
    return session.exec(select(func.count()).select_from(LoginAttempt)
                        .where(LoginAttempt.key == key, LoginAttempt.at > now - WINDOW)).one()


def record_failure(session: Session, keys: list[str], now: dt.datetime) -> None:
    """Count a failed attempt under each of `keys`, and forget attempts too old to matter."""
    for key in keys:
        session.add(LoginAttempt(key=key[:200], at=now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 4 * WINDOW))  # type: ignore[arg-type]


def _throttled(session: Session, username: str, address: str, now: dt.datetime) -> bool:
    return (recent_failures(session, f"user:{username}", now) >= USER_LIMIT
            or recent_failures(session, f"addr:{address}", now) >= ADDRESS_LIMIT)


def log_in(eng: Engine, username: str, password: str, address: str, now: dt.datetime) -> tuple[Actor, str]:
    """The user and their session nonce if the password is right, not throttled and not disabled; else LoginRefused."""
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
            assert user.id is not None
            found = load_actor(session, user.id)
            assert found is not None
            return found[0], found[1]
        # The failure is committed (the refusal is raised after the transaction).
        record_failure(session, [f"user:{username}", f"addr:{address}"], now)
    raise LoginRefused("invalid", "Wrong user name or password, or the account is disabled; "
                                  "check them and try again.")


def session_user(eng: Engine, user_id: int, nonce: str) -> Actor | None:
    """The person of a session, read in one query, or None if the nonce is stale or the user disabled."""
    with eng.db.read() as session:
        found = load_actor(session, user_id)
    if found is None or found[2] or not nonce or not secrets.compare_digest(found[1], nonce):
        return None
    return found[0]


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


def delivery_mode(eng: Engine, user_id: int) -> str:
    """How the user gets e-mail about their cases: "immediate" or "daily" (one digest a day)."""
    with eng.db.read() as session:
        return delivery_modes(session, [user_id])[user_id]


def set_delivery_mode(eng: Engine, user_id: int, mode: str, now: dt.datetime) -> None:
    """Choose immediate messages or one daily digest for the user; new notices follow the choice."""
    with eng.db.write() as session:
        set_mode(session, user_id, mode, now)
