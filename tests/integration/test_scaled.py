"""The scaled layout's database faults: connections cut off mid-run, on PostgreSQL.

Two scheduler processes firing a few hundred deadlines exactly once is
test_due_processes.py::test_two_scheduler_processes_fire_each_deadline_once (it runs on
PostgreSQL too); these add what only a server database can do to a run: terminate its
connections (pg_terminate_backend, as an administrator or a restarted server would).
A run must notice the lost connection, retry on a fresh one, and still fire every
deadline exactly once. Only this test's processes are cut off: they are told apart by
an application_name in their URL, since other test runs may share the server.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.config.settings import Config
from engine.store.db import Database
from tests.integration.test_due_processes import (
    NOW,
    abort_hung,
    assert_each_fired_once,
    count_done,
    finish,
    scheduler_config,
    seed,
    start_child,
    start_schedulers,
    stop_schedulers,
    wait_until,
)

pytestmark = pytest.mark.slow

TERMINATE = ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = :app")


@pytest.fixture
def pg_config(config: Config) -> Config:
    if not config.database_url.startswith("postgresql"):
        pytest.skip("terminating server connections needs PostgreSQL")
    return config


def _named(url: str) -> tuple[str, str]:
    app = f"samverkan_scaled_{uuid.uuid4().hex[:8]}"
    return f"{url}{'&' if '?' in url else '?'}application_name={app}", app


def test_a_run_whose_connections_are_terminated_mid_transaction_retries_and_fires_each_deadline_once(
        pg_config: Config) -> None:
    ids = seed(pg_config, 300)
    url, _app = _named(pg_config.database_url)
    summary = finish(start_child(url, NOW, "--terminate-at", "100"))
    db = Database(pg_config.database_url)
    try:
        assert summary["terminated"] >= 1, "no connection was cut off"
        assert summary["fired"] == len(ids)
        assert summary["failed"] == 0, "a lost connection was counted against the deadline"
        assert_each_fired_once(db, ids)  # the 100th firing's cut-off transaction left nothing behind
    finally:
        db.dispose()


def test_two_schedulers_recover_when_their_connections_are_terminated_and_fire_each_deadline_once(
        pg_config: Config, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)  # real schedulers read the real clock
    ids = seed(pg_config, 400, now=now - dt.timedelta(hours=2), runs_at=now)
    url, app = _named(pg_config.database_url)
    procs = start_schedulers(scheduler_config(url, tmp_path), 2)
    db = Database(pg_config.database_url)
    try:
        wait_until(lambda: count_done(db) >= 40 or any(p.poll() is not None for p in procs),
                   "the schedulers to start firing", timeout=30)
        with db.engine.begin() as conn:
            cut = conn.execute(text(TERMINATE), {"app": app}).scalar_one()
        print(f"\nterminated {cut} connections after {count_done(db)} of {len(ids)} firings")
        assert cut >= 2, "each scheduler holds a connection while it runs"
        wait_until(lambda: count_done(db) == len(ids) or any(p.poll() is not None for p in procs),
                   "the schedulers to fire every deadline after the cut", timeout=60)
        stop_schedulers(procs)
        assert_each_fired_once(db, ids)
    finally:
        abort_hung(procs)
        db.dispose()
