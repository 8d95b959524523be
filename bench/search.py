"""Search with 100,000 cases: the engine's search and the search page against the bare full-text query.

Seeds cases with Swedish titles and descriptions (and a comment on every fifth), builds the
index (`search_index.rebuild`, timed), then for a few searches as an official of one group
(so the visibility condition applies): the median and p95 of `engine.cases.search.search`,
of the whole /search page through Flask's test client, and of the bare full-text query on
the driver (the index's match and rank alone, best 50, without the join to the cases, the
visibility or the names); printed as ratios. Runs on SQLite, and on PostgreSQL too when
SAMVERKAN_TEST_DATABASE_URL is set. The last line is one JSON object with every figure.
Target: search p95 <= 3x the bare query's p95.
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
from urllib.parse import quote

from sqlalchemy import insert
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.schemas import analyze, postgres_schema  # noqa: E402
from engine.accounts.users import add_user  # noqa: E402
from engine.cases.periods import sync_from_config  # noqa: E402
from engine.cases.search import search  # noqa: E402
from engine.config.load import load_config  # noqa: E402
from engine.runtime.engine import Engine  # noqa: E402
from engine.store import search_index  # noqa: E402
from engine.store.models import CaseComment, CaseRow, Group, User, metadata  # noqa: E402
from samverkan.bootstrap import build_engine  # noqa: E402
from tests.doubles import FixedClock  # noqa: E402
from web import create_app  # noqa: E402

N_CASES = int(os.environ.get("BENCH_CASES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "60"))
NOW = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)
PASSWORD = "bench-password-1"
LIMIT = 50
# What officials write about, in the forms Swedish puts the words in.
THINGS = ["Klottret", "Klotter", "Skadegörelse", "Mopedbuskörning", "Inbrott", "Inbrotten", "Narkotikan",
          "Trygghetsvandring", "Belysningen", "Nedskräpning", "Hot", "Våldet", "Fortkörning", "Cykelstölder",
          "Föräldramöte", "Trygghetsmätning", "Fokusgrupp", "Lägesbild", "Ungdomsgård", "Grannsamverkan"]
PLACES = ["vid stationen", "på skolan", "vid Ringsjöstrand", "på torget", "i centrum", "vid idrottshallen",
          "vid biblioteket", "i Tjörnarp", "i Sätofta", "vid badplatsen", "på Storgatan", "i parken"]
DONE = ["sanerat", "anmält", "åtgärdat", "utrett", "planerat", "följs upp", "kartlagt", "rapporterat"]
SEARCHES = ["klotter", "mopedbuskörning skolan", "belysning", "inbrott torget", "föräldramöten", "sätofta"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _text(rng: random.Random) -> tuple[str, str]:
    title = f"{rng.choice(THINGS)} {rng.choice(PLACES)} {rng.choice(DONE)}"
    description = " ".join(f"{rng.choice(THINGS).lower()} {rng.choice(PLACES)}" for _ in range(rng.randint(1, 4)))
    return title, description


def _seed(eng: Engine) -> float:
    """Users, N_CASES cases and their comments in bulk (Core inserts), then the index; the index's seconds."""
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
    cases, comments = CaseRow.__table__, CaseComment.__table__  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    with eng.db.engine.begin() as conn:
        for i in range(1, N_CASES + 1):
            opened = NOW - dt.timedelta(days=rng.randint(1, 700))
            title, description = _text(rng)
            rows.append({
                "id": i, "agreement_id": agreement_id, "workflow": "action", "definition_version": "bench",
                "title": title, "description": description, "state": "open", "is_open": rng.random() < 0.7,
                "version": 1, "assignee_id": rng.choice(user_ids) if rng.random() < 0.6 else None,
                "group_id": rng.choice(group_ids), "focus_area": rng.choice(focus), "priority": "normal",
                "confidential": rng.random() < 0.05, "opened_by": "bench", "opened_at": opened,
                "updated_at": opened, "due_at": NOW + dt.timedelta(hours=rng.randint(-24 * 365, 24 * 365)),
                "data": {},
            })
            if i % 5 == 0:
                notes.append({"case_id": i, "author": "bench", "at": opened, "body": " ".join(_text(rng))})
            if len(rows) == 5000:
                conn.execute(insert(cases), rows)
                conn.execute(insert(comments), notes)
                rows, notes = [], []
        if rows:
            conn.execute(insert(cases), rows)
        if notes:
            conn.execute(insert(comments), notes)
    started = time.perf_counter()
    with eng.db.write() as s:
        search_index.rebuild(s)
    indexed = time.perf_counter() - started
    analyze(eng.db.engine)
    return indexed


def _times(run: Any) -> list[float]:
    times = []
    for i in range(RUNS + 5):
        start = time.perf_counter()
        run()
        if i >= 5:
            times.append(time.perf_counter() - start)
    return times


def _bare(eng: Engine, words: list[str]) -> Any:
    """The full-text query alone, on the driver: the best LIMIT matches by the index's rank."""
    q = search_index.query(eng.db.dialect, words)
    if eng.db.dialect == "postgresql":
        sql = (f"SELECT case_id FROM {search_index.TABLE} WHERE document @@ to_tsquery('swedish', %(q)s) "
               f"ORDER BY ts_rank(document, to_tsquery('swedish', %(q)s)) DESC LIMIT {LIMIT}")
        params: Any = {"q": q}
    else:
        sql = (f"SELECT rowid FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH ? "
               f"ORDER BY bm25({search_index.TABLE}, 10.0, 1.0) LIMIT {LIMIT}")
        params = (q,)
    raw = eng.db.engine.raw_connection()

    def run() -> int:
        cur = raw.cursor()
        cur.execute(sql, params)
        n = len(cur.fetchall())
        cur.close()
        if eng.db.dialect == "postgresql":
            raw.rollback()
        return n
    run.close = raw.close  # type: ignore[attr-defined]
    return run


def _client(eng: Engine) -> Any:
    app = create_app(eng.config, engine=eng, testing=True, overrides={"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "official", "password": PASSWORD}).status_code == 302
    return client


def _figures(name: str, query: str, engine_t: list[float], page_t: list[float], bare_t: list[float],
             found: int, matches: int) -> dict[str, Any]:
    f = {"engine_median_ms": statistics.median(engine_t) * 1000, "engine_p95_ms": _percentile(engine_t, 0.95) * 1000,
         "page_median_ms": statistics.median(page_t) * 1000, "page_p95_ms": _percentile(page_t, 0.95) * 1000,
         "bare_median_ms": statistics.median(bare_t) * 1000, "bare_p95_ms": _percentile(bare_t, 0.95) * 1000,
         "found": found, "bare_rows": matches}
    f["ratio_p95"] = f["engine_p95_ms"] / f["bare_p95_ms"]
    f["ratio_median"] = f["engine_median_ms"] / f["bare_median_ms"]
    f["ratio_page_p95"] = f["page_p95_ms"] / f["bare_p95_ms"]
    f["target_met"] = f["ratio_p95"] <= 3.0
    print(f"[{name}] {query!r:26} search p95 {f['engine_p95_ms']:7.2f} ms | page p95 {f['page_p95_ms']:7.2f} ms"
          f" | bare full-text p95 {f['bare_p95_ms']:7.2f} ms | ratio {f['ratio_p95']:.2f}x"
          f" (page {f['ratio_page_p95']:.2f}x; medians {f['ratio_median']:.2f}x) | {found} shown")
    return f


def run_backend(name: str, url: str) -> dict[str, Any]:
    """Seed one database and measure every search."""
    eng = build_engine(load_config(ROOT / "config.toml", database_url=url), clock=FixedClock(NOW))
    metadata.create_all(eng.db.engine)
    started = time.perf_counter()
    indexed = _seed(eng)
    print(f"[{name}] seeded {N_CASES} cases in {time.perf_counter() - started:.1f}s "
          f"(the index of them: {indexed:.1f}s)")
    client = _client(eng)
    out: dict[str, Any] = {"index_seconds": indexed}
    for query in SEARCHES:
        words = search_index.words(query)
        found = len(search(eng, "official", query, limit=LIMIT, now=NOW))
        engine_t = _times(lambda q=query: search(eng, "official", q, limit=LIMIT, now=NOW))
        url_q = f"/search?q={quote(query)}"
        page_t = _times(lambda u=url_q: client.get(u))
        bare = _bare(eng, words)
        matches = bare()
        bare_t = _times(bare)
        bare.close()
        out[query] = _figures(name, query, engine_t, page_t, bare_t, found, matches)
    worst = max(out[q]["ratio_p95"] for q in SEARCHES)
    out["worst_ratio_p95"] = worst
    out["target_met"] = worst <= 3.0
    print(f"[{name}] worst search p95 / bare full-text p95: {worst:.2f}x (target <= 3x: "
          f"{'met' if worst <= 3.0 else 'NOT met'})")
    eng.db.dispose()
    return out


def main() -> int:
    results: dict[str, Any] = {"cases": N_CASES, "runs": RUNS, "limit": LIMIT}
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
