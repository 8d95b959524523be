"""A child process for tests/integration/test_due_processes.py: run_due with a firing counter.

    python due_child.py URL NOW_ISO [--barrier] [--die-at N] [--scheduler ARGS...]

Builds its own engine from config.toml pointed at URL and subscribes a listener on
"deadline" events that inserts one comment "fired <deadline id>" per event in the
firing transaction: a deadline fired twice shows as two comments. With --barrier it
prints "ready" and waits for a line on stdin before running, so that two children
overlap. With --die-at N it SIGKILLs itself inside the transaction of its N-th firing
(after the comment is written, before the commit). It prints the run's summary as JSON.

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


def counting_listener(die_at: int | None = None) -> Any:
    from engine.models import CaseComment

    fired = 0

    def on_deadline(session: Any, event: Any) -> None:
        nonlocal fired
        session.add(CaseComment(case_id=event.case_id, author="test-counter", at=event.at,
                                body=f"fired {event.data['deadline_id']}"))
        fired += 1
        if die_at is not None and fired >= die_at:
            session.flush()  # the comment reached the database, uncommitted
            os.kill(os.getpid(), signal.SIGKILL)

    return on_deadline


def run_child(url: str, now_s: str, barrier: bool, die_at: int | None) -> None:
    from engine.app import build_engine
    from engine.clock import FixedClock
    from engine.config import load_config
    from engine.due import run_due

    now = dt.datetime.fromisoformat(now_s)
    eng = build_engine(load_config(ROOT / "config.toml", database_url=url), clock=FixedClock(now))
    eng.listeners.subscribe("deadline", counting_listener(die_at))
    if barrier:
        print("ready", flush=True)
        sys.stdin.readline()
    summary = run_due(eng, now, batch=50)
    eng.db.dispose()
    print(json.dumps({k: v for k, v in summary.as_dict().items() if k != "items"}), flush=True)


def run_scheduler(args: list[str]) -> None:
    import engine.app

    build = engine.app.build_engine

    def build_counting(*a: Any, **kw: Any) -> Any:
        eng = build(*a, **kw)
        eng.listeners.subscribe("deadline", counting_listener())
        return eng

    engine.app.build_engine = build_counting  # the CLI imports it at call time
    from samverkan.cli import main

    main(args, prog_name="samverkan")


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv and argv[0] == "--scheduler":
        run_scheduler(argv[1:])
    else:
        die = int(argv[argv.index("--die-at") + 1]) if "--die-at" in argv else None
        run_child(argv[0], argv[1], "--barrier" in argv, die)
