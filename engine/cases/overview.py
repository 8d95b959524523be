"""Read models for the web's navigation, forms and the chair's overview."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from sqlmodel import col, select

from engine.accounts.users import as_actor
from engine.cases.queues import QueueFilter, capped_counts
from engine.cases.views import CaseSummary, case_summary, names_for
from engine.kernel.actors import Actor
from engine.kernel.errors import Forbidden, NotFound
from engine.policy.access import may_see_overview, visible
from engine.runtime.engine import Engine
from engine.store.models import CaseRow, User

COUNT_CAP = 100

__all__ = ["COUNT_CAP", "OverdueCase", "OverdueGroup", "active_users", "agreement_ids", "chair_overview",
           "group_ids", "mark_notices_read", "my_notices", "navigation"]


def navigation(eng: Engine, actor: Actor | str, now: dt.datetime | None = None, cap: int = COUNT_CAP,
               filters: QueueFilter | None = None) -> tuple[dict[str, int], int]:
    """What every page's header shows, read together: each queue's count up to `cap` (shown as
    "cap+"; a bounded index walk however big a queue grows) and the unread in-app notices."""
    from engine.outbox.notices import unread_count
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        counts = capped_counts(session, who, now, filters or QueueFilter(), cap)
        return counts, unread_count(session, _user_id(session, who))


def active_users(eng: Engine) -> list[tuple[str, str]]:
    """(user name, display name) of every user who may be given a case."""
    with eng.db.read() as session:
        rows = session.exec(select(User.username, User.name).where(col(User.disabled).is_(False))
                            .order_by(col(User.name))).all()
        return [(u, n) for u, n in rows]


class OverdueCase(CaseSummary):
    """An overdue case on the chair's overview."""

    days_overdue: int


class OverdueGroup(TypedDict):
    """The overdue cases of one group and focus area."""

    group: str | None
    focus_area: str | None
    cases: list[OverdueCase]


def chair_overview(eng: Engine, actor: Actor | str, now: dt.datetime | None = None,
                   limit: int = 500) -> list[OverdueGroup]:
    """Overdue open cases grouped by (group, focus area), oldest due first, with who holds them.

    Groups are ordered by their oldest case.
    """
    now = now or eng.now()
    with eng.db.read() as session:
        who = as_actor(session, actor)
        if not may_see_overview(who):
            raise Forbidden("The overview is for the chair; ask the chair for what you need.")
        rows = session.exec(select(CaseRow).where(col(CaseRow.is_open), col(CaseRow.due_at) < now, visible(who))
                            .order_by(col(CaseRow.due_at), col(CaseRow.id)).limit(limit)).all()
        names = names_for(session, list(rows))
        out: dict[tuple[str | None, str | None], OverdueGroup] = {}
        for case in rows:
            # Calendar days in the deployment's zone: due yesterday is 1 day overdue, whatever the hour.
            summary: OverdueCase = {**case_summary(case, names, now), "days_overdue": (
                (now.astimezone(eng.tz).date() - case.due_at.astimezone(eng.tz).date()).days if case.due_at else 0)}
            key = (summary["group"], case.focus_area)
            out.setdefault(key, {"group": key[0], "focus_area": key[1], "cases": []})["cases"].append(summary)
        return list(out.values())


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


def _user_id(session: Any, who: Actor | str) -> int:
    if isinstance(who, Actor) and who.user_id is not None:
        return who.user_id
    username = who.username if isinstance(who, Actor) else who
    uid = session.exec(select(User.id).where(User.username == username)).first()
    if uid is None:
        raise NotFound(f"No user {username!r}.")
    return int(uid)


def my_notices(eng: Engine, who: Actor | str, limit: int = 50) -> list[dict[str, Any]]:
    """The person's notices, newest first."""
    from engine.outbox.notices import list_for_user
    with eng.db.read() as session:
        return [{"id": n.id, "kind": n.kind, "case_id": n.case_id, "created_at": n.created_at,
                 "read": n.read_at is not None, "title": (n.payload or {}).get("title"),
                 "payload": dict(n.payload or {})}
                for n in list_for_user(session, _user_id(session, who), limit=limit)]


def mark_notices_read(eng: Engine, who: Actor | str, now: dt.datetime) -> int:
    """Mark all of the person's notices read; returns how many changed."""
    from engine.outbox.notices import mark_read
    with eng.db.write() as session:
        return mark_read(session, _user_id(session, who), now)
