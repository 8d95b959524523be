"""Reminders a person sends by hand (the chair's one click, or several cases at once)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases.commands import bump
from engine.cases.firing import append_log, load_visible
from engine.kernel.actors import Actor
from engine.kernel.errors import EngineError, Forbidden, ValidationError
from engine.kernel.events import Reminded
from engine.policy.access import may_manage
from engine.runtime.engine import Engine
from engine.store.models import TransitionLog, User

__all__ = ["LastReminder", "RemindResult", "last_reminders", "remind", "remind_many"]

REMIND = "@remind"  # the log row a reminder leaves, so the history and the overview say who reminded when


@dataclass(frozen=True)
class LastReminder:
    """When a case was last reminded about, and by whom."""

    at: dt.datetime
    by: str  # user name
    by_name: str


@dataclass
class RemindResult:
    """What `remind_many` did: the cases reminded about, and why the others were not."""

    reminded: list[int] = field(default_factory=list)
    refused: dict[int, EngineError] = field(default_factory=dict)


def _reminded_today(eng: Engine, session: Session, case_id: int, username: str, now: dt.datetime) -> bool:
    last = session.exec(select(TransitionLog.at).where(TransitionLog.case_id == case_id,
                                                       TransitionLog.trigger == REMIND,
                                                       TransitionLog.actor == username)
                        .order_by(col(TransitionLog.seq).desc()).limit(1)).first()
    return last is not None and last.astimezone(eng.tz).date() == now.astimezone(eng.tz).date()


def remind(eng: Engine, case_id: int, actor: Actor | str, now: dt.datetime | None = None) -> None:
    """Ask whoever holds the case to act on it: a history line and a `Reminded` event for the notifiers.

    A second reminder by the same person the same day adds nothing to the history (its notice
    would be the same one too).
    """
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        if not may_manage(who, case):
            raise Forbidden("Only the chair or the owning group may send a reminder about this case.")
        if not case.is_open:
            raise ValidationError("case", f"Case {case_id} is closed; there is nothing to remind about.",
                                  code="case_closed", params={"case": str(case_id)})
        if not _reminded_today(eng, session, case_id, who.username, now):
            bump(session, case, None, now)
            append_log(eng, session, case, REMIND, case.state, who.username, now, None)
        eng.emit(session, Reminded(case_id=case_id, actor=who.username, at=now, assignee_id=case.assignee_id,
                                   group_id=case.group_id, due_at=case.due_at))


def remind_many(eng: Engine, case_ids: list[int], actor: Actor | str,
                now: dt.datetime | None = None) -> RemindResult:
    """Remind about each case in turn; one refused (closed meanwhile, not yours) does not stop the rest."""
    now = now or eng.now()
    result = RemindResult()
    for case_id in dict.fromkeys(case_ids):
        try:
            remind(eng, case_id, actor, now)
        except EngineError as exc:
            result.refused[case_id] = exc
        else:
            result.reminded.append(case_id)
    return result


_T, _U = TransitionLog.__table__, User.__table__  # type: ignore[attr-defined]
_REMINDED = (select(_T.c.case_id, _T.c.at, _T.c.actor, _U.c.name)
             .select_from(_T.outerjoin(_U, _U.c.username == _T.c.actor))
             .where(_T.c.case_id.in_(bindparam("b_cases", expanding=True)), _T.c.trigger == REMIND)
             .order_by(_T.c.case_id, _T.c.seq))  # built once: a list page asks it on every request


def last_reminders(session: Session, case_ids: list[int]) -> dict[int, LastReminder]:
    """The latest reminder of each case in `case_ids` that has had one."""
    if not case_ids:
        return {}
    rows = session.execute(_REMINDED, {"b_cases": case_ids}).all()
    return {case_id: LastReminder(at, by, name or by) for case_id, at, by, name in rows}
