"""How fast run_due works through due deadlines, against bare SQL doing the same claims and writes.

    .venv/bin/python bench/due.py [--rows 10000] [--db-url URL] [--mem-rows 2000,10000] [--agreements 290]

For each backend (SQLite in a temporary file; PostgreSQL too when --db-url or
SAMVERKAN_TEST_DATABASE_URL is set, in a schema of its own that is dropped afterwards):
a fresh database with 20 open actions and `--rows` due reminders/escalations, then

- run_due: `engine.schedule.due.run_due(eng, now)` as the scheduler calls it (no listeners beyond
  the engine's own, so a reminder writes nothing but its own row);
- baseline: the driver's own connection (sqlite3 / psycopg) running the same protocol:
  claim a batch of 200 with the same statement, then per row one transaction that locks
  the row's case, locks the row, re-checks it is pending and its case still in its state,
  and marks it done with fired_at;
- memory: tracemalloc's peak during run_due over each of `--mem-rows`;
- national shape: one day's due work for `--agreements` agreements (a generated config, see
  bench/support/national.py): each one's monthly review opening, 20 reminders, 10 escalations
  and 2 due times, with the notice rules installed as the scheduler runs them, timed.

Prints a line per figure and, last, one JSON object with all of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ heads sys.path, and bench/transitions.py would shadow the
# `transitions` library the engine imports: look up imports from the project root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from engine.accounts.users import add_user  # noqa: E402
from engine.cases.commands import OpenRequest, open_case  # noqa: E402
from engine.cases.periods import sync_from_config  # noqa: E402
from engine.config.load import load_config  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from engine.schedule.due import LEASE, run_due  # noqa: E402
from engine.store.models import Deadline, metadata  # noqa: E402
from samverkan.bootstrap import build_engine  # noqa: E402
from tests.doubles import FixedClock  # noqa: E402

T0 = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)  # a Wednesday, far from holidays
NOW = T0 + dt.timedelta(hours=1)
BATCH = 200
CASES = 20


# --- databases ---------------------------------------------------------------------------

@contextmanager
def sqlite_url() -> Iterator[Callable[[], str]]:
    with tempfile.TemporaryDirectory(prefix="samverkan-bench-") as tmp:
        n = 0

        def fresh() -> str:
            nonlocal n
            n += 1
            return f"sqlite:///{tmp}/due{n}.db"
        yield fresh


@contextmanager
def postgres_url(base: str) -> Iterator[Callable[[], str]]:
    admin = create_engine(base)
    schemas: list[str] = []

    def fresh() -> str:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        schemas.append(schema)
        return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        yield fresh
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def seeded(url: str, rows: int) -> Engine:
    """An engine on a new database holding `rows` due reminders and escalations."""
    config = load_config(ROOT / "config.toml", database_url=url)
    eng = build_engine(config, clock=FixedClock(NOW))
    metadata.create_all(eng.db.engine)
    with eng.db.write() as s:
        sync_from_config(s, config, T0)
        add_user(s, config, "chair", name="Chair", email="chair@example.org", now=T0,
                 roles=[("chair", "trygghetsgruppen")])
    cases = [open_case(eng, OpenRequest("action", f"Action {i}", group="socialnamnden"), "chair", now=T0)
             for i in range(CASES)]
    values = [{"case_id": c.id, "state": c.state, "case_version": c.version,
               "kind": "reminder" if i % 2 else "escalation", "offset_days": i % 7,
               "due_at": T0 - dt.timedelta(minutes=1 + i % 600), "status": "pending", "attempts": 0}
              for i, c in ((i, cases[i % CASES]) for i in range(rows))]
    with eng.db.write() as s:
        for start in range(0, rows, 5_000):
            s.execute(insert(Deadline), values[start:start + 5_000])
    return eng


def count_done(eng: Engine) -> int:
    with eng.db.read() as s:
        return int(s.execute(select(func.count()).select_from(Deadline).where(Deadline.status == "done")).scalar_one())


# --- the bare-SQL baseline -----------------------------------------------------------------

def _ts(dialect: str, value: dt.datetime) -> Any:
    # SQLAlchemy stores SQLite date-times as naive UTC text; psycopg takes aware datetimes.
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else value


def _parse(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


SQL = {
    "sqlite": {
        "begin": "BEGIN IMMEDIATE",
        "claim": ("UPDATE deadlines SET claimed_until = ? WHERE id IN (SELECT id FROM deadlines "
                  "WHERE status = 'pending' AND due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) "
                  "ORDER BY due_at, id LIMIT ?) RETURNING id, due_at"),
        "case": "SELECT state, is_open, due_at FROM cases WHERE id = (SELECT case_id FROM deadlines WHERE id = ?)",
        "row": "SELECT status, state, kind, due_at FROM deadlines WHERE id = ?",
        "done": "UPDATE deadlines SET status = ?, fired_at = ? WHERE id = ?",
    },
    "postgresql": {
        "begin": None,  # psycopg opens a transaction at the first statement
        "claim": ("SELECT id FROM deadlines WHERE status = 'pending' AND due_at <= %s "
                  "AND (claimed_until IS NULL OR claimed_until <= %s) ORDER BY due_at, id LIMIT %s "
                  "FOR UPDATE SKIP LOCKED"),
        "lease": "UPDATE deadlines SET claimed_until = %s WHERE id = ANY(%s)",
        "case": ("SELECT state, is_open, due_at FROM cases WHERE id = (SELECT case_id FROM deadlines WHERE id = %s) "
                 "FOR UPDATE"),
        "row": "SELECT status, state, kind, due_at FROM deadlines WHERE id = %s FOR UPDATE",
        "done": "UPDATE deadlines SET status = %s, fired_at = %s WHERE id = %s",
    },
}


def _claim(cur: Any, q: dict[str, Any], dialect: str, now: dt.datetime) -> list[int]:
    if dialect == "sqlite":
        cur.execute(q["claim"], (_ts(dialect, now + LEASE), _ts(dialect, now), _ts(dialect, now), BATCH))
        return [r[0] for r in sorted(cur.fetchall(), key=lambda r: (r[1], r[0]))]
    cur.execute(q["claim"], (now, now, BATCH))
    ids = [r[0] for r in cur.fetchall()]
    if ids:
        cur.execute(q["lease"], (now + LEASE, ids))
    return ids


def _fire_one(cur: Any, q: dict[str, Any], dialect: str, deadline_id: int, now: dt.datetime) -> None:
    cur.execute(q["case"], (deadline_id,))
    case_state, case_open, case_due = cur.fetchone()
    cur.execute(q["row"], (deadline_id,))
    status, state, kind, _due = cur.fetchone()
    if status != "pending":
        return
    case_due = _parse(case_due)
    if case_state != state or not case_open:
        outcome = "retired"
    elif kind == "reminder" and case_due is not None and case_due <= now:
        outcome = "skipped"
    else:
        outcome = "done"
    cur.execute(q["done"], (outcome, _ts(dialect, now), deadline_id))


def baseline(eng: Engine, now: dt.datetime) -> int:
    """The claim protocol in bare SQL on the driver's connection; how many rows it handled."""
    dialect = eng.db.dialect
    q = SQL[dialect]
    raw = eng.db.engine.raw_connection()
    handled = 0

    def tx(fn: Callable[[Any], Any]) -> Any:
        cur = raw.cursor()
        if q["begin"]:
            cur.execute(q["begin"])
        try:
            result = fn(cur)
        except BaseException:
            raw.rollback() if dialect != "sqlite" else cur.execute("ROLLBACK")
            raise
        raw.commit() if dialect != "sqlite" else cur.execute("COMMIT")
        cur.close()
        return result
    try:
        while ids := tx(lambda cur: _claim(cur, q, dialect, now)):
            for deadline_id in ids:
                tx(lambda cur, d=deadline_id: _fire_one(cur, q, dialect, d, now))
                handled += 1
    finally:
        raw.close()
    return handled


# --- measurements --------------------------------------------------------------------------

def profiled(fn: Callable[[], Any]) -> Any:
    """`fn()`, under cProfile when BENCH_PROFILE is set (its top entries printed: where the time went)."""
    if not os.environ.get("BENCH_PROFILE"):
        return fn()
    import cProfile
    import pstats
    profile = cProfile.Profile()
    result = profile.runcall(fn)
    pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(int(os.environ["BENCH_PROFILE"]))
    return result


def timed(fresh: Callable[[], str], rows: int, fn: Callable[[Engine], Any]) -> tuple[float, float]:
    """Wall and CPU seconds (this process only: SQLite's work, not PostgreSQL's server)."""
    eng = seeded(fresh(), rows)
    try:
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        profiled(lambda: fn(eng))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        done = count_done(eng)
        if done != rows:
            raise SystemExit(f"only {done} of {rows} deadlines were done: the benchmark is broken")
        return elapsed, cpu
    finally:
        eng.db.dispose()


def peak_memory(fresh: Callable[[], str], rows: int) -> int:
    eng = seeded(fresh(), rows)
    try:
        gc.collect()
        tracemalloc.start()
        run_due(eng, NOW)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak
    finally:
        eng.db.dispose()


def bench_backend(name: str, fresh: Callable[[], str], rows: int, mem_rows: list[int]) -> dict[str, Any]:
    t_due, cpu_due = timed(fresh, rows, lambda eng: run_due(eng, NOW))
    t_base, cpu_base = timed(fresh, rows, lambda eng: baseline(eng, NOW))
    out: dict[str, Any] = {
        "rows": rows,
        "run_due_s": round(t_due, 3), "baseline_s": round(t_base, 3),
        "run_due_rows_per_s": round(rows / t_due, 1), "baseline_rows_per_s": round(rows / t_base, 1),
        "ratio_run_due_to_baseline_time": round(t_due / t_base, 2),
        "ratio_rows_per_s": round(t_base / t_due, 3),
        "run_due_cpu_s": round(cpu_due, 3), "baseline_cpu_s": round(cpu_base, 3),
        "ratio_run_due_to_baseline_cpu": round(cpu_due / cpu_base, 2),
    }
    print(f"[{name}] {rows} due deadlines: run_due {out['run_due_rows_per_s']} rows/s ({t_due:.2f} s), "
          f"bare SQL {out['baseline_rows_per_s']} rows/s ({t_base:.2f} s): "
          f"run_due/bare rows/s {out['ratio_rows_per_s']} (target 0.5), "
          f"{out['ratio_run_due_to_baseline_cpu']}x its CPU in this process", flush=True)
    peaks = {n: peak_memory(fresh, n) for n in mem_rows}
    out["peak_bytes"] = {str(n): p for n, p in peaks.items()}
    lo, hi = min(mem_rows), max(mem_rows)
    out["peak_growth"] = round(peaks[hi] / peaks[lo], 2)
    print(f"[{name}] tracemalloc peak during run_due: "
          + ", ".join(f"{n} rows {p / 1e6:.2f} MB" for n, p in peaks.items())
          + f" ({out['peak_growth']}x from {lo} to {hi} rows)", flush=True)
    return out


# --- national shape -------------------------------------------------------------------------

DAY = dt.date(2027, 2, 15)  # a Monday: every agreement's monthly review (first Monday of March) opens today
CASES_PER_AGREEMENT = 10
ROWS_PER_AGREEMENT = (20, 10, 2)  # reminders, escalations, due times (the action's, no timeout) falling due today


def national(url: str, agreements: int) -> dict[str, Any]:
    """One day's due work for `agreements` agreements, as the scheduler runs it (with the notice rules).

    Each agreement: an official and a chair, CASES_PER_AGREEMENT assigned actions (Core bulk inserts),
    and today's reminders, escalations and due times on them, spread over the working day;
    its recurring monthly review opens today. Yesterday's run has been made (the schedule
    marks are set), so only today's work is timed.
    """
    from bench.support.national import national_config
    from engine.store.models import CaseRow, Group, User
    from samverkan.bootstrap import build_service

    tz = dt.timezone(dt.timedelta(hours=1))  # Stockholm in February
    yesterday = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(20), tzinfo=tz)
    evening = dt.datetime.combine(DAY, dt.time(20), tzinfo=tz)
    with tempfile.TemporaryDirectory(prefix="samverkan-national-") as tmp:
        config = load_config(national_config(Path(tmp), url, agreements), database_url=url)
        clock = FixedClock(yesterday)
        eng = build_service(config, clock=clock)
        try:
            start = time.perf_counter()
            metadata.create_all(eng.db.engine)
            with eng.db.write() as s:
                sync_from_config(s, config, yesterday)
                for a in config.agreements:  # an official who holds the actions, a chair told of escalations
                    add_user(s, config, f"official-{a.key}", name=f"Official {a.key}", email=f"{a.key}@example.org",
                             now=yesterday, roles=[("official", a.groups[0].key)])
                    add_user(s, config, f"chair-{a.key}", name=f"Chair {a.key}", email=f"chair-{a.key}@example.org",
                             now=yesterday, roles=[("chair", a.groups[0].key)])
            run_due(eng, yesterday)  # sets each schedule's mark: the occurrences before today are handled
            with eng.db.read() as s:
                group_of = {k: i for k, i in s.execute(select(Group.key, Group.id))}
                user_of = {k: i for k, i in s.execute(select(User.username, User.id))}
                agreement_of = {a.key: eng.agreement_id(s, a.key) for a in config.agreements}
            cases_table, n_rows = CaseRow.__table__, 0  # type: ignore[attr-defined]
            with eng.db.engine.begin() as conn:
                rows = [{"agreement_id": agreement_of[a.key], "workflow": "action", "definition_version": "bench",
                         "title": f"Åtgärd {i} {a.key}", "description": "", "state": "assigned", "is_open": True,
                         "version": 1, "assignee_id": user_of[f"official-{a.key}"],
                         "group_id": group_of[a.groups[0].key], "priority": "normal", "confidential": False,
                         "opened_by": "bench", "opened_at": T0 - dt.timedelta(days=40), "updated_at": T0,
                         "due_at": evening + dt.timedelta(days=3 + i % 5), "data": {}}
                        for a in config.agreements for i in range(CASES_PER_AGREEMENT)]
                ids = [r[0] for r in conn.execute(insert(cases_table).returning(cases_table.c.id), rows)]
                reminders, escalations, dues = ROWS_PER_AGREEMENT
                deadlines = []
                for k in range(len(config.agreements)):
                    mine = ids[k * CASES_PER_AGREEMENT:(k + 1) * CASES_PER_AGREEMENT]
                    kinds = ["reminder"] * reminders + ["escalation"] * escalations + ["due"] * dues
                    for j, kind in enumerate(kinds):
                        at = dt.datetime.combine(DAY, dt.time(7 + j % 10, j % 60), tzinfo=tz)
                        deadlines.append({"case_id": mine[j % len(mine)], "state": "assigned", "case_version": 1,
                                          "kind": kind, "offset_days": 1 + j % 5, "due_at": at,
                                          "status": "pending", "attempts": 0})
                for lo in range(0, len(deadlines), 5_000):
                    conn.execute(insert(Deadline), deadlines[lo:lo + 5_000])
                n_rows = len(deadlines)
            seeding = time.perf_counter() - start
            clock.at = evening
            gc.collect()
            start, cpu = time.perf_counter(), time.process_time()
            summary = profiled(lambda: run_due(eng, evening))
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            with eng.db.read() as s:
                notices = int(s.execute(text("SELECT count(*) FROM notices")).scalar_one())
        finally:
            eng.db.dispose()
    if summary.failed or summary.fired != n_rows or len(summary.opened) < agreements:
        raise SystemExit(f"the national run did not do one day's work: {summary.as_dict()}")
    return {"agreements": agreements, "deadline_rows": n_rows, "opened": len(summary.opened),
            "notices_written": notices, "seconds": round(elapsed, 2), "cpu_s": round(cpu, 2),
            "rows_per_s": round(n_rows / elapsed, 1), "seeding_s": round(seeding, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db-url", default=os.environ.get("SAMVERKAN_TEST_DATABASE_URL"),
                        help="PostgreSQL URL (default: $SAMVERKAN_TEST_DATABASE_URL); SQLite always runs")
    # BENCH_PROFILE=N: each timed run under cProfile, its N most expensive functions printed.
    parser.add_argument("--mem-rows", default="2000,10000", help="row counts whose memory peaks are compared")
    parser.add_argument("--agreements", type=int, default=290,
                        help="agreements of the national run (default 290; 0 skips it)")
    args = parser.parse_args(argv)
    mem_rows = [int(n) for n in args.mem_rows.split(",")]
    # Wall times on a shared machine move with its load; the CPU figures much less.
    results: dict[str, Any] = {"bench": "due", "batch": BATCH, "cases": CASES,
                               "loadavg_1m_at_start": round(os.getloadavg()[0], 2), "target_ratio": 0.5}
    backends: list[tuple[str, Any]] = [("sqlite", sqlite_url)]
    if args.db_url:
        backends.append(("postgresql", lambda: postgres_url(args.db_url)))
    for name, urls in backends:
        with urls() as fresh:
            results[name] = bench_backend(name, fresh, args.rows, mem_rows)
            if args.agreements:
                day = results[name]["national"] = national(fresh(), args.agreements)
                print(f"[{name}] national shape, one day: {day['agreements']} agreements, {day['deadline_rows']} "
                      f"reminders/escalations/due times and {day['opened']} openings ({day['notices_written']} "
                      f"notices written) in {day['seconds']} s = {day['rows_per_s']} rows/s "
                      f"(seeding {day['seeding_s']} s)", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
