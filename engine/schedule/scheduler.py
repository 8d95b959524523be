"""The scheduler: APScheduler only wakes the engine; the schedule's truth is our tables.

The only module that imports APScheduler. One BackgroundScheduler (UTC, in-memory job
store, coalescing, no misfire grace limit so nothing missed while down is dropped) with:
a wake-up job at the next due time (a deadline row, a recurring obligation's opening, the
renewal: `next_wakeup`), re-planned after every run and after every change; a periodic
safety sweep; and the extra periodic jobs the composition root adds (e.g. delivering
notifications). Every job calls `run_due(now)`, which claims rows atomically, so several
scheduler processes never fire the same deadline twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.kernel.events import CaseOpened, Event, Transitioned
from engine.runtime.engine import Engine
from engine.schedule.due import run_due
from engine.schedule.forecast import next_wakeup
from engine.schedule.summary import DueSummary
from engine.store.models import SchedulerHeartbeat

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)


class Scheduler:
    """Wakes the engine when something is due; safe to run in several processes at once."""

    def __init__(self, eng: Engine, *, sweep_seconds: float = 60,
                 extra_jobs: tuple[tuple[str, Callable[[], Any], float], ...] = ()) -> None:
        self.eng = eng
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.sweep_seconds = sweep_seconds
        self.extra_jobs = extra_jobs
        self.last_summary: DueSummary | None = None
        self._lock = threading.Lock()
        # APScheduler's shutdown holds its job-store lock while it waits for running jobs,
        # and add_job needs that lock: a job re-planning the wake-up then would deadlock.
        # So jobs are only added under _plan_lock while _stopping is unset.
        self._plan_lock = threading.Lock()
        self._stopping = False
        self._aps = BackgroundScheduler(
            timezone=dt.UTC,
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )

    def start(self) -> None:
        """Catch up on what is due now, then plan the jobs."""
        self._aps.add_job(self.run_once, IntervalTrigger(seconds=self.sweep_seconds, timezone=dt.UTC),
                          id="sweep", name="safety sweep")
        for name, fn, seconds in self.extra_jobs:
            self._aps.add_job(fn, IntervalTrigger(seconds=seconds, timezone=dt.UTC), id=name, name=name)
        self.eng.listeners.subscribe(Transitioned, self._on_change)
        self.eng.listeners.subscribe(CaseOpened, self._on_change)
        self._aps.start()
        self._aps.add_job(self.run_once, id="catch-up", name="catch up at start")

    def shutdown(self) -> None:
        """Stop the jobs; a run in progress finishes first."""
        with self._plan_lock:
            self._stopping = True
        if self._aps.running:
            self._aps.shutdown(wait=True)

    def run_once(self) -> DueSummary | None:
        """Run what is due now and plan the next wake-up; skipped if a run is in progress."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            now = self.eng.now()
            summary = run_due(self.eng, now)
            self._heartbeat(now)
            if summary.fired or summary.opened or summary.failed:
                log.info("due run: %s", {k: v for k, v in summary.as_dict().items() if k != "items"})
            self._plan_wakeup(now)
            self.last_summary = summary  # set last: a run is over once its wake-up is planned
            return summary
        except Exception:  # the next sweep retries; never let the job die silently
            log.exception("due run failed")
            return None
        finally:
            self._lock.release()

    def _plan_wakeup(self, now: dt.datetime) -> None:
        at = next_wakeup(self.eng, now)
        if at is None:
            return
        at = max(at, now + dt.timedelta(seconds=1))
        with self._plan_lock:
            if not self._stopping:
                self._aps.add_job(self.run_once, DateTrigger(run_date=at, timezone=dt.UTC), id="wake",
                                  name="next due time", replace_existing=True)

    def _on_change(self, _session: object, _event: Event) -> None:
        # A new state may bring a nearer deadline: wake shortly after the change commits.
        with self._plan_lock:
            if self._stopping or not self._aps.running:
                return
            soon = self.eng.now() + dt.timedelta(seconds=2)
            job = self._aps.get_job("wake")
            if job is None or job.next_run_time is None or job.next_run_time > soon:
                self._aps.add_job(self.run_once, DateTrigger(run_date=soon, timezone=dt.UTC), id="wake",
                                  name="next due time", replace_existing=True)

    def _heartbeat(self, now: dt.datetime) -> None:
        with self.eng.db.write() as session:
            beat = session.get(SchedulerHeartbeat, self.name) or SchedulerHeartbeat(name=self.name, beat_at=now)
            beat.beat_at, beat.runs = now, beat.runs + 1
            session.add(beat)
