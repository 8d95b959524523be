"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when configured).

Every test that takes `eng` runs once on SQLite and, when SAMVERKAN_TEST_DATABASE_URL
is set, once more on PostgreSQL (in a schema of its own, emptied between tests).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from engine.accounts.users import add_user
from engine.cases.periods import sync_from_config
from engine.config.load import load_config
from engine.config.settings import Config, FilesConfig
from engine.runtime.engine import Engine
from engine.store.db import Database
from engine.store.models import metadata
from samverkan.bootstrap import build_engine
from tests.doubles import FixedClock

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("SAMVERKAN_TEST_DATABASE_URL")
# One audit key for the whole run, in the environment, so the CLI and worker processes that
# tests start sign and verify with the key of the test process (tests of var/audit_keys unset it).
os.environ.setdefault("SAMVERKAN_AUDIT_KEYS", "5a" * 32)
# A Wednesday morning in Stockholm, far from holidays and DST changes.
T0 = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)

# Test personas: (username, [(role, group)]).
PERSONAS: dict[str, list[tuple[str, str]]] = {
    "chair": [("chair", "trygghetsgruppen")],
    "police": [("police", "polisen"), ("member", "trygghetsgruppen")],
    "official": [("official", "socialnamnden")],
    "member": [("member", "socialnamnden")],
    "outsider": [("member", "kultur_fritid")],
    "security": [("security", "trygghetsgruppen")],
    "admin": [("admin", "forvaltningen")],
}


def backends() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if PG_URL:
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    elif os.environ.get("SAMVERKAN_REQUIRE_POSTGRES"):
        raise RuntimeError("SAMVERKAN_REQUIRE_POSTGRES is set but SAMVERKAN_TEST_DATABASE_URL is not")
    return params


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A PostgreSQL schema of this test run, created with every table, dropped at the end."""
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = _with_search_path(PG_URL, schema)
    eng = create_engine(url)
    metadata.create_all(eng)
    eng.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database with the schema in place."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'samverkan.db'}"
        db = Database(url)
        metadata.create_all(db.engine)
        db.dispose()
        return url
    url: str = request.getfixturevalue("pg_schema")
    db = Database(url)
    with db.engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.dispose()
    return url


@pytest.fixture
def config(db_url: str, tmp_path: Path) -> Config:
    """The shipped Höör config.toml pointed at the test database (and a files folder of the test's own)."""
    return load_config(ROOT / "config.toml", database_url=db_url, files=FilesConfig(dir=tmp_path / "files"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def eng(config: Config, clock: FixedClock) -> Iterator[Engine]:
    """An engine on the test database with the agreement, groups and personas loaded."""
    e = build_engine(config, clock=clock)
    with e.db.write() as s:
        sync_from_config(s, config, clock.now())
        for name, roles in PERSONAS.items():
            add_user(s, config, name, name=name.title(), email=f"{name}@example.org",
                     now=clock.now(), roles=roles)
    yield e
    e.db.dispose()


@pytest.fixture
def open_case(eng: Engine) -> Callable[..., int]:
    """Factory: open a case and return its id."""
    from engine.cases.commands import OpenRequest
    from engine.cases.commands import open_case as _open

    def make(workflow: str = "action", *, as_user: str | None = None, title: str = "Test case",
             **fields: Any) -> int:
        """`as_user` defaults to the chair, or to the system for a workflow only the engine opens."""
        fields.setdefault("group", "socialnamnden")
        who = as_user or ("system" if eng.registry.get(workflow).system_only else "chair")
        row = _open(eng, OpenRequest(workflow, title, **fields), who)
        assert row.id is not None
        return row.id
    return make
