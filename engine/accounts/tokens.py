"""Personal API tokens: made once and shown once, stored as SHA-256, revoked by their owner or an admin.

A token acts with its owner's rights, no more: authenticating one yields the owner's
`Actor`, so confidential cases and role checks work exactly as in the web interface.
SHA-256 (not argon2) is enough because a token is 256 random bits, not a chosen password,
and it keeps the per-request check cheap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from engine.accounts.throttle import failures_since, record_failure
from engine.accounts.users import actor_for
from engine.kernel.actors import Actor
from engine.kernel.errors import EngineError, Forbidden, NotFound, ValidationError
from engine.policy.access import may_administer
from engine.runtime.engine import Engine
from engine.store.models import ApiToken, User

__all__ = ["ADDRESS_LIMIT", "PREFIX", "WINDOW", "TokenInfo", "TokensThrottled", "actor_for_token", "authenticate",
           "create_token", "hash_token", "list_tokens", "revoke_token"]

PREFIX = "smv_"
# Unknown tokens from one address within WINDOW before it is told to stop (429 instead of 401).
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)


class TokensThrottled(EngineError):
    """Too many unknown tokens came from one address lately; `retry_after` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__("Too many unknown API tokens from this address; wait 15 minutes and try again.")


@dataclass(frozen=True)
class TokenInfo:
    id: int
    username: str
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def hash_token(token: str) -> str:
    """The stored form of `token`."""
    return hashlib.sha256(token.encode()).hexdigest()


def _owner(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"No user {username!r}; `samverkan user list` shows who exists.")
    if user.disabled:
        raise ValidationError("username", f"User {username!r} is disabled; enable them before making a token.")
    return user


def create_token(session: Session, username: str, name: str, now: dt.datetime) -> tuple[TokenInfo, str]:
    """A new token for `username`; returns its info and the token itself (shown only this once)."""
    if not name.strip() or len(name) > 100:
        raise ValidationError("name", "Give the token a name of 1-100 characters, e.g. the system that uses it.")
    user = _owner(session, username)
    assert user.id is not None
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip(), token_hash=hash_token(token), prefix=token[:12],
                   created_at=now)
    session.add(row)
    session.flush()
    return _info(row, user.username), token


def _info(row: ApiToken, username: str) -> TokenInfo:
    assert row.id is not None
    return TokenInfo(row.id, username, row.name, row.prefix, row.created_at, row.last_used_at, row.revoked_at)


def list_tokens(session: Session, username: str) -> list[TokenInfo]:
    """The tokens of `username`, newest first, revoked ones included."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"No user {username!r}; `samverkan user list` shows who exists.")
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)
                        .order_by(col(ApiToken.id).desc())).all()
    return [_info(r, user.username) for r in rows]


def revoke_token(session: Session, token_id: int, now: dt.datetime, *, by: Actor | None = None) -> TokenInfo:
    """Revoke token `token_id`; `by` (when given) must own it or be an admin."""
    found = session.exec(select(ApiToken, User.username).join(User, col(User.id) == col(ApiToken.user_id))
                         .where(ApiToken.id == token_id)).first()
    if found is None:
        raise NotFound(f"No API token {token_id}; `samverkan token list USERNAME` shows the ids.")
    row, username = found
    if by is not None and by.user_id != row.user_id and not may_administer(by):
        raise Forbidden("Only the token's owner or an administrator may revoke it.")
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
    return _info(row, username)


def authenticate(session: Session, token: str, now: dt.datetime) -> Actor | None:
    """The Actor a live token acts as, or None for an unknown, revoked or disabled one."""
    if not token.startswith(PREFIX):
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    row.last_used_at = now
    session.add(row)
    return actor_for(session, user.username)


def actor_for_token(eng: Engine, token: str, now: dt.datetime, address: str | None = None) -> Actor | None:
    """`authenticate` in its own transaction (it records when the token was last used).

    With an `address`, a refused token is counted against it in the database (so the count
    holds across web workers), and once ADDRESS_LIMIT were refused within WINDOW further
    unknown tokens from there get TokensThrottled. A live token always works: it is 256
    random bits that no one guesses, so refusing it would only let a guesser behind the
    same address (or proxy) lock its owner out. Token failures never count against log-ins.
    """
    key = f"token-addr:{address}" if address is not None else None
    with eng.db.write() as session:
        who = authenticate(session, token, now)
        if who is None and key is not None:
            if len(failures_since(session, key, now - WINDOW)) >= ADDRESS_LIMIT:
                raise TokensThrottled(int(WINDOW.total_seconds()))
            record_failure(session, key, now)
        return who
