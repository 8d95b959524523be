"""Transitions per second through the engine versus the same writes through SQLAlchemy Core and the bare driver.

    .venv/bin/python bench/transitions.py [--db sqlite|postgresql] [--db-url URL] [--cases M] [--transitions N]

Each of the three sides works on its own M action cases, each fired round the cycle
open -> assign -> start -> complete -> reopen -> complete -> ..., with a fixed clock. Per
transition the engine (`engine.cases.firing.fire`, actor given by user name as the CLI and the
web do), SQLAlchemy Core (statements built once, as the engine's are) and the raw driver
(sqlite3 / psycopg on the pooled connection, SQL prepared once) write the same rows: the case
updated under a version check (with the data the engine leaves in that state), one signed,
chained log row, the pending deadline rows retired and the new state's rows inserted, and the
case's `case_waiting` rows rewritten (whom it waits for, as the engine wrote them for a case it
fired round the cycle once; checked on every side's cases afterwards). The Core and raw
sides skip everything else (permission and guard checks, the state machine, the user lookup,
deadline planning, working out whom the case waits for). Afterwards `verify_chain` checks
every side's chain, which proves their log rows are the same as the engine's.
Targets: engine >= 0.8x Core and >= 0.3x raw.

Memory: the engine fires the same number of transitions over a few cases and over many
cases (each touched once) under tracemalloc; the peaks should be about equal.

Runs on SQLite always, and on PostgreSQL when --db-url or SAMVERKAN_TEST_DATABASE_URL is
given. Prints one JSON object with every figure as its last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the `transitions` package the engine uses: keep bench/ off the path.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import bindparam, delete, insert, select, update  # noqa: E402

from bench.support.schemas import postgres_schema  # noqa: E402
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
TARGET_CORE = 0.80  # engine / Core, the Core statements built once as the engine's are
TARGET_RAW = 0.30  # engine / the driver alone, statements prepared once
CHUNK = 50


@contextmanager
def database(kind: str, url: str | None) -> Iterator[str]:
    """A fresh database with the schema: a temporary SQLite file or a new PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    assert url
    with postgres_schema(url) as schema_url:
        yield schema_url


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


CPU = {"engine": 0.0, "core": 0.0, "raw": 0.0}


def run_engine(eng: Engine, plan: list[tuple[int, str]]) -> float:
    """Seconds to fire `plan` through `engine.cases.firing.fire`, one transaction each."""
    start, cpu = time.perf_counter(), time.process_time()
    for case_id, trigger in plan:
        fire(eng, case_id, trigger, "bench", comment=COMMENT.get(trigger), now=T0)
    CPU["engine"] += time.process_time() - cpu
    return time.perf_counter() - start


def deadline_rows(eng: Engine) -> dict[str, list[tuple[str, int, dt.datetime, str | None]]]:
    """The rows the engine plans for each state, for cases opened and fired at T0.

    `assigned` and `in_progress` are due 20 working days after opening (2027-03-10), `done`
    10 working days after it is entered (2027-02-24); reminders and escalations around.
    """
    tz = eng.tz

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
    return {"assigned": twenty, "in_progress": twenty, "done": ten}


def log_body(case_id: int, seq: int, trigger: str, from_state: str, to_state: str, now: dt.datetime,
             comment: str | None, prev: str, key: str, assignee: int | None, group: int | None,
             confidential: bool | None) -> bytes:
    """The signed body of a log row, as `engine.store.audit` builds it."""
    return json.dumps([case_id, seq, trigger, from_state, to_state, "bench", now.isoformat(), comment, prev,
                       key, assignee, group, confidential], ensure_ascii=False, separators=(",", ":")).encode()


WAITING_COLUMNS = ("slot", "kind", "key", "group_key", "label_sv", "label_en", "except_user_id")


def engine_writes(eng: Engine, case_id: int) -> dict[str, tuple[dict[str, Any], list[tuple[Any, ...]]]]:
    """What the engine leaves in each state of the cycle: the case's data and its `case_waiting` rows.

    Taken from a case the engine fires round the cycle once, so the Core and raw sides write the
    same (whom the case waits for is rewritten on every transition since the "Att göra" work).
    """
    w, c = metadata.tables["case_waiting"], metadata.tables["cases"]
    state, out = "open", {}
    for _ in range(4):
        trigger = NEXT[state]
        fire(eng, case_id, trigger, "bench", comment=COMMENT.get(trigger), now=T0)
        state = TARGET[trigger]
        with eng.db.read() as s:
            data = s.execute(select(c.c.data).where(c.c.id == case_id)).scalar_one()
            rows = [tuple(r) for r in s.execute(select(*(w.c[k] for k in WAITING_COLUMNS))
                                                .where(w.c.case_id == case_id).order_by(w.c.slot))]
        out[state] = (data, rows)
    return out


def check_same_writes(eng: Engine, sides: dict[str, list[int]],
                      writes: dict[str, tuple[dict[str, Any], list[tuple[Any, ...]]]]) -> None:
    """Every side's cases wait for whom the engine's did in the same state (the signed chain is checked later)."""
    w, c = metadata.tables["case_waiting"], metadata.tables["cases"]
    with eng.db.read() as s:
        for side, ids in sides.items():
            states = dict(s.execute(select(c.c.id, c.c.state).where(c.c.id.in_(ids))).all())
            found: dict[int, list[tuple[Any, ...]]] = {i: [] for i in ids}
            for row in s.execute(select(w.c.case_id, *(w.c[k] for k in WAITING_COLUMNS))
                                 .where(w.c.case_id.in_(ids)).order_by(w.c.case_id, w.c.slot)):
                found[row[0]].append(tuple(row[1:]))
            for case_id, rows in found.items():
                if states[case_id] in writes and rows != writes[states[case_id]][1]:
                    raise SystemExit(f"{side} case {case_id} in {states[case_id]} waits for {rows}, "
                                     f"the engine's for {writes[states[case_id]][1]}: the sides do not write the same")


class Bare:
    """The same writes as the engine's `fire`, straight through SQLAlchemy Core, statements built once."""

    def __init__(self, eng: Engine, writes: dict[str, tuple[dict[str, Any], list[tuple[Any, ...]]]]) -> None:
        self.conn_engine = eng.db.engine.execution_options(samverkan_write=True)
        self.writes = writes
        w = metadata.tables["case_waiting"]
        self.unwait = delete(w).where(w.c.case_id == bindparam("b_id"))
        self.wait = insert(w)
        c = self.cases = metadata.tables["cases"]
        lg = self.log = metadata.tables["transition_log"]
        d = self.deadlines = metadata.tables["deadlines"]
        self.keys = eng.audit_keys
        self.rows = deadline_rows(eng)
        read = select(c.c.state, c.c.version, c.c.assignee_id, c.c.group_id, c.c.confidential).where(
            c.c.id == bindparam("b_id"))
        self.read = read.with_for_update() if eng.db.dialect == "postgresql" else read
        self.move = update(c).where(c.c.id == bindparam("b_id"), c.c.version == bindparam("b_version")).values(
            state=bindparam("b_state"), version=bindparam("b_new_version"),
            data=bindparam("b_data", type_=c.c.data.type),
            updated_at=bindparam("b_now", type_=c.c.updated_at.type), is_open=True, closed_at=None,
            due_at=bindparam("b_due", type_=c.c.due_at.type))
        self.last = (select(lg.c.seq, lg.c.hash).where(lg.c.case_id == bindparam("b_id"))
                     .order_by(lg.c.seq.desc()).limit(1))
        self.append = insert(lg)
        self.retire = (update(d).where(d.c.case_id == bindparam("b_id"), d.c.status == "pending")
                       .values(status="retired"))
        self.plan = insert(d)

    def fire(self, conn: Any, case_id: int, trigger: str, now: dt.datetime) -> None:
        """One transition: read, version-checked update, chained log row, deadlines replaced."""
        from_state, version, assignee, group, confidential = conn.execute(self.read, {"b_id": case_id}).one()
        to_state = TARGET[trigger]
        rows = self.rows[to_state]
        due = next(r[2] for r in rows if r[0] == "due")
        data, waiting = self.writes[to_state]
        done = conn.execute(self.move, {"b_id": case_id, "b_version": version, "b_state": to_state,
                                        "b_new_version": version + 1, "b_data": data, "b_now": now, "b_due": due})
        assert done.rowcount == 1
        last = conn.execute(self.last, {"b_id": case_id}).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        comment = COMMENT.get(trigger)
        key = self.keys.current
        body = log_body(case_id, seq, trigger, from_state, to_state, now, comment, prev, key, assignee, group,
                        confidential)
        conn.execute(self.append, {"case_id": case_id, "seq": seq, "trigger": trigger, "from_state": from_state,
                                   "to_state": to_state, "actor": "bench", "at": now, "comment": comment,
                                   "prev_hash": prev, "hash": self.keys.sign(key, body), "key_id": key,
                                   "assignee_id": assignee, "group_id": group, "confidential": confidential})
        conn.execute(self.retire, {"b_id": case_id})
        conn.execute(self.plan, [
            {"case_id": case_id, "state": to_state, "case_version": version + 1, "kind": kind, "offset_days": off,
             "due_at": when, "trigger": trig, "status": "pending", "attempts": 0}
            for kind, off, when, trig in rows])
        conn.execute(self.unwait, {"b_id": case_id})
        if waiting:
            conn.execute(self.wait, [{"case_id": case_id, **dict(zip(WAITING_COLUMNS, r, strict=True)), "due_at": due}
                                     for r in waiting])

    def run(self, plan: list[tuple[int, str]]) -> float:
        """Seconds to run `plan`, one transaction per transition."""
        start, cpu = time.perf_counter(), time.process_time()
        for case_id, trigger in plan:
            with self.conn_engine.begin() as conn:
                self.fire(conn, case_id, trigger, T0)
        CPU["core"] += time.process_time() - cpu
        return time.perf_counter() - start


RAW_SQL = {
    "read": "SELECT state, version, assignee_id, group_id, confidential FROM cases WHERE id = ?",
    "move": ("UPDATE cases SET state = ?, version = ?, data = ?, updated_at = ?, is_open = ?, closed_at = NULL, "
             "due_at = ? WHERE id = ? AND version = ?"),
    "last": "SELECT seq, hash FROM transition_log WHERE case_id = ? ORDER BY seq DESC LIMIT 1",
    "append": ("INSERT INTO transition_log (case_id, seq, trigger, from_state, to_state, actor, at, comment, "
               "prev_hash, hash, key_id, assignee_id, group_id, confidential) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    "retire": "UPDATE deadlines SET status = 'retired' WHERE case_id = ? AND status = 'pending'",
    "plan": ("INSERT INTO deadlines (case_id, state, case_version, kind, offset_days, due_at, trigger, status, "
             "attempts) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0)"),
    "unwait": "DELETE FROM case_waiting WHERE case_id = ?",
    "wait": ("INSERT INTO case_waiting (case_id, slot, kind, key, group_key, label_sv, label_en, except_user_id, "
             "due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
}


class Raw:
    """The same writes as `Bare`, on the driver's own connection (sqlite3 / psycopg), SQL prepared once.

    sqlite3 keeps each distinct SQL string compiled in its statement cache; psycopg is told to
    prepare every statement on the server (`prepare=True`). Values are converted as
    SQLAlchemy would store them (SQLite: naive UTC text, 0/1; PostgreSQL: aware datetimes).
    """

    def __init__(self, eng: Engine, writes: dict[str, tuple[dict[str, Any], list[tuple[Any, ...]]]]) -> None:
        self.pg = eng.db.dialect == "postgresql"
        # The JSON column's text as SQLAlchemy writes it (json.dumps with its default separators).
        self.writes = {state: (json.dumps(data), waiting) for state, (data, waiting) in writes.items()}
        self.keys = eng.audit_keys
        self.fairy = eng.db.engine.raw_connection()  # pooled: has the same PRAGMAs as the engine's
        self.conn: Any = self.fairy.driver_connection
        self.sql = {k: (v.replace("?", "%s") + (" FOR UPDATE" if k == "read" else "")) if self.pg else v
                    for k, v in RAW_SQL.items()}
        self.rows = {state: [(kind, off, self.ts(when), trig) for kind, off, when, trig in rows]
                     for state, rows in deadline_rows(eng).items()}

    def ts(self, value: dt.datetime) -> Any:
        return value if self.pg else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def close(self) -> None:
        self.fairy.close()

    def fire(self, cur: Any, case_id: int, trigger: str, now: dt.datetime) -> None:
        sql, pg = self.sql, self.pg
        kw = {"prepare": True} if pg else {}
        cur.execute(sql["read"], (case_id,), **kw)
        from_state, version, assignee, group, confidential = cur.fetchone()
        if confidential is not None:
            confidential = bool(confidential)
        to_state = TARGET[trigger]
        rows = self.rows[to_state]
        due = next(r[2] for r in rows if r[0] == "due")
        stamp = self.ts(now)
        data, waiting = self.writes[to_state]
        cur.execute(sql["move"], (to_state, version + 1, data, stamp, True, due, case_id, version), **kw)
        assert cur.rowcount == 1
        cur.execute(sql["last"], (case_id,), **kw)
        last = cur.fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        comment = COMMENT.get(trigger)
        key = self.keys.current
        body = log_body(case_id, seq, trigger, from_state, to_state, now, comment, prev, key, assignee, group,
                        confidential)
        cur.execute(sql["append"], (case_id, seq, trigger, from_state, to_state, "bench", stamp, comment, prev,
                                    self.keys.sign(key, body), key, assignee, group, confidential), **kw)
        cur.execute(sql["retire"], (case_id,), **kw)
        cur.executemany(sql["plan"], [(case_id, to_state, version + 1, kind, off, when, trig)
                                      for kind, off, when, trig in rows])
        cur.execute(sql["unwait"], (case_id,), **kw)
        if waiting:
            cur.executemany(sql["wait"], [(case_id, *r, due) for r in waiting])

    def run(self, plan: list[tuple[int, str]]) -> float:
        """Seconds to run `plan`, one transaction per transition (SQLite: BEGIN IMMEDIATE, as the engine)."""
        start, cpu = time.perf_counter(), time.process_time()
        conn = self.conn
        for case_id, trigger in plan:
            cur = conn.cursor()
            if not self.pg:
                cur.execute("BEGIN IMMEDIATE")
            try:
                self.fire(cur, case_id, trigger, T0)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            cur.close()
        CPU["raw"] += time.process_time() - cpu
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
        raw: Raw | None = None
        try:
            engine_cases = open_cases(eng, n_cases, "Bench engine")
            core_cases = open_cases(eng, n_cases, "Bench core")
            raw_cases = open_cases(eng, n_cases, "Bench raw")
            warm = open_cases(eng, 7, "Warm-up")
            writes = engine_writes(eng, warm[6])
            core, raw = Bare(eng, writes), Raw(eng, writes)
            # Warm up every path (statement caches, prepared statements, the shared machine) on cases of their own.
            run_engine(eng, schedule(warm[:2], 8))
            core.run(schedule(warm[2:4], 8))
            raw.run(schedule(warm[4:], 8))
            # Alternate short stretches so that a noisy neighbour hurts every side alike.
            plans = {"engine": schedule(engine_cases, n_transitions), "core": schedule(core_cases, n_transitions),
                     "raw": schedule(raw_cases, n_transitions)}
            runners = {"core": core.run, "raw": raw.run, "engine": lambda p: run_engine(eng, p)}
            wall = dict.fromkeys(runners, 0.0)
            CPU.update(engine=0.0, core=0.0, raw=0.0)
            for lo in range(0, n_transitions, CHUNK):
                for side, run in runners.items():
                    wall[side] += run(plans[side][lo:lo + CHUNK])
            cpu = dict(CPU)
            check_same_writes(eng, {"engine": engine_cases, "Core": core_cases, "raw": raw_cases}, writes)
            # Memory: as many transitions over a few cases as over many, each of the many touched once.
            small_n, large_n = 10, max(2 * n_cases, 100)
            mem_transitions = large_n
            small = open_cases(eng, small_n, "Memory small")
            large = open_cases(eng, large_n, "Memory large")
            run_engine(eng, schedule(small, 20))  # let first-use caches settle outside the measurement
            kib_small = peak_kib(eng, small, mem_transitions)
            kib_large = peak_kib(eng, large, mem_transitions)
            with eng.db.read() as s:
                audit = verify_chain(s, eng.audit_keys)
            if not audit.ok:
                raise SystemExit(f"audit failed after the bench: case {audit.case_id} seq {audit.seq}: {audit.problem}")
        finally:
            if raw is not None:
                raw.close()
            eng.db.dispose()
    tps = {side: n_transitions / wall[side] for side in wall}
    to_core, to_raw = tps["engine"] / tps["core"], tps["engine"] / tps["raw"]
    return {
        "db": kind, "cases": n_cases, "transitions": n_transitions,
        "engine_tps": round(tps["engine"], 1), "core_tps": round(tps["core"], 1), "raw_tps": round(tps["raw"], 1),
        "engine_to_core": round(to_core, 3), "engine_to_raw": round(to_raw, 3),
        "target_to_core": TARGET_CORE, "target_to_raw": TARGET_RAW,
        "meets_target": to_core >= TARGET_CORE and to_raw >= TARGET_RAW,
        # This process's CPU per transition (on PostgreSQL the server's work is not in it).
        **{f"{side}_cpu_ms": round(1000 * cpu[side] / n_transitions, 3) for side in ("engine", "core", "raw")},
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
        print(f"{kind:<10} engine {r['engine_tps']:>8.1f}/s   Core {r['core_tps']:>8.1f}/s   "
              f"raw {r['raw_tps']:>8.1f}/s")
        print(f"{'':<10} engine/Core {r['engine_to_core']:.2f} (target {TARGET_CORE:.2f})   "
              f"engine/raw {r['engine_to_raw']:.2f} (target {TARGET_RAW:.2f}): "
              f"{'met' if r['meets_target'] else 'NOT met'}   CPU here per transition: engine "
              f"{r['engine_cpu_ms']} ms, Core {r['core_cpu_ms']} ms, raw {r['raw_cpu_ms']} ms")
        print(f"{'':<10} peak memory over {r['memory_transitions']} transitions: {r['memory_cases_small']} cases "
              f"{r['peak_kib_small']} KiB, {r['memory_cases_large']} cases {r['peak_kib_large']} KiB "
              f"(x{r['memory_growth']})")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"bench": "transitions", "loadavg_1m": round(os.getloadavg()[0], 2), "results": results,
                      "maxrss_kib": maxrss}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
