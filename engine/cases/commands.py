"""Opening cases, assigning, claiming and commenting: the work around the state machine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from engine.accounts.users import as_actor, group_id
from engine.cases import deadlines, waiting, watchers
from engine.cases.firing import append_log, context_of, due_of, load_visible, planned_deadlines, take_in
from engine.cases.periods import current_period
from engine.kernel.actors import Actor
from engine.kernel.bounds import to_utc
from engine.kernel.errors import Conflict, Forbidden, ValidationError
from engine.kernel.events import Assigned, CaseOpened, Commented
from engine.kernel.text import check_storable
from engine.policy.access import may_claim, may_manage, may_open
from engine.runtime.engine import Engine
from engine.store import search_index
from engine.store.models import CaseComment, CaseRow, Group, User
from engine.workflow.decide import Take, decide
from engine.workflow.definition import Definition

__all__ = ["NOT_YOUR_GROUP", "OpenRequest", "PRIORITIES", "SYSTEM_ONLY", "assign", "bump", "check_due",
           "check_event_at", "check_fields", "claim", "comment", "follow", "open_case", "open_in", "openable"]

PRIORITIES = ("low", "normal", "high")
# A case is due, or takes place, within this many years of today: a date further off is a typo
# (2207 for 2027), and the reminders and calendar entries counted from it would be noise.
HORIZON = dt.timedelta(days=3653)


@dataclass(frozen=True)
class OpenRequest:
    """What a person gives when opening a case."""

    workflow: str
    title: str
    group: str | None = None
    description: str = ""
    focus_area: str | None = None
    priority: str = "normal"
    assignee: str | None = None
    confidential: bool = False
    parent_id: int | None = None
    due: dt.date | None = None
    event_at: dt.datetime | None = None
    occurrence_key: str | None = None
    period_id: int | None = None  # the agreement period it belongs to (default: current)


def _active_user_id(session: Session, username: str, field: str) -> int:
    row = session.exec(select(User.id, User.disabled).where(User.username == username)).first()
    if row is None:
        raise ValidationError(field, f"No user {username!r}; check the user name.")
    if row[1]:
        raise ValidationError(field, f"User {username!r} is disabled; choose someone else.")
    assert row[0] is not None
    return row[0]


def _owning_group(session: Session, req: OpenRequest, actor: Actor, definition: Definition) -> int:
    if definition.system_only and not actor.is_system:
        raise Forbidden(SYSTEM_ONLY)
    if req.group is not None:
        gid = group_id(session, req.group)
    elif actor.group_ids:
        gid = min(actor.group_ids)
    else:
        raise ValidationError("group", "Say which group owns the case (--group KEY).")
    if not may_open(actor, gid, definition.open_roles, system_only=definition.system_only):
        raise Forbidden(NOT_YOUR_GROUP)
    return gid


def check_fields(eng: Engine, *, title: str | None = None, focus_area: str | None = None,
                 priority: str | None = None) -> None:
    """The title, focus area and priority a person gives (opening or editing), each checked if given."""
    if title is not None and not title.strip():
        raise ValidationError("title", "Give the case a title.")
    if title is not None and len(title.strip()) > 200:
        raise ValidationError("title", "A title is at most 200 characters; put details in the description.")
    if focus_area is not None and focus_area not in eng.config.focus_area_keys:
        raise ValidationError("focus_area", f"Unknown focus area {focus_area!r}; choose one of: "
                              f"{', '.join(sorted(eng.config.focus_area_keys))}.")
    if priority is not None and priority not in PRIORITIES:
        raise ValidationError("priority", f"Priority is one of {', '.join(PRIORITIES)}.")


def check_due(eng: Engine, due: dt.date, actor: Actor, now: dt.datetime) -> None:
    """A due date from today to ten years ahead (the system may give a passed one: it catches up)."""
    today = now.astimezone(eng.tz).date()
    # Due in the past, a case would be overdue, and escalated, the moment it opens. The system
    # may: catching up after downtime, it opens a missed occurrence due when it was due.
    if due < today and not actor.is_system:
        raise ValidationError("due", "The due date has passed. Choose today or a later date.")
    if due > today + HORIZON:
        raise ValidationError("due", "The due date is more than 10 years ahead; check the year.")


def check_event_at(event_at: dt.datetime, now: dt.datetime) -> None:
    """The time of a meeting or review: within ten years of now."""
    if abs(to_utc(event_at, "event_at") - now) > HORIZON:
        raise ValidationError("event_at", "That is more than 10 years from now; check the year.")


# The refusals of opening, named so the interfaces can translate them.
SYSTEM_ONLY = ("Samverkan opens this kind of case itself, on its schedule or for the agreement's renewal; "
               "it cannot be opened by hand. Open an action under it instead.")
NOT_YOUR_GROUP = "You can open cases only for groups you belong to; ask the chair or a member."


def openable(eng: Engine, session: Session, actor: Actor) -> dict[str, list[str]]:
    """The workflows `actor` may open by hand, each with the keys of the groups it may be opened for.

    A workflow opened from another case (`opened_from`: an action plan from its lägesbild) is opened
    from that case's page, so it is not among them."""
    groups = session.exec(select(Group.id, Group.key).order_by(col(Group.id))).all()
    out: dict[str, list[str]] = {}
    for key, d in eng.registry.current.items():
        if d.linking.opened_from is not None:
            continue
        keys = [gkey for gid, gkey in groups
                if gid is not None and may_open(actor, gid, d.open_roles, system_only=d.system_only)]
        if keys:
            out[key] = keys
    return out


def _validate(eng: Engine, req: OpenRequest) -> None:
    check_storable(workflow=req.workflow, title=req.title, group=req.group, description=req.description,
                   focus_area=req.focus_area, priority=req.priority, assignee=req.assignee)
    check_fields(eng, title=req.title, focus_area=req.focus_area, priority=req.priority)


def _check_dates(eng: Engine, req: OpenRequest, actor: Actor, now: dt.datetime) -> None:
    """The web form, the API and the CLI refuse the same dates, because the engine does."""
    if req.due is not None:
        check_due(eng, req.due, actor, now)
    if req.event_at is not None:
        check_event_at(req.event_at, now)


def open_in(eng: Engine, session: Session, req: OpenRequest, actor: Actor, now: dt.datetime) -> CaseRow:
    """Open a case inside the caller's transaction: row, first log row, deadlines, event."""
    _validate(eng, req)
    _check_dates(eng, req, actor, now)
    definition = eng.registry.get(req.workflow)
    if req.due is not None and not definition.takes_a_due_date():
        # Silently ignoring it would leave the person believing the case is due when they said.
        raise ValidationError("due", f"A {definition.key} case takes its deadlines from its rules (its first "
                                     f"state's deadline does not count from opening); leave the due date empty.")
    gid = _owning_group(session, req, actor, definition)
    assignee_id = _active_user_id(session, req.assignee, "assignee") if req.assignee else None
    parent = load_visible(session, req.parent_id, actor) if req.parent_id is not None else None
    _check_opened_from(definition, parent)
    eng.registry.store(session, definition, now)
    # The owning group decides which agreement the case belongs to.
    agreement_id = session.exec(select(Group.agreement_id).where(Group.id == gid)).first() \
        or eng.agreement_id(session)
    period_id = req.period_id
    if period_id is None:
        period = current_period(session, agreement_id, now, eng.tz)
        period_id = period.id if period else None
    requested = (dt.datetime.combine(req.due, deadlines.END_OF_DAY, tzinfo=eng.tz)
                 if req.due is not None else None)
    case = CaseRow(
        agreement_id=agreement_id, period_id=period_id,
        workflow=definition.key, definition_version=definition.version, title=req.title.strip(),
        description=req.description.strip(), state=definition.initial, assignee_id=assignee_id,
        group_id=gid, focus_area=req.focus_area, priority=req.priority,
        confidential=req.confidential, parent_id=req.parent_id, opened_by=actor.username,
        opened_at=now, updated_at=now, requested_due_at=requested, event_at=req.event_at,
        occurrence_key=req.occurrence_key, data={},
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    planned = planned_deadlines(eng, session, case, definition.initial, definition, now)
    case.due_at = due_of(planned)
    append_log(eng, session, case, "@open", None, actor.username, now, None)
    deadlines.add_rows(session, case, planned)
    waiting.refresh(eng, session, case, definition)
    watchers.watch(session, case.id, actor.user_id, now)  # the opener follows the case
    watchers.watch(session, case.id, assignee_id, now)
    search_index.add(session, case.id, case.title, case.description)
    eng.emit(session, CaseOpened(case_id=case.id, actor=actor.username, at=now, workflow=case.workflow,
                                 assignee_id=assignee_id))
    return case


def _check_opened_from(definition: Definition, parent: CaseRow | None) -> None:
    """A workflow with `opened_from` (an action plan) is opened from such a case in such a state."""
    need = definition.linking.opened_from
    if need is None:
        return
    if parent is None or parent.workflow != need.workflow or parent.state not in need.states:
        raise ValidationError("parent_id", f"A {definition.key} case is opened from a {need.workflow} case in state "
                                           f"{' or '.join(need.states)}; open it from that case's page.",
                              code="opened_from", params={"workflow": need.workflow})


def open_case(eng: Engine, req: OpenRequest, actor: Actor | str, *, now: dt.datetime | None = None) -> CaseRow:
    """Open a case in its own write transaction."""
    now = now or eng.now()
    with eng.db.write() as session:
        return open_in(eng, session, req, as_actor(session, actor), now)


def bump(session: Session, case: CaseRow, expected: int | None, now: dt.datetime, **values: object) -> None:
    """Write `values` and the next version to the case row, or Conflict if it changed since `expected`."""
    assert case.id is not None
    if expected is not None and expected != case.version:
        raise Conflict(case.id, expected, case.version)
    values = {**values, "version": case.version + 1, "updated_at": now}
    done = session.execute(update(CaseRow).where(col(CaseRow.id) == case.id, col(CaseRow.version) == case.version)
                           .values(**values))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(case.id, expected, case.version + 1)
    if "due_at" in values:  # a new due date without a change of whom it waits for
        waiting.follow_due(session, case.id, values["due_at"])  # type: ignore[arg-type]
    for key, value in values.items():
        set_committed_value(case, key, value)


def assign(eng: Engine, case_id: int, actor: Actor | str, *, user: str | None = None,
           group: str | None = None, expected_version: int | None = None,
           now: dt.datetime | None = None) -> CaseRow:
    """Give the case to a person, or hand it to another group (then unassigned)."""
    if (user is None) == (group is None):
        raise ValidationError("assignee", "Assign to either a user or a group.")
    check_storable(user=user, group=group)
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        if not case.is_open:
            raise ValidationError("assignee", f"Case {case_id} is closed; it cannot be assigned.")
        if not may_manage(who, case):
            raise Forbidden("Only the owning group's members or the chair may assign this case.")
        if user is not None:
            uid = _active_user_id(session, user, "assignee")
            bump(session, case, expected_version, now, assignee_id=uid)
            note = f"user:{user}"
        else:
            gid = group_id(session, group or "")
            bump(session, case, expected_version, now, group_id=gid, assignee_id=None)
            note = f"group:{group}"
        append_log(eng, session, case, "@assign", case.state, who.username, now, note)
        _handed(eng, session, case, now)
        eng.emit(session, Assigned(case_id=case_id, actor=who.username, at=now, assignee_id=case.assignee_id,
                                   group_id=case.group_id))
        if user is not None:
            _advance_on_assign(eng, session, case, who, now)
    return case


def _handed(eng: Engine, session: Session, case: CaseRow, now: dt.datetime) -> None:
    """After the holder or the group changed: whom the case waits for now; the new holder follows it."""
    assert case.id is not None
    definition = eng.registry.machine(session, case.workflow, case.definition_version).definition
    waiting.refresh(eng, session, case, definition)
    watchers.watch(session, case.id, case.assignee_id, now)


def _advance_on_assign(eng: Engine, session: Session, case: CaseRow, who: Actor, now: dt.datetime) -> None:
    """Fire the transition the definition marks `on_assign` from the case's state, if `who` may.

    So giving an open action to a person also moves it to "assigned" in the same step,
    instead of leaving the officer to press a second button that says the same thing.
    """
    machine = eng.registry.machine(session, case.workflow, case.definition_version)
    for t in machine.definition.transitions:
        if t.on_assign and case.state in t.sources:
            # Only a step that is allowed as it stands: one that asks for a comment is left to the person.
            decision = decide(machine, t.trigger, context_of(case, who, now))
            if isinstance(decision, Take):
                take_in(eng, session, case, decision, machine.definition)
            return


def claim(eng: Engine, case_id: int, actor: Actor | str, *, expected_version: int | None = None,
          now: dt.datetime | None = None) -> CaseRow:
    """Take an unassigned case of one's own group."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        if not may_claim(who, case):
            raise Forbidden("You can claim only cases of a group you belong to.")
        if case.assignee_id is not None and case.assignee_id != who.user_id:
            raise Conflict(case_id, expected_version, case.version)
        if not case.is_open:
            raise ValidationError("assignee", f"Case {case_id} is closed; it cannot be claimed.")
        bump(session, case, expected_version, now, assignee_id=who.user_id)
        append_log(eng, session, case, "@assign", case.state, who.username, now, f"user:{who.username}")
        _handed(eng, session, case, now)
        eng.emit(session, Assigned(case_id=case_id, actor=who.username, at=now, assignee_id=who.user_id,
                                   group_id=case.group_id))
        _advance_on_assign(eng, session, case, who, now)
    return case


def comment(eng: Engine, case_id: int, actor: Actor | str, body: str, *,
            now: dt.datetime | None = None) -> CaseComment:
    """Add a comment; anyone who may see the case may comment on it."""
    if not body.strip():
        raise ValidationError("comment", "Write something in the comment.")
    check_storable(comment=body)
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        load_visible(session, case_id, who)
        row = CaseComment(case_id=case_id, author=who.username, at=now, body=body.strip())
        session.add(row)
        watchers.watch(session, case_id, who.user_id, now)  # who comments follows the case
        session.flush()
        search_index.refresh(session, [case_id])
        eng.emit(session, Commented(case_id=case_id, actor=who.username, at=now, body=body.strip()))
    return row


def follow(eng: Engine, case_id: int, actor: Actor | str, *, on: bool = True, now: dt.datetime | None = None) -> None:
    """Follow a case one may see (`on=False`: stop following it; acting on it later does not start again)."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        load_visible(session, case_id, who)
        if who.user_id is None:
            raise ValidationError("user", "Only a person can follow a case.")
        watchers.follow(session, case_id, who.user_id, now, on=on)
