"""run_due: deadlines from the definitions, idempotence, outages, timeouts, recurring openings."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from engine.cases.commands import OpenRequest, assign, open_case
from engine.cases.firing import fire
from engine.cases.queues import list_queue
from engine.cases.views import get_case
from engine.config.settings import Config
from engine.kernel.errors import Forbidden
from engine.kernel.events import CaseOpened, DeadlineEvent, Event
from engine.runtime.engine import Engine
from engine.schedule.due import run_due
from engine.store.models import CaseRow, Deadline
from samverkan.bootstrap import build_engine
from tests.conftest import ROOT, T0
from tests.doubles import FixedClock
from tests.support import TIMEOUT_WORKFLOW

E = TypeVar("E", bound=Event)

STHLM = ZoneInfo("Europe/Stockholm")


def _deadlines(eng: Engine, case_id: int) -> list[Deadline]:
    with eng.db.read() as s:
        return list(s.exec(select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)).all())


def _events(eng: Engine, event_type: type[E]) -> list[E]:
    seen: list[E] = []
    eng.listeners.subscribe(event_type, lambda _s, e: seen.append(e))
    return seen


def test_action_deadline_counts_20_working_days_and_moves_with_the_state(
        eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")  # T0 = Wednesday 2027-02-10; 20 working days later = 2027-03-10
    view = get_case(eng, case_id, "chair")
    assert dt.datetime.fromisoformat(view["due_at"]).astimezone(STHLM).date() == dt.date(2027, 3, 10)
    rows = _deadlines(eng, case_id)
    assert [(r.kind, r.offset_days, r.state, r.status) for r in rows] == [
        ("reminder", 5, "open", "pending"), ("reminder", 1, "open", "pending"), ("due", 0, "open", "pending"),
        ("escalation", 1, "open", "pending"), ("escalation", 7, "open", "pending")]
    assign(eng, case_id, "chair", user="member")  # moves it to "assigned" too (on_assign)
    rows = _deadlines(eng, case_id)
    assert {r.status for r in rows if r.state == "open"} == {"retired"}
    assert [r.status for r in rows if r.state == "assigned"] == ["pending"] * 5
    fire(eng, case_id, "start", "member")
    fire(eng, case_id, "complete", "member", comment="Klart.")
    fire(eng, case_id, "verify", "official")
    assert get_case(eng, case_id, "chair")["due_at"] is None
    assert {r.status for r in _deadlines(eng, case_id)} == {"retired"}


def test_overdue_action_escalates_and_shows_in_the_overdue_queue(
        eng: Engine, clock: FixedClock, open_case: Callable[..., int]) -> None:
    events = _events(eng, DeadlineEvent)
    case_id = open_case("action", due=dt.date(2027, 2, 19))  # a Friday
    assert list_queue(eng, "chair", "overdue") == []
    run_due(eng, dt.datetime(2027, 2, 12, 9, 0, tzinfo=STHLM))  # 5 days before falls on a Sunday: Friday
    assert [(e.kind, e.offset_days, e.at.astimezone(STHLM).date()) for e in events] == [
        ("reminder", 5, dt.date(2027, 2, 12))]
    clock.at = dt.datetime(2027, 2, 22, 9, 0, tzinfo=STHLM)  # the Monday after the due Friday
    summary = run_due(eng, clock.at)
    # The 1-day reminder (Thursday 08:00) was not sent by a tick in time; after the due
    # time it is skipped. The escalation one day after (a Saturday) moved to Monday.
    assert [(e.kind, e.offset_days) for e in events[1:]] == [("due", 0), ("escalation", 1)]
    assert summary.skipped == 1
    overdue = list_queue(eng, "chair", "overdue")
    assert [c["id"] for c in overdue] == [case_id]
    assert overdue[0]["overdue"] is True


def test_tick_twice_at_the_same_instant_does_nothing_the_second_time(eng: Engine, clock: FixedClock,
                                                                       open_case: Callable[..., int]) -> None:
    open_case("action", due=dt.date(2027, 2, 12))
    later = T0 + dt.timedelta(days=40)
    first = run_due(eng, later)
    assert first.fired > 0
    assert first.opened
    second = run_due(eng, later)
    assert (second.fired, second.opened, second.retired, second.skipped, second.failed) == (0, [], 0, 0, 0)


def test_a_ten_day_outage_fires_each_missed_row_and_opens_each_occurrence_once(
        eng: Engine, clock: FixedClock, open_case: Callable[..., int]) -> None:
    events = _events(eng, DeadlineEvent)
    opened = _events(eng, CaseOpened)
    run_due(eng, T0)  # the scheduler ran at T0, then the machine was down for ten days
    case_id = open_case("action", due=dt.date(2027, 2, 17))
    before = len(opened)
    back = T0 + dt.timedelta(days=10)  # 2027-02-20
    summary = run_due(eng, back)
    fired = [(e.kind, e.offset_days) for e in events if e.case_id == case_id]
    assert fired == [("due", 0), ("escalation", 1)]  # reminders after the due time are skipped, not sent late
    assert summary.skipped == 2
    keys = sorted(o["occurrence_key"] for o in summary.opened)
    assert keys == ["monthly_review:2027-03-01"]  # opens 14 days ahead, on 15 Feb, during the outage
    assert len(opened) - before == 1
    assert run_due(eng, back).opened == []


def test_recurring_occurrences_open_once_with_their_event_time(eng: Engine) -> None:
    run_due(eng, T0)
    summary = run_due(eng, dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
    keys = [o["occurrence_key"] for o in summary.opened]
    assert len(keys) == len(set(keys))
    assert sum(k.startswith("monthly_review:") for k in keys) == 11  # Mar 2027 .. Jan 2028 (opened 14 days ahead)
    assert [k for k in keys if k.startswith("safety_group_meeting:")] == [
        "safety_group_meeting:2027-05-11", "safety_group_meeting:2027-10-12"]
    assert "safety_survey:2027-09-01" in keys
    assert "orebromodellen:2027-08-01" in keys
    with eng.db.read() as s:
        meeting = s.exec(select(CaseRow).where(CaseRow.occurrence_key == "safety_group_meeting:2027-05-11")).one()
        survey = s.exec(select(CaseRow).where(CaseRow.occurrence_key == "safety_survey:2027-09-01")).one()
    assert meeting.event_at.astimezone(STHLM) == dt.datetime(2027, 5, 11, 13, 0, tzinfo=STHLM)
    assert meeting.title == "Trygghetsgruppens möte 2027-05-11"
    assert survey.requested_due_at.astimezone(STHLM).date() == dt.date(2027, 10, 31)  # due_days = 60
    assert survey.focus_area == "safety"
    assert survey.opened_by == "system"


def test_dry_run_changes_nothing(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", due=dt.date(2027, 2, 12))
    later = T0 + dt.timedelta(days=5)
    preview = run_due(eng, later, dry_run=True)
    assert preview.fired > 0
    assert {r.status for r in _deadlines(eng, case_id)} == {"pending"}
    real = run_due(eng, later)
    assert (real.fired, len(real.opened)) == (preview.fired, len(preview.opened))


def test_a_failing_opening_does_not_stop_the_deadlines(eng: Engine, open_case: Callable[..., int]) -> None:
    # The engine refuses such a config at start; here it changed under a running engine.
    events = _events(eng, DeadlineEvent)
    case_id = open_case("action", due=dt.date(2027, 2, 12))
    a = eng.config.agreement
    broken = replace(a.recurring[2], workflow="monthly_reveiw")
    eng.config = replace(eng.config, agreements=(replace(a, recurring=(broken,)),))
    summary = run_due(eng, T0 + dt.timedelta(days=5))  # the monthly review is due to open, the action is overdue
    assert [(e.case_id, e.kind) for e in events] == [(case_id, "due"), (case_id, "escalation")]
    assert (summary.failed, summary.opened) == (1, [])
    assert "No workflow 'monthly_reveiw'" in summary.items[0]["error"]
    with eng.db.read() as s:
        assert s.exec(select(CaseRow).where(CaseRow.workflow == "monthly_review")).first() is None


def test_timeout_trigger_fires_through_the_same_path_as_a_person(eng: Engine, config: Config,
                                                                   tmp_path: Path) -> None:
    wf = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", wf)
    (wf / "expiring.toml").write_text(TIMEOUT_WORKFLOW, encoding="utf-8")
    eng = build_engine(replace(config, workflows_dir=wf), clock=FixedClock(T0))
    case = open_case(eng, OpenRequest("expiring", "Svara senast", group="trygghetsgruppen"), "system")
    run_due(eng, T0 + dt.timedelta(days=1))
    assert get_case(eng, case.id, "system")["state"] == "waiting"
    summary = run_due(eng, T0 + dt.timedelta(days=3))  # Wed + 2 working days = Friday, end of day
    assert summary.timeouts == 1
    view = get_case(eng, case.id, "system")
    assert view["state"] == "expired"
    assert view["history"][-1]["actor"] == "system"
    assert view["history"][-1]["trigger"] == "expire"
    case2 = open_case(eng, OpenRequest("expiring", "Annat", group="trygghetsgruppen"), "system")
    with pytest.raises(Forbidden):
        fire(eng, case2.id, "expire", "chair")
    eng.db.dispose()


def test_tick_says_what_failed_not_only_how_many(
        eng: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import engine.schedule.due
    from samverkan.cli.main import main
    from tests.support import write_config

    def broken(*_args: object) -> None:
        raise RuntimeError("the recurring table is unreadable")

    monkeypatch.setattr(engine.schedule.due, "_openings", broken)
    config = write_config(tmp_path, eng.config.database_url)
    result = CliRunner().invoke(main, ["--config", str(config), "tick", "--now", "2027-02-15T08:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "1 failed" in result.stdout
    assert "failed: openings: RuntimeError: the recurring table is unreadable" in result.stderr
