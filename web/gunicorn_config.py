"""gunicorn's hooks: `gunicorn -c python:web.gunicorn_config`.

After a worker has loaded the app, `post_worker_init` freezes what start-up made (see
`samverkan.bootstrap.freeze_startup`). The others serve prometheus_client's multi-process mode.

With PROMETHEUS_MULTIPROC_DIR set in gunicorn's environment (`samverkan up` sets it; the
systemd unit too), every worker writes its request metrics to files there and /metrics sums
them over all workers. The files must not outlive one run of gunicorn, or the figures of the
previous run would be added in. Without the variable the hooks do nothing and each worker
reports its own requests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from prometheus_client import multiprocess

from samverkan.bootstrap import freeze_startup

__all__ = ["child_exit", "on_starting", "post_worker_init"]


class _Worker(Protocol):
    pid: int


def _metrics_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server: object) -> None:
    """Before the first worker starts: an empty metrics directory, so the count starts at zero."""
    folder = _metrics_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.db"):
        leftover.unlink()


def child_exit(server: object, worker: _Worker) -> None:
    """A worker ended: its live gauges go (its counters stay, they are part of the totals)."""
    if _metrics_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: object) -> None:
    """A worker has loaded the app: what it loaded is frozen out of the collector's full walks (`freeze_startup`)."""
    freeze_startup()

