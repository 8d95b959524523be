"""Work queues: which open cases a person sees, soonest due first."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
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

__all__ = ["QUEUES", "QueueFilter", "conditions", "count_queues", "list_queue", "queue_page"]

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
    return or_(col(CaseRow.confidential) == false(),
               col(CaseRow.group_id).in_(actor.group_ids or {-1}),
               col(CaseRow.assignee_id) == actor.user_id)


def _queue(queue: str, actor: Actor, now: dt.datetime) -> Any:
    open_ = col(CaseRow.is_open) == true()
    groups = col(CaseRow.group_id).in_(actor.group_ids or {-1})
    if queue == "mine":
        return and_(open_, col(CaseRow.assignee_id) == actor.user_id)
    if queue == "group":
        return and_(open_, groups)
    if queue == "unassigned":
        scope = true() if "chair" in actor.roles else groups
        return and_(open_, col(CaseRow.assignee_id).is_(None), scope)
    if queue == "overdue":
        return and_(open_, col(CaseRow.due_at) < now)
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


def _encode(case: CaseRow) -> str:
    raw = json.dumps([case.due_at.isoformat() if case.due_at else None, case.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[dt.datetime | None, int]:
    """The (due_at, id) a cursor points after, or a ValidationError naming `cursor`."""
    try:
        due, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        when = dt.datetime.fromisoformat(due) if due is not None else None
        if (when is not None and when.tzinfo is None) or type(case_id) is not int or not 0 <= case_id < 2**31:
            raise ValueError(cursor)
        return when, case_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("cursor", "The cursor is not one this server gave; start again without it.") from None


def _after(session: Session, conds: list[Any], limit: int, after: tuple[dt.datetime | None, int] | None,
           ) -> list[CaseRow]:
    """Up to `limit` cases strictly after `after` in the queue order (the keyset twin of `_page`)."""
    rows: list[CaseRow] = []
    due_at, case_id = after if after is not None else (None, None)
    if after is None or due_at is not None:
        dated = [*conds, col(CaseRow.due_at).is_not(None)]
        if due_at is not None:
            dated.append(or_(col(CaseRow.due_at) > due_at,
                             and_(col(CaseRow.due_at) == due_at, col(CaseRow.id) > case_id)))
        rows = list(session.exec(select(CaseRow).where(*dated).order_by(col(CaseRow.due_at), col(CaseRow.id))
                                 .limit(limit)).all())
        if len(rows) == limit:
            return rows
        case_id = None
    undated = [*conds, col(CaseRow.due_at).is_(None)]
    if case_id is not None:
        undated.append(col(CaseRow.id) > case_id)
    return rows + list(session.exec(select(CaseRow).where(*undated).order_by(col(CaseRow.id))
                                    .limit(limit - len(rows))).all())


def queue_page(eng: Engine, actor: Actor | str, queue: str = "mine", *, filters: QueueFilter | None = None,
               limit: int = 50, cursor: str | None = None,
               now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a queue in `list_queue`'s order after an opaque `cursor`; and the cursor of the next page.

    A keyset cursor (due time and id of the last case shown) rather than an offset, so a page
    does not skip or repeat cases when others are opened or closed meanwhile.
    """
    if not 1 <= limit <= 1000:
        raise ValidationError("limit", "The limit is between 1 and 1000.")
    after = _decode(cursor) if cursor else None
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        rows = _after(session, _where(queue, who, now, filters or QueueFilter()), limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        names = names_for(session, rows)
        return [case_summary(c, names, now) for c in rows], _encode(rows[-1]) if more and rows else None


def count_queues(session: Session, actor: Actor, now: dt.datetime) -> dict[str, int]:
    """How many cases each queue holds, for the navigation."""
    return {q: session.exec(select(func.count()).select_from(CaseRow)
                            .where(*_where(q, actor, now, QueueFilter()))).one()
            for q in QUEUES if q != "all"}
