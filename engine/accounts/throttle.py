"""Failed attempts kept in the database, and the growing wait they impose on a log-in.

A log-in is throttled per (account, address): after a few failures each further try from
that address for that account waits twice as long as the one before, up to MAX_WAIT. The
right password from any other address still works at once, so failures typed by someone
else can never lock a person out; nor do many failures from one address (an office, a
reverse proxy) touch the accounts that address did not fail on. The rows live in
`login_attempts`, so every web worker sees the same count and a restart forgets nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete
from sqlmodel import Session, col, select

from engine.kernel.text import storable
from engine.store.models import LoginAttempt
from engine.store.sql import lock_key

__all__ = ["FIRST_WAIT", "FREE_FAILURES", "MAX_WAIT", "MEMORY", "failures_since", "forget", "login_key",
           "login_wait", "record_failure", "wait_after"]

# Typing mistakes cost nothing; the fifth failure in a row makes the next try wait FIRST_WAIT.
FREE_FAILURES = 4
FIRST_WAIT = dt.timedelta(seconds=30)
MAX_WAIT = dt.timedelta(minutes=15)
# Failures older than this are forgotten (they no longer make anyone wait).
MEMORY = dt.timedelta(hours=24)
_ZERO = dt.timedelta(0)


def login_key(username: str, address: str) -> str:
    """The key of log-in failures for `username` from `address` (hashed if it would not fit)."""
    key = f"login:{address}:{username}"
    if len(key) <= 200 and storable(key):
        return key
    return "login:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def wait_after(failures: int) -> dt.timedelta:
    """How long the next try must wait after `failures` failures in a row."""
    if failures <= FREE_FAILURES:
        return _ZERO
    doublings: int = min(failures - FREE_FAILURES - 1, 16)  # 2**16 × 30 s is far past MAX_WAIT
    return min(MAX_WAIT, FIRST_WAIT * (1 << doublings))


def failures_since(session: Session, key: str, since: dt.datetime) -> list[dt.datetime]:
    """When the failures recorded under `key` after `since` happened."""
    return list(session.exec(select(LoginAttempt.at).where(LoginAttempt.key == key, col(LoginAttempt.at) > since)))


def login_wait(session: Session, key: str, now: dt.datetime) -> dt.timedelta:
    """How long `key` must still wait before its next log-in try (zero: it may try now).

    Locks the key for the rest of the transaction, so parallel tries are counted one by
    one and cannot all slip through the same gap.
    """
    lock_key(session, key)
    times = failures_since(session, key, now - MEMORY)
    if not times:
        return _ZERO
    return max(_ZERO, max(times) + wait_after(len(times)) - now)


def record_failure(session: Session, key: str, now: dt.datetime) -> None:
    """Count a failed attempt under `key`, and forget attempts too old to matter."""
    session.add(LoginAttempt(key=key[:200], at=now))
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < now - MEMORY))


def forget(session: Session, key: str) -> None:
    """Clear the failures under `key` (the right password was given)."""
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.key) == key))
