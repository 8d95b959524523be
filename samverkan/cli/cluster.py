"""`samverkan up`: the scaled layout on one machine, supervised.

gunicorn with N workers on web.wsgi:app (each worker builds its engine after the fork; their
request metrics are summed through PROMETHEUS_MULTIPROC_DIR, see web/gunicorn_config.py),
M `samverkan scheduler` processes and one notification deliverer, all against the same
database (PostgreSQL). A scheduler or deliverer that dies is started again after a
short pause, as systemd's Restart=always would; gunicorn restarts its own workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from samverkan.cli.common import State, friendly

__all__ = ["Cluster", "register"]


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    log: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # beside the cluster's


@dataclass
class Cluster:
    """Starts, watches and stops the processes of the scaled layout."""

    config_path: Path
    database_url: str
    workers: int = 2
    schedulers: int = 2
    host: str = "127.0.0.1"
    port: int = 8000
    log_dir: Path = Path("var/log")
    metrics_dir: Path = Path("var/prometheus")
    children: list[Child] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def env(self) -> dict[str, str]:
        return {**os.environ, "SAMVERKAN_CONFIG": str(self.config_path),
                "SAMVERKAN_DATABASE_URL": self.database_url, "PYTHONUNBUFFERED": "1"}

    def plan(self) -> list[Child]:
        bindir = Path(sys.executable).parent
        cli = [sys.executable, "-m", "samverkan", "--config", str(self.config_path)]
        out = [Child("web", [str(bindir / "gunicorn"), "--config", "python:web.gunicorn_config",
                             "--workers", str(self.workers), "--bind", f"{self.host}:{self.port}",
                             "--graceful-timeout", "10", "--timeout", "60", "web.wsgi:app"],
                     env={"PROMETHEUS_MULTIPROC_DIR": os.environ.get("PROMETHEUS_MULTIPROC_DIR",
                                                                     str(self.metrics_dir.resolve()))})]
        out += [Child(f"scheduler-{i + 1}", [*cli, "scheduler", "--sweep-seconds", "5"])
                for i in range(self.schedulers)]
        out.append(Child("deliverer", [*cli, "notifications", "deliver", "--loop", "--every", "5"]))
        return out

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.children = self.plan()
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.log = self.log_dir / f"{child.name}.log"
        with child.log.open("ab") as log:
            child.proc = subprocess.Popen(child.argv, env={**self.env(), **child.env}, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def watch(self, interval: float = 1.0) -> None:
        """Restart children that exit until stop() is called."""
        while not self._stop.wait(interval):
            for child in self.children:
                if child.proc is not None and child.proc.poll() is not None and not self._stop.is_set():
                    child.restarts += 1
                    click.echo(f"{child.name} exited with {child.proc.returncode}; restarting "
                               f"(restart {child.restarts}).", err=True)
                    time.sleep(min(child.restarts, 5) * 0.2)
                    self._spawn(child)

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        for child in self.children:
            if child.proc and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + timeout
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()


def register(main: click.Group) -> None:
    """Add `up` to `main`."""

    @main.command()
    @click.option("--database-url", envvar="SAMVERKAN_DATABASE_URL", required=True,
                  help="Shared database for every process, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/samverkan.")
    @click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="gunicorn web workers.")
    @click.option("--schedulers", type=click.IntRange(1, 8), default=2, show_default=True)
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=int, default=8000, show_default=True)
    @click.option("--log-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("var/log"),
                  show_default=True)
    @click.pass_obj
    @friendly
    def up(state: State, database_url: str, workers: int, schedulers: int, host: str, port: int,
           log_dir: Path) -> None:
        """Start the scaled layout (gunicorn, schedulers, deliverer) and supervise it until Ctrl-C."""
        from engine.config.load import default_config_path

        config_path = Path(state.config_path or default_config_path()).resolve()
        cluster = Cluster(config_path, database_url, workers, schedulers, host, port, log_dir)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: cluster._stop.set())
        cluster.start()
        click.echo(f"Serving on http://{host}:{port} with {workers} web worker(s), {schedulers} scheduler(s) "
                   f"and a deliverer; logs in {log_dir}/. Ctrl-C stops everything.")
        cluster.watch()
        cluster.stop()
        click.echo("Stopped.")
