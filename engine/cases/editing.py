"""Correcting a case after it was opened: its fields, its group, giving it back. Each change is a log row.

An edit writes one "@edit" row per changed field (the field, its value before and after, the
reason, who, when), chained and signed like every transition, and bumps the case's version
once per row, so `audit verify` holds the case row to its log. A new due date or event time
re-plans the pending deadlines of a state that counts from it. A case that leaves its holder
(handed to another group, or given back) and sits in a state that giving it to a person led
to (a transition marked `on_assign`) returns to that transition's source: an assigned action
handed over is open again, without a holder, rather than "assigned" to nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from engine.accounts.users import as_actor, group_id
from engine.cases import deadlines, waiting
from engine.cases.commands import bump, check_due, check_event_at, check_fields
from engine.cases.firing import append_log, due_of, load_visible, planned_deadlines
from engine.kernel.actors import Actor
from engine.kernel.bounds import to_utc
from engine.kernel.errors import Conflict, Forbidden, ValidationError
from engine.kernel.events import Assigned
from engine.kernel.text import check_storable
from engine.policy.access import may_edit, may_unassign
from engine.runtime.engine import Engine
from engine.store import search_index
from engine.store.audit import logged_value
from engine.store.models import CaseRow, Group
from engine.workflow.definition import Definition

__all__ = ["FIELDS", "Edit", "edit", "unassign"]

# The fields an edit may change, in the order it writes them (the group last: it may move the state).
FIELDS = ("title", "description", "priority", "focus_area", "due", "event_at", "group")
_DATES = frozenset({"due", "event_at"})
_NEEDS_OPEN = _DATES | {"group"}


@dataclass(frozen=True)
class Edit:
    """What a person changes; None leaves a field as it is (`focus_area=""` clears it)."""

    title: str | None = None
    description: str | None = None
    priority: str | None = None
    focus_area: str | None = None
    due: dt.date | None = None
    event_at: dt.datetime | None = None
    group: str | None = None
    reason: str | None = None  # required when a date moves: "nytt beslut i KSAU"

    def given(self) -> list[str]:
        """The fields this edit names, in FIELDS order."""
        return [f.name for f in fields(self) if f.name != "reason" and getattr(self, f.name) is not None]


def _check(eng: Engine, changes: dict[str, object], req: Edit, case: CaseRow, definition: Definition,
           actor: Actor, now: dt.datetime) -> None:
    """Whether `actor` may make these changes (fields whose new value differs), and whether they hold."""
    for name in changes:
        if not may_edit(actor, case, name):
            raise Forbidden(f"Your role does not allow changing the {name.replace('_', ' ')} of this case; "
                            "ask a member of the owning group or the chair.")
        if name in _NEEDS_OPEN and not case.is_open:
            raise ValidationError(name, f"Case {case.id} is closed; its {name.replace('_', ' ')} no longer "
                                        "matters. Reopen it first if it must change.", code="edit_closed")
    if "due" in changes:
        if not definition.takes_a_due_date():
            raise ValidationError("due", f"A {definition.key} case takes its deadlines from its rules, not from "
                                         f"a due date; change its event time instead, if it has one.")
        assert req.due is not None
        check_due(eng, req.due, actor, now)
    if "event_at" in changes:
        if not definition.counts_from_event():
            raise ValidationError("event_at", f"A {definition.key} case has no event time; change its due date.")
        assert req.event_at is not None
        check_event_at(req.event_at, now)
    moved = [name for name in ("due", "event_at") if name in changes]
    if moved and not (req.reason or "").strip():
        what = "due date" if moved[0] == "due" else "event time"
        raise ValidationError("reason", f"Moving the {what} needs a reason, e.g. \"nytt beslut i KSAU\".")


def _new_values(eng: Engine, session: Session, req: Edit) -> dict[str, object]:
    """Each given field as the case column(s) it becomes."""
    values: dict[str, object] = {}
    if req.title is not None:
        values["title"] = req.title.strip()
    if req.description is not None:
        values["description"] = req.description.strip()
    if req.priority is not None:
        values["priority"] = req.priority
    if req.focus_area is not None:
        values["focus_area"] = req.focus_area or None
    if req.due is not None:
        values["due"] = dt.datetime.combine(req.due, deadlines.END_OF_DAY, tzinfo=eng.tz).astimezone(dt.UTC)
    if req.event_at is not None:
        values["event_at"] = to_utc(req.event_at, "event_at")
    if req.group is not None:
        values["group"] = group_id(session, req.group)
    return values


_COLUMN = {"due": "requested_due_at", "group": "group_id"}


def _group_key(session: Session, gid: int) -> str | None:
    group = session.get(Group, gid)
    return group.key if group else None


def _return_state(definition: Definition, state: str) -> str | None:
    """The state a case goes back to when it loses its holder in `state`, if giving it to someone led there."""
    for t in definition.transitions:
        if t.on_assign and t.target == state and t.sources:
            return t.sources[0]
    return None


def _change(eng: Engine, session: Session, case: CaseRow, definition: Definition, now: dt.datetime,
            values: dict[str, object], replan: bool) -> None:
    """Write `values` to the case under its version, one version up; with `replan`, its deadlines anew.

    Re-planned when the state changed, or when a date changed that the state's deadline counts
    from (a deadline counting from entering the state keeps its rows).
    """
    assert case.id is not None
    for key, value in values.items():
        set_committed_value(case, key, value)  # the plan below reads the new values; bump writes them
    rule = definition.states[case.state].deadline
    planned = None
    if replan and rule is not None:
        planned = planned_deadlines(eng, session, case, case.state, definition, now)
        values = {**values, "due_at": due_of(planned)}
    elif replan:
        values = {**values, "due_at": None}
    bump(session, case, None, now, **values)
    if replan:
        deadlines.retire_pending(session, case.id)
        deadlines.add_rows(session, case, planned or [])


def _counts_from(definition: Definition, state: str, name: str) -> bool:
    rule = definition.states[state].deadline
    return rule is not None and rule.anchor == {"due": "opened", "event_at": "event"}.get(name)


def _current(case: CaseRow, name: str) -> object:
    """The case's value of an edited field, as an edit compares and logs it."""
    if name == "due":
        return case.requested_due_at or case.due_at  # the due date it has by its rules, until one is given
    return getattr(case, _COLUMN.get(name, name))


def edit(eng: Engine, case_id: int, actor: Actor | str, req: Edit, *, expected_version: int | None = None,
         now: dt.datetime | None = None) -> CaseRow:
    """Change the fields `req` gives, one signed log row each, in one write transaction.

    A field given with the value it has already is no change: not checked, not logged.
    """
    now = now or eng.now()
    check_storable(title=req.title, description=req.description, priority=req.priority,
                   focus_area=req.focus_area, group=req.group, reason=req.reason)
    if not req.given():
        raise ValidationError("fields", "Say what to change: a title, description, priority, focus area, due "
                                        "date, event time or group.")
    check_fields(eng, title=req.title, focus_area=req.focus_area or None, priority=req.priority)
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        if expected_version is not None and expected_version != case.version:
            raise Conflict(case_id, expected_version, case.version)
        definition = eng.registry.machine(session, case.workflow, case.definition_version).definition
        changes = {name: value for name, value in _new_values(eng, session, req).items()
                   if _current(case, name) != value}
        _check(eng, changes, req, case, definition, who, now)
        reason = (req.reason or "").strip() or None
        for name, value in changes.items():
            if name == "group":
                assert isinstance(value, int)
                _release(eng, session, case, definition, who, now, reason, group=value)
                continue
            before = _current(case, name)
            _change(eng, session, case, definition, now, {_COLUMN.get(name, name): value},
                    replan=case.is_open and _counts_from(definition, case.state, name))
            append_log(eng, session, case, "@edit", case.state, who.username, now,
                       reason if name in _DATES else None, (name, logged_value(before), logged_value(value)))
        if changes.keys() & {"title", "description"}:
            search_index.refresh(session, [case_id])
    return case


def _release(eng: Engine, session: Session, case: CaseRow, definition: Definition, who: Actor, now: dt.datetime,
             reason: str | None, group: int | None = None) -> None:
    """Leave the case without a holder (in group `group`, if given): a state that needed one is left."""
    assert case.id is not None
    from_state = case.state
    back = _return_state(definition, case.state) if case.assignee_id is not None else None
    values: dict[str, object] = {"assignee_id": None}
    if group is not None:
        values["group_id"] = group
    if back is not None:
        values["state"] = back
    before = _group_key(session, case.group_id)
    _change(eng, session, case, definition, now, values, replan=back is not None)
    waiting.refresh(eng, session, case, definition)  # its group's members now, not the one who held it
    edit_of = ("group", before, _group_key(session, case.group_id)) if group is not None else None
    append_log(eng, session, case, "@edit" if edit_of else "@unassign", from_state, who.username, now, reason,
               edit_of)
    eng.emit(session, Assigned(case_id=case.id, actor=who.username, at=now, assignee_id=None,
                               group_id=case.group_id))


def unassign(eng: Engine, case_id: int, actor: Actor | str, *, expected_version: int | None = None,
             now: dt.datetime | None = None) -> CaseRow:
    """Give the case back ("lämna tillbaka"): nobody holds it, and its group's members are told."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        if expected_version is not None and expected_version != case.version:
            raise Conflict(case_id, expected_version, case.version)
        if not may_unassign(who, case):
            raise Forbidden("Only the one who holds the case, its group's members or the chair may give it back.")
        if not case.is_open:
            raise ValidationError("assignee", f"Case {case_id} is closed; it cannot be given back.")
        if case.assignee_id is None:
            raise ValidationError("assignee", f"Nobody holds case {case_id}; there is nothing to give back.")
        definition = eng.registry.machine(session, case.workflow, case.definition_version).definition
        _release(eng, session, case, definition, who, now, None)
    return case
