"""A child process for tests/integration/test_due_processes.py: run_due with a firing counter.

    python due_child.py URL NOW_ISO [--barrier] [--die-at N] [--terminate-at N] [--scheduler ARGS...]

Builds its own engine from config.toml pointed at URL and subscribes a listener on
`DeadlineEvent`s that inserts one comment "fired <deadline id>" per event in the
firing transaction: a deadline fired twice shows as two comments. With --barrier it
prints "ready" and waits for a line on stdin before running, so that two children
overlap. With --die-at N it SIGKILLs itself inside the transaction of its N-th firing
(after the comment is written, before the commit). With --terminate-at N it has PostgreSQL
terminate every connection of this process (found by the application_name in URL) inside
the transaction of its N-th firing, from a separate connection. It prints the run's
summary as JSON.

With --scheduler it installs the same listener and then runs the real
`samverkan [ARGS...]` command line (e.g. `--config FILE scheduler --sweep-seconds 1`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Run as a script, its own folder heads sys.path: the repository root gives it tests.doubles and
# this checkout's code (not whichever the installed package points at).
sys.path.insert(0, str(ROOT))


TERMINATED = 0
_TERMINATE = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND application_name = :app AND pid <> pg_backend_pid()"
)


def terminate_own_connections(session: Any) -> int:
    """Terminate this process's backends (the one of `session`'s transaction too); how many."""
    from sqlalchemy import create_engine, text

    url = session.get_bind().engine.url  # an Engine, or the Connection run_due binds a row's Session to
    other = create_engine(url)
    with other.begin() as conn:
        n = int(conn.execute(text(_TERMINATE), {"app": url.query["application_name"]}).scalar_one())
    other.dispose()
    return n


def counting_listener(die_at: int | None = None, terminate_at: int | None = None) -> Any:
    from engine.store.models import CaseComment

    fired = 0

    def on_deadline(session: Any, event: Any) -> None:
        nonlocal fired
        session.add(CaseComment(case_id=event.case_id, author="test-counter", at=event.at,
                                body=f"fired {event.deadline_id}"))
        fired += 1
        if terminate_at is not None and fired == terminate_at:
            global TERMINATED
            session.flush()  # the comment is in the transaction that is about to be cut off
            TERMINATED += terminate_own_connections(session)
        if die_at is not None and fired >= die_at:
            session.flush()  # the comment reached the database, uncommitted
            os.kill(os.getpid(), signal.SIGKILL)

    return on_deadline


def run_child(url: str, now_s: str, barrier: bool, die_at: int | None, terminate_at: int | None = None) -> None:
    from engine.config.load import load_config
    from engine.kernel.events import DeadlineEvent
    from engine.schedule.due import run_due
    from samverkan.bootstrap import build_engine
    from tests.doubles import FixedClock

    now = dt.datetime.fromisoformat(now_s)
    eng = build_engine(load_config(ROOT / "config.toml", database_url=url), clock=FixedClock(now))
    eng.listeners.subscribe(DeadlineEvent, counting_listener(die_at, terminate_at))
    if barrier:
        print("ready", flush=True)
        sys.stdin.readline()
    summary = run_due(eng, now, batch=50)
    eng.db.dispose()
    out = {k: v for k, v in summary.as_dict().items() if k != "items"}
    print(json.dumps({**out, "terminated": TERMINATED}), flush=True)


def run_scheduler(args: list[str]) -> None:
    import samverkan.bootstrap
    from engine.kernel.events import DeadlineEvent

    build = samverkan.bootstrap.build_engine

    def build_counting(*a: Any, **kw: Any) -> Any:
        eng = build(*a, **kw)
        eng.listeners.subscribe(DeadlineEvent, counting_listener())
        return eng

    samverkan.bootstrap.build_engine = build_counting  # the CLI imports it at call time
    from samverkan.cli.main import main

    main(args, prog_name="samverkan")


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv and argv[0] == "--scheduler":
        run_scheduler(argv[1:])
    else:
        die = int(argv[argv.index("--die-at") + 1]) if "--die-at" in argv else None
        cut = int(argv[argv.index("--terminate-at") + 1]) if "--terminate-at" in argv else None
        run_child(argv[0], argv[1], "--barrier" in argv, die, cut)
