"""Transitions per second through the engine versus the same writes through bare SQLAlchemy Core.

    .venv/bin/python bench/transitions.py [--db sqlite|postgresql] [--db-url URL] [--cases M] [--transitions N]

Both sides work on their own M action cases, each fired round the cycle
open -> assign -> start -> complete -> reopen -> complete -> ..., with a fixed clock. Per
transition the engine (`engine.cases.firing.fire`, actor given by user name as the CLI and the
web do) and the bare side write the same rows: the case updated under a version check,
one hash-chained log row, the pending deadline rows retired and the new state's rows
inserted. The bare side skips everything else (permission and guard checks, the state
machine, the user lookup, deadline planning). Afterwards `verify_chain` checks both
sides' chains, which proves the bare rows are the same as the engine's.

Memory: the engine fires the same number of transitions over a few cases and over many
cases (each touched once) under tracemalloc; the peaks should be about equal.

Runs on SQLite always, and on PostgreSQL when --db-url or SAMVERKAN_TEST_DATABASE_URL is
given. Prints one JSON object with every figure as its last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the `transitions` package the engine uses: keep bench/ off the path.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import create_engine, insert, select, text, update  # noqa: E402

from engine.accounts.users import actor_for, add_user  # noqa: E402
from engine.cases.commands import OpenRequest, open_in  # noqa: E402
from engine.cases.firing import fire  # noqa: E402
from engine.cases.periods import sync_from_config  # noqa: E402
from engine.config.load import load_config  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from engine.store.audit import GENESIS, verify_chain  # noqa: E402
from engine.store.models import metadata  # noqa: E402
from samverkan.bootstrap import build_engine  # noqa: E402
from tests.doubles import FixedClock  # noqa: E402

T0 = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
NEXT = {"open": "assign", "assigned": "start", "in_progress": "complete", "done": "reopen"}
TARGET = {"assign": "assigned", "start": "in_progress", "complete": "done", "reopen": "in_progress"}
COMMENT = {"complete": "Utfört enligt plan.", "reopen": "Behöver kompletteras."}
TARGET_RATIO = 0.70
CHUNK = 50


@contextmanager
def database(kind: str, url: str | None) -> Iterator[str]:
    """A fresh database with the schema: a temporary SQLite file or a new PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    assert url
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def setup_engine(url: str) -> Engine:
    """An engine on `url` with the tables, the agreement and one chair who does everything."""
    config = load_config(ROOT / "config.toml", database_url=url)
    eng = build_engine(config, clock=FixedClock(T0))
    metadata.create_all(eng.db.engine)
    with eng.db.write() as s:
        sync_from_config(s, config, T0)
        add_user(s, config, "bench", name="Bench Chair", email="bench@example.org", now=T0,
                 roles=[("chair", "trygghetsgruppen")])
    return eng


def open_cases(eng: Engine, count: int, title: str) -> list[int]:
    """`count` action cases assigned to the chair, opened in one transaction."""
    with eng.db.write() as s:
        actor = actor_for(s, "bench")
        req = OpenRequest("action", title, group="trygghetsgruppen", assignee="bench")
        return [open_in(eng, s, req, actor, T0).id for _ in range(count)]  # type: ignore[misc]


_STATE: dict[int, str] = {}


def schedule(cases: list[int], n: int) -> list[tuple[int, str]]:
    """N (case, trigger) pairs round-robin over `cases`, each case continuing its cycle."""
    out = []
    for i in range(n):
        case = cases[i % len(cases)]
        trigger = NEXT[_STATE.get(case, "open")]
        _STATE[case] = TARGET[trigger]
        out.append((case, trigger))
    return out


CPU = {"engine": 0.0, "bare": 0.0}


def run_engine(eng: Engine, plan: list[tuple[int, str]]) -> float:
    """Seconds to fire `plan` through `engine.cases.firing.fire`, one transaction each."""
    start, cpu = time.perf_counter(), time.process_time()
    for case_id, trigger in plan:
        fire(eng, case_id, trigger, "bench", comment=COMMENT.get(trigger), now=T0)
    CPU["engine"] += time.process_time() - cpu
    return time.perf_counter() - start


class Bare:
    """The same writes as the engine's `fire`, straight through SQLAlchemy Core."""

    def __init__(self, eng: Engine) -> None:
        self.conn_engine = eng.db.engine.execution_options(samverkan_write=True)
        self.cases = metadata.tables["cases"]
        self.log = metadata.tables["transition_log"]
        self.deadlines = metadata.tables["deadlines"]
        self.for_update = eng.db.dialect == "postgresql"
        tz = eng.tz
        # The rows the engine plans for each state, for cases opened and fired at T0:
        # `assigned` and `in_progress` are due 20 working days after opening (2027-03-10),
        # `done` 10 working days after it is entered (2027-02-24); reminders and escalations around.
        def at(day: dt.date, h: int, m: int = 0, s: int = 0) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(h, m, s), tzinfo=tz).astimezone(dt.UTC)
        twenty = [("reminder", 5, at(dt.date(2027, 3, 5), 8), None),
                  ("reminder", 1, at(dt.date(2027, 3, 9), 8), None),
                  ("due", 0, at(dt.date(2027, 3, 10), 23, 59, 59), None),
                  ("escalation", 1, at(dt.date(2027, 3, 11), 8), None),
                  ("escalation", 7, at(dt.date(2027, 3, 17), 8), None)]
        ten = [("reminder", 2, at(dt.date(2027, 2, 22), 8), None),
               ("due", 0, at(dt.date(2027, 2, 24), 23, 59, 59), None),
               ("escalation", 1, at(dt.date(2027, 2, 25), 8), None)]
        self.rows = {"assigned": twenty, "in_progress": twenty, "done": ten}

    def fire(self, conn: Any, case_id: int, trigger: str, now: dt.datetime) -> None:
        """One transition: read, version-checked update, chained log row, deadlines replaced."""
        c, lg, d = self.cases, self.log, self.deadlines
        stmt = select(c.c.state, c.c.version).where(c.c.id == case_id)
        from_state, version = conn.execute(stmt.with_for_update() if self.for_update else stmt).one()
        to_state = TARGET[trigger]
        rows = self.rows[to_state]
        due = next(r[2] for r in rows if r[0] == "due")
        done = conn.execute(update(c).where(c.c.id == case_id, c.c.version == version).values(
            state=to_state, version=version + 1, data={}, updated_at=now, is_open=True, closed_at=None,
            due_at=due))
        assert done.rowcount == 1
        last = conn.execute(select(lg.c.seq, lg.c.hash).where(lg.c.case_id == case_id)
                            .order_by(lg.c.seq.desc()).limit(1)).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        comment = COMMENT.get(trigger)
        body = json.dumps([case_id, seq, trigger, from_state, to_state, "bench", now.isoformat(), comment, prev],
                          ensure_ascii=False, separators=(",", ":"))
        conn.execute(insert(lg).values(case_id=case_id, seq=seq, trigger=trigger, from_state=from_state,
                                       to_state=to_state, actor="bench", at=now, comment=comment, prev_hash=prev,
                                       hash=hashlib.sha256(body.encode()).hexdigest()))
        conn.execute(update(d).where(d.c.case_id == case_id, d.c.status == "pending").values(status="retired"))
        conn.execute(insert(d), [
            {"case_id": case_id, "state": to_state, "case_version": version + 1, "kind": kind, "offset_days": off,
             "due_at": when, "trigger": trig, "status": "pending", "attempts": 0}
            for kind, off, when, trig in rows])

    def run(self, plan: list[tuple[int, str]]) -> float:
        """Seconds to run `plan`, one transaction per transition."""
        start, cpu = time.perf_counter(), time.process_time()
        for case_id, trigger in plan:
            with self.conn_engine.begin() as conn:
                self.fire(conn, case_id, trigger, T0)
        CPU["bare"] += time.process_time() - cpu
        return time.perf_counter() - start


def peak_kib(eng: Engine, cases: list[int], n: int) -> float:
    """Peak traced memory (KiB) while the engine fires `n` transitions over `cases`."""
    plan = schedule(cases, n)
    tracemalloc.start()
    tracemalloc.reset_peak()
    run_engine(eng, plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 1024, 1)


def bench_one(kind: str, url: str | None, n_cases: int, n_transitions: int) -> dict[str, Any]:
    """Every figure for one database."""
    _STATE.clear()  # case ids start again in each database
    with database(kind, url) as db_url:
        eng = setup_engine(db_url)
        try:
            engine_cases = open_cases(eng, n_cases, "Bench engine")
            bare_cases = open_cases(eng, n_cases, "Bench bare")
            bare = Bare(eng)
            # Warm up both paths (statement caches, the shared machine) on cases of their own.
            warm = open_cases(eng, 4, "Warm-up")
            run_engine(eng, schedule(warm[:2], 8))
            bare.run(schedule(warm[2:], 8))
            # Alternate short stretches so that a noisy neighbour hurts both sides alike.
            e_plan, b_plan = schedule(engine_cases, n_transitions), schedule(bare_cases, n_transitions)
            e_time = b_time = 0.0
            CPU.update(engine=0.0, bare=0.0)
            for lo in range(0, n_transitions, CHUNK):
                b_time += bare.run(b_plan[lo:lo + CHUNK])
                e_time += run_engine(eng, e_plan[lo:lo + CHUNK])
            cpu_engine, cpu_bare = CPU["engine"], CPU["bare"]
            # Memory: as many transitions over a few cases as over many, each of the many touched once.
            small_n, large_n = 10, max(2 * n_cases, 100)
            mem_transitions = large_n
            small = open_cases(eng, small_n, "Memory small")
            large = open_cases(eng, large_n, "Memory large")
            run_engine(eng, schedule(small, 20))  # let first-use caches settle outside the measurement
            kib_small = peak_kib(eng, small, mem_transitions)
            kib_large = peak_kib(eng, large, mem_transitions)
            with eng.db.read() as s:
                audit = verify_chain(s)
            if not audit.ok:
                raise SystemExit(f"audit failed after the bench: case {audit.case_id} seq {audit.seq}: {audit.problem}")
        finally:
            eng.db.dispose()
    engine_tps, bare_tps = n_transitions / e_time, n_transitions / b_time
    return {
        "db": kind, "cases": n_cases, "transitions": n_transitions,
        "engine_tps": round(engine_tps, 1), "bare_tps": round(bare_tps, 1),
        "ratio": round(engine_tps / bare_tps, 3), "target_ratio": TARGET_RATIO,
        "meets_target": engine_tps / bare_tps >= TARGET_RATIO,
        # This process's CPU per transition (on PostgreSQL the server's work is not in it).
        "engine_cpu_ms": round(1000 * cpu_engine / n_transitions, 3),
        "bare_cpu_ms": round(1000 * cpu_bare / n_transitions, 3),
        "memory_transitions": mem_transitions, "memory_cases_small": small_n, "memory_cases_large": large_n,
        "peak_kib_small": kib_small, "peak_kib_large": kib_large,
        "memory_growth": round(kib_large / kib_small, 3),
        "audit_rows": audit.rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the bench on each selected database and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database (default: every available)")
    ap.add_argument("--db-url", default=os.environ.get("SAMVERKAN_TEST_DATABASE_URL"),
                    help="PostgreSQL URL (default: $SAMVERKAN_TEST_DATABASE_URL)")
    ap.add_argument("--cases", type=int, default=100, help="cases the transitions are spread over (default 100)")
    ap.add_argument("--transitions", type=int, default=500, help="transitions per side (default 500)")
    args = ap.parse_args(argv)
    if args.cases < 1 or args.transitions < 2:
        ap.error("--cases must be at least 1 and --transitions at least 2")
    kinds = [args.db] if args.db else ["sqlite"] + (["postgresql"] if args.db_url else [])
    if "postgresql" in kinds and not args.db_url:
        ap.error("PostgreSQL needs --db-url or SAMVERKAN_TEST_DATABASE_URL")
    results = []
    for kind in kinds:
        r = bench_one(kind, args.db_url, args.cases, args.transitions)
        results.append(r)
        print(f"{kind:<10} engine {r['engine_tps']:>8.1f}/s   bare {r['bare_tps']:>8.1f}/s   "
              f"ratio {r['ratio']:.2f} (target {TARGET_RATIO:.2f}: {'met' if r['meets_target'] else 'NOT met'})   "
              f"CPU here per transition: engine {r['engine_cpu_ms']} ms, bare {r['bare_cpu_ms']} ms")
        print(f"{'':<10} peak memory over {r['memory_transitions']} transitions: {r['memory_cases_small']} cases "
              f"{r['peak_kib_small']} KiB, {r['memory_cases_large']} cases {r['peak_kib_large']} KiB "
              f"(x{r['memory_growth']})")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"bench": "transitions", "results": results, "maxrss_kib": maxrss}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
