"""A worker process for the concurrency tests: fires what it is told, all workers at the same moment.

Lives in its own module so that multiprocessing's "spawn" start method can import it.
"""

from __future__ import annotations

import datetime as dt
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fire_when_all_ready(url: str, tasks: Queue, results: Queue, barrier: Barrier) -> None:
    """For each (case_id, trigger, actor, comment, expected_version, now) task: wait for the others, then fire.

    Puts ("ok", trigger), ("conflict", message) or ("error", description) per task; stops on None.
    """
    from engine.cases.firing import fire
    from engine.config.load import load_config
    from engine.kernel.errors import Conflict
    from samverkan.bootstrap import build_engine

    eng = build_engine(load_config(ROOT / "config.toml", database_url=url))
    try:
        while (task := tasks.get(timeout=120)) is not None:
            case_id, trigger, actor, comment, version, now = task
            barrier.wait(timeout=60)
            try:
                fire(eng, case_id, trigger, actor, comment=comment, expected_version=version,
                     now=dt.datetime.fromisoformat(now))
                results.put(("ok", trigger))
            except Conflict as exc:
                results.put(("conflict", str(exc)))
            except Exception as exc:  # noqa: BLE001  (reported to the test, which fails on it)
                results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        eng.db.dispose()
