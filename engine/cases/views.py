"""Read models: a case as the CLI, the API and the web show it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from engine.accounts.users import as_actor
from engine.cases.firing import context_of, load_visible
from engine.kernel.actors import Actor
from engine.policy.access import may_see, roles_on
from engine.runtime.engine import Engine
from engine.store.models import CaseComment, CaseRow, Group, TransitionLog, User
from engine.workflow.decide import CommentRequired, Take, decide_each

__all__ = ["allowed_triggers", "case_summary", "case_view", "get_case", "names_for", "summary_of"]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def allowed_triggers(eng: Engine, session: Session, case: CaseRow, actor: Actor,
                     now: dt.datetime) -> list[str]:
    """Triggers `actor` may fire on `case` now."""
    machine = eng.registry.machine(session, case.workflow, case.definition_version)
    # A step that only lacks its comment is offered: the page asks for the comment next to it.
    return [trigger for trigger, decision in decide_each(machine, context_of(case, actor, now))
            if isinstance(decision, Take | CommentRequired)]


def case_summary(case: CaseRow, names: dict[str, dict[int, str]], now: dt.datetime) -> dict[str, Any]:
    """The fields of a case for lists (no history); `names` as `names_for` gives them."""
    return summary_of(case, names["users"].get(case.assignee_id or 0), names["groups"].get(case.group_id), now)


def summary_of(case: Any, assignee: str | None, group: str | None, now: dt.datetime) -> dict[str, Any]:
    """The fields of a case (a row or anything with its columns as attributes) for lists."""
    return {
        "id": case.id, "workflow": case.workflow, "title": case.title, "state": case.state,
        "version": case.version, "assignee": assignee, "group": group, "focus_area": case.focus_area,
        "priority": case.priority, "confidential": case.confidential, "parent_id": case.parent_id,
        "opened_at": _iso(case.opened_at), "due_at": _iso(case.due_at), "closed_at": _iso(case.closed_at),
        "overdue": bool(case.is_open and case.due_at and case.due_at < now),
    }


def names_for(session: Session, cases: list[CaseRow]) -> dict[str, dict[int, str]]:
    """User names and group keys referenced by `cases`, fetched in two queries."""
    uids = {c.assignee_id for c in cases if c.assignee_id}
    gids = {c.group_id for c in cases}
    users = dict(session.exec(select(User.id, User.username).where(User.id.in_(uids))).all()) if uids else {}  # type: ignore[union-attr]
    groups = dict(session.exec(select(Group.id, Group.key).where(Group.id.in_(gids))).all()) if gids else {}  # type: ignore[union-attr]
    return {"users": users, "groups": groups}  # type: ignore[dict-item]


def case_view(eng: Engine, session: Session, case: CaseRow, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    """Everything about a case the actor may see: fields, allowed triggers, history, comments."""
    assert case.id is not None
    view = case_summary(case, names_for(session, [case]), now)
    log = session.exec(select(TransitionLog).where(TransitionLog.case_id == case.id)
                       .order_by(TransitionLog.seq)).all()  # type: ignore[arg-type]
    comments = session.exec(select(CaseComment).where(CaseComment.case_id == case.id)
                            .order_by(CaseComment.at, CaseComment.id)).all()  # type: ignore[arg-type]
    children = session.exec(select(CaseRow).where(CaseRow.parent_id == case.id)
                            .order_by(CaseRow.id)).all()  # type: ignore[arg-type]
    view.update({
        "description": case.description,
        "definition_version": case.definition_version,
        "event_at": _iso(case.event_at),
        "data": case.data,
        "your_roles": sorted(roles_on(actor, case)),
        "allowed_triggers": allowed_triggers(eng, session, case, actor, now),
        "history": [{"seq": r.seq, "trigger": r.trigger, "from": r.from_state, "to": r.to_state,
                     "actor": r.actor, "at": _iso(r.at), "comment": r.comment} for r in log],
        "comments": [{"author": c.author, "at": _iso(c.at), "body": c.body} for c in comments],
        "children": [{"id": c.id, "workflow": c.workflow, "title": c.title, "state": c.state}
                     for c in children if may_see(actor, c)],
    })
    return view


def get_case(eng: Engine, case_id: int, actor: Actor | str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The view of one case, or NotFound if it does not exist or is hidden from `actor`."""
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        return case_view(eng, session, load_visible(session, case_id, who), who, now)
