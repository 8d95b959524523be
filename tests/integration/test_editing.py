"""Editing a case: each field changes and is a signed history row, the refusals name the field, a moved
due date re-plans the deadlines, a case handed to another group or given back leaves its holder, and
`audit verify` holds the case row to its edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from engine.cases.commands import assign, comment
from engine.cases.editing import Edit, edit, unassign
from engine.cases.firing import fire
from engine.cases.queues import list_queue
from engine.cases.views import get_case
from engine.kernel.errors import Conflict, Forbidden, ValidationError
from engine.runtime.engine import Engine
from engine.store.audit import verify_chain
from engine.store.models import Deadline

LOCAL = dt.timezone(dt.timedelta(hours=1))  # Stockholm in winter


def _edits(eng: Engine, case_id: int) -> list[tuple[Any, ...]]:
    return [(h["trigger"], h["field"], h["before"], h["after"], h["comment"], h["actor"])
            for h in get_case(eng, case_id, "chair")["history"] if h["trigger"] in ("@edit", "@unassign")]


def _audit_ok(eng: Engine) -> None:
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert result.ok, result


def _pending(eng: Engine, case_id: int) -> list[tuple[str, dt.datetime]]:
    with eng.db.read() as s:
        rows = s.execute(select(Deadline.kind, Deadline.due_at).where(Deadline.case_id == case_id,
                                                                      Deadline.status == "pending")
                         .order_by(Deadline.due_at)).all()
    return [(k, d) for k, d in rows]


@pytest.mark.parametrize(("change", "field", "before", "after"), [
    (Edit(title="Klottret sanerat"), "title", "Test case", "Klottret sanerat"),
    (Edit(description="Väggen vid stationen"), "description", "", "Väggen vid stationen"),
    (Edit(priority="high"), "priority", "normal", "high"),
    (Edit(focus_area="vandalism"), "focus_area", None, "vandalism"),
])
def test_each_text_field_changes_and_is_one_signed_history_row(
        eng: Engine, open_case: Callable[..., int], change: Edit, field: str, before: Any, after: str) -> None:
    case_id = open_case("action")
    row = edit(eng, case_id, "member", change, expected_version=1)
    view = get_case(eng, case_id, "member")
    assert view[field] == after  # type: ignore[literal-required]
    assert (row.version, view["version"]) == (2, 2)
    assert _edits(eng, case_id) == [("@edit", field, before, after, None, "member")]
    _audit_ok(eng)


def test_a_field_given_its_own_value_is_no_change(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", priority="high")
    edit(eng, case_id, "member", Edit(title="Test case", priority="high"))
    assert get_case(eng, case_id, "chair")["version"] == 1
    assert _edits(eng, case_id) == []


def test_a_moved_due_date_needs_a_reason_and_plans_the_deadlines_anew(
        eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", due=dt.date(2027, 3, 15))
    with pytest.raises(ValidationError, match="needs a reason") as refused:
        edit(eng, case_id, "member", Edit(due=dt.date(2027, 4, 1)))
    assert refused.value.field == "reason"
    edit(eng, case_id, "member", Edit(due=dt.date(2027, 4, 1), reason="nytt beslut i KSAU"))
    view = get_case(eng, case_id, "member")
    assert view["due_at"] == "2027-04-01T21:59:59Z"  # the end of the day, Swedish summer time
    assert _edits(eng, case_id) == [("@edit", "due", "2027-03-15T22:59:59Z", "2027-04-01T21:59:59Z",
                                     "nytt beslut i KSAU", "member")]
    pending = _pending(eng, case_id)
    assert ("due", dt.datetime(2027, 4, 1, 21, 59, 59, tzinfo=dt.UTC)) in pending
    assert all(at > dt.datetime(2027, 3, 20, tzinfo=dt.UTC) for _k, at in pending), "old reminders retired"
    _audit_ok(eng)


def test_moving_a_meeting_plans_its_agenda_and_minutes_anew(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("safety_group_meeting", group="trygghetsgruppen",
                        event_at=dt.datetime(2027, 3, 10, 18, 0, tzinfo=LOCAL))
    with pytest.raises(ValidationError, match="takes its deadlines from its rules"):
        edit(eng, case_id, "chair", Edit(due=dt.date(2027, 3, 1), reason="x"))
    edit(eng, case_id, "chair", Edit(event_at=dt.datetime(2027, 3, 24, 18, 0, tzinfo=LOCAL),
                                     reason="Ordföranden är bortrest"))
    view = get_case(eng, case_id, "chair")
    assert view["event_at"] == "2027-03-24T17:00:00Z"
    assert view["due_at"] == "2027-03-17T22:59:59Z"  # the agenda: 7 days before the meeting
    assert _edits(eng, case_id)[-1][1:5] == ("event_at", "2027-03-10T17:00:00Z", "2027-03-24T17:00:00Z",
                                             "Ordföranden är bortrest")
    _audit_ok(eng)


def test_an_assigned_action_moved_to_another_group_is_open_again_without_a_holder(
        eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", assignee="member")
    fire(eng, case_id, "assign", "official")
    edit(eng, case_id, "official", Edit(group="kultur_fritid"), expected_version=2)
    view = get_case(eng, case_id, "outsider")
    assert (view["group"], view["assignee"], view["state"], view["version"]) == ("kultur_fritid", None, "open", 3)
    last = view["history"][-1]
    assert (last["trigger"], last["field"], last["before"], last["after"], last["from"], last["to"]) == (
        "@edit", "group", "socialnamnden", "kultur_fritid", "assigned", "open")
    assert case_id in {r["id"] for r in list_queue(eng, "outsider", "unassigned")}
    _audit_ok(eng)


def test_giving_a_case_back_leaves_it_without_a_holder(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    assign(eng, case_id, "chair", user="member")  # @assign, then assign: "assigned"
    with pytest.raises(Forbidden):
        unassign(eng, case_id, "outsider")
    unassign(eng, case_id, "member", expected_version=3)
    view = get_case(eng, case_id, "member")
    assert (view["assignee"], view["state"], view["version"]) == (None, "open", 4)
    assert view["history"][-1]["trigger"] == "@unassign"
    with pytest.raises(ValidationError, match="Nobody holds"):
        unassign(eng, case_id, "member")
    _audit_ok(eng)


def test_who_may_change_what(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action", group="kultur_fritid", assignee="official")
    edit(eng, case_id, "official", Edit(title="Rättad titel", priority="low"))  # the holder corrects the text
    for field, change in [("due", Edit(due=dt.date(2027, 4, 1), reason="r")), ("group", Edit(group="polisen"))]:
        with pytest.raises(Forbidden, match=f"changing the {field}"):
            edit(eng, case_id, "official", change)
    with pytest.raises(Forbidden):
        edit(eng, case_id, "member", Edit(title="x"))  # neither in the group nor holding it
    edit(eng, case_id, "outsider", Edit(due=dt.date(2027, 4, 1), reason="r"))  # a member of the owning group
    edit(eng, case_id, "admin", Edit(priority="high"))
    assert [e[1] for e in _edits(eng, case_id)] == ["title", "priority", "due", "priority"]


@pytest.mark.parametrize(("change", "field", "message"), [
    (Edit(), "fields", "Say what to change"),
    (Edit(title="  "), "title", "Give the case a title"),
    (Edit(title="x" * 201), "title", "at most 200"),
    (Edit(priority="urgent"), "priority", "Priority is one of"),
    (Edit(focus_area="weather"), "focus_area", "Unknown focus area"),
    (Edit(group="nope"), "group", "Unknown group"),
    (Edit(due=dt.date(2027, 2, 1), reason="r"), "due", "has passed"),
    (Edit(due=dt.date(2047, 2, 1), reason="r"), "due", "10 years"),
    (Edit(event_at=dt.datetime(2027, 3, 1, tzinfo=dt.UTC), reason="r"), "event_at", "has no event time"),
    (Edit(title="a\x00b"), "title", "NUL"),
])
def test_refusals_name_the_field(eng: Engine, open_case: Callable[..., int], change: Edit, field: str,
                                 message: str) -> None:
    case_id = open_case("action")
    with pytest.raises(ValidationError, match=message) as refused:
        edit(eng, case_id, "chair", change)
    assert refused.value.field == field
    assert get_case(eng, case_id, "chair")["version"] == 1


def test_a_stale_version_and_a_closed_case_are_refused(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    comment(eng, case_id, "chair", "no version change")
    edit(eng, case_id, "chair", Edit(title="Ny"))
    with pytest.raises(Conflict):
        edit(eng, case_id, "chair", Edit(title="Äldre"), expected_version=1)
    fire(eng, case_id, "cancel", "chair", comment="Behövs inte")
    with pytest.raises(ValidationError, match="is closed") as refused:
        edit(eng, case_id, "chair", Edit(group="polisen"))
    assert refused.value.field == "group"
    edit(eng, case_id, "chair", Edit(title="Stavfel rättat"))  # the words of a closed case may still be corrected
    assert get_case(eng, case_id, "chair")["title"] == "Stavfel rättat"


@pytest.mark.parametrize(("sql", "said"), [
    ("UPDATE cases SET title = 'Ändrad bakvägen' WHERE id = :c", "title 'Ändrad bakvägen' where its last edit"),
    ("UPDATE cases SET priority = 'low' WHERE id = :c", "priority 'low'"),
    ("UPDATE cases SET requested_due_at = NULL WHERE id = :c", "due None"),
])
def test_a_field_changed_behind_its_edit_is_caught(eng: Engine, open_case: Callable[..., int], sql: str,
                                                   said: str) -> None:
    case_id = open_case("action")
    edit(eng, case_id, "chair", Edit(title="Rätt titel", priority="high", due=dt.date(2027, 4, 1), reason="r"))
    with eng.db.engine.begin() as conn:
        conn.execute(text(sql), {"c": case_id})
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert (result.ok, result.case_id, result.in_case_row) == (False, case_id, True)
    assert said in (result.problem or "")


def test_a_forged_edit_row_is_caught(eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case("action")
    edit(eng, case_id, "chair", Edit(priority="high"))
    with eng.db.engine.begin() as conn:
        conn.execute(text("UPDATE transition_log SET old_value = 'low' WHERE case_id = :c AND seq = 2"),
                     {"c": case_id})
    with eng.db.read() as s:
        result = verify_chain(s, eng.audit_keys)
    assert (result.ok, result.case_id, result.seq) == (False, case_id, 2)
    assert "does not match its hash" in (result.problem or "")
