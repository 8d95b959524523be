"""A PostgreSQL schema of its own for one bench run, dropped afterwards (not a bench itself)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text


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


def analyze(engine: Engine) -> None:
    """Bring this run's tables to the state a settled database is in: planner statistics, and on
    PostgreSQL a vacuumed table (its visibility map set, as autovacuum leaves a table after a bulk load).

    Without the vacuum, PostgreSQL reads the heap beside every covering index (a Bitmap Heap Scan of ~2,000
    blocks for the chair's 2,283 overdue cases at 1,000,000) where a production database, vacuumed by
    autovacuum, answers from the index alone; the bench measured the minute after a bulk insert.
    A bare ANALYZE or VACUUM on PostgreSQL walks every table of the database, other schemas included, and
    takes locks that deadlocked a test run's TRUNCATE on a machine shared with the suite: only ours.
    """
    from engine.store.models import metadata

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM runs outside one
            for table in metadata.sorted_tables:
                conn.execute(text(f'VACUUM (ANALYZE) "{table.name}"'))
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
