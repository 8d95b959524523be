"""Work queues: which open cases a person sees, soonest due first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, or_, true
from sqlmodel import Session, col, select

from engine.app import Engine
from engine.cases import as_actor
from engine.errors import ValidationError
from engine.models import CaseRow
from engine.rules import Actor
from engine.views import case_summary, names_for

__all__ = ["QUEUES", "QueueFilter", "conditions", "count_queues", "list_queue"]

QUEUES = ("mine", "group", "unassigned", "overdue", "all")


@dataclass(frozen=True)
class QueueFilter:
    workflow: str | None = None
    state: str | None = None
    focus_area: str | None = None
    group_id: int | None = None
    agreement_id: int | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None


def visible(actor: Actor) -> Any:
    """SQL condition: the cases `actor` may see (confidential ones only to those involved)."""
    if actor.is_system or "chair" in actor.roles:
        return true()
    return or_(CaseRow.confidential == false(),
               CaseRow.group_id.in_(actor.group_ids or {-1}),  # type: ignore[attr-defined]
               CaseRow.assignee_id == actor.user_id)


def _queue(queue: str, actor: Actor, now: dt.datetime) -> Any:
    open_ = CaseRow.is_open == True  # noqa: E712
    groups = CaseRow.group_id.in_(actor.group_ids or {-1})  # type: ignore[attr-defined]
    if queue == "mine":
        return and_(open_, CaseRow.assignee_id == actor.user_id)
    if queue == "group":
        return and_(open_, groups)
    if queue == "unassigned":
        scope = true() if "chair" in actor.roles else groups
        return and_(open_, CaseRow.assignee_id.is_(None), scope)  # type: ignore[union-attr]
    if queue == "overdue":
        return and_(open_, CaseRow.due_at < now)  # type: ignore[operator]
    if queue == "all":
        return true()
    raise ValidationError("queue", f"Unknown queue {queue!r}; choose one of {', '.join(QUEUES)}.")


def _where(queue: str, actor: Actor, now: dt.datetime, f: QueueFilter) -> list[Any]:
    conds = [_queue(queue, actor, now), visible(actor)]
    for column, value in ((CaseRow.workflow, f.workflow), (CaseRow.state, f.state),
                          (CaseRow.focus_area, f.focus_area), (CaseRow.group_id, f.group_id),
                          (CaseRow.agreement_id, f.agreement_id)):
        if value is not None:
            conds.append(column == value)
    if f.due_before is not None:
        conds.append(CaseRow.due_at < f.due_before)  # type: ignore[operator]
    if f.due_after is not None:
        conds.append(CaseRow.due_at >= f.due_after)  # type: ignore[operator]
    return conds


def conditions(queue: str, actor: Actor, now: dt.datetime, filters: QueueFilter | None = None) -> list[Any]:
    """The SQL conditions of a queue as `actor` sees it (for counts and read models elsewhere)."""
    return _where(queue, actor, now, filters or QueueFilter())


def _page(session: Session, conds: list[Any], limit: int, offset: int) -> list[CaseRow]:
    """Cases with a due time first, in index order (due_at, id); those without one after, by id.

    Two queries instead of ORDER BY due_at IS NULL, so that the (…, due_at) indexes give the
    order and the database stops after `limit` rows instead of sorting the whole queue.
    """
    dated = list(session.exec(select(CaseRow).where(*conds, col(CaseRow.due_at).is_not(None))
                              .order_by(col(CaseRow.due_at), col(CaseRow.id)).limit(limit).offset(offset)).all())
    if len(dated) == limit:
        return dated
    before = offset + len(dated) if dated else session.exec(
        select(func.count()).select_from(CaseRow).where(*conds, col(CaseRow.due_at).is_not(None))).one()
    undated = session.exec(select(CaseRow).where(*conds, col(CaseRow.due_at).is_(None))
                           .order_by(col(CaseRow.id)).limit(limit - len(dated)).offset(max(0, offset - before))).all()
    return dated + list(undated)


def list_queue(eng: Engine, actor: Actor | str, queue: str = "mine", *, filters: QueueFilter | None = None,
               limit: int = 50, offset: int = 0, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One page of a queue, soonest due first (cases without a due time last)."""
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        rows = _page(session, _where(queue, who, now, filters or QueueFilter()), limit, offset)
        names = names_for(session, rows)
        return [case_summary(c, names, now) for c in rows]


def count_queues(session: Session, actor: Actor, now: dt.datetime) -> dict[str, int]:
    """How many cases each queue holds, for the navigation."""
    return {q: session.exec(select(func.count()).select_from(CaseRow)
                            .where(*_where(q, actor, now, QueueFilter()))).one()
            for q in QUEUES if q != "all"}
