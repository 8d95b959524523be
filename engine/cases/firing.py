"""Cases: open, fire a trigger, assign, claim, comment, each in one transaction.

Firing follows one path for people and for the scheduler: check the trigger, the
actor's role and the guards against the case's definition version; then update the
case under an optimistic version check, append a hash-chained log row, replace the
pending deadlines and emit the event, all in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from engine.accounts.users import as_actor
from engine.cases import deadlines
from engine.kernel.actors import Actor
from engine.kernel.errors import Conflict, Forbidden, NotFound, TransitionNotAllowed, ValidationError
from engine.kernel.events import Transitioned
from engine.kernel.text import check_storable
from engine.policy.access import may_see
from engine.runtime.engine import Engine
from engine.store.audit import GENESIS, row_hash
from engine.store.models import CaseRow, Period, TransitionLog
from engine.workflow.definition import Definition
from engine.workflow.machine import may_fire
from engine.workflow.rules import GUARDS, CaseAdapter, FireContext

__all__ = ["append_log", "due_of", "fire", "fire_in", "load_visible", "planned_deadlines"]


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
_LAST_LOG = (select(_LOG.c.seq, _LOG.c.hash).where(_LOG.c.case_id == bindparam("b_case"))
             .order_by(_LOG.c.seq.desc()).limit(1))
_INSERT_LOG = insert(_LOG)
_LOG_COLUMNS = tuple(c.name for c in _LOG.columns if c.name != "id")
_UPDATE_CASE = update(_CASES).where(_CASES.c.id == bindparam("b_id"), _CASES.c.version == bindparam("b_version"))


def append_log(session: Session, case_id: int, trigger: str, from_state: str | None,
               to_state: str, actor: str, now: dt.datetime, comment: str | None) -> TransitionLog:
    """Append the case's next log row, chained to the previous one; the row as written."""
    last = session.execute(_LAST_LOG, {"b_case": case_id}).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    row = TransitionLog(case_id=case_id, seq=seq, trigger=trigger, from_state=from_state,
                        to_state=to_state, actor=actor, at=now, comment=comment or None,
                        prev_hash=prev, hash="")
    row.hash = row_hash(row)
    result = session.execute(_INSERT_LOG, {k: getattr(row, k) for k in _LOG_COLUMNS})
    row.id = result.inserted_primary_key[0]  # type: ignore[attr-defined]
    return row


def _period_end(session: Session, case: CaseRow) -> dt.date | None:
    if case.period_id is None:
        return None
    ends: dt.date | None = session.exec(select(col(Period.ends_on)).where(col(Period.id) == case.period_id)).first()
    return ends


def planned_deadlines(eng: Engine, session: Session, case: CaseRow, state: str, definition: Definition,
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


def _refusal(case: CaseRow, trigger: str, definition: Definition, ctx: FireContext) -> Exception:
    candidates = definition.candidates(case.state, trigger)
    possible = ", ".join(definition.triggers_from(case.state)) or "none (the case is closed)"
    state = definition.states[case.state].label.en
    if not candidates:
        known = any(t.trigger == trigger for t in definition.transitions)
        what = "is not possible" if known else "is not a trigger of this workflow"
        return TransitionNotAllowed(case.id or 0, trigger, case.state,
                                    f"'{trigger}' {what} from state '{case.state}' ({state}); "
                                    f"possible from here: {possible}.")
    permitted = [t for t in candidates if may_fire(t, ctx)]
    if not permitted:
        roles = sorted({r for t in candidates for r in t.roles}) or ["the system"]
        return Forbidden(f"Only {', '.join(roles)} may '{trigger}' case {case.id}; "
                         f"ask one of them or the case's owning group.")
    unmet = sorted({GUARDS[g].description for t in permitted for g in t.guards if not GUARDS[g].fn(ctx)}
                   | {GUARDS[g].description for t in permitted for g in t.unless if GUARDS[g].fn(ctx)})
    return TransitionNotAllowed(case.id or 0, trigger, case.state,
                                f"'{trigger}' is not allowed now: {'; '.join(unmet)}.")


def fire_in(eng: Engine, session: Session, case: CaseRow, trigger: str, actor: Actor,
            now: dt.datetime, comment: str | None = None,
            expected_version: int | None = None) -> TransitionLog:
    """Fire `trigger` on a loaded (and locked) case inside the caller's transaction."""
    assert case.id is not None
    if expected_version is not None and expected_version != case.version:
        raise Conflict(case.id, expected_version, case.version)
    machine = eng.registry.machine(session, case.workflow, case.definition_version)
    definition = machine.definition
    adapter = CaseAdapter(case.id, case.state, case.assignee_id, case.group_id, dict(case.data))
    ctx = FireContext(adapter, actor, now, (comment or "").strip() or None)
    permitted = [t for t in definition.candidates(case.state, trigger) if may_fire(t, ctx)]
    if permitted and ctx.comment is None and any(t.comment_required for t in permitted):
        raise ValidationError("comment", f"'{trigger}' needs a comment: say what was done or decided.",
                              code="comment_required", params={"trigger": trigger})
    taken = machine.fire(trigger, ctx) if permitted else None
    if taken is None:
        raise _refusal(case, trigger, definition, ctx)
    from_state, version = case.state, case.version
    terminal = definition.states[adapter.state].terminal
    planned = planned_deadlines(eng, session, case, adapter.state, definition, now)
    values = {"state": adapter.state, "version": version + 1, "data": adapter.data,
              "updated_at": now, "is_open": not terminal, "closed_at": now if terminal else None,
              "due_at": due_of(planned)}
    # The loaded row is brought up to date below, so no ORM bookkeeping is needed here.
    done = session.execute(_UPDATE_CASE, {"b_id": case.id, "b_version": version, **values})
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(case.id, version, version + 1)
    for key, value in values.items():
        set_committed_value(case, key, value)
    log = append_log(session, case.id, trigger, from_state, adapter.state, actor.username, now,
                      ctx.comment)
    deadlines.retire_pending(session, case.id)
    deadlines.add_rows(session, case, planned)
    eng.emit(session, Transitioned(case_id=case.id, actor=actor.username, at=now, workflow=case.workflow,
                                   trigger=trigger, from_state=from_state, to_state=adapter.state,
                                   comment=ctx.comment, terminal=terminal))
    return log


def fire(eng: Engine, case_id: int, trigger: str, actor: Actor | str, *, comment: str | None = None,
         expected_version: int | None = None, now: dt.datetime | None = None) -> CaseRow:
    """Fire `trigger` on case `case_id` as `actor` in its own write transaction."""
    check_storable(trigger=trigger, comment=comment)
    now = now or eng.now()
    with eng.db.write() as session:
        who = as_actor(session, actor)
        case = load_visible(session, case_id, who, lock=True)
        fire_in(eng, session, case, trigger, who, now, comment, expected_version)
    return case
