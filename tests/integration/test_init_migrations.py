"""`samverkan init` builds the schema with Alembic on an empty database, idempotently,
and the migrated schema is exactly what engine.store.models declares."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect
from sqlmodel import select

from engine.store import search_index
from engine.store.db import Database
from engine.store.models import CASE_STATISTICS, Agreement, Group, Period, WorkflowDefinitionRow, metadata
from tests.support import empty_database, run_cli, write_config


def _statistics(db: Database) -> set[str]:
    """The names of the extended planner statistics on the cases table (PostgreSQL's; none on SQLite)."""
    if db.dialect != "postgresql":
        return set()
    with db.engine.connect() as conn:
        return set(conn.exec_driver_sql("SELECT stxname FROM pg_statistic_ext WHERE stxrelid = 'cases'::regclass")
                   .scalars())


@pytest.mark.slow
def test_init_migrates_an_empty_database_idempotently(empty_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, empty_url)
    first = run_cli(config, "init", check=True)
    assert first.stdout.startswith("Database ready: ")
    db = Database(empty_url)
    try:
        with db.read() as s:
            counts = [s.exec(select(func.count()).select_from(m)).one()
                      for m in (Agreement, Group, Period, WorkflowDefinitionRow)]
        assert counts == [1, 8, 1, 9]
        run_cli(config, "init", check=True)
        with db.read() as s:
            again = [s.exec(select(func.count()).select_from(m)).one()
                     for m in (Agreement, Group, Period, WorkflowDefinitionRow)]
        assert again == counts, "a second init adds nothing"
        index = search_index.tables(db.dialect)  # the full-text index: derived, so outside the models
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_name": search_index.outside_index}
            ctx = MigrationContext.configure(conn, opts=opts)
            assert ctx.get_current_revision() is not None
            assert compare_metadata(ctx, metadata) == []
        assert set(inspect(db.engine).get_table_names()) == {t.name for t in metadata.sorted_tables} | {
            "alembic_version"} | index
        expected = {CASE_STATISTICS} if db.dialect == "postgresql" else set()
        assert _statistics(db) == expected, "the migrated database has the planner's statistics"
        with empty_database(db.dialect, tmp_path / "created") as url:
            created = Database(url)
            try:
                metadata.create_all(created.engine)
                assert _statistics(created) == expected, "a database made by create_all has them too"
            finally:
                created.dispose()
    finally:
        db.dispose()


@pytest.mark.slow
def test_init_demo_then_audit(empty_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, empty_url)
    demo = run_cli(config, "init", "--demo", check=True)
    assert "Demo data added." in demo.stdout
    assert "trygghet-i-hoor-demo" in demo.stdout
    again = run_cli(config, "init", "--demo", check=True)
    assert "Demo data already present." in again.stdout
    audit = run_cli(config, "audit", "verify", check=True)
    assert "every chain intact" in audit.stdout
