"""A person's in-app notices as the notices page shows them: per case, newest first, read when opened."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from engine.cases.overview import user_id
from engine.kernel.actors import Actor
from engine.kernel.errors import NotFound
from engine.outbox.notices import list_for_user, mark_read, notice_for, unread_count
from engine.runtime.engine import Engine

__all__ = ["CaseNotices", "by_case", "mark_case_read", "mark_notices_read", "my_notices", "open_notice"]


class CaseNotices(TypedDict):
    """The notices about one case (or one notice about no case, such as a lapsed period)."""

    case_id: int | None
    unread: int
    latest: dt.datetime
    notices: list[dict[str, Any]]  # newest first


def my_notices(eng: Engine, who: Actor | str, limit: int = 50) -> list[dict[str, Any]]:
    """The person's notices, newest first."""
    with eng.db.read() as session:
        return [{"id": n.id, "kind": n.kind, "case_id": n.case_id, "created_at": n.created_at,
                 "read": n.read_at is not None, "title": (n.payload or {}).get("title"),
                 "payload": dict(n.payload or {})}
                for n in list_for_user(session, user_id(session, who), limit=limit)]


def by_case(notices: list[dict[str, Any]]) -> list[CaseNotices]:
    """`notices` (newest first) gathered per case, the case with the newest notice first."""
    groups: dict[Any, CaseNotices] = {}
    for n in notices:
        key = n["case_id"] if n["case_id"] is not None else ("notice", n["id"])
        group = groups.setdefault(key, {"case_id": n["case_id"], "unread": 0, "latest": n["created_at"],
                                        "notices": []})
        group["notices"].append(n)
        group["unread"] += not n["read"]
    return list(groups.values())  # dicts keep insertion order: by each case's newest notice


def mark_notices_read(eng: Engine, who: Actor | str, now: dt.datetime) -> int:
    """Mark all of the person's notices read; returns how many changed."""
    with eng.db.write() as session:
        return mark_read(session, user_id(session, who), now)


def mark_case_read(eng: Engine, who: Actor | str, case_id: int, now: dt.datetime) -> int:
    """Mark the person's notices about one case read (they opened the case); returns how many changed.

    Looked at first in a read: most case pages have nothing unread, and need not wait for the write lock.
    """
    with eng.db.read() as session:
        uid = user_id(session, who)
        if not unread_count(session, uid, case_id=case_id):
            return 0
    with eng.db.write() as session:
        return mark_read(session, uid, now, case_id=case_id)


def open_notice(eng: Engine, who: Actor | str, notice_id: int, now: dt.datetime) -> dict[str, Any]:
    """Mark one of the person's notices read and return it; NotFound if it is not theirs."""
    with eng.db.write() as session:
        uid = user_id(session, who)
        found = notice_for(session, uid, notice_id)
        if found is None:
            raise NotFound(f"No notice {notice_id} of yours.")
        mark_read(session, uid, now, [notice_id])
        return {"id": found.id, "kind": found.kind, "case_id": found.case_id, "payload": dict(found.payload)}
