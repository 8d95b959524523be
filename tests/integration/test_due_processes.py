"""Deadlines fire exactly once across processes: a crash mid-run, two runs at once, two schedulers.

Every child process builds its own engine and counts firings with a listener that writes
one comment "fired <deadline id>" per "deadline" event inside the firing transaction
(tests/integration/due_child.py). A comment is not unique, so a deadline fired twice
would show as two comments; one rolled back with its transaction shows as none.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from engine.accounts.users import add_user
from engine.cases.commands import OpenRequest, open_case
from engine.cases.periods import sync_from_config
from engine.config.settings import Config
from engine.schedule.due import LEASE
from engine.store.db import Database
from engine.store.models import CaseComment, CaseRow, Deadline
from samverkan.bootstrap import build_engine
from tests.doubles import FixedClock

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("due_child.py")
T0 = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(hours=1)
TIMEOUT = 120.0


def seed(config: Config, rows: int, *, cases: int = 10, now: dt.datetime = T0, runs_at: dt.datetime = NOW) -> list[int]:
    """Open `cases` actions at `now`, then add `rows` reminders/escalations due before `now`.

    The cases' own deadlines lie after `runs_at`, so no reminder is skipped as late.
    """
    eng = build_engine(config, clock=FixedClock(now))
    with eng.db.write() as s:
        sync_from_config(s, config, now)
        add_user(s, config, "chair", name="Chair", email="chair@example.org", now=now,
                 roles=[("chair", "trygghetsgruppen")])
    opened = [open_case(eng, OpenRequest("action", f"Action {i}", group="socialnamnden"), "chair", now=now)
              for i in range(cases)]
    values = [{"case_id": c.id, "state": c.state, "case_version": c.version,
               "kind": "reminder" if i % 2 else "escalation", "offset_days": i % 7,
               "due_at": now - dt.timedelta(minutes=1 + i % 600), "status": "pending", "attempts": 0}
              for i, c in ((i, opened[i % cases]) for i in range(rows))]
    with eng.db.write() as s:
        s.execute(insert(Deadline), values)
        ids = list(s.execute(select(Deadline.id).where(Deadline.due_at <= now,
                                                       Deadline.status == "pending")).scalars())
        assert all(c.due_at and c.due_at > runs_at + LEASE for c in s.execute(select(CaseRow)).scalars())
    eng.db.dispose()
    assert len(ids) == rows
    return sorted(ids)


def start_child(url: str, now: dt.datetime, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(CHILD), url, now.isoformat(), *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> dict[str, int]:
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    result: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return result


def count_done(db: Database) -> int:
    with db.read() as s:
        return int(s.execute(select(func.count()).select_from(Deadline)
                             .where(Deadline.status == "done")).scalar_one())


def firings(db: Database) -> Counter[int]:
    with db.read() as s:
        bodies = s.execute(select(CaseComment.body).where(CaseComment.author == "test-counter")).scalars()
        return Counter(int(b.removeprefix("fired ")) for b in bodies)


def assert_each_fired_once(db: Database, ids: list[int]) -> None:
    with db.read() as s:
        status = dict(s.execute(select(Deadline.id, Deadline.status).where(Deadline.id.in_(ids))).all())
    assert Counter(status.values()) == {"done": len(ids)}
    fired = firings(db)
    assert sorted(fired) == ids, "a deadline did not fire, or something else fired"
    assert set(fired.values()) == {1}, f"fired twice: {[i for i, n in fired.items() if n > 1][:10]}"


def wait_until(predicate: object, what: str, timeout: float = TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.parametrize("kill", ["parent_sigkill", "sigkill_inside_transaction"])
def test_a_run_killed_midway_then_restarted_fires_every_deadline_once(config: Config, kill: str) -> None:
    ids = seed(config, 1_000)
    db = Database(config.database_url)
    try:
        if kill == "parent_sigkill":
            child = start_child(config.database_url, NOW)
            wait_until(lambda: count_done(db) >= 100 or child.poll() is not None, "the first 100 firings")
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=TIMEOUT)
            assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"
        else:
            child = start_child(config.database_url, NOW, "--die-at", "337")
            child.communicate(timeout=TIMEOUT)
            assert child.returncode == -signal.SIGKILL
        done_at_kill = count_done(db)
        print(f"\n[{db.dialect}] killed after {done_at_kill} of {len(ids)} firings")
        assert 0 < done_at_kill < len(ids)
        if kill == "sigkill_inside_transaction":
            assert done_at_kill == 336  # the 337th firing died with its transaction
            assert sum(firings(db).values()) == 336

        # Rows the dead process had claimed stay leased until the lease ends; a restart
        # after that takes them over together with the rest.
        restarted = finish(start_child(config.database_url, NOW + LEASE))
        assert restarted["fired"] == len(ids) - done_at_kill
        assert_each_fired_once(db, ids)
    finally:
        db.dispose()


def test_two_runs_at_once_fire_each_deadline_once_and_share_the_work(config: Config) -> None:
    ids = seed(config, 2_000)
    children = [start_child(config.database_url, NOW, "--barrier") for _ in range(2)]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    summaries = [finish(child) for child in children]
    split = [s["fired"] for s in summaries]
    db = Database(config.database_url)
    try:
        print(f"\n[{db.dialect}] split of {len(ids)} deadlines between two processes: {split}")
        assert sum(split) == len(ids)
        # How the work splits depends on the machine's scheduling; what must hold is that every
        # deadline fired exactly once, whoever fired it (the split is printed above).
        assert sum(s["failed"] for s in summaries) == 0
        assert_each_fired_once(db, ids)
    finally:
        db.dispose()


def test_two_scheduler_processes_fire_each_deadline_once(config: Config, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)  # real schedulers read the real clock
    ids = seed(config, 300, now=now - dt.timedelta(hours=2), runs_at=now)
    procs = start_schedulers(scheduler_config(config.database_url, tmp_path), 2)
    db = Database(config.database_url)
    try:
        for p in procs:  # both are up (and stop on SIGTERM) before the first may have fired everything
            assert p.stdout is not None
            assert "running" in p.stdout.readline(), p.stderr.read() if p.poll() is not None else ""
        wait_until(lambda: count_done(db) == len(ids) or any(p.poll() is not None for p in procs),
                   "the schedulers to fire every deadline", timeout=30)
        stop_schedulers(procs)
        assert_each_fired_once(db, ids)
    finally:
        abort_hung(procs)
        db.dispose()


def scheduler_config(url: str, tmp_path: Path) -> Path:
    """The shipped config.toml with its workflows found from anywhere and the database at `url`."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "config.toml").read_text(encoding="utf-8")
    text = text.replace('workflows_dir = "workflows"', f'workflows_dir = {json.dumps(str(root / "workflows"))}')
    text = text.replace('url = "sqlite:///var/samverkan.db"', f"url = {json.dumps(url)}")
    assert url in text
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def start_schedulers(cfg: Path, n: int) -> list[subprocess.Popen[str]]:
    """`n` real `samverkan scheduler` processes (sweeping every second) that count their firings."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    return [subprocess.Popen([sys.executable, str(CHILD), "--scheduler", "--config", str(cfg), "scheduler",
                              "--sweep-seconds", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env) for _ in range(n)]


def stop_schedulers(procs: list[subprocess.Popen[str]]) -> None:
    """SIGTERM each; each must stop cleanly."""
    assert all(p.poll() is None for p in procs), "a scheduler died"
    for p in procs:
        p.send_signal(signal.SIGTERM)
    outputs = [p.communicate(timeout=30) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "Scheduler stopped." in out


def abort_hung(procs: list[subprocess.Popen[str]]) -> None:
    """A scheduler still running here hung: the fault handler prints every thread's stack."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGABRT)
            print(p.communicate(timeout=TIMEOUT)[1])
