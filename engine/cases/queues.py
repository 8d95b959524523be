"""Work queues: which open cases a person sees, soonest due first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, or_, true, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from engine.accounts.users import as_actor
from engine.cases import todo, waiting
from engine.cases.views import CaseSummary, summary_of
from engine.kernel import cursors
from engine.kernel.actors import Actor
from engine.kernel.errors import ValidationError
from engine.kernel.text import check_storable
from engine.outbox import notices
from engine.policy import access
from engine.runtime.engine import Engine
from engine.store.db import UTCDateTime
from engine.store.models import CaseRow, Group, User

__all__ = ["QUEUES", "ROWS", "UNREAD", "QueueFilter", "capped_counts", "list_queue", "queue_page", "summaries", "where"]

QUEUES = ("todo", "mine", "group", "unassigned", "overdue", "all")


@dataclass(frozen=True)
class QueueFilter:
    workflow: str | None = None
    state: str | None = None
    focus_area: str | None = None
    group_id: int | None = None
    agreement_id: int | None = None
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None


# Queue statements are built once per *shape* (queue, what the actor may see, which filters
# are set) with bind parameters for the values, and cached: on a queue page building the
# SQLAlchemy expressions cost far more than running the indexed query.
_C, _U, _G = CaseRow.__table__, User.__table__, Group.__table__  # type: ignore[attr-defined]
_FILTERS = (("workflow", _C.c.workflow), ("state", _C.c.state), ("focus_area", _C.c.focus_area),
            ("group_id", _C.c.group_id), ("agreement_id", _C.c.agreement_id))
_NOW = bindparam("b_now", type_=UTCDateTime)
_LIMIT, _OFFSET = bindparam("b_limit", type_=Integer), bindparam("b_offset", type_=Integer)
# A queue row is the case with the names the lists show, joined rather than fetched apart.
# A list's row: the columns `summary_of` shows (not the description, the data nor the other times, which a
# page of 50 rows would read, decode and convert for nothing), the holder's user and display names and the group's key.
ROWS = (sa_select(_C.c.id, _C.c.workflow, _C.c.title, _C.c.state, _C.c.version, _C.c.is_open, _C.c.focus_area,
                  _C.c.priority, _C.c.confidential, _C.c.parent_id, _C.c.opened_at, _C.c.due_at, _C.c.closed_at,
                  _U.c.username.label("assignee_username"), _U.c.name.label("assignee_name"),
                  _G.c.key.label("group_key"))
        .select_from(_C.outerjoin(_U, _U.c.id == _C.c.assignee_id).outerjoin(_G, _G.c.id == _C.c.group_id)))


@dataclass(frozen=True)
class _Shape:
    queue: str
    reach: access.Reach  # what the actor may see and answers for, as the policy shapes it
    filters: tuple[str, ...]  # the QueueFilter fields that are set


def _shape(queue: str, actor: Actor, f: QueueFilter) -> _Shape:
    if queue not in QUEUES:
        raise ValidationError("queue", f"Unknown queue {queue!r}; choose one of {', '.join(QUEUES)}.")
    check_storable(workflow=f.workflow, state=f.state, focus_area=f.focus_area)
    return _Shape(queue, access.reach(actor),
                  tuple(name for name in (*(n for n, _ in _FILTERS), "due_before", "due_after")
                        if getattr(f, name) is not None))


def _params(shape: _Shape, actor: Actor, now: dt.datetime, f: QueueFilter) -> dict[str, Any]:
    values: dict[str, Any] = {"b_now": now, **access.binds(actor)}
    if shape.queue == "todo":
        values[waiting.SLOTS.key] = waiting.slots_of(actor, f.agreement_id)
    values.update({f"b_{name}": getattr(f, name) for name in shape.filters})
    return values


_OPEN = _C.c.is_open == true()


@lru_cache(maxsize=512)
def _conditions(shape: _Shape) -> tuple[Any, ...]:
    queue = {"todo": lambda: and_(_OPEN, waiting.waiting_for_me()),
             "mine": lambda: and_(_OPEN, access.assigned()), "group": lambda: and_(_OPEN, access.in_own_groups()),
             "unassigned": lambda: and_(_OPEN, _C.c.assignee_id.is_(None), access.overseen(shape.reach)),
             "overdue": lambda: and_(_OPEN, _C.c.due_at < _NOW), "all": true}[shape.queue]()
    return queue, access.seen(shape.reach), *_filtered(shape)


@lru_cache(maxsize=512)
def _filtered(shape: _Shape) -> tuple[Any, ...]:
    """The conditions of the filters `shape` has set."""
    conds = [column == bindparam(f"b_{name}") for name, column in _FILTERS if name in shape.filters]
    if "due_before" in shape.filters:
        conds.append(_C.c.due_at < bindparam("b_due_before", type_=UTCDateTime))
    if "due_after" in shape.filters:
        conds.append(_C.c.due_at >= bindparam("b_due_after", type_=UTCDateTime))
    return tuple(conds)


def where(queue: str, actor: Actor, now: dt.datetime, f: QueueFilter) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The conditions of `queue` for `actor` under the filters `f` (visibility included), and their binds."""
    shape = _shape(queue, actor, f)
    return _conditions(shape), _params(shape, actor, now, f)


UNREAD = "unread"  # the key of `capped_counts(..., unread=True)`'s count of the actor's unread notices


@lru_cache(maxsize=256)
def _counts_statement(shapes: tuple[_Shape, ...], unread: bool) -> Any:
    cap = bindparam("b_cap", type_=Integer)
    counts = [todo.capped_count((_OPEN, access.seen(shape.reach), *_filtered(shape)), cap)
              if shape.queue == "todo"
              else select(func.count()).select_from(select(_C.c.id).where(*_conditions(shape)).limit(cap)
                                                    .subquery()).scalar_subquery() for shape in shapes]
    # The notices' count is the actor's own (`access.USER`, the same bind): one round trip for the whole header.
    return select(*counts, *([notices.unread_of(access.USER)] if unread else []))


def capped_counts(session: Session, actor: Actor, now: dt.datetime, filters: QueueFilter, cap: int,
                  queues: tuple[str, ...] = QUEUES[:-1], *, unread: bool = False) -> dict[str, int]:
    """How many cases each of `queues` holds for `actor`, counted up to `cap`, in one statement, and with
    `unread` how many of the actor's notices are unread (key UNREAD, not capped).

    Capped so that every page's navigation costs a bounded index walk, however big a queue grows.
    """
    if unread and actor.user_id is None:
        raise ValueError("the unread notices are counted for an actor read from the database")
    shapes = tuple(_shape(q, actor, filters) for q in queues)
    # The same values for every queue; the actor's slots whether or not "Att göra" is among them.
    params = {**_params(_shape("todo", actor, filters), actor, now, filters), "b_cap": cap}
    row = session.execute(_counts_statement(shapes, unread), params).one()
    return dict(zip((*queues, UNREAD) if unread else queues, row, strict=True))


def _page_of(found: Any, *order: Any) -> Any:
    """The queue rows of the page (`b_limit`, `b_offset`) of `found` (a subquery of case ids and due
    times) in `order`, a sequence of case columns."""
    first = select(found.c.id).order_by(*(found.c[c.name] for c in order)).limit(_LIMIT).offset(_OFFSET)
    return ROWS.where(_C.c.id.in_(first)).order_by(*order)


@lru_cache(maxsize=512)
def _page_statements(shape: _Shape) -> tuple[Any, Any, Any]:
    conds = _conditions(shape)
    count_dated = select(func.count()).select_from(_C).where(*conds, _C.c.due_at.is_not(None))
    dated = (ROWS.where(*conds, _C.c.due_at.is_not(None)).order_by(_C.c.due_at, _C.c.id)
             .limit(_LIMIT).offset(_OFFSET))
    undated = ROWS.where(*conds, _C.c.due_at.is_(None)).order_by(_C.c.id).limit(_LIMIT).offset(_OFFSET)
    return dated, count_dated, undated


@lru_cache(maxsize=256)
def _todo_pages(shape: _Shape, n_slots: int, dialect: str) -> tuple[Any, Any]:
    """The dated and the undated page of "Att göra" over the actor's `n_slots` slots, each slot's dated cases
    read in index order for `b_take` rows (`engine.cases.todo`)."""
    conds = (_OPEN, todo.seen(shape.reach, dialect), *_filtered(shape))  # besides waiting for the actor
    return _page_of(todo.found(conds, n_slots, dialect), _C.c.due_at, _C.c.id), _page_of(todo.undated(conds), _C.c.id)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


SPREAD = 32  # a queue over 2..SPREAD groups is read group by group (`_dated_by_group`)


@lru_cache(maxsize=256)
def _dated_by_group(shape: _Shape, n: int) -> Any:
    """The dated rows of a queue over `n` groups, as each group's own first rows merged.

    A queue over several groups (a police officer working for eleven municipalities) has no
    index in its order: the database read every case of those groups and sorted them, a cost
    that grew with the data. Each arm here walks one group's (group_id, …, due_at) index for
    `b_take` (offset + limit) rows; the page is the first of their merge.
    """
    conds = _conditions(shape)
    take = bindparam("b_take", type_=Integer)
    arms = [select(_C.c.id, _C.c.due_at)
            .where(*conds, _C.c.group_id == bindparam(f"b_g{i}", type_=Integer), _C.c.due_at.is_not(None))
            .order_by(_C.c.due_at, _C.c.id).limit(take).subquery().select() for i in range(n)]
    return _page_of(union_all(*arms).subquery(), _C.c.due_at, _C.c.id)


def _spread(shape: _Shape, params: dict[str, Any]) -> list[int]:
    """The groups a queue is read over group by group (`_dated_by_group`); none where one index serves."""
    if shape.queue not in ("group", "unassigned") or "group_id" in shape.filters:
        return []
    key = access.OVERSEEN.key if shape.queue == "unassigned" and shape.reach.chairs else access.GROUPS.key
    groups: list[int] = params[key]
    return groups if 2 <= len(groups) <= SPREAD else []


def _page(session: Session, shape: _Shape, params: dict[str, Any], limit: int, offset: int) -> list[Any]:
    """Cases with a due time first, in index order (due_at, id); those without one after, by id.

    Two queries instead of ORDER BY due_at IS NULL, so that the (…, due_at) indexes give the
    order and the database stops after `limit` rows instead of sorting the whole queue.
    """
    dated_stmt, count_stmt, undated_stmt = _page_statements(shape)
    paging = {"b_limit": limit, "b_offset": offset}
    if shape.queue == "todo":
        slots, dialect = params[waiting.SLOTS.key], _dialect(session)
        dated_stmt, undated_stmt = _todo_pages(shape, len(slots), dialect)
        params = {**params, **todo.binds(slots, params, dialect)}
        paging[todo.TAKE.key] = offset + limit
    groups = _spread(shape, params)
    if groups:
        dated_stmt = _dated_by_group(shape, len(groups))
        paging |= {"b_take": offset + limit, **{f"b_g{i}": g for i, g in enumerate(groups)}}
    dated = list(session.execute(dated_stmt, {**params, **paging}).all())
    if len(dated) == limit:
        return dated
    before = offset + len(dated) if dated else session.execute(count_stmt, params).scalar_one()
    undated = session.execute(undated_stmt, {**params, "b_limit": limit - len(dated),
                                             "b_offset": max(0, offset - before)}).all()
    return dated + list(undated)


def summaries(session: Session, rows: list[Any], now: dt.datetime) -> list[CaseSummary]:
    """Rows of `ROWS` (a case with its assignee's and group's names) as lists show them, with whom each waits for."""
    out = [summary_of(r, r.assignee_username, r.group_key, now, r.assignee_name) for r in rows]
    waits = waiting.views_of(session, [s["id"] for s in out])  # one query for the page
    for summary in out:
        summary["waiting_for"] = waits[summary["id"]]
    return out


def list_queue(eng: Engine, actor: Actor | str, queue: str = "mine", *, filters: QueueFilter | None = None,
               limit: int = 50, offset: int = 0, now: dt.datetime | None = None) -> list[CaseSummary]:
    """One page of a queue, soonest due first (cases without a due time last)."""
    now = now or eng.now()
    f = filters or QueueFilter()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        shape = _shape(queue, who, f)
        return summaries(session, _page(session, shape, _params(shape, who, now, f), limit, offset), now)


def _encode(case: Any) -> str:
    return cursors.dump([case.due_at.isoformat() if case.due_at else None, case.id])


def _position(value: Any) -> tuple[dt.datetime | None, int]:
    due, case_id = value
    when = dt.datetime.fromisoformat(due) if due is not None else None
    if (when is not None and when.tzinfo is None) or type(case_id) is not int or not 0 <= case_id < 2**31:
        raise ValueError(value)
    # In UTC here, as this server writes them: a forged one at the end of the years may have none.
    return (when.astimezone(dt.UTC) if when is not None else None), case_id


def _decode(cursor: str) -> tuple[dt.datetime | None, int]:
    """The (due_at, id) a cursor points after, or a ValidationError naming `cursor`."""
    return cursors.load(cursor, _position)


def _after(session: Session, conds: tuple[Any, ...], params: dict[str, Any], limit: int,
           after: tuple[dt.datetime | None, int] | None) -> list[Any]:
    """Up to `limit` cases strictly after `after` in the queue order (the keyset twin of `_page`)."""
    rows: list[Any] = []
    due_at, case_id = after if after is not None else (None, None)
    if after is None or due_at is not None:
        dated = [*conds, _C.c.due_at.is_not(None)]
        if due_at is not None:
            dated.append(or_(_C.c.due_at > due_at, and_(_C.c.due_at == due_at, _C.c.id > case_id)))
        rows = list(session.execute(ROWS.where(*dated).order_by(_C.c.due_at, _C.c.id).limit(limit), params).all())
        if len(rows) == limit:
            return rows
        case_id = None
    undated = [*conds, _C.c.due_at.is_(None)]
    if case_id is not None:
        undated.append(_C.c.id > case_id)
    return rows + list(session.execute(ROWS.where(*undated).order_by(_C.c.id).limit(limit - len(rows)),
                                       params).all())


def queue_page(eng: Engine, actor: Actor | str, queue: str = "mine", *, filters: QueueFilter | None = None,
               limit: int = 50, cursor: str | None = None,
               now: dt.datetime | None = None) -> tuple[list[CaseSummary], str | None]:
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
        rows = _after(session, *where(queue, who, now, filters or QueueFilter()), limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        return summaries(session, rows, now), _encode(rows[-1]) if more and rows else None
