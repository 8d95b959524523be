"""Read models for the web's navigation, forms and the chair's overview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypedDict

from sqlalchemy import func
from sqlmodel import col, select

from engine.accounts.users import as_actor, display_names
from engine.cases.queues import QueueFilter, capped_counts
from engine.cases.reminders import last_reminders
from engine.cases.views import CaseSummary, case_summary, names_for
from engine.kernel.actors import Actor
from engine.kernel.errors import Forbidden, NotFound, ValidationError
from engine.policy.access import may_see_overview, visible
from engine.runtime.engine import Engine
from engine.store.models import CaseRow, Group, Membership, User

_C = CaseRow.__table__  # type: ignore[attr-defined]

COUNT_CAP = 100

__all__ = ["COUNT_CAP", "OVERVIEW_CAP", "OVERVIEW_PAGE", "SORTS",
           "GroupCount", "OverdueCase", "Overview", "active_users", "agreement_ids",
           "chair_overview", "group_ids", "members_of", "navigation", "user_id",
           "user_names"]


def navigation(eng: Engine, actor: Actor | str, now: dt.datetime | None = None, cap: int = COUNT_CAP,
               filters: QueueFilter | None = None) -> tuple[dict[str, int], int]:
    """What every page's header shows, read together: each queue's count up to `cap` (shown as
    "cap+"; a bounded index walk however big a queue grows) and the unread in-app notices."""
    from engine.outbox.notices import unread_count
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        counts = capped_counts(session, who, now, filters or QueueFilter(), cap)
        return counts, unread_count(session, user_id(session, who))


def active_users(eng: Engine) -> list[tuple[str, str]]:
    """(user name, display name) of every user who may be given a case."""
    with eng.db.read() as session:
        rows = session.exec(select(User.username, User.name).where(col(User.disabled).is_(False))
                            .order_by(col(User.name))).all()
        return [(u, n) for u, n in rows]


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
        rows = session.exec(select(Group.key, User.username, User.name)
                            .join(Membership, col(Membership.group_id) == col(Group.id))
                            .join(User, col(User.id) == col(Membership.user_id))
                            .where(col(Group.key).in_(keys), col(User.disabled).is_(False))
                            .distinct().order_by(col(Group.key), col(User.name))).all()
    for key, username, name in rows:
        out[key].append((username, name or username))
    return out


def user_names(eng: Engine, usernames: Iterable[str]) -> dict[str, str]:
    """The display names of these users (the user name where a user has none), in a read of their own."""
    with eng.db.read() as session:
        return display_names(session, usernames)


class OverdueCase(CaseSummary):
    """An overdue case on the chair's overview, with when it was last reminded about and by whom."""

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


def _order(sort: str) -> list[Any]:
    """The SQL order of `sort`: each then most overdue first (earliest due), ties by case number."""
    due = [_C.c.due_at, _C.c.id]
    if sort == "group":
        return [Group.key, *due]
    if sort == "holder":  # nobody holds it: last, where the group's own queue is
        return [_C.c.assignee_id.is_(None), User.username, *due]
    return due


def chair_overview(eng: Engine, actor: Actor | str, now: dt.datetime | None = None,
                   sort: str = "overdue", agreement_id: int | None = None, page: int = 1,
                   page_size: int = OVERVIEW_PAGE) -> Overview:
    """Overdue open cases the reader may see, of one agreement (`agreement_id`) or of all: totals, counts
    per group, and one page of the cases sorted by `sort`.

    `sort` is "overdue" (most days overdue first), "group" or "holder" (each then most overdue first).
    The rows are read a page at a time in the database's order, so the page does not grow with the data;
    across every agreement the total is counted up to OVERVIEW_CAP.
    """
    if sort not in SORTS:
        raise ValidationError("sort", f"Sort by one of {', '.join(SORTS)}.")
    now = now or eng.now()
    page = max(1, page)
    with eng.db.read() as session:
        who = as_actor(session, actor)
        if not may_see_overview(who):
            raise Forbidden("The overview is for the chair; ask the chair for what you need.")
        where = [_C.c.is_open, _C.c.due_at < now, visible(who)]
        if agreement_id is not None:
            where.append(_C.c.agreement_id == agreement_id)
        capped = False
        if agreement_id is None:
            total = session.execute(select(func.count()).select_from(
                select(_C.c.id).where(*where).limit(OVERVIEW_CAP + 1).subquery())).scalar_one()
            capped = total > OVERVIEW_CAP
        by_group: list[GroupCount] = []
        if not capped:
            grouped = session.execute(select(Group.key, func.count()).select_from(_C)
                                      .join(Group, col(Group.id) == _C.c.group_id)
                                      .where(*where).group_by(Group.key)).all()
            by_group = [{"group": g, "count": n} for g, n in sorted(grouped, key=lambda x: (-x[1], x[0] or ""))]
            total = sum(g["count"] for g in by_group)
        stmt = (select(CaseRow).join(Group, col(Group.id) == col(CaseRow.group_id))
                .outerjoin(User, col(User.id) == col(CaseRow.assignee_id))
                .where(*where).order_by(*_order(sort)).limit(page_size + 1).offset((page - 1) * page_size))
        rows = list(session.exec(stmt).all())
        has_next = len(rows) > page_size
        rows = rows[:page_size]
        names = names_for(session, rows)
        reminded = last_reminders(session, [c.id for c in rows if c.id is not None])
        today = now.astimezone(eng.tz).date()
        cases: list[OverdueCase] = []
        for case in rows:
            last = reminded.get(case.id or 0)
            cases.append({
                **case_summary(case, names, now),
                # Calendar days in the deployment's zone: due yesterday is 1 day overdue, whatever the hour.
                "days_overdue": (today - case.due_at.astimezone(eng.tz).date()).days if case.due_at else 0,
                "last_reminded_at": last.at.isoformat().replace("+00:00", "Z") if last else None,
                "last_reminded_by": last.by_name if last else None})
        return {"overdue": min(total, OVERVIEW_CAP) if capped else total, "capped": capped, "by_group": by_group,
                "waiting_for_you": capped_counts(session, who, now, QueueFilter(), COUNT_CAP, ("todo",))["todo"],
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
