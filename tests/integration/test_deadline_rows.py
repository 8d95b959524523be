"""Entering a state writes its deadline rows; leaving it retires them; the case carries due_at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from engine.cases.firing import fire
from engine.cases.views import get_case
from engine.kernel.errors import TransitionNotAllowed
from engine.runtime.engine import Engine
from engine.store.models import Deadline
from tests.doubles import FixedClock

STHLM = ZoneInfo("Europe/Stockholm")


def _rows(eng: Engine, case_id: int) -> list[Deadline]:
    with eng.db.read() as s:
        return list(s.exec(select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)))


def _pending(eng: Engine, case_id: int) -> list[tuple[str, str, int, int, dt.datetime]]:
    return sorted((d.state, d.kind, d.offset_days, d.case_version, d.due_at)
                  for d in _rows(eng, case_id) if d.status == "pending")


def _local(day: dt.date, h: int, m: int = 0, s: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(h, m, s), tzinfo=STHLM).astimezone(dt.UTC)


def test_action_lifecycle_of_deadline_rows(eng: Engine, open_case: Callable[..., int], clock: FixedClock) -> None:
    # Opened Wednesday 2027-02-10: 20 working days later is Wednesday 2027-03-10.
    case_id = open_case("action", assignee="member")
    due_day = dt.date(2027, 3, 10)
    due = _local(due_day, 23, 59, 59)
    expected_open = sorted([
        ("open", "reminder", 5, 1, _local(dt.date(2027, 3, 5), 8)),
        ("open", "reminder", 1, 1, _local(dt.date(2027, 3, 9), 8)),
        ("open", "due", 0, 1, due),
        ("open", "escalation", 1, 1, _local(dt.date(2027, 3, 11), 8)),
        ("open", "escalation", 7, 1, _local(dt.date(2027, 3, 17), 8)),
    ])
    assert _pending(eng, case_id) == expected_open
    assert get_case(eng, case_id, "chair")["due_at"] == "2027-03-10T22:59:59Z"

    clock.advance(days=1)
    fire(eng, case_id, "assign", "chair")
    # The anchor is the opening, so the due day stays; the rows are the new state's, at the new version.
    assert _pending(eng, case_id) == sorted((("assigned",) + r[1:3] + (2,) + r[4:]) for r in expected_open)
    retired = [d for d in _rows(eng, case_id) if d.status == "retired"]
    assert len(retired) == 5
    assert {d.state for d in retired} == {"open"}

    fire(eng, case_id, "start", "member")
    clock.advance(days=2)  # Saturday 2027-02-13
    fire(eng, case_id, "complete", "member", comment="Klart.")
    # `done` is due 10 working days after it is entered: Friday 2027-02-26. The escalation a day
    # later would fall on a Saturday, so it comes on the next working day.
    done_rows = _pending(eng, case_id)
    assert [(r[0], r[1], r[4]) for r in done_rows] == sorted([
        ("done", "due", _local(dt.date(2027, 2, 26), 23, 59, 59)),
        ("done", "escalation", _local(dt.date(2027, 3, 1), 8)),
        ("done", "reminder", _local(dt.date(2027, 2, 24), 8)),
    ])
    assert get_case(eng, case_id, "chair")["due_at"] == "2027-02-26T22:59:59Z"

    fire(eng, case_id, "verify", "official")
    view = get_case(eng, case_id, "chair")
    assert (view["state"], view["due_at"], view["closed_at"]) == ("verified", None, view["history"][-1]["at"])
    assert _pending(eng, case_id) == []
    assert {d.status for d in _rows(eng, case_id)} == {"retired"}


def test_requested_due_date_overrides_the_default(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", due=dt.date(2027, 2, 19))
    assert get_case(eng, case_id, "chair")["due_at"] == "2027-02-19T22:59:59Z"
    # A reminder whose moment has already passed is not written.
    kinds = sorted((d.kind, d.offset_days) for d in _rows(eng, case_id))
    assert kinds == [("due", 0), ("escalation", 1), ("escalation", 7), ("reminder", 1), ("reminder", 5)]
    late = open_case("action", due=dt.date(2027, 2, 12))
    assert sorted((d.kind, d.offset_days) for d in _rows(eng, late)) == [
        ("due", 0), ("escalation", 1), ("escalation", 7), ("reminder", 1)]


def test_a_refused_transition_leaves_the_rows_alone(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    before = [(d.id, d.status) for d in _rows(eng, case_id)]
    with pytest.raises(TransitionNotAllowed):
        fire(eng, case_id, "assign", "chair")  # no assignee yet: the guard refuses
    assert [(d.id, d.status) for d in _rows(eng, case_id)] == before


def test_a_due_date_where_the_rules_set_the_deadlines_is_refused_not_ignored(
        open_case: Callable[..., int]) -> None:
    from engine.kernel.errors import ValidationError
    with pytest.raises(ValidationError, match="leave the due date empty") as err:
        open_case("monthly_review", group="trygghetsgruppen", due=dt.date(2027, 3, 1))
    assert err.value.field == "due"
