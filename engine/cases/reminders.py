"""Reminders a person sends by hand (the chair's one-click reminder)."""

from __future__ import annotations

import datetime as dt

from engine.accounts.users import as_actor
from engine.cases.firing import load_visible
from engine.kernel.actors import Actor
from engine.kernel.errors import Forbidden, ValidationError
from engine.kernel.events import Reminded
from engine.policy.access import may_manage
from engine.runtime.engine import Engine

__all__ = ["remind"]


def remind(eng: Engine, case_id: int, actor: Actor | str, now: dt.datetime | None = None) -> None:
    """Ask whoever holds the case to act on it: emits a `Reminded` event for the notifiers."""
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who)
        if not may_manage(who, case):
            raise Forbidden("Only the chair or the owning group may send a reminder about this case.")
        if not case.is_open:
            raise ValidationError("case", f"Case {case_id} is closed; there is nothing to remind about.",
                                  code="case_closed", params={"case": str(case_id)})
        eng.emit(session, Reminded(case_id=case_id, actor=who.username, at=now, assignee_id=case.assignee_id,
                                   group_id=case.group_id, due_at=case.due_at))
