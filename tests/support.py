"""Helpers for tests that drive the real `samverkan` command or need an empty database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from engine.cases.periods import sync_from_config
from engine.config.load import load_config
from engine.config.settings import FilesConfig
from engine.runtime.engine import Engine
from engine.store.db import Database
from engine.store.models import metadata
from samverkan.bootstrap import build_engine
from samverkan.demo import load_demo
from tests.doubles import FixedClock

ROOT = Path(__file__).resolve().parent.parent
SAMVERKAN = Path(sys.executable).parent / "samverkan"
SHIPPED_CONFIG = (ROOT / "config.toml").read_text(encoding="utf-8")
PG_URL = os.environ.get("SAMVERKAN_TEST_DATABASE_URL")


def write_config(folder: Path, database_url: str, workflows_dir: Path | None = None) -> Path:
    """A copy of the shipped config.toml in `folder` whose database is `database_url`."""
    text_ = SHIPPED_CONFIG.replace('url = "sqlite:///var/samverkan.db"', f'url = "{database_url}"', 1)
    text_ = text_.replace('workflows_dir = "workflows"',
                          f'workflows_dir = "{(workflows_dir or ROOT / "workflows").as_posix()}"', 1)
    path = folder / "config.toml"
    path.write_text(text_, encoding="utf-8")
    return path


def run_cli(config: Path, *args: str, stdin: str | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `samverkan --config CONFIG ARGS...` as a user would; never raises on a non-zero exit."""
    env = {k: v for k, v in os.environ.items() if k != "SAMVERKAN_CONFIG"}
    proc = subprocess.run([str(SAMVERKAN), "--config", str(config), *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=120, cwd=config.parent)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, f"samverkan {' '.join(args)} failed: {proc.stderr}"
    return proc


def with_search_path(url: str, schema: str) -> str:
    """`url` with PostgreSQL's search_path set to `schema`."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a database with no tables at all: a new SQLite file or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'empty.db'}"
        return
    assert PG_URL, "PostgreSQL needs SAMVERKAN_TEST_DATABASE_URL"
    schema = f"e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield with_search_path(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# A workflow whose first state times out into `expired` through a system transition.
TIMEOUT_WORKFLOW = '''
key = "expiring"
label = { sv = "Utgående", en = "Expiring" }
initial = "waiting"
[[states]]
key = "waiting"
label = { sv = "Väntar", en = "Waiting" }
  [states.deadline]
  working_days = 2
  timeout_trigger = "expire"
[[states]]
key = "expired"
label = { sv = "Utgått", en = "Expired" }
terminal = true
[[states]]
key = "done"
label = { sv = "Klar", en = "Done" }
terminal = true
[[transitions]]
trigger = "expire"
label = { sv = "Låt gå ut", en = "Expire" }
source = ["waiting"]
target = "expired"
system = true
[[transitions]]
trigger = "finish"
label = { sv = "Klar", en = "Finish" }
source = ["waiting"]
target = "done"
roles = ["chair"]
'''


# A weekday in spring; the demo's traffic action opened 30 days before is overdue by then.
DEMO_NOW = dt.datetime(2027, 4, 14, 8, 0, tzinfo=dt.UTC)


def demo_engine(folder: Path) -> Engine:
    """An engine on a fresh SQLite file in `folder` with the demo loaded, its clock at DEMO_NOW."""
    url = f"sqlite:///{folder / 'samverkan.db'}"
    db = Database(url)
    metadata.create_all(db.engine)
    db.dispose()
    config = load_config(ROOT / "config.toml", database_url=url, files=FilesConfig(dir=folder / "files"))
    eng = build_engine(config, clock=FixedClock(DEMO_NOW))
    with eng.db.write() as s:
        sync_from_config(s, eng.config, DEMO_NOW)
    load_demo(eng, DEMO_NOW - dt.timedelta(days=20))  # so that some demo cases are overdue at DEMO_NOW
    return eng
