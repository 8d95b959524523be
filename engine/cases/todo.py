""""Att göra" in SQL: the cases that wait for a person, read slot by slot in due order.

A person fills several slots (`waiting.slots_of`: themself, their groups, their roles there and in
each agreement they span); a police officer working for ten municipalities fills 21. Finding every
case that waits in any of them and sorting them cost what the person has waiting: 1,400 cases for
that officer at a million cases, for a page of 25. Each slot's rows are in the index (slot, due_at,
case_id, except_user_id) in the queue's order, so each slot is read here only for its first
`b_take` rows that the case's conditions let through, and the page is the first of their merge
(a case waiting in two of the person's slots once). On PostgreSQL one LATERAL join over the slot
list; on SQLite, which has no LATERAL, a UNION of one LIMITed select per slot.

The plans: SQLite walks each slot's index range in order (a covering index, no sort) and looks up
the case of each row it takes. PostgreSQL walks it the same way (Index Only Scan under a Limit)
where the visibility map is current, as autovacuum keeps it; on a table just bulk-loaded and never
vacuumed it reads each slot by bitmap and sorts it, which still costs the slot's rows, not the data's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, Integer, String, bindparam, func, or_, select, true, union
from sqlalchemy.sql.elements import ColumnElement

from engine.cases.waiting import SLOTS
from engine.policy.access import USER
from engine.store.models import CaseRow, CaseWaiting

__all__ = ["TAKE", "binds", "capped_count", "found"]

_W, _C = CaseWaiting.__table__, CaseRow.__table__  # type: ignore[attr-defined]
TAKE = bindparam("b_take", type_=Integer)  # rows read per slot: the page's offset and limit, or the count's cap
_SLOT_LIST = bindparam("b_slot_list", type_=ARRAY(String))
# `waiting_for_me`'s rule: a slot that leaves the actor out (who completed an action) does not wait for them.
_EXCEPT = or_(_W.c.except_user_id.is_(None), _W.c.except_user_id != USER)


def _slot_bind(i: int) -> Any:
    return bindparam(f"b_slot_{i}", type_=String)


def _arm(conds: tuple[Any, ...], slot: Any, dated: bool) -> Any:
    """The first TAKE cases waiting in `slot` for the actor in queue order (`dated`: those with a due time,
    by it; else those without, by id) that meet `conds` (conditions on the case)."""
    order = (_W.c.due_at, _W.c.case_id) if dated else (_W.c.case_id,)
    return (select(_W.c.case_id.label("id"), _W.c.due_at.label("due_at"))
            .select_from(_W.join(_C, _C.c.id == _W.c.case_id))
            .where(_W.c.slot == slot, _W.c.due_at.is_not(None) if dated else _W.c.due_at.is_(None),
                   _EXCEPT, *conds)
            .order_by(*order).limit(TAKE))


def found(conds: tuple[Any, ...], n: int, dated: bool, dialect: str) -> Any:
    """A subquery (id, due_at) of each case found in the first TAKE rows of one of the actor's `n` slots."""
    if dialect == "postgresql":
        slots = func.unnest(_SLOT_LIST).table_valued("slot").render_derived(name="slots")
        arm = _arm(conds, slots.c.slot, dated).lateral("arm")
        return select(arm.c.id, arm.c.due_at).select_from(slots.join(arm, true())).distinct().subquery()
    return union(*(_arm(conds, _slot_bind(i), dated).subquery().select() for i in range(n))).subquery()


def capped_count(conds: tuple[Any, ...], cap: Any) -> ColumnElement[int]:
    """How many cases wait for the actor (their slots bound as `waiting.SLOTS`) that meet `conds`, up to `cap`.

    The waiting rows joined to their cases, each case once, and no more than `cap` of them: the
    database stops there (SQLite keeps the cases seen in a temporary b-tree and stops at the limit),
    so the header's count costs about `cap` rows however many wait for the person. Counting the
    cases found through `slot IN (...)` first read every one of them (5 ms for a police officer at
    a million cases); a first `cap` per slot read up to `cap` rows of each slot.
    """
    found_ = (select(_W.c.case_id).select_from(_W.join(_C, _C.c.id == _W.c.case_id))
              .where(_W.c.slot.in_(SLOTS), _EXCEPT, *conds).distinct().limit(cap).subquery())
    return select(func.count()).select_from(found_).scalar_subquery()


def binds(slots: list[str], dialect: str) -> dict[str, Any]:
    """The values of `found`'s slot parameters for the actor's `slots` (`waiting.slots_of`)."""
    if dialect == "postgresql":
        return {_SLOT_LIST.key: slots}
    return {_slot_bind(i).key: slot for i, slot in enumerate(slots)}
