"""Queue pages with 100,000 cases: server time of the page against the bare SQL query it runs.

For the overdue and the group queue, as an official of one group: the median and p95 time of
the whole page through Flask's test client, and of the page's own list query (captured
while the page runs) executed bare on the driver; printed as ratios, with the query plan.
Also every statement the page runs (session user, capped navigation counts and unread notices,
the list), run bare, to show how much of the page is SQL and how much is the web layer; and the
framework's floor: an empty log-in-protected route through the same client and session, which
no page can beat (Werkzeug's test client, Flask, the session cookie, Flask-Login).
Runs on SQLite, and on PostgreSQL too when SAMVERKAN_TEST_DATABASE_URL is set.
The last line is one JSON object with every figure. Target: page p95 <= 3x query p95.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.schemas import analyze, postgres_schema  # noqa: E402
from engine.accounts.users import add_user  # noqa: E402
from engine.cases.periods import sync_from_config  # noqa: E402
from engine.config.load import load_config  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from engine.store.models import CaseRow, Group, User, metadata  # noqa: E402
from samverkan.bootstrap import build_engine  # noqa: E402
from tests.doubles import FixedClock  # noqa: E402
from web import create_app  # noqa: E402

N_CASES = int(os.environ.get("BENCH_CASES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "60"))
NOW = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
PASSWORD = "bench-password-1"
QUEUES = ("overdue", "group")
STATES = {"action": ["open", "assigned", "in_progress", "done"], "acute_matter": ["reported", "triaged"]}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _seed(eng: Engine) -> None:
    """Users, then N_CASES cases in bulk (Core inserts in chunks)."""
    with eng.db.write() as s:
        sync_from_config(s, eng.config, NOW)
        add_user(s, eng.config, "official", name="Official", email="o@example.org", now=NOW,
                 roles=[("official", "socialnamnden")], password=PASSWORD)
        for i in range(40):
            group = eng.config.groups[i % len(eng.config.groups)].key
            add_user(s, eng.config, f"user{i}", name=f"User {i}", email=f"u{i}@example.org", now=NOW,
                     roles=[("official", group)])
    with eng.db.read() as s:
        group_ids = list(s.exec(select(Group.id)).all())
        user_ids = list(s.exec(select(User.id)).all())
        agreement_id = eng.agreement_id(s)
    rng = random.Random(7)
    focus = [f.key for f in eng.config.focus_areas]
    table = CaseRow.__table__  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    with eng.db.engine.begin() as conn:
        for i in range(N_CASES):
            workflow = "action" if rng.random() < 0.8 else "acute_matter"
            is_open = rng.random() < 0.7
            opened = NOW - dt.timedelta(days=rng.randint(1, 700))
            rows.append({
                "agreement_id": agreement_id, "workflow": workflow, "definition_version": "bench",
                "title": f"Ärende {i}", "description": "", "state": rng.choice(STATES[workflow]),
                "is_open": is_open, "version": 1,
                "assignee_id": rng.choice(user_ids) if rng.random() < 0.6 else None,
                "group_id": rng.choice(group_ids), "focus_area": rng.choice(focus), "priority": "normal",
                "confidential": rng.random() < 0.05, "opened_by": "bench", "opened_at": opened,
                "updated_at": opened, "closed_at": None if is_open else opened + dt.timedelta(days=5),
                "due_at": NOW + dt.timedelta(hours=rng.randint(-24 * 365, 24 * 365)), "data": {},
            })
            if len(rows) == 5000:
                conn.execute(insert(table), rows)
                rows = []
        if rows:
            conn.execute(insert(table), rows)
    analyze(eng.db.engine)


class _Capture:
    """Records the SQL the app sends, to find the queue's list query."""

    def __init__(self, engine: Any) -> None:
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        self.statements.append((statement, parameters))

    def list_query(self) -> tuple[str, Any]:
        found = [s for s in self.statements if "FROM cases" in s[0] and "ORDER BY" in s[0] and "LIMIT" in s[0]]
        assert found, "the page ran no list query"
        return found[-1]


def _bare_times(eng: Engine, statements: list[tuple[str, Any]]) -> list[float]:
    """Run `statements` one after another on the driver, RUNS times; seconds per run."""
    times = []
    raw = eng.db.engine.raw_connection()
    try:
        for i in range(RUNS + 5):
            start = time.perf_counter()
            for sql, params in statements:
                cur = raw.cursor()
                cur.execute(sql, params)
                cur.fetchall()
                cur.close()
            elapsed = time.perf_counter() - start
            if eng.db.dialect == "postgresql":
                raw.rollback()
            if i >= 5:
                times.append(elapsed)
    finally:
        raw.close()
    return times


def _plan(eng: Engine, sql: str, params: Any) -> list[str]:
    raw = eng.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        prefix = "EXPLAIN QUERY PLAN " if eng.db.dialect == "sqlite" else "EXPLAIN "
        cur.execute(prefix + sql, params)
        rows = cur.fetchall()
        if eng.db.dialect == "postgresql":
            raw.rollback()
        return [str(r[-1] if eng.db.dialect == "sqlite" else r[0]) for r in rows]
    finally:
        raw.close()


def _page_times(client: Any, url: str) -> list[float]:
    times = []
    for i in range(RUNS + 5):
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        if i >= 5:
            times.append(elapsed)
    return times


def _client(eng: Engine) -> Any:
    import re

    from flask_login import login_required
    app = create_app(eng.config, engine=eng, testing=True, overrides={"WTF_CSRF_ENABLED": False})
    app.add_url_rule("/bench/floor", "bench_floor", login_required(lambda: "ok"))
    client = app.test_client()
    assert client.post("/login", data={"username": "official", "password": PASSWORD}).status_code == 302
    assert re.search("Försenade", client.get("/queues/overdue").get_data(as_text=True))
    return client


def run_backend(name: str, url: str) -> dict[str, Any]:
    """Seed one database and measure both queues."""
    eng = build_engine(load_config(ROOT / "config.toml", database_url=url), clock=FixedClock(NOW))
    metadata.create_all(eng.db.engine)
    started = time.perf_counter()
    _seed(eng)
    print(f"[{name}] seeded {N_CASES} cases in {time.perf_counter() - started:.1f}s")
    client = _client(eng)
    capture = _Capture(eng.db.engine)
    floor = _page_times(client, "/bench/floor")
    out: dict[str, Any] = {"floor_median_ms": statistics.median(floor) * 1000,
                           "floor_p95_ms": _percentile(floor, 0.95) * 1000}
    print(f"[{name}] floor: an empty log-in-protected route, median {out['floor_median_ms']:.2f} ms,"
          f" p95 {out['floor_p95_ms']:.2f} ms")
    for queue in QUEUES:
        page_url = f"/queues/{queue}"
        capture.statements.clear()
        client.get(page_url)
        sql, params = capture.list_query()
        every = [(q, p) for q, p in capture.statements if q.lstrip().upper().startswith("SELECT")]
        page = _page_times(client, page_url)
        bare = _bare_times(eng, [(sql, params)])
        all_sql = _bare_times(eng, every)
        plan = _plan(eng, sql, params)
        figures = {
            "page_median_ms": statistics.median(page) * 1000, "page_p95_ms": _percentile(page, 0.95) * 1000,
            "query_median_ms": statistics.median(bare) * 1000, "query_p95_ms": _percentile(bare, 0.95) * 1000,
            "all_sql_median_ms": statistics.median(all_sql) * 1000,
            "all_sql_p95_ms": _percentile(all_sql, 0.95) * 1000, "statements": len(every),
        }
        figures["ratio_median"] = figures["page_median_ms"] / figures["query_median_ms"]
        figures["ratio_p95"] = figures["page_p95_ms"] / figures["query_p95_ms"]
        figures["ratio_all_sql_p95"] = figures["page_p95_ms"] / figures["all_sql_p95_ms"]
        figures["ratio_floor_p95"] = out["floor_p95_ms"] / figures["query_p95_ms"]
        figures["index_used"] = any(("USING INDEX" in line or "USING COVERING INDEX" in line
                                     or "Index Scan" in line or "Index Only Scan" in line) for line in plan)
        figures["target_met"] = figures["ratio_p95"] <= 3.0
        out[queue] = figures
        print(f"[{name}] {queue:8} page median {figures['page_median_ms']:.2f} ms, p95 {figures['page_p95_ms']:.2f} ms"
              f" | bare query median {figures['query_median_ms']:.2f} ms, p95 {figures['query_p95_ms']:.2f} ms"
              f" | ratio median {figures['ratio_median']:.2f}x, p95 {figures['ratio_p95']:.2f}x")
        print(f"[{name}] {queue:8} all {len(every)} statements of the page run bare: p95 "
              f"{figures['all_sql_p95_ms']:.2f} ms; page p95 / that = {figures['ratio_all_sql_p95']:.2f}x")
        print(f"[{name}] {queue:8} the empty route's p95 alone is {figures['ratio_floor_p95']:.2f}x this query's p95")
        print(f"[{name}] {queue:8} plan:")
        for line in plan:
            print(f"    {line}")
    eng.db.dispose()
    return out


def main() -> int:
    results: dict[str, Any] = {"cases": N_CASES, "runs": RUNS}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run_backend("sqlite", f"sqlite:///{tmp}/bench.db")
    pg = os.environ.get("SAMVERKAN_TEST_DATABASE_URL")
    if pg:
        with postgres_schema(pg) as url:
            results["postgresql"] = run_backend("postgresql", url)
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
