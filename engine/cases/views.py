"""Read models: a case as the CLI, the API and the web show it.

A case is shown under the definition version it runs on: its labels, its actions and
their comment rule come from that version, never from what the workflow file says today
(a renamed or relabelled trigger would otherwise show an old case's button as a raw key).
The models are TypedDicts, so they are the JSON the API and `case show --json` print.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from sqlalchemy import Integer, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session

from engine.accounts.users import as_actor, display_names
from engine.cases import waiting, watchers
from engine.cases.attachments import AttachmentView, attachments_of
from engine.cases.firing import context_of
from engine.cases.waiting import WaitingView
from engine.kernel.actors import Actor
from engine.kernel.errors import NotFound
from engine.policy.access import may_see, roles_on
from engine.runtime.engine import Engine
from engine.store.models import CaseComment, CaseRow, Group, TransitionLog, User
from engine.workflow.decide import CommentRequired, Decision, GuardUnmet, RoleMissing, Take, decide_each
from engine.workflow.definition import Definition, Labels, TransitionDef

__all__ = [
    "ActionView",
    "CaseSummary",
    "CaseView",
    "ChildView",
    "CommentView",
    "HistoryEntry",
    "LabelText",
    "Refused",
    "actions_of",
    "case_view",
    "comment_of",
    "definition_of",
    "get_case",
    "summary_of",
    "told",
]


class LabelText(TypedDict):
    """A label in Swedish and English."""

    sv: str
    en: str


class CaseSummary(TypedDict):
    """A case as lists show it."""

    id: int
    workflow: str
    title: str
    state: str
    version: int
    assignee: str | None
    assignee_name: str | None  # the holder's display name (their user name where they have none)
    group: str | None
    focus_area: str | None
    priority: str
    confidential: bool
    parent_id: int | None
    opened_at: str | None
    due_at: str | None
    closed_at: str | None
    overdue: bool
    waiting_for: list[WaitingView]  # whom the case waits for now (engine/cases/waiting.py); [] where not read


class Refused(TypedDict):
    """Why an action is not possible now: a stable `reason` code and an English message."""

    reason: str  # unknown_trigger, not_from_here, role_missing or guard_unmet
    message: str
    roles: list[str]  # role_missing: who may
    guards: list[str]  # guard_unmet: the guards that refuse


class ActionView(TypedDict):
    """One trigger from the case's state: whether the reader may take it, and if not, why."""

    trigger: str
    label: LabelText
    allowed: bool
    comment_required: bool  # taking it asks for a comment (allowed actions only)
    destructive: bool  # ends or discards the work: offered as a secondary step that asks first
    on_assign: bool  # taken by giving the case to a person (assign, claim), not on its own
    backward: bool  # leads back to an earlier state (reopen): offered, but never as the next step
    refusal: Refused | None


HistoryEntry = TypedDict("HistoryEntry", {
    "seq": int, "trigger": str, "label": LabelText | None,  # None for the engine's @open, @assign, @remind
    "past": LabelText | None,  # how the history tells it ("påbörjade"); None: no past tense declared
    "from": str | None, "to": str, "actor": str, "actor_name": str, "at": str | None, "comment": str | None,
    # @assign: to whom (a user name and its display name) or to which group
    "assignee": str | None, "assignee_name": str | None, "group": str | None,
    "with_assign": bool,  # the step an assignment fired (`on_assign`): `told` folds it into the assignment
    # An edit ("@edit"): the field it changed, its value before and after; None on other rows.
    "field": str | None, "before": str | None, "after": str | None,
})


class CommentView(TypedDict):
    author: str
    author_name: str
    at: str | None
    body: str
    action: LabelText | None  # the step the comment was given with ("Markera som utförd"); None: a plain comment


class ChildView(TypedDict):
    id: int
    workflow: str
    title: str
    state: str
    state_label: LabelText  # from the child's own definition version


class CaseView(CaseSummary):
    """Everything about one case that its reader may see, labelled from its definition version."""

    description: str
    definition_version: str
    workflow_label: LabelText
    state_labels: dict[str, LabelText]  # every state of the case's definition version
    event_at: str | None
    data: dict[str, Any]
    your_roles: list[str]
    allowed_triggers: list[str]
    actions: list[ActionView]
    history: list[HistoryEntry]
    comments: list[CommentView]
    children: list[ChildView]
    following: bool  # whether the reader follows the case
    attachments: list[AttachmentView]  # the files on the case, not those removed


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _label(labels: Labels) -> LabelText:
    return {"sv": labels.sv, "en": labels.en}


def _text(labels: Labels | None) -> LabelText | None:
    return _label(labels) if labels is not None else None


def _backward(d: Definition, state: str, transitions: list[TransitionDef]) -> bool:
    """True if the step leads back to a state listed before `state` (reopening): never the next step."""
    order = list(d.states)
    here = order.index(state) if state in order else 0
    return any(state in t.sources and t.target in d.states and order.index(t.target) < here for t in transitions)


def _action(d: Definition, state: str, trigger: str, decision: Decision) -> ActionView:
    if isinstance(decision, Take | CommentRequired):  # a missing comment is asked for next to the button
        t = decision.transition
        return {"trigger": trigger, "label": _label(t.label), "allowed": True,
                "comment_required": t.comment_required, "destructive": t.destructive, "on_assign": t.on_assign,
                "backward": _backward(d, state, [t]), "refusal": None}
    same = [t for t in d.transitions if t.trigger == trigger]
    refusal: Refused = {"reason": decision.reason, "message": decision.message,
                        "roles": list(decision.roles) if isinstance(decision, RoleMissing) else [],
                        "guards": list(decision.guards) if isinstance(decision, GuardUnmet) else []}
    return {"trigger": trigger, "label": _text(d.trigger_labels(trigger)) or {"sv": trigger, "en": trigger},
            "allowed": False, "comment_required": False, "destructive": any(t.destructive for t in same),
            "on_assign": any(t.on_assign for t in same), "backward": _backward(d, state, same), "refusal": refusal}


def actions_of(eng: Engine, session: Session, case: Any, actor: Actor, now: dt.datetime) -> list[ActionView]:
    """Every trigger from the case's state, decided for `actor` now under the case's definition version."""
    machine = eng.registry.machine(session, case.workflow, case.definition_version)
    return [_action(machine.definition, case.state, trigger, decision)
            for trigger, decision in decide_each(machine, context_of(case, actor, now))]


def definition_of(eng: Engine, workflow: str, version: str) -> Definition:
    """The definition a case runs on (its stored version, not necessarily the current file)."""
    with eng.db.read() as session:
        return eng.registry.machine(session, workflow, version).definition


def summary_of(case: Any, assignee: str | None, group: str | None, now: dt.datetime,
               assignee_name: str | None = None) -> CaseSummary:
    """The fields of a case (a row or anything with its columns as attributes) for lists; `assignee` is the
    holder's user name, `assignee_name` their display name (the user name where it is not given or empty)."""
    return {
        "id": case.id, "workflow": case.workflow, "title": case.title, "state": case.state,
        "version": case.version, "assignee": assignee,
        "assignee_name": (assignee_name or assignee) if assignee else None,
        "group": group, "focus_area": case.focus_area,
        "priority": case.priority, "confidential": case.confidential, "parent_id": case.parent_id,
        "opened_at": _iso(case.opened_at), "due_at": _iso(case.due_at), "closed_at": _iso(case.closed_at),
        "overdue": bool(case.is_open and case.due_at and case.due_at < now), "waiting_for": [],
    }


def _transition_of(d: Definition, trigger: str) -> TransitionDef | None:
    return next((t for t in d.transitions if t.trigger == trigger), None)




def _assign_note(comment: str | None) -> tuple[str | None, str | None]:
    """(user, group) of an @assign row's note ("user:NAME" or "group:KEY")."""
    kind, _, value = (comment or "").partition(":")
    return (value, None) if kind == "user" else (None, value) if kind == "group" else (None, None)


def _history(d: Definition, log: list[Any], names: dict[str, str]) -> list[HistoryEntry]:
    out: list[HistoryEntry] = []
    for r in log:
        t = None if r.trigger.startswith("@") else _transition_of(d, r.trigger)
        prev = out[-1] if out else None
        user, group = _assign_note(r.comment) if r.trigger == "@assign" else (None, None)
        out.append({"seq": r.seq, "trigger": r.trigger,
                    "label": _text(d.trigger_labels(r.trigger)) if t is not None else None,
                    "past": _text(t.past) if t is not None else None,
                    "from": r.from_state, "to": r.to_state, "actor": r.actor,
                    "actor_name": names.get(r.actor, r.actor), "at": _iso(r.at), "comment": r.comment,
                    "assignee": user, "assignee_name": names.get(user, user) if user else None, "group": group,
                    "with_assign": bool(t is not None and t.on_assign and prev is not None
                                        and prev["trigger"] == "@assign" and prev["actor"] == r.actor
                                        and prev["at"] == _iso(r.at)),
                    "field": r.field, "before": r.old_value, "after": r.new_value})
    return out


def told(history: list[HistoryEntry]) -> list[HistoryEntry]:
    """The history as people tell it: one line per assignment, the step it fired folded into it.

    The log keeps both rows (the assignment and the `on_assign` step are two signed changes);
    "Karin Ek gave the case to Anders Holm" already says the case moved on.
    """
    out: list[HistoryEntry] = []
    for h in history:
        if h["with_assign"] and out:
            out[-1] = {**out[-1], "to": h["to"]}
            continue
        out.append(h)
    return out


def _comments(d: Definition, comments: list[Any], log: list[Any], names: dict[str, str]) -> list[CommentView]:
    """The comments and the comments given with a step (the completion's account of the work), by time."""
    plain: list[tuple[Any, int, CommentView]] = [
        (c.at, 0, {"author": c.author, "author_name": names.get(c.author, c.author), "at": _iso(c.at),
                   "body": c.body, "action": None}) for c in comments]
    given: list[tuple[Any, int, CommentView]] = [
        (r.at, 1, {"author": r.actor, "author_name": names.get(r.actor, r.actor), "at": _iso(r.at),
                   "body": r.comment, "action": _text(d.trigger_labels(r.trigger))})
        for r in log if r.comment and not r.trigger.startswith("@")]
    return [c for _at, _k, c in sorted(plain + given, key=lambda x: (x[0], x[1]))]


_C, _G, _U = CaseRow.__table__, Group.__table__, User.__table__  # type: ignore[attr-defined]
_T, _CC = TransitionLog.__table__, CaseComment.__table__  # type: ignore[attr-defined]
_CASE = bindparam("b_case", type_=Integer)
# The case page's statements, built once: on the tables rather than the mapped classes, the rows
# read as plain tuples (building a statement and loading mapped rows cost a case page more than
# running its dozen statements).
_VIEWED = (core_select(_C, _G.c.key.label("group_key"), _U.c.username.label("assignee_username"))
           .select_from(_C.join(_G, _G.c.id == _C.c.group_id).outerjoin(_U, _U.c.id == _C.c.assignee_id))
           .where(_C.c.id == _CASE))
_LOG = (core_select(_T.c.seq, _T.c.trigger, _T.c.from_state, _T.c.to_state, _T.c.actor, _T.c.at, _T.c.comment,
                    _T.c.field, _T.c.old_value, _T.c.new_value).where(_T.c.case_id == _CASE).order_by(_T.c.seq))
_COMMENTS = (core_select(_CC.c.author, _CC.c.at, _CC.c.body).where(_CC.c.case_id == _CASE)
             .order_by(_CC.c.at, _CC.c.id))
_CHILDREN = (core_select(_C.c.id, _C.c.workflow, _C.c.definition_version, _C.c.title, _C.c.state, _C.c.group_id,
                         _C.c.assignee_id, _C.c.confidential).where(_C.c.parent_id == _CASE).order_by(_C.c.id))


def _children(eng: Engine, session: Session, case: Any, actor: Actor) -> list[ChildView]:
    rows = session.execute(_CHILDREN, {"b_case": case.id}).all()
    return [{"id": c.id, "workflow": c.workflow, "title": c.title, "state": c.state,
             "state_label": _label(eng.registry.machine(session, c.workflow, c.definition_version)
                                   .definition.states[c.state].label)}
            for c in rows if may_see(actor, c)]


def case_view(eng: Engine, session: Session, case: Any, actor: Actor, now: dt.datetime) -> CaseView:
    """Everything about a case the actor may see: fields, actions, history, comments, children.

    `case` is a row as `get_case` reads it: the case's columns with its group's key (`group_key`) and its
    holder's user name (`assignee_username`).
    """
    assert case.id is not None
    d = eng.registry.machine(session, case.workflow, case.definition_version).definition
    log = session.execute(_LOG, {"b_case": case.id}).all()
    comments = session.execute(_COMMENTS, {"b_case": case.id}).all()
    actions = actions_of(eng, session, case, actor, now)
    people = {r.actor for r in log} | {c.author for c in comments}
    people |= {u for r in log if r.trigger == "@assign" and (u := _assign_note(r.comment)[0])}
    people |= {case.assignee_username} if case.assignee_username else set()
    names = display_names(session, people)
    return {
        **summary_of(case, case.assignee_username, case.group_key, now, names.get(case.assignee_username or "")),
        "description": case.description,
        "definition_version": case.definition_version,
        "workflow_label": _label(d.label),
        "state_labels": {key: _label(st.label) for key, st in d.states.items()},
        "event_at": _iso(case.event_at),
        "data": case.data,
        "your_roles": sorted(roles_on(actor, case)),
        "allowed_triggers": [a["trigger"] for a in actions if a["allowed"]],
        "actions": actions,
        "history": _history(d, list(log), names),
        "comments": _comments(d, list(comments), list(log), names),
        "children": _children(eng, session, case, actor),
        "waiting_for": waiting.views_of(session, [case.id])[case.id],
        "following": watchers.is_following(session, case.id, actor.user_id),
        "attachments": attachments_of(session, case, actor),
    }


def comment_of(eng: Engine, row: CaseComment) -> CommentView:
    """A comment just written, as the case's comments show it."""
    with eng.db.read() as session:
        name = display_names(session, {row.author}).get(row.author, row.author)
    return {"author": row.author, "author_name": name, "at": _iso(row.at), "body": row.body, "action": None}


def get_case(eng: Engine, case_id: int, actor: Actor | str, *, now: dt.datetime | None = None) -> CaseView:
    """The view of one case, or NotFound if it does not exist or is hidden from `actor`."""
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        if not 0 < case_id < 2**31:  # ids are 32-bit; a larger number would overflow the database driver
            raise NotFound(f"No case {case_id} that you may see.")
        case = session.execute(_VIEWED, {"b_case": case_id}).first()
        if case is None or not may_see(who, case):
            raise NotFound(f"No case {case_id} that you may see.")  # the same as engine.cases.firing.load_visible
        return case_view(eng, session, case, who, now)
