"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

__all__ = ["insert_ignore", "lock_key"]


def insert_ignore(session: Session, model: type[SQLModel], conflict: list[str], **values: Any) -> bool:
    """INSERT that does nothing when `conflict` columns already hold these values; True if inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def lock_key(session: Session, key: str) -> None:
    """Hold a lock on `key` until the transaction ends, so writers of the same key take turns.

    SQLite's write transactions already take turns (BEGIN IMMEDIATE); PostgreSQL gets a
    transaction-scoped advisory lock on the key's hash.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
