"""Outbox delivery throughput: N pending notices to a local SMTP sink, against a bare smtplib loop.

The sink is a minimal SMTP server (asyncio, no parsing, answers as fast as it reads) in its
own process, so it neither shares the GIL with the sender nor dominates the timing. The
deliverer claims, renders, sends and marks each notice in the database; the bare loop only
sends the same, already rendered messages over one connection. The last line is one JSON
object of the figures.

    python bench/notify.py [--n 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Replace the script's folder (bench/) on the path: bench/transitions.py would shadow the
# `transitions` package the engine imports.
sys.path[0] = str(ROOT)

from engine.accounts.users import add_user  # noqa: E402
from engine.cases.periods import sync_from_config  # noqa: E402
from engine.config.load import load_config  # noqa: E402
from engine.outbox import notices as outbox  # noqa: E402
from engine.store.models import metadata  # noqa: E402
from notifications import deliver_pending  # noqa: E402
from notifications.render import render_message  # noqa: E402
from samverkan.bootstrap import build_engine  # noqa: E402
from tests.doubles import FixedClock  # noqa: E402

NOW = dt.datetime(2027, 2, 10, 9, 0, tzinfo=dt.UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Sink(asyncio.Protocol):
    """Accepts every message: 250 to each command, 354 to DATA, 250 after the final dot."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf, self.in_data = b"", False
        self.t.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.in_data:
                end = self.buf.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buf, self.in_data = self.buf[end + 5:], False
                self.t.write(b"250 OK queued\r\n")
                continue
            end = self.buf.find(b"\r\n")
            if end < 0:
                return
            verb, self.buf = self.buf[:4].upper(), self.buf[end + 2:]
            if verb == b"DATA":
                self.in_data = True
                self.t.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif verb == b"QUIT":
                self.t.write(b"221 Bye\r\n")
                self.t.close()
                return
            else:
                self.t.write(b"250 OK\r\n")


def _serve_sink(port: int) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(_Sink, "127.0.0.1", port)
        await server.serve_forever()
    asyncio.run(serve())


def _start_sink(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, "--sink", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the SMTP sink did not start within 20 s")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of notices (one per recipient)")
    parser.add_argument("--sink", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        _serve_sink(args.sink)
        return
    port = _free_port()
    sink = _start_sink(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(args.n, port, f"sqlite:///{Path(tmp) / 'bench.db'}")
    finally:
        sink.terminate()
        sink.wait()


def run(n: int, port: int, url: str) -> None:
    """Fill the outbox, deliver it, then send the same messages with bare smtplib."""
    import dataclasses

    config = load_config(ROOT / "config.toml", database_url=url)
    config = dataclasses.replace(config, mail=dataclasses.replace(config.mail, port=port))
    eng = build_engine(config, clock=FixedClock(NOW))
    metadata.create_all(eng.db.engine)
    with eng.db.write() as s:
        sync_from_config(s, config, NOW)
        ids = [add_user(s, config, f"u{i:05d}", name=f"Användare {i}", email=f"u{i:05d}@example.org",
                        now=NOW).id for i in range(n)]
        s.flush()
        for i, uid in enumerate(ids):
            assert uid is not None
            outbox.enqueue(s, key=f"bench:{i}:{uid}", kind="reminder", case_id=None, recipient_id=uid,
                           payload={"case_id": i + 1, "title": f"Åtgärd {i}", "confidential": False,
                                    "due_at": "2027-03-01T22:59:59+00:00"}, now=NOW, deliver_at=NOW)
    with eng.db.read() as s:
        items = outbox.list_notices(s, status="pending", limit=n)
    messages = [render_message([i], config.mail, eng.tz, NOW) for i in items]

    cpu = {"bare": 0.0}

    def bare() -> float:
        start, started_cpu = time.perf_counter(), time.process_time()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for msg in messages:
                smtp.send_message(msg)
        cpu["bare"] += time.process_time() - started_cpu
        return time.perf_counter() - start

    # The bare loop runs before and after the deliverer, so a busy machine skews both alike.
    t_bare_before = bare()
    t0, cpu0 = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):  # BENCH_PROFILE=N: the deliverer under cProfile, its N top entries
        import cProfile
        import pstats
        profile = cProfile.Profile()
        summary = profile.runcall(deliver_pending, eng, NOW)
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(int(os.environ["BENCH_PROFILE"]))
    else:
        summary = deliver_pending(eng, NOW)
    t_deliver, cpu_deliver = time.perf_counter() - t0, time.process_time() - cpu0
    assert summary.messages == n, summary
    t_bare = (t_bare_before + bare()) / 2
    cpu_bare = cpu["bare"] / 2
    eng.db.dispose()

    deliver_rate, bare_rate = n / t_deliver, n / t_bare
    print(f"deliverer (claim, render, send, mark): {n} messages in {t_deliver:.2f} s = {deliver_rate:,.0f} msg/s")
    print(f"bare smtplib loop (pre-rendered):      {n} messages in {t_bare:.2f} s = {bare_rate:,.0f} msg/s")
    # This process's CPU (the sink is another process): steadier than wall time on a shared machine.
    print(f"ratio deliverer/bare: {deliver_rate / bare_rate:.2f} (target 0.6); by CPU in this process "
          f"{cpu_bare / cpu_deliver:.2f} ({1000 * cpu_deliver / n:.3f} ms vs {1000 * cpu_bare / n:.3f} ms a message)")
    print(json.dumps({"bench": "notify", "loadavg_1m": round(os.getloadavg()[0], 2), "messages": n,
                      "deliver_msg_per_s": round(deliver_rate, 1), "bare_smtplib_msg_per_s": round(bare_rate, 1),
                      "ratio": round(deliver_rate / bare_rate, 3), "ratio_cpu": round(cpu_bare / cpu_deliver, 3),
                      "target_ratio": 0.6}))


if __name__ == "__main__":
    main()
