"""Logging in: password check, a throttle kept in the database, per-user session nonces; own settings.

Failed log-ins make the next try from the same address for the same account wait longer
and longer (`engine.accounts.throttle`); the right password from another address always
works. A session is valid only while the user's `session_nonce` is the one it was issued
with; log-out, a password change and disabling the user change the nonce.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets

from sqlmodel import select

from engine.accounts import throttle
from engine.accounts.users import check_password, load_actor
from engine.kernel.actors import Actor
from engine.kernel.errors import EngineError, ValidationError
from engine.kernel.text import storable
from engine.outbox.notices import delivery_modes, set_mode
from engine.runtime.engine import Engine
from engine.store.models import User

__all__ = [
    "LoginRefused",
    "delivery_mode",
    "end_sessions",
    "log_in",
    "session_user",
    "set_delivery_mode",
    "set_language",
]

LANGUAGES = ("sv", "en")


class LoginRefused(EngineError):
    """The log-in failed; `reason` is "invalid" or "throttled" (then try again in `retry_after` seconds)."""

    def __init__(self, reason: str, message: str, retry_after: int = 0) -> None:
        self.reason, self.retry_after = reason, retry_after
        super().__init__(message)


def log_in(eng: Engine, username: str, password: str, address: str, now: dt.datetime) -> tuple[Actor, str]:
    """The user and their session nonce if the password is right, not throttled and not disabled; else LoginRefused."""
    username = username.strip().lower()
    key = throttle.login_key(username, address)
    with eng.db.write() as session:
        wait = throttle.login_wait(session, key, now)
        if wait:
            seconds = math.ceil(wait.total_seconds())
            # The password is not even checked, so a guesser learns nothing while waiting.
            raise LoginRefused("throttled", f"Too many failed log-ins from here; wait {seconds} seconds and try "
                                            "again, or ask an administrator to reset your password.", seconds)
        # A name no database can hold (NUL) names nobody: asking would be a driver error, not "wrong name".
        user = session.exec(select(User).where(User.username == username)).first() if storable(username) else None
        ok = check_password(user or User(username="", name="", email=""), password)
        if user is not None and ok and not user.disabled:
            throttle.forget(session, key)
            if not user.session_nonce:
                user.session_nonce = secrets.token_hex(16)
                session.add(user)
                session.flush()
            assert user.id is not None
            found = load_actor(session, user.id)
            assert found is not None
            return found[0], found[1]
        # The failure is committed (the refusal is raised after the transaction).
        throttle.record_failure(session, key, now)
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
