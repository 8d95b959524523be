"""Read models for the web's navigation, forms and the chair's overview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, TypedDict

from sqlalchemy import Integer, bindparam, false, func, true
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from engine.accounts.users import as_actor, display_names
from engine.cases.queues import UNREAD, QueueFilter, capped_counts
from engine.cases.reminders import last_reminders
from engine.cases.views import CaseSummary, summary_of
from engine.kernel.actors import Actor
from engine.kernel.errors import Forbidden, NotFound, ValidationError
from engine.policy import access
from engine.policy.access import may_see_overview
from engine.runtime.engine import Engine
from engine.store.db import UTCDateTime
from engine.store.models import CaseRow, Group, Membership, User

_C, _G = CaseRow.__table__, Group.__table__  # type: ignore[attr-defined]
_U, _M = User.__table__, Membership.__table__  # type: ignore[attr-defined]

COUNT_CAP = 100

__all__ = ["COUNT_CAP", "OVERVIEW_CAP", "OVERVIEW_PAGE", "SORTS",
           "GroupCount", "OverdueCase", "Overview", "active_users", "agreement_ids",
           "chair_overview", "group_ids", "members_of", "navigation", "user_id",
           "user_names"]


def navigation(eng: Engine, actor: Actor | str, now: dt.datetime | None = None, cap: int = COUNT_CAP,
               filters: QueueFilter | None = None) -> tuple[dict[str, int], int]:
    """What every page's header shows, read together: each queue's count up to `cap` (shown as
    "cap+"; a bounded index walk however big a queue grows) and the unread in-app notices."""
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        if who.user_id is None:  # an actor made by hand: its notices are found by its user name
            from engine.outbox.notices import unread_count
            return (capped_counts(session, who, now, filters or QueueFilter(), cap),
                    unread_count(session, user_id(session, who)))
        counts = capped_counts(session, who, now, filters or QueueFilter(), cap, unread=True)
        return counts, counts.pop(UNREAD)  # the notices counted in the same statement: one round trip


def active_users(eng: Engine) -> list[tuple[str, str]]:
    """(user name, display name) of every user who may be given a case."""
    with eng.db.read() as session:
        rows = session.exec(select(User.username, User.name).where(col(User.disabled).is_(False))
                            .order_by(col(User.name))).all()
        return [(u, n) for u, n in rows]


_MEMBERS = (sa_select(_G.c.key, _U.c.username, _U.c.name)
            .select_from(_G.join(_M, _M.c.group_id == _G.c.id).join(_U, _U.c.id == _M.c.user_id))
            .where(_G.c.key.in_(bindparam("b_keys", expanding=True)), _U.c.disabled.is_(false()))
            .distinct().order_by(_G.c.key, _U.c.name))  # built once: every case page asks it


def members_of(eng: Engine, group_keys: Iterable[str | None]) -> dict[str, list[tuple[str, str]]]:
    """(user name, display name) of the active members of each group, for giving a case within its group.

    One query for the groups a page shows, instead of every user on every row (at national scale the
    chair's overview listed 5,000 people per overdue case).
    """
    keys = sorted({k for k in group_keys if k})
    out: dict[str, list[tuple[str, str]]] = {k: [] for k in keys}
    if not keys:
        return out
    with eng.db.read() as session:
        rows = session.execute(_MEMBERS, {"b_keys": keys}).all()
    for key, username, name in rows:
        out[key].append((username, name or username))
    return out


def user_names(eng: Engine, usernames: Iterable[str]) -> dict[str, str]:
    """The display names of these users (the user name where a user has none), in a read of their own."""
    with eng.db.read() as session:
        return display_names(session, usernames)


class OverdueCase(CaseSummary):
    """An overdue case on the chair's overview, with when it was last reminded about and by whom."""

    due_on: str | None  # the calendar day it was due in the deployment's zone (ISO), the one days_overdue counts from
    days_overdue: int
    last_reminded_at: str | None
    last_reminded_by: str | None  # display name


class GroupCount(TypedDict):
    """How many overdue cases one group has."""

    group: str | None
    count: int


class Overview(TypedDict):
    """The chair's overview: totals first, then one page of the overdue cases in the chosen order."""

    overdue: int
    # True when `overdue` is a lower bound: across every agreement the count stops at OVERVIEW_CAP (a
    # bounded index walk), and `by_group` is empty; one agreement's cases are counted exactly.
    capped: bool
    by_group: list[GroupCount]  # most first
    # Cases waiting for the reader (their signature, their verification): None until the engine's
    # `waiting_for` fills it in; the page shows the count only when it is a number.
    waiting_for_you: int | None
    sort: str
    page: int
    has_next: bool
    cases: list[OverdueCase]


SORTS = ("overdue", "group", "holder")
OVERVIEW_PAGE = 25  # rows per page, as many as a queue page: the page costs the same at 10,000 cases and at a million
OVERVIEW_CAP = 1000  # across every agreement, counted up to this many


_NOW = bindparam("b_now", type_=UTCDateTime)
_AGREEMENT = bindparam("b_agreement", type_=Integer)
_CAP, _LIMIT, _OFFSET = (bindparam(n, type_=Integer) for n in ("b_cap", "b_limit", "b_offset"))
# An overview row: the columns a list shows, the holder's names and the group's key joined.
_ROWS = (sa_select(_C.c.id, _C.c.workflow, _C.c.title, _C.c.state, _C.c.version, _C.c.is_open, _C.c.focus_area,
                _C.c.priority, _C.c.confidential, _C.c.parent_id, _C.c.opened_at, _C.c.due_at, _C.c.closed_at,
                _U.c.username.label("holder"), _U.c.name.label("holder_name"), _G.c.key.label("group_key"))
         .select_from(_C.join(_G, _G.c.id == _C.c.group_id).outerjoin(_U, _U.c.id == _C.c.assignee_id)))


def _order(sort: str) -> list[Any]:
    """The SQL order of `sort`: each then most overdue first (earliest due), ties by case number."""
    due = [_C.c.due_at, _C.c.id]
    if sort == "group":
        return [_G.c.key, *due]
    if sort == "holder":  # nobody holds it: last, where the group's own queue is
        return [_C.c.assignee_id.is_(None), _U.c.username, *due]
    return due


@lru_cache(maxsize=64)
def _statements(reach: access.Reach, one_agreement: bool, sort: str) -> tuple[Any, Any, Any]:
    """(capped total, count per group key, one page of rows) of the overdue cases a reader of `reach` sees,
    built once per shape with bind parameters for the values (building them cost more than running them)."""
    where = [_C.c.is_open == true(), _C.c.due_at < _NOW, access.seen(reach)]
    if one_agreement:
        where.append(_C.c.agreement_id == _AGREEMENT)
    total = sa_select(func.count()).select_from(sa_select(_C.c.id).where(*where).limit(_CAP).subquery())
    # Counted per group id, from the index alone, and the few groups named after.
    counted = sa_select(_C.c.group_id, func.count().label("n")).where(*where).group_by(_C.c.group_id).subquery()
    by_group = sa_select(_G.c.key, counted.c.n).select_from(counted.join(_G, _G.c.id == counted.c.group_id))
    # The page's case numbers first, from the index (and the groups or holders the order names), then their
    # rows: sorting or skipping whole rows read every overdue case's row (0.8 ms for Höör by group at 1M,
    # 14 ms for its 40th page).
    order = _order(sort)
    found = _C.join(_G, _G.c.id == _C.c.group_id) if sort == "group" else (
        _C.outerjoin(_U, _U.c.id == _C.c.assignee_id) if sort == "holder" else _C)
    page = sa_select(_C.c.id).select_from(found).where(*where).order_by(*order).limit(_LIMIT).offset(_OFFSET)
    rows = _ROWS.where(_C.c.id.in_(page)).order_by(*order)
    return total, by_group, rows


def chair_overview(eng: Engine, actor: Actor | str, now: dt.datetime | None = None,
                   sort: str = "overdue", agreement_id: int | None = None, page: int = 1,
                   page_size: int = OVERVIEW_PAGE, waiting_for_you: int | None = None) -> Overview:
    """Overdue open cases the reader may see, of one agreement (`agreement_id`) or of all: totals, counts
    per group, and one page of the cases sorted by `sort`.

    `sort` is "overdue" (most days overdue first), "group" or "holder" (each then most overdue first).
    The rows are read a page at a time in the database's order, so the page does not grow with the data;
    across every agreement the total is counted up to OVERVIEW_CAP. What waits for the reader is counted in
    the same agreement (up to COUNT_CAP, as "Att göra" counts it), unless the caller has counted it already
    (`waiting_for_you`: a web page's header has).
    """
    if sort not in SORTS:
        raise ValidationError("sort", f"Sort by one of {', '.join(SORTS)}.")
    now = now or eng.now()
    page = max(1, page)
    with eng.db.read() as session:
        who = as_actor(session, actor)
        if not may_see_overview(who):
            raise Forbidden("The overview is for the chair; ask the chair for what you need.")
        total_stmt, by_group_stmt, rows_stmt = _statements(access.reach(who), agreement_id is not None, sort)
        params = {"b_now": now, "b_agreement": agreement_id, **access.binds(who)}
        capped = False
        if agreement_id is None:
            total = session.execute(total_stmt, {**params, "b_cap": OVERVIEW_CAP + 1}).scalar_one()
            capped = total > OVERVIEW_CAP
        by_group: list[GroupCount] = []
        if not capped:
            grouped = session.execute(by_group_stmt, params).all()
            by_group = [{"group": g, "count": n} for g, n in sorted(grouped, key=lambda x: (-x[1], x[0] or ""))]
            total = sum(g["count"] for g in by_group)
        rows = session.execute(rows_stmt, {**params, "b_limit": page_size + 1,
                                           "b_offset": (page - 1) * page_size}).all()
        has_next = len(rows) > page_size
        rows = rows[:page_size]
        reminded = last_reminders(session, [r.id for r in rows])
        tz = eng.tz
        today = now.astimezone(tz).date()
        cases: list[OverdueCase] = []
        for row in rows:
            last = reminded.get(row.id)
            due_on = row.due_at.astimezone(tz).date() if row.due_at else None
            cases.append({
                **summary_of(row, row.holder, row.group_key, now, row.holder_name),
                "due_on": due_on.isoformat() if due_on else None,
                # Calendar days in the deployment's zone: due yesterday is 1 day overdue, whatever the hour.
                "days_overdue": (today - due_on).days if due_on else 0,
                "last_reminded_at": last.at.isoformat().replace("+00:00", "Z") if last else None,
                "last_reminded_by": last.by_name if last else None})
        return {"overdue": min(total, OVERVIEW_CAP) if capped else total, "capped": capped, "by_group": by_group,
                "waiting_for_you": waiting_for_you if waiting_for_you is not None else capped_counts(
                    session, who, now, QueueFilter(agreement_id=agreement_id), COUNT_CAP, ("todo",))["todo"],
                "sort": sort, "page": page, "has_next": has_next, "cases": cases}


def group_ids(eng: Engine) -> dict[str, int]:
    """Group key → id, for filters that name a group."""
    from engine.store.models import Group
    with eng.db.read() as session:
        return {k: i for k, i in session.exec(select(Group.key, Group.id)).all() if i is not None}


def agreement_ids(eng: Engine) -> dict[str, int]:
    """Agreement key → id, for filters that name an agreement."""
    from engine.store.models import Agreement
    with eng.db.read() as session:
        return {k: i for k, i in session.exec(select(Agreement.key, Agreement.id)).all() if i is not None}


def user_id(session: Any, who: Actor | str) -> int:
    """The id of `who` (an actor or a user name), or NotFound."""
    if isinstance(who, Actor) and who.user_id is not None:
        return who.user_id
    username = who.username if isinstance(who, Actor) else who
    uid = session.exec(select(User.id).where(User.username == username)).first()
    if uid is None:
        raise NotFound(f"No user {username!r}.")
    return int(uid)
