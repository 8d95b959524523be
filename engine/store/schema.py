"""Schema management: Alembic migrations, from the first table on."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from engine.store.db import Database

__all__ = ["alembic_config", "ensure_database", "upgrade", "upgrade_if_ours"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> AlembicConfig:
    """An Alembic configuration bound to `db`'s engine (no alembic.ini needed)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision`."""
    command.upgrade(alembic_config(db), revision)


def upgrade_if_ours(db: Database) -> None:
    """Upgrade a database that is empty or already managed by our migrations; leave others alone."""
    from sqlalchemy import inspect

    names = set(inspect(db.engine).get_table_names())
    if not names or "alembic_version" in names:
        upgrade(db)


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` if it does not exist; True if created."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return False
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": parsed.database}).first()
            if exists:
                return False
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
            return True
    finally:
        admin.dispose()
