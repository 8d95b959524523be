"""A PostgreSQL schema of its own for one bench run, dropped afterwards (not a bench itself)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, text


@contextmanager
def postgres_schema(base: str, prefix: str = "bench") -> Iterator[str]:
    """The URL of `base` with its search path set to a new schema, which is dropped at the end."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def analyze(conn: Connection) -> None:
    """Refresh the planner's statistics of this run's tables only.

    A bare ANALYZE on PostgreSQL walks every table of the database, other schemas included, and
    takes locks that deadlocked a test run's TRUNCATE on a machine shared with the suite.
    """
    from engine.store.models import metadata

    if conn.dialect.name == "postgresql":
        for table in metadata.sorted_tables:
            conn.execute(text(f'ANALYZE "{table.name}"'))
    else:
        conn.exec_driver_sql("ANALYZE")
