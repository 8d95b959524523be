"""The notifications migration gives the same tables as the models."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from engine.store.db import Database
from engine.store.models import metadata
from engine.store.schema import upgrade


def test_migrations_create_the_outbox_tables_as_modelled(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db)
    found = inspect(db.engine)
    for table in ("notices", "notice_preferences", "calendar_tokens"):
        assert {c["name"] for c in found.get_columns(table)} == set(metadata.tables[table].columns.keys())
    assert {"ix_notices_status_next", "ix_notices_recipient_read"} <= {i["name"] for i in found.get_indexes("notices")}
    db.dispose()
