"""Alembic environment: runs on the engine handed over by engine.store.schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import engine.store.models  # noqa: F401  (registers the tables)
from engine.store.models import metadata
from engine.store.search_index import outside_index

config = context.config
bind = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url") or "")

with bind.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      include_name=outside_index)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
