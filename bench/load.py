"""Load and fault test of the scaled layout on PostgreSQL (bounded in count and time, loopback only).

    .venv/bin/python -P bench/load.py [--db-url URL] [--officials M] [--seconds S] [--workers N]

For each web-worker count (1, then N): a fresh PostgreSQL database (`samverkan init
--create-database --demo`), extra officials and overdue actions whose deadlines are due,
an SMTP sink (aiosmtpd, a subprocess on a free loopback port) and the layout of
`samverkan up` (samverkan.cli.cluster.Cluster: gunicorn, 2 schedulers, a deliverer). M
simulated officials log in and work actions over HTTP (open, assign, start, complete,
verify) while the schedulers fire what is due. The first half of the run is clean and
gives the throughput; in the second half one scheduler and one gunicorn worker are
SIGKILLed, PostgreSQL is restarted once and the SMTP sink is away for a while.

Then it checks invariants from the database: transition seq contiguous per case and
`samverkan audit verify` clean; no deadline left due or failed after a final tick and
each (deadline, recipient) told once; every email notice sent once (the sink's
Message-IDs against the outbox: none twice, none missing); every acknowledged HTTP write
present. Prints requests/s, p50/p95 latency, p50/p95 per request kind (method and path) in
the clean half with each p95 over that of /floor (an empty log-in-protected page, asked now
and then by one more client under the same load), /floor's throughput per worker when it is
asked alone for --floor-seconds before the load (so a reader sees how much of a worker the
pages use), errors by kind, the invariants, the throughput ratio N:1, and one JSON line last.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import email
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PASSWORD = "load-test-password"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CASE_URL = re.compile(r"/cases/(\d+)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the SMTP sink, run as `load.py --smtp-sink PORT FILE` -----------------------------------------

def run_sink(port: int, out: Path) -> None:
    """Accept every message on loopback `port`; append its Message-ID to `out` (one per line)."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = email.message_from_bytes(envelope.content)
            with out.open("a") as f:
                f.write(f"{msg['Message-ID']} {' '.join(str(msg['X-Samverkan-Notices'] or '').split())}\n")
                f.flush()
                os.fsync(f.fileno())
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()


class Sink:
    def __init__(self, out: Path) -> None:
        self.port, self.out, self.proc = free_port(), out, None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-P", __file__, "--smtp-sink", str(self.port), str(self.out)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def received(self) -> list[tuple[str, list[int]]]:
        """(Message-ID, the outbox ids it carried) of every accepted message."""
        lines = self.out.read_text().splitlines() if self.out.exists() else []
        return [(w[0], [int(x) for x in w[1:]]) for w in (line.split() for line in lines) if w]


# --- setting up one deployment ---------------------------------------------------------------------

def database_url(base: str, name: str) -> str:
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))


def write_config(workdir: Path, url: str, smtp_port: int, web_port: int) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    replacements = {'workflows_dir = "workflows"': f"workflows_dir = {json.dumps(str(ROOT / 'workflows'))}",
                    'url = "sqlite:///var/samverkan.db"': f"url = {json.dumps(url)}",
                    "port = 25\n": f"port = {smtp_port}\n", "backoff_seconds = 60": "backoff_seconds = 1",
                    "max_attempts = 8": "max_attempts = 30",
                    'base_url = "http://127.0.0.1:5000"': f'base_url = "http://127.0.0.1:{web_port}"'}
    for old, new in replacements.items():
        assert old in text, f"config.toml no longer has {old!r}; update bench/load.py"
        text = text.replace(old, new)
    path = workdir / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cli(config: Path, url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAMVERKAN_DATABASE_URL": url}
    return subprocess.run([str(BIN / "samverkan"), "--config", str(config), *args], env=env, text=True,
                          capture_output=True, check=check, timeout=120)


def seed(config: Path, url: str, officials: int, overdue: int) -> list[str]:
    """Officials with a password, and actions opened 40 days ago whose reminders and escalations are due."""
    from argon2 import PasswordHasher

    import engine.accounts.users
    from engine.accounts.users import add_user
    from engine.cases.commands import OpenRequest, open_case
    from engine.config.load import load_config
    from samverkan.bootstrap import build_engine
    from tests.doubles import FixedClock

    engine.accounts.users._hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # log-ins stay cheap
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    eng = build_engine(load_config(config, database_url=url), clock=FixedClock(then))
    names = [f"official{i:02d}" for i in range(officials)]
    with eng.db.write() as s:
        for name in names:
            add_user(s, eng.config, name, name=f"Handläggare {name[-2:]}", email=f"{name}@example.org", now=then,
                     roles=[("official", "socialnamnden")], password=PASSWORD)
    for i in range(overdue):
        open_case(eng, OpenRequest("action", f"Försenad åtgärd {i}", group="socialnamnden",
                                   assignee=names[i % officials]), "ordforande", now=then)
    eng.db.dispose()
    return names


# --- a simulated official --------------------------------------------------------------------------

class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[tuple[float, float, str]] = []  # (finished at, seconds, request kind)
        self.errors: collections.Counter[str] = collections.Counter()
        self.error_times: list[float] = []
        self.acks: list[tuple[int, str, str]] = []  # (case id, trigger, user) the server acknowledged


def kind_of(path: str, data: dict[str, str] | None) -> str:
    """"POST /cases/<id>/fire" and the like: the method and the path with its numbers and query taken out."""
    return f"{'POST' if data is not None else 'GET'} {re.sub(r'/[0-9]+', '/<id>', path.split('?', 1)[0])}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Official(threading.Thread):
    def __init__(self, name: str, base: str, stats: Stats, until: float) -> None:
        super().__init__(daemon=True)
        self.username, self.base, self.stats, self.until = name, base, stats, until
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect())
        self.token = ""
        self.pause = 0.0

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, Location, body); a 3xx is an answer, not followed."""
        body = urllib.parse.urlencode({"csrf_token": self.token, **data}).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as r:
                status, location, text = r.status, r.headers.get("Location", ""), r.read().decode()
        except urllib.error.HTTPError as e:
            status, location, text = e.code, e.headers.get("Location", ""), e.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as e:
            with self.stats.lock:
                self.stats.errors[f"connection: {type(getattr(e, 'reason', e)).__name__}"] += 1
                self.stats.error_times.append(time.monotonic())
            raise
        with self.stats.lock:
            self.stats.latencies.append((time.monotonic(), time.perf_counter() - started, kind_of(path, data)))
            if status >= 400:
                self.stats.errors[f"HTTP {status}"] += 1
                self.stats.error_times.append(time.monotonic())
        return status, location, text

    def login(self) -> bool:
        status, _, page = self.request("/login")
        found = TOKEN.search(page)
        if status != 200 or not found:
            return False
        self.token = found.group(1)
        status, _, _ = self.request("/login", {"username": self.username, "password": PASSWORD})
        if status != 302:
            return False
        found = TOKEN.search(self.request("/settings")[2])
        self.token = found.group(1) if found else self.token
        return True

    def write(self, path: str, data: dict[str, str], case_id: int, trigger: str) -> bool:
        status, location, _ = self.request(path, data)
        if status == 302 and CASE_URL.search(location):
            with self.stats.lock:
                self.stats.acks.append((int(CASE_URL.search(location).group(1)), trigger, self.username))  # type: ignore[union-attr]
            return True
        return False

    def work_one(self, n: int) -> None:
        self.request("/queues/mine")
        status, location, _ = self.request("/cases/new", {
            "workflow": "action", "title": f"Last {self.username} {n}", "group": "socialnamnden",
            "priority": "normal", "assignee": self.username, "focus_area": "", "description": ""})
        found = CASE_URL.search(location) if status == 302 else None
        if not found:
            time.sleep(0.2)
            return
        case_id = int(found.group(1))
        with self.stats.lock:
            self.stats.acks.append((case_id, "@open", self.username))
        for trigger, comment in (("assign", ""), ("start", ""), ("complete", "Klart."), ("verify", "")):
            self.request(f"/cases/{case_id}")
            if not self.write(f"/cases/{case_id}/fire", {"trigger": trigger, "comment": comment}, case_id, trigger):
                time.sleep(0.2)  # a person reads the error before trying again; no tight retry loop
                return

    def run(self) -> None:
        n = 0
        while time.monotonic() < self.until:
            if self.pause:
                time.sleep(self.pause)
            try:
                if not self.token and not self.login():
                    time.sleep(0.2)
                    continue
                self.work_one(n)
                n += 1
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)  # the server is restarting a worker or the database; try again


class FloorClient(Official):
    """Asks only for /floor, the empty log-in-protected page: what a worker gives when pages do nothing."""

    def work_one(self, n: int) -> None:
        self.request("/floor")


def floor_alone(base: str, names: list[str], seconds: float) -> dict[str, float]:
    """/floor from as many closed-loop clients as there are officials, nothing else running: requests/s and p95."""
    stats = Stats()
    until = time.monotonic() + seconds
    clients = [FloorClient(n, base, stats, until) for n in names]
    for c in clients:
        c.start()
    for c in clients:
        c.join(seconds + 30)
    floor = [s for _, s, kind in stats.latencies if kind == "GET /floor"]
    measured = [t for t, _, kind in stats.latencies if kind == "GET /floor"]
    span = (max(measured) - min(measured)) if len(measured) > 1 else seconds
    return {"requests_per_s": round(len(floor) / max(span, 0.1), 1),
            "p95_ms": round(percentile(floor, 0.95) * 1000, 1) if floor else 0.0}


# --- faults ----------------------------------------------------------------------------------------

def gunicorn_workers(master: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            out.append(int(stat.parent.name))
    return out


def pg_restart() -> str:
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").exists() else []
    if not versions or not shutil.which("pg_ctlcluster"):
        return "skipped: no pg_ctlcluster"
    done = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "-m", "fast", versions[-1], "main", "restart"],
                          capture_output=True, text=True, timeout=60)
    return "restarted" if done.returncode == 0 else f"failed: {done.stderr.strip()[:200]}"


def faults(cluster: Any, sink: Sink, start: float, log: list[str], restart_db: bool, recovered: list[float]) -> None:
    def at(t: float) -> None:
        time.sleep(max(0.0, start + t - time.monotonic()))

    at(1)
    sched = next(c for c in cluster.children if c.name == "scheduler-1")
    os.kill(sched.proc.pid, signal.SIGKILL)
    log.append(f"SIGKILL scheduler-1 (pid {sched.proc.pid})")
    at(3)
    web = next(c for c in cluster.children if c.name == "web")
    workers = gunicorn_workers(web.proc.pid)
    if workers:
        os.kill(workers[0], signal.SIGKILL)
        log.append(f"SIGKILL gunicorn worker {workers[0]} of {len(workers)}")
    at(5)
    sink.stop()
    log.append("SMTP sink stopped")
    at(6)
    if restart_db:
        log.append(f"PostgreSQL {pg_restart()}")
    at(10)
    sink.start()
    log.append("SMTP sink started again")
    recovered.append(time.monotonic())


# --- invariants ------------------------------------------------------------------------------------

def check(config: Path, url: str, stats: Stats, sink: Sink) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    now = dt.datetime.now(dt.UTC)
    tick = cli(config, url, "tick", "--now", now.isoformat(), check=False)
    cli(config, url, "notifications", "deliver", check=False)
    audit = cli(config, url, "audit", "verify", check=False)
    db = create_engine(url)
    out: dict[str, Any] = {"final_tick_ok": tick.returncode == 0, "audit_verify_ok": audit.returncode == 0}
    with db.connect() as c:
        gaps = c.execute(text("SELECT count(*) FROM (SELECT case_id FROM transition_log GROUP BY case_id "
                              "HAVING min(seq) <> 1 OR max(seq) <> count(*)) g")).scalar_one()
        out["seq_contiguous"] = gaps == 0
        left = c.execute(text("SELECT count(*) FROM deadlines WHERE status = 'pending' AND due_at <= :now"),
                         {"now": now}).scalar_one()
        failed = c.execute(text("SELECT count(*) FROM deadlines WHERE status = 'failed'")).scalar_one()
        out["deadlines_fired"] = c.execute(text("SELECT count(*) FROM deadlines WHERE status = 'done'")).scalar_one()
        twice = c.execute(text("SELECT count(*) FROM (SELECT split_part(idempotency_key, ':', 2), recipient_id "
                               "FROM notices WHERE idempotency_key LIKE 'deadline:%' "
                               "GROUP BY 1, 2 HAVING count(DISTINCT split_part(idempotency_key, ':', 3)) > 1) t")
                          ).scalar_one()
        out["deadlines_none_left_due_or_failed"] = left == 0 and failed == 0
        out["deadlines_told_once"] = twice == 0
        sent = {r[0] for r in c.execute(text("SELECT id FROM notices WHERE status = 'sent'"))}
        unsent = c.execute(text("SELECT count(*) FROM notices WHERE status IN ('pending', 'failed') "
                                "AND (next_attempt_at IS NULL OR next_attempt_at <= :now)"), {"now": now}).scalar_one()
        logged = {(r[0], r[1], r[2]) for r in c.execute(text("SELECT case_id, trigger, actor FROM transition_log"))}
        opened = {r[0] for r in c.execute(text("SELECT id FROM cases"))}
    db.dispose()
    received = sink.received()
    carried = collections.Counter(i for _, ids in received for i in ids)
    out.update(notices_sent=len(sent), messages_received=len(received), notices_unsent_due=unsent,
               messages_duplicated=sum(n - 1 for n in collections.Counter(m for m, _ in received).values() if n > 1),
               notices_received_twice=sum(1 for n in carried.values() if n > 1),
               notices_sent_not_received=len(sent - set(carried)),
               notices_received_not_marked_sent=len(set(carried) - sent))
    out["notices_sent_exactly_once"] = not (out["messages_duplicated"] or out["notices_received_twice"]
                                            or out["notices_sent_not_received"] or unsent
                                            or out["notices_received_not_marked_sent"])
    lost = [a for a in stats.acks if (a[0] not in opened if a[1] == "@open" else a not in logged)]
    out.update(acknowledged_writes=len(stats.acks), acknowledged_writes_lost=len(lost))
    out["acknowledged_writes_present"] = not lost
    out["ok"] = all(out[k] for k in ("final_tick_ok", "audit_verify_ok", "seq_contiguous",
                                     "deadlines_none_left_due_or_failed", "deadlines_told_once",
                                     "notices_sent_exactly_once", "acknowledged_writes_present"))
    if not out["audit_verify_ok"]:
        out["audit_output"] = (audit.stdout + audit.stderr)[-300:]
    return out


# --- one run ---------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def wait_http(url: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"The web layout did not answer at {url} within {timeout:.0f} s; see its logs.")


def one_run(base_url: str, workers: int, args: argparse.Namespace, faulty: bool) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from samverkan.cli.cluster import Cluster

    name = f"samverkan_load_{os.getpid()}_{workers}"
    url = database_url(base_url, name)
    workdir = Path(tempfile.mkdtemp(prefix=f"samverkan-load-{workers}-"))
    sink = Sink(workdir / "received.txt")
    port = free_port()
    config = write_config(workdir, url, sink.port, port)
    cli(config, url, "init", "--create-database", "--demo")
    names = seed(config, url, args.officials, args.overdue)
    sink.start()
    cluster = Cluster(config, url, workers=workers, schedulers=2, port=port, log_dir=workdir / "log")
    cluster.start()
    watcher = threading.Thread(target=cluster.watch, args=(0.5,), daemon=True)
    watcher.start()
    fault_log: list[str] = []
    recovered: list[float] = []  # when the last fault was over (PostgreSQL back, the sink listening)
    try:
        wait_http(f"http://127.0.0.1:{port}/login", 30)
        floor = floor_alone(f"http://127.0.0.1:{port}", names, args.floor_seconds)
        stats = Stats()
        start = time.monotonic()
        half = start + args.seconds / 2
        officials = [Official(n, f"http://127.0.0.1:{port}", stats, start + args.seconds) for n in names]
        # The floor under the same load: one more person asking for /floor now and then.
        prober = FloorClient(names[0], f"http://127.0.0.1:{port}", stats, start + args.seconds)
        prober.pause = 0.1
        officials.append(prober)
        for o in officials:
            o.start()
        fault_thread = None
        if faulty:
            time.sleep(max(0.0, half - time.monotonic()))
            fault_thread = threading.Thread(target=faults, args=(cluster, sink, half, fault_log, args.restart_db,
                                                                 recovered))
            fault_thread.start()
        for o in officials:
            o.join(args.seconds + 60)
        if fault_thread is not None:
            fault_thread.join(60)
        if sink.proc is None or sink.proc.poll() is not None:
            sink.start()
        # Let the deliverer catch up on what the sink's absence delayed, then stop everything.
        deadline = time.monotonic() + 20
        db = create_engine(url)
        while time.monotonic() < deadline:
            with db.connect() as c:
                if not c.execute(text("SELECT count(*) FROM notices WHERE status = 'pending'")).scalar_one():
                    break
            time.sleep(0.5)
        db.dispose()
    finally:
        cluster._stop.set()
        cluster.stop()
    try:
        invariants = check(config, url, stats, sink)
    finally:
        sink.stop()
    clean = [s for t, s, kind in stats.latencies if t <= half and kind != "GET /floor"]
    all_lat = [s for _, s, kind in stats.latencies if kind != "GET /floor"]
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for t, s, kind in stats.latencies:
        if t <= half:  # the clean half: the faults would only show how long a restart takes
            by_kind[kind].append(s)
    kinds = {kind: {"n": len(v), "p50_ms": round(percentile(v, 0.5) * 1000, 1),
                    "p95_ms": round(percentile(v, 0.95) * 1000, 1)} for kind, v in sorted(by_kind.items())}
    result = {"workers": workers, "requests": len(all_lat),
              "clean_requests_per_s": round(len(clean) / (half - start), 1),
              "requests_per_s": round(len(all_lat) / args.seconds, 1),
              "p50_ms": round(percentile(all_lat, 0.5) * 1000, 1),
              "p95_ms": round(percentile(all_lat, 0.95) * 1000, 1),
              "kinds": kinds, "floor_alone": floor,
              "floor_alone_per_worker_rps": round(floor["requests_per_s"] / workers, 1),
              # how much of the workers' floor capacity the pages' requests took (requests, not work)
              "share_of_floor_rps": round(len(clean) / (half - start) / max(floor["requests_per_s"], 0.1), 3),
              "errors": dict(stats.errors), "faults": fault_log,
              # from 2 s after the last fault is over, the UI should answer without errors again
              "errors_after_recovery": sum(1 for t in stats.error_times if recovered and t > recovered[0] + 2),
              "seconds_after_recovery": round(start + args.seconds - recovered[0] - 2, 1) if recovered else 0,
              "restarts": {c.name: c.restarts for c in cluster.children}, "invariants": invariants}
    if not args.keep:
        admin = create_engine(database_url(base_url, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--smtp-sink":
        run_sink(int(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default=os.environ.get("SAMVERKAN_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (its database name is replaced); "
                             "default $SAMVERKAN_TEST_DATABASE_URL")
    parser.add_argument("--officials", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--overdue", type=int, default=200, help="actions opened 40 days ago, deadlines due")
    parser.add_argument("--no-restart-db", dest="restart_db", action="store_false",
                        help="do not restart PostgreSQL (when others share the server)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument("--floor-seconds", type=float, default=8.0,
                        help="how long /floor alone is asked for before the load, per run (default 8)")
    args = parser.parse_args()
    if not args.db_url or not args.db_url.startswith("postgresql"):
        print("bench/load.py needs PostgreSQL: give --db-url postgresql+psycopg://... or set "
              "SAMVERKAN_TEST_DATABASE_URL; skipped.")
        print(json.dumps({"bench": "load", "skipped": "no PostgreSQL URL"}))
        return
    runs = [one_run(args.db_url, 1, args, faulty=True), one_run(args.db_url, args.workers, args, faulty=True)]
    for r in runs:
        print(f"== {r['workers']} web worker(s), 2 schedulers, {args.officials} officials, {args.seconds:.0f} s")
        print(f"   {r['requests']} requests, {r['requests_per_s']}/s overall, {r['clean_requests_per_s']}/s before "
              f"the faults; p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms")
        print(f"   errors: {r['errors'] or 'none'}; {r['errors_after_recovery']} in the last "
              f"{r['seconds_after_recovery']} s, from 2 s after the faults were over")
        print(f"   faults: {'; '.join(r['faults'])}; restarts: {r['restarts']}")
        print(f"   /floor alone ({args.officials} closed-loop clients, {args.floor_seconds:.0f} s): "
              f"{r['floor_alone']['requests_per_s']}/s = {r['floor_alone_per_worker_rps']}/s per worker, "
              f"p95 {r['floor_alone']['p95_ms']} ms; the pages' {r['clean_requests_per_s']}/s are "
              f"{r['share_of_floor_rps']:.0%} of that")
        print("   per request kind, before the faults (n, p50 ms, p95 ms, p95 over /floor's under the same load):")
        floor_p95 = r["kinds"].get("GET /floor", {}).get("p95_ms") or 0.0
        for kind, fig in r["kinds"].items():
            over = f"x{fig['p95_ms'] / floor_p95:.1f}" if floor_p95 else "-"
            print(f"     {kind:<28} {fig['n']:>6} {fig['p50_ms']:>8} {fig['p95_ms']:>8}  {over}")
        for k, v in r["invariants"].items():
            print(f"   {k}: {v}")
    ratio = round(runs[1]["clean_requests_per_s"] / max(runs[0]["clean_requests_per_s"], 0.1), 2)
    print(f"throughput {args.workers} workers : 1 worker = {ratio} (on {os.cpu_count()} cores)")
    summary = {"bench": "load", "loadavg_1m": round(os.getloadavg()[0], 2),
               "ok": all(r["invariants"]["ok"] for r in runs), "ratio": ratio,
               "runs": [{k: r[k] for k in ("workers", "requests", "requests_per_s", "clean_requests_per_s",
                                           "p50_ms", "p95_ms", "kinds", "floor_alone_per_worker_rps",
                                           "share_of_floor_rps", "errors", "errors_after_recovery")}
                        | {"invariants_ok": r["invariants"]["ok"]}
                        for r in runs]}
    print(json.dumps(summary))
    if not summary["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
