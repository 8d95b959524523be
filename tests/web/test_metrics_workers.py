"""/metrics under gunicorn with several workers, as `samverkan up` runs it: one scrape, every worker's requests."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from engine.runtime.engine import Engine
from tests.integration.smtp_sink import free_port
from tests.support import ROOT, write_config
from tests.web.test_ops import _sample

pytestmark = pytest.mark.slow

GUNICORN = Path(sys.executable).parent / "gunicorn"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer in 30 s:\n{log.read_text()}")


def _previous_run(folder: Path) -> None:
    """What a worker of an earlier gunicorn left behind: 5 log-in pages counted in the folder."""
    script = ("from prometheus_client import Counter\n"
              "Counter('samverkan_http_requests', '', ['endpoint', 'method', 'status'])"
              ".labels('auth.login', 'GET', '200').inc(5)\n")
    subprocess.run([sys.executable, "-c", script], env={"PROMETHEUS_MULTIPROC_DIR": str(folder)}, check=True,
                   timeout=60)
    assert list(folder.glob("counter_*.db"))


def test_a_scrape_counts_the_requests_of_every_worker_of_this_run(eng: Engine, tmp_path: Path) -> None:
    if not eng.config.database_url.startswith("sqlite"):
        pytest.skip("the metrics files are the same whatever the database")
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    _previous_run(metrics_dir)
    port, log = free_port(), tmp_path / "gunicorn.log"
    env = {"PATH": "/usr/bin:/bin", "SAMVERKAN_CONFIG": str(write_config(tmp_path, eng.config.database_url)),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "PYTHONPATH": str(ROOT)}  # this checkout's web/, not the installed one
    with log.open("wb") as out:
        proc = subprocess.Popen([str(GUNICORN), "--config", "python:web.gunicorn_config", "--workers", "2",
                                 "--bind", f"127.0.0.1:{port}", "web.wsgi:app"],
                                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", proc, log)
        # Four at a time: a sync worker answers one request at once, so both workers get some.
        with ThreadPoolExecutor(4) as pool:
            assert set(pool.map(lambda _: _get(f"{base}/login")[0], range(20))) == {200}
        assert len({p.stem.rpartition("_")[2] for p in metrics_dir.glob("counter_*.db")}) == 2, \
            "the earlier run's file is gone and both workers wrote theirs"
        for _ in range(4):  # whichever worker answers the scrape
            status, text = _get(f"{base}/metrics")
            assert status == 200
            assert _sample(text, "samverkan_http_requests_total", endpoint="auth.login", method="GET",
                           status="200") == 20
            assert _sample(text, "samverkan_http_request_duration_seconds_count", endpoint="auth.login") == 20
            assert _sample(text, "samverkan_database_up") == 1
    finally:
        proc.terminate()
        proc.wait(timeout=30)
