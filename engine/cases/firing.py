"""Cases: open, fire a trigger, assign, claim, comment, each in one transaction.

Firing follows one path for people and for the scheduler: `decide` checks the trigger,
the actor's role, the guards and the comment against the case's definition version, once;
then `take_in` updates the case under an optimistic version check, appends a hash-chained
log row, replaces the pending deadlines and emits the event, all in the caller's transaction.

`fire` reads the case with everything a transition needs in one statement
(engine.cases.loaded) and every fixed statement of a transition runs on the driver's cursor,
compiled once (engine.store.prepared): through the ORM and SQLAlchemy's `execute` the same
writes cost two and a half times as much (bench/transitions.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases import deadlines, waiting
from engine.cases.loaded import LoadedCase, load_for_firing
from engine.kernel.actors import Actor
from engine.kernel.errors import Conflict, NotFound
from engine.kernel.events import Transitioned
from engine.kernel.text import check_storable
from engine.policy.access import may_see
from engine.runtime.engine import Engine
from engine.store.audit import GENESIS, signature
from engine.store.models import CaseRow, Period, TransitionLog
from engine.store.prepared import Prepared, run_of
from engine.workflow.decide import Refusal, Take, decide
from engine.workflow.definition import Definition
from engine.workflow.rules import CaseAdapter, FireContext

__all__ = ["append_log", "context_of", "due_of", "fire", "fire_in", "load_visible", "planned_deadlines",
           "take_in"]

AnyCase = CaseRow | LoadedCase  # a mapped row (its other callers) or what `fire` loads


def load_visible(session: Session, case_id: int, actor: Actor, *, lock: bool = False) -> CaseRow:
    """The case if it exists and `actor` may see it, else NotFound (never a hint it exists)."""
    if not 0 < case_id < 2**31:  # ids are 32-bit; a larger number would overflow the database driver
        raise NotFound(f"No case {case_id} that you may see.")
    stmt = select(CaseRow).where(CaseRow.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = session.exec(stmt).first()
    if case is None or not may_see(actor, case):
        raise NotFound(f"No case {case_id} that you may see.")
    return case


_LOG = TransitionLog.__table__  # type: ignore[attr-defined]
_CASES = CaseRow.__table__  # type: ignore[attr-defined]
# Built once: these run on every transition, and building a statement costs more than
# running it. On the tables rather than the mapped classes, for the same reason.
_LAST_LOG = Prepared(select(_LOG.c.seq, _LOG.c.hash).where(_LOG.c.case_id == bindparam("b_case"))
                     .order_by(_LOG.c.seq.desc()).limit(1))
_LOGGED = ("case_id", "seq", "trigger", "from_state", "to_state", "actor", "at", "comment", "prev_hash", "key_id",
           "assignee_id", "group_id", "confidential", "hash")
_INSERT_LOG = Prepared(insert(_LOG), _LOGGED)
_INSERT_EDIT = Prepared(insert(_LOG), (*_LOGGED, "field", "old_value", "new_value"))
_MOVED = ("state", "version", "data", "updated_at", "is_open", "closed_at", "due_at")
_UPDATE_CASE = Prepared(update(_CASES).where(_CASES.c.id == bindparam("b_id"),
                                             _CASES.c.version == bindparam("b_version")), _MOVED)


def append_log(eng: Engine, session: Session, case: AnyCase, trigger: str, from_state: str | None,
               actor: str, now: dt.datetime, comment: str | None,
               edit: tuple[str, str | None, str | None] | None = None) -> dict[str, Any]:
    """Append the case's next log row, recording the case as it now is, chained and signed; its values.

    `edit` is what an edit changed: the field, its value before and after (signed with the row).
    """
    assert case.id is not None
    keys, run = eng.audit_keys, run_of(session)
    last = run.first(_LAST_LOG, {"b_case": case.id})
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    values: dict[str, Any] = {
        "case_id": case.id, "seq": seq, "trigger": trigger, "from_state": from_state, "to_state": case.state,
        "actor": actor, "at": now, "comment": comment or None, "prev_hash": prev, "key_id": keys.current,
        "assignee_id": case.assignee_id, "group_id": case.group_id, "confidential": case.confidential}
    if edit is not None:
        values.update(zip(("field", "old_value", "new_value"), edit, strict=True))
    values["hash"] = signature(values, keys)
    run.execute(_INSERT_LOG if edit is None else _INSERT_EDIT, values)
    return values


def _period_end(session: Session, case: AnyCase) -> dt.date | None:
    if case.period_id is None:
        return None
    ends: dt.date | None = session.exec(select(col(Period.ends_on)).where(col(Period.id) == case.period_id)).first()
    return ends


def planned_deadlines(eng: Engine, session: Session, case: AnyCase, state: str, definition: Definition,
         now: dt.datetime) -> list[deadlines.PlannedDeadline]:
    """The deadline rows of `state` for this case (entered at `now`)."""
    rule = definition.states[state].deadline
    if rule is None or definition.states[state].terminal:
        return []
    # The period and the agreement's reminder days matter only to period-end deadlines:
    # reading them for every other transition would cost a query each.
    by_period = rule.anchor == "period_end"
    day = deadlines.due_date(rule, entered=now, opened=case.opened_at,
                             requested=case.requested_due_at, event=case.event_at,
                             period_end=_period_end(session, case) if by_period else None, tz=eng.tz)
    reminders = eng.agreement_config(session, case.agreement_id).renewal_reminder_days if by_period else ()
    return deadlines.plan(rule, day, now, eng.tz, reminders)


def due_of(planned: list[deadlines.PlannedDeadline]) -> dt.datetime | None:
    """The due time among planned rows, if any."""
    return next((p.due_at for p in planned if p.kind == "due"), None)


def context_of(case: AnyCase, actor: Actor, now: dt.datetime, comment: str | None = None) -> FireContext:
    """What a decision about `case` looks at: a plain copy of the row, the actor, the time, the comment."""
    assert case.id is not None
    adapter = CaseAdapter(case.id, case.state, case.assignee_id, case.group_id, dict(case.data))
    return FireContext(adapter, actor, now, (comment or "").strip() or None)


def fire_in(eng: Engine, session: Session, case: AnyCase, trigger: str, actor: Actor,
            now: dt.datetime, comment: str | None = None,
            expected_version: int | None = None) -> dict[str, Any]:
    """Fire `trigger` on a loaded (and locked) case inside the caller's transaction; the log row's values."""
    assert case.id is not None
    if expected_version is not None and expected_version != case.version:
        raise Conflict(case.id, expected_version, case.version)
    machine = eng.registry.machine(session, case.workflow, case.definition_version)
    decision = decide(machine, trigger, context_of(case, actor, now, comment))
    if isinstance(decision, Refusal):
        raise decision.error()
    return take_in(eng, session, case, decision, machine.definition)


def take_in(eng: Engine, session: Session, case: AnyCase, take: Take, definition: Definition) -> dict[str, Any]:
    """Write a decided transition: the case under its version check, the log row, deadlines, the event."""
    assert case.id is not None
    ctx, adapter, trigger = take.ctx, take.ctx.case, take.transition.trigger
    take.apply()
    from_state, version, now, actor = case.state, case.version, ctx.now, ctx.actor
    terminal = definition.states[adapter.state].terminal
    planned = planned_deadlines(eng, session, case, adapter.state, definition, now)
    values = {"state": adapter.state, "version": version + 1, "data": adapter.data,
              "updated_at": now, "is_open": not terminal, "closed_at": now if terminal else None,
              "due_at": due_of(planned)}
    if run_of(session).execute(_UPDATE_CASE, {"b_id": case.id, "b_version": version, **values}) != 1:
        raise Conflict(case.id, version, version + 1)
    # The case is brought up to date here; a mapped row needs no ORM bookkeeping for it.
    if isinstance(case, CaseRow):
        for key, value in values.items():
            set_committed_value(case, key, value)
    else:
        for key, value in values.items():
            setattr(case, key, value)
    log = append_log(eng, session, case, trigger, from_state, actor.username, now, ctx.comment)
    deadlines.retire_pending(session, case.id)
    deadlines.add_rows(session, case, planned)
    waiting.refresh(eng, session, case, definition)
    eng.emit(session, Transitioned(case_id=case.id, actor=actor.username, at=now, workflow=case.workflow,
                                   trigger=trigger, from_state=from_state, to_state=adapter.state,
                                   comment=ctx.comment, terminal=terminal))
    return log


def fire(eng: Engine, case_id: int, trigger: str, actor: Actor | str, *, comment: str | None = None,
         expected_version: int | None = None, now: dt.datetime | None = None) -> LoadedCase:
    """Fire `trigger` on case `case_id` as `actor` in its own write transaction; the case as it left it."""
    check_storable(trigger=trigger, comment=comment)
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_for_firing(session, case_id, who)
        fire_in(eng, session, case, trigger, who, now, comment, expected_version)
    return case
