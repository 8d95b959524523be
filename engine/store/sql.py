"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

__all__ = ["insert_ignore"]


def insert_ignore(session: Session, model: type[SQLModel], conflict: list[str], **values: Any) -> bool:
    """INSERT that does nothing when `conflict` columns already hold these values; True if inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
