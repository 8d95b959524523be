"""Who follows a case: the opener, the assignee and everyone who commented, until they stop.

Following is data of the case (`case_watchers`), kept by the engine as people act; the notice
rules read it to tell followers when the case changes state or gets a comment.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from engine.store.models import CaseWatcher
from engine.store.prepared import Prepared, run_of

__all__ = ["follow", "followers", "is_following", "stop_following", "watch"]

_W = CaseWatcher.__table__  # type: ignore[attr-defined]
# The notice rules ask on every change of a case: on the driver's cursor (engine.store.prepared).
_FOLLOWING = select(_W.c.id).where(_W.c.case_id == bindparam("b_case"), _W.c.user_id == bindparam("b_user"),
                                   _W.c.following.is_(True))  # built once: every case page asks it
_FOLLOWERS = Prepared(select(_W.c.user_id).where(_W.c.case_id == bindparam("b_case"), _W.c.following.is_(True))
                      .order_by(_W.c.user_id))


def watch(session: Session, case_id: int, user_id: int | None, now: dt.datetime) -> None:
    """Start following `case_id` because one acted on it, unless one has stopped following it."""
    if user_id is None:
        return
    if session.execute(select(_W.c.id).where(_W.c.case_id == case_id, _W.c.user_id == user_id)).first() is None:
        session.add(CaseWatcher(case_id=case_id, user_id=user_id, following=True, since=now))
        session.flush()


def follow(session: Session, case_id: int, user_id: int, now: dt.datetime, *, on: bool = True) -> None:
    """Follow (or, `on=False`, stop following) `case_id` by one's own choice."""
    done = session.execute(update(_W).where(_W.c.case_id == case_id, _W.c.user_id == user_id)
                           .values(following=on))
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.add(CaseWatcher(case_id=case_id, user_id=user_id, following=on, since=now))
        session.flush()


def stop_following(session: Session, case_id: int, user_id: int, now: dt.datetime) -> None:
    """Stop following `case_id`; acting on it later does not start again."""
    follow(session, case_id, user_id, now, on=False)


def followers(session: Session, case_id: int) -> list[int]:
    """The ids of the people following `case_id`."""
    return [r[0] for r in run_of(session).rows(_FOLLOWERS, {"b_case": case_id})]


def is_following(session: Session, case_id: int, user_id: int | None) -> bool:
    """Whether `user_id` follows `case_id`."""
    if user_id is None:
        return False
    return session.execute(_FOLLOWING, {"b_case": case_id, "b_user": user_id}).first() is not None
