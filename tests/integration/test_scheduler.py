"""The APScheduler wiring: it only wakes the engine, and plans from our tables."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from engine.cases.views import get_case
from engine.runtime.engine import Engine
from engine.schedule.due import run_due
from engine.schedule.forecast import next_wakeup
from engine.schedule.recurring import schedule_of
from engine.schedule.scheduler import Scheduler
from tests.conftest import T0


def _wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the scheduler did not act in time"
        time.sleep(0.05)


def test_scheduler_catches_up_at_start_and_plans_the_next_wakeup(eng: Engine, open_case: Callable[..., int]) -> None:
    eng.clock.at = T0 - dt.timedelta(days=16)  # type: ignore[attr-defined]
    case_id = open_case("action", due=dt.date(2027, 2, 1))  # opened in January: overdue at T0
    eng.clock.at = T0 + dt.timedelta(days=1)  # type: ignore[attr-defined]
    sched = Scheduler(eng, sweep_seconds=3600)
    sched.start()
    try:
        _wait_for(lambda: sched.last_summary is not None)
        summary = sched.last_summary
        assert summary is not None
        assert summary.due == 1
        assert summary.escalations >= 1
        assert get_case(eng, case_id, "chair")["overdue"] is True
        wake = sched._aps.get_job("wake")
        assert wake is not None
        assert wake.next_run_time == max(next_wakeup(eng, eng.now()), eng.now() + dt.timedelta(seconds=1))
        # The one wake-up job covers the recurring obligations too: it comes no later than the
        # next opening of any of them (the occurrence less its lead).
        for rec in eng.config.agreement.recurring:
            lead = dt.timedelta(days=rec.lead_days)
            occurrence = schedule_of(rec.schedule).next_after(eng.now() + lead, eng.tz)
            assert occurrence is not None
            assert wake.next_run_time <= occurrence - lead
        # A second run at the same instant finds nothing left to do.
        again = sched.run_once()
        assert again is not None
        assert (again.fired, again.opened) == (0, [])
    finally:
        sched.shutdown()


def test_a_change_brings_the_wakeup_forward(eng: Engine, open_case: Callable[..., int]) -> None:
    run_due(eng, T0)
    sched = Scheduler(eng, sweep_seconds=3600)
    sched.start()
    try:
        _wait_for(lambda: sched.last_summary is not None)
        before = sched._aps.get_job("wake").next_run_time
        # Due tomorrow: nearer than anything planned, whether the job read below is the short
        # wake-up the change asked for or the re-plan that follows it.
        open_case("action", due=dt.date(2027, 2, 11))
        after = sched._aps.get_job("wake").next_run_time
        assert after < before
    finally:
        sched.shutdown()
